import { z } from "zod";
import { SOURCE_FORMATS, SOURCE_MODES, type SourceRecord } from "../ports/live.js";
import { PATH_RE } from "./paths.js";

/**
 * A data source as the API takes it. Credentials are never stored: a header's value is
 * read at each fetch from the environment variable it names, and only variables named
 * OPENTIME_SOURCE_* may be named, so a key holder cannot send the server's own secrets
 * (OPENTIME_SECRET…) to a host of their choosing.
 */
export const ENV_NAME_RE = /^OPENTIME_SOURCE_[A-Z0-9_]{1,64}$/;
const HEADER_RE = /^[A-Za-z0-9-]{1,64}$/;
// Headers the fetcher owns or that would change what is fetched from where.
const RESERVED_HEADERS = new Set([
  "host",
  "accept",
  "accept-encoding",
  "user-agent",
  "content-length",
  "transfer-encoding",
  "connection",
  "cookie2",
  "te",
  "upgrade",
]);

/** {{recipient}} or {{trait.path}}: what a per-recipient URL may carry. */
export const URL_FIELD_RE = /\{\{\s*(recipient|trait\.[A-Za-z0-9_$.-]{1,200})\s*\}\}/g;
export const MAX_TIMEOUT_MS = 2000;
export const MAX_SOURCE_BYTES = 1024 * 1024;

function templateIssue(url: string): string | null {
  const fields = [...url.matchAll(URL_FIELD_RE)];
  for (const m of fields) {
    const name = m[1]!;
    if (name.startsWith("trait.") && !PATH_RE.test(name.slice(6))) return `bad trait path in ${m[0]}`;
  }
  const plain = url.replace(URL_FIELD_RE, "x");
  if (plain.includes("{{") || plain.includes("}}")) return "use {{recipient}} or {{trait.name}} in the URL";
  let u: URL;
  try {
    u = new URL(plain);
  } catch {
    return "not a valid URL";
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return "use an http(s) URL";
  if (u.username || u.password) return "put credentials in headersFromEnv, not in the URL";
  // The host stays the operator's: a recipient's value may fill a path or query, never the host.
  const start = url.indexOf("//") + 2;
  const hostLen = url.slice(start).search(/[/?#]/);
  const hostEnd = hostLen < 0 ? url.length : start + hostLen;
  if (fields.some((m) => (m.index ?? 0) < hostEnd))
    return "{{…}} may appear in the path or query, not in the host";
  return null;
}

export const sourceInput = z
  .object({
    name: z.string().min(1).max(120).optional(),
    url: z
      .string()
      .max(2048)
      .superRefine((u, ctx) => {
        const issue = templateIssue(u);
        if (issue) ctx.addIssue({ code: "custom", message: issue });
      }),
    format: z.enum(SOURCE_FORMATS).default("json"),
    mode: z.enum(SOURCE_MODES).default("interval"),
    everySeconds: z.number().int().min(1).max(86_400).default(60),
    timeoutMs: z.number().int().min(50).max(MAX_TIMEOUT_MS).default(500),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(MAX_SOURCE_BYTES)
      .default(256 * 1024),
    headersFromEnv: z
      .record(
        z
          .string()
          .regex(HEADER_RE, "header names are 1-64 of A-Z a-z 0-9 -")
          .refine((h) => !RESERVED_HEADERS.has(h.toLowerCase()), "this header is set by the fetcher"),
        z.string().regex(ENV_NAME_RE, "name an environment variable OPENTIME_SOURCE_…"),
      )
      .refine((h) => Object.keys(h).length <= 8, "at most 8 headers")
      .default({}),
    historyPath: z.string().regex(PATH_RE, "a dotted path (quote.last, 0.price)").nullable().default(null),
  })
  .strict();
export type SourceInput = z.infer<typeof sourceInput>;

/** Whether the URL depends on who opens (cached per recipient then). */
export const isPerRecipient = (url: string) => url.match(URL_FIELD_RE) !== null;

export function sourceView(s: SourceRecord) {
  return { ...s, perRecipient: isPerRecipient(s.url) };
}
