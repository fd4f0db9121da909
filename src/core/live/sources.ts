import { parseCsv, sniffDelimiter } from "../catalog/csv.js";
import type { Fetcher } from "../ports/fetch.js";
import { FetchRefused } from "../ports/fetch.js";
import type { Clock, Logger } from "../ports/index.js";
import type { SourceRecord, SourceStore } from "../ports/live.js";
import type { Profile } from "../ports/profiles.js";
import { dict } from "../util/dict.js";
import { Lru } from "../util/lru.js";
import { numberOf, valueAt } from "./paths.js";
import { URL_FIELD_RE } from "./source-schema.js";

/** What an open reads from a source: the value, how old it is, and why it is not fresh. */
export interface SourceReading {
  /** The parsed JSON, or the CSV's rows as objects; null when no good value was ever fetched. */
  value: unknown;
  /** When the value was fetched (ms); null without one. */
  at: number | null;
  /**
   * Why this is not a fresh answer (source_timeout, source_http_status, source_not_json,
   * source_too_large, source_down…): the last good value (or none) is served instead.
   */
  miss: string | null;
}

export interface HistoryPoint {
  at: number;
  value: number;
}

/** Who is opening: what a per-recipient URL is filled from. */
export interface SourceOpen {
  recipient: string | null;
  profile: () => Promise<Profile | null>;
  /** Whether the open proves it was written for `recipient` (`us`). */
  proven?: () => Promise<boolean>;
}

interface Entry {
  value: unknown;
  at: number | null;
  miss: string | null;
  failures: number;
  /** No fetch before this (after failures): opens get the last good value at once. */
  retryAt: number;
  inflight: Promise<void> | null;
}

// Cached values: one per shared source, one per recipient of per-recipient ones. Bounded:
// a newsletter of a million people must not keep a million answers.
const MAX_ENTRIES = 10_000;
/** Recent values per source, for sparklines. */
export const HISTORY_POINTS = 48;
const SOURCE_TTL_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

/**
 * Data sources at open, on the WeatherService pattern: every fetch through the guarded
 * Fetcher within the source's strict time budget; the answer cached (per interval, or per
 * open in live mode, one fetch for concurrent opens); the last good value kept, with its
 * age, when the source fails; and after a failure a backoff, so a down source costs the
 * opens nothing but the cached value.
 */
export class SourceService {
  private readonly entries = new Lru<string, Entry>(MAX_ENTRIES);
  private readonly records = new Lru<string, { source: SourceRecord | null; at: number }>(1000);
  private readonly histories = new Lru<string, HistoryPoint[]>(1000);
  /** Failed fetches (for /metrics). */
  failures = 0;

