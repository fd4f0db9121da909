export {
  containsMergeTag,
  DIALECTS,
  type Dialect,
  mergeTagsIn,
  type RecipientField,
  recipientTag,
} from "./dialects.js";
export { classify as linkVerdict, type Verdict as LinkVerdict } from "./scan-links.js";
export { type WrapRequest, wrapEmail, wrapRequest } from "./wrap-email.js";
export {
  MAX_DISTINCT_LINKS,
  MAX_HTML_BYTES,
  type SkippedLink,
  type SkipReason,
  WrapError,
  type WrapErrorCode,
  type WrapOptions,
  type WrappedLink,
  type WrapResult,
  wrapHtml,
} from "./wrap-html.js";
