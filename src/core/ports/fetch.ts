// The one way the app fetches remote content (catalog feeds, product images). A URL comes
// from an operator or a feed, so every fetch is a potential SSRF: the adapter
// (src/node/fetch/guarded-fetcher.ts) allows listed hosts only, refuses private addresses,
// re-checks every redirect hop and bounds time and bytes. Callers never use fetch() directly.

export interface FetchOptions {
  /** Refuse a body larger than this (the adapter's configured ceiling still applies). */
  maxBytes?: number;
  /** Total time for the whole fetch, redirects and body included (capped by the adapter's). */
  timeoutMs?: number;
  /** Sent as the Accept header. */
  accept?: string;
  /** false: fetch anew and do not keep the answer (feeds must be read now, not 5 minutes ago). */
  cache?: boolean;
  /**
   * Extra request headers (a data source's auth, its values read from the environment).
   * Only with `cache: false`: an answer fetched with credentials is never shared.
   */
  headers?: Readonly<Record<string, string>>;
}

export interface FetchedBody {
  /** The final URL, after redirects. */
  url: string;
  status: number;
  /** As the server sent it, "" when absent. */
  contentType: string;
  bytes: Uint8Array;
}

export type FetchRefusal =
  | "bad_url"
  | "host_not_allowed"
  | "private_address"
  | "too_large"
  | "timeout"
  | "too_many_redirects"
  | "http_status"
  | "network";

/** Why a fetch was refused or failed, as a value callers can branch on (and report). */
export class FetchRefused extends Error {
  constructor(
    readonly reason: FetchRefusal,
    message: string,
    /** The HTTP status, for `http_status`. */
    readonly status?: number,
  ) {
    super(message);
    this.name = "FetchRefused";
  }
}

export interface Fetcher {
  /** A 2xx body, or a FetchRefused rejection (never another error type). */
  fetch(url: string, opts?: FetchOptions): Promise<FetchedBody>;
}