  constructor(
    private readonly store: SourceStore | undefined,
    private readonly fetcher: Fetcher | undefined,
    private readonly env: (name: string) => string | undefined,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  get available(): boolean {
    return this.store !== undefined;
  }

  /** The stored source, cached for a second (dropped by this process as soon as it edits it). */
  async source(id: string): Promise<SourceRecord | null> {
    if (!this.store) return null;
    const now = this.clock.now();
    const hit = this.records.get(id);
    if (hit && now - hit.at < SOURCE_TTL_MS && now >= hit.at) return hit.source;
    const source = await this.store.get(id);
    this.records.set(id, { source, at: now });
    return source;
  }

  forget(id: string): void {
    this.records.delete(id);
    this.histories.delete(id);
  }

  history(id: string): readonly HistoryPoint[] {
    return this.histories.get(id) ?? [];
  }

  /** The source's value for this open, within its time budget; never throws. */
  async read(source: SourceRecord, open: SourceOpen): Promise<SourceReading> {
    const url = await this.urlFor(source, open);
    if (!url.startsWith("http")) return { value: null, at: null, miss: url };
    const key = `${source.id}\u0000${source.updatedAt}\u0000${url}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { value: null, at: null, miss: null, failures: 0, retryAt: 0, inflight: null };
      this.entries.set(key, e);
    }
    const now = this.clock.now();
    const maxAge = source.mode === "interval" ? source.everySeconds * 1000 : 0;
    const fresh = e.at !== null && now - e.at < maxAge && now >= e.at;
    if (fresh || now < e.retryAt) return reading(e);
    e.inflight ??= this.refresh(source, url, e, url === source.url).finally(() => {
      e.inflight = null;
    });
    // Interval mode with a value: the open takes it now and the refresh lands for the next.
    if (source.mode === "interval" && e.at !== null) return reading(e);
    await within(e.inflight, source.timeoutMs);
    // Still fetching: the last good value (or none) now, the answer for later opens.
    if (e.inflight !== null) return { value: e.value, at: e.at, miss: "source_timeout" };
    return reading(e);
  }

  private async refresh(source: SourceRecord, url: string, e: Entry, shared: boolean): Promise<void> {
    const started = this.clock.now();
    try {
      if (!this.fetcher) throw new SourceMiss("source_unavailable", "no fetcher on this server");
      const headers = dict<string>();
      for (const [name, variable] of Object.entries(source.headersFromEnv)) {
        const v = this.env(variable);
        if (v === undefined) throw new SourceMiss("source_env_missing", `${variable} is not set`);
        headers[name] = v;
      }
      const body = await this.fetcher.fetch(url, {
        accept: source.format === "csv" ? "text/csv, */*;q=0.5" : "application/json, */*;q=0.5",
        timeoutMs: Math.max(source.timeoutMs, 1000),
        maxBytes: source.maxBytes,
        cache: false,
        headers,
      });
      const value = parseBody(body.bytes, source.format);
      e.value = value;
      e.at = this.clock.now();
      e.miss = null;
      e.failures = 0;
      e.retryAt = 0;
      if (shared && source.historyPath) this.remember(source, value, e.at);
    } catch (err) {
      const miss =
        err instanceof SourceMiss
          ? err.reason
          : err instanceof FetchRefused
            ? `source_${err.reason}`
            : "source_down";
      e.miss = miss;
      e.failures++;
      e.retryAt = this.clock.now() + Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(e.failures - 1, 10));
      this.failures++;
      // Logged per failed fetch, not per open: the backoff spaces them out.
      this.logger.warn(
        { source: source.id, reason: miss, message: (err as Error).message, ms: this.clock.now() - started },
        "data source failed; serving its last good value",
      );
    }
  }

  private remember(source: SourceRecord, value: unknown, at: number) {
    const n = numberOf(valueAt(value, source.historyPath!));
    if (!Number.isFinite(n)) return;
    let h = this.histories.get(source.id);
    if (!h) {
      h = [];
      this.histories.set(source.id, h);
    }
    h.push({ at, value: n });
    if (h.length > HISTORY_POINTS) h.splice(0, h.length - HISTORY_POINTS);
  }

  /** The URL for this open (values URL-escaped), or why there is none (a miss reason). */
  private async urlFor(source: SourceRecord, open: SourceOpen): Promise<string> {
    const fields = [...source.url.matchAll(URL_FIELD_RE)];
    if (fields.length === 0) return source.url;
    if (!open.recipient) return "source_needs_recipient";
    // `u` is untrusted: typing someone else's id must not fetch their data (an account
    // balance, their seats). Only an open that proves it was written for `u`.
    if (!(await open.proven?.())) return "source_needs_proof";
    const needsProfile = fields.some((m) => m[1] !== "recipient");
    const profile = needsProfile ? await open.profile() : null;
    let missing = false;
    const url = source.url.replace(URL_FIELD_RE, (_m, name: string) => {
      if (name === "recipient") return encodeURIComponent(open.recipient!);
      const v = profile ? valueAt(profile.traits, name.slice(6)) : undefined;
      if (typeof v !== "string" && typeof v !== "number") {
        missing = true;
        return "";
      }
      return encodeURIComponent(String(v).slice(0, 200));
    });
    return missing ? "source_missing_trait" : url;
  }
}

class SourceMiss extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function reading(e: Entry): SourceReading {
  return { value: e.value, at: e.at, miss: e.miss };
}

/** Waits for `p` at most `ms`; never rejects (refresh records its own failures). */
function within(p: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.catch(() => {}),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const MAX_CSV_ROWS = 10_000;

function parseBody(bytes: Uint8Array, format: "json" | "csv"): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new SourceMiss(format === "csv" ? "source_not_csv" : "source_not_json", "not UTF-8 text");
  }
  if (format === "json") {
    try {
      return JSON.parse(text);
    } catch {
      throw new SourceMiss("source_not_json", "the answer is not JSON");
    }
  }
  // CSV: rows as objects keyed by the header (null-prototype: header cells are user strings).
  const { records } = parseCsv(text, sniffDelimiter(text), MAX_CSV_ROWS);
  if (records.length === 0) throw new SourceMiss("source_not_csv", "the CSV is empty");
  const header = records[0]!.fields.map((h) => h.trim());
  return records.slice(1).map((r) => {
    const row = dict<string>();
    header.forEach((h, i) => {
      if (h) row[h] = r.fields[i] ?? "";
    });
    return row;
  });
}

/**
 * One read of a source per open: the rules (a `data` condition) and the block's render
 * ask for the same value, and must see the same one.
 */
export class OpenReadings {
  private readonly byOpen = new WeakMap<object, Map<string, Promise<SourceReading>>>();

  constructor(private readonly sources: SourceService) {}

  read(open: SourceOpen, sourceId: string): Promise<SourceReading> {
    let m = this.byOpen.get(open);
    if (!m) {
      m = new Map();
      this.byOpen.set(open, m);
    }
    let p = m.get(sourceId);
    if (!p) {
      p = this.sources.source(sourceId).then(
        (s) => (s ? this.sources.read(s, open) : { value: null, at: null, miss: "source_unknown" }),
        () => ({ value: null, at: null, miss: "source_unavailable" }),
      );
      m.set(sourceId, p);
    }
    return p;
  }
}
