export {
  containsMergeTag,
  DIALECTS,
  type Dialect,
  isUnsubscribeTag,
  type RecipientField,
  recipientTag,
} from "./dialects.js";
export {
  classify as linkSkipReason,
  MAX_DISTINCT_LINKS,
  MAX_HTML_BYTES,
  type SkipReason,
  WrapError,
  type WrapErrorCode,
  type WrapOptions,
  type WrappedLink,
  type WrapResult,
  wrapHtml,
} from "./wrap-html.js";
