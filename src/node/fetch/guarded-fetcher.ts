import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { pipeline, type Readable } from "node:stream";
import zlib from "node:zlib";
import {
  type FetchedBody,
  type Fetcher,
  type FetchOptions,
  type FetchRefusal,
  FetchRefused,
} from "../../core/ports/fetch.js";
import { parseIp } from "../../core/tracking/ip.js";
import { table } from "../../core/util/dict.js";
import { hostAllowlist, isPrivateAddress, normalizeHost } from "./address-policy.js";
import { ResponseCache, type ResponseCacheOptions } from "./response-cache.js";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface GuardedFetcherOptions {
  /** Host patterns (OPENTIME_FETCH_ALLOW): "shop.example", "*.cdn.example", "*". Empty: nothing is fetched. */
  allow: readonly string[];
  /** Ceiling on any body (OPENTIME_FETCH_MAX_BYTES); a caller may ask for less, never more. */
  maxBytes?: number;
  /** Ceiling on any fetch, redirects and body included (OPENTIME_FETCH_TIMEOUT_MS). */
  timeoutMs?: number;
  /**
   * Hosts exempted from the private-address check. Only for tests that stand servers up on
   * 127.0.0.1; deliberately never read from the environment.
   */
  allowPrivate?: readonly string[];
  /** Name resolution (tests pin names to loopback); default: the system resolver, every address. */
  resolve?: (host: string) => Promise<ResolvedAddress[]>;
  cache?: ResponseCacheOptions;
  userAgent?: string;
}

/** Hops after the first: a chain longer than this is refused, not followed. */
export const MAX_REDIRECTS = 3;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const systemResolve = async (host: string): Promise<ResolvedAddress[]> =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

const refused = (reason: FetchRefusal, message: string, status?: number) =>
  new FetchRefused(reason, message, status);

/**
 * The Node Fetcher: every outbound fetch of remote content goes through here. Per hop, the
 * URL must be http(s) without credentials, its host on the allowlist, and EVERY address its
 * name resolves to public (see address-policy.ts); the connection then goes to the address
 * that was checked (the request's `lookup` is pinned to it), so a DNS answer that changes
 * between check and connect (rebinding) cannot move it. Redirects are followed by hand, at
 * most MAX_REDIRECTS, each hop checked the same way. One deadline covers DNS, every hop and
 * the body (a server that drips bytes is cut off); the byte bound is checked against
 * Content-Length first, then counted as bytes arrive (after decompression), and the
 * connection is dropped the moment it is passed.
 */
export function createGuardedFetcher(opts: GuardedFetcherOptions): Fetcher {
  const allowed = hostAllowlist(opts.allow);
  const exempt = new Set((opts.allowPrivate ?? []).map(normalizeHost));
  const ceilingBytes = opts.maxBytes ?? 20 * 1024 * 1024;
  const ceilingMs = opts.timeoutMs ?? 30_000;
  const resolve = opts.resolve ?? systemResolve;
  const userAgent = opts.userAgent ?? "opentime (catalog feeds and product images)";
  const cache = new ResponseCache(opts.cache);
  const inflight = new Map<string, Promise<FetchedBody>>();

  function check(text: string): URL {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw refused("bad_url", "not a valid URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw refused("bad_url", `only http and https are fetched, not ${url.protocol}`);
    if (url.username || url.password) throw refused("bad_url", "URLs with credentials are not fetched");
    if (!allowed(url.hostname))
      throw refused("host_not_allowed", `${normalizeHost(url.hostname)} is not in OPENTIME_FETCH_ALLOW`);
    return url;
  }

  async function addressOf(url: URL, signal: AbortSignal): Promise<ResolvedAddress> {
    const host = normalizeHost(url.hostname);
    const literal = parseIp(host);
    let addresses: ResolvedAddress[];
    if (literal) {
      addresses = [{ address: host, family: host.includes(":") ? 6 : 4 }];
    } else {
      try {
        addresses = await abortable(resolve(host), signal);
      } catch (err) {
        if (err instanceof FetchRefused) throw err;
        throw refused("network", `${host} could not be resolved`);
      }
    }
    if (addresses.length === 0) throw refused("network", `${host} could not be resolved`);
    if (!exempt.has(host) && addresses.some((a) => isPrivateAddress(a.address)))
      throw refused("private_address", `${host} resolves to a private or reserved address`);
    return addresses[0]!;
  }

  function get(
    url: URL,
    to: ResolvedAddress,
    accept: string,
    signal: AbortSignal,
    extra: Readonly<Record<string, string>> = {},
  ) {
    const pinned: LookupFunction = (_host, options, cb) => {
      if (options.all) cb(null, [{ address: to.address, family: to.family }]);
      else cb(null, to.address, to.family);
    };
    const mod = url.protocol === "https:" ? https : http;
    return new Promise<http.IncomingMessage>((ok, fail) => {
      const req = mod.request({
        protocol: url.protocol,
        hostname: normalizeHost(url.hostname),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        // The caller's headers never replace these (host comes from the checked URL).
        headers: { ...extra, accept, "accept-encoding": "gzip, deflate, br", "user-agent": userAgent },
        lookup: pinned,
        agent: false,
        signal,
      });
      req.once("response", ok);
      // Kept after the response too: a late socket error must not become an uncaught one.
      req.on("error", fail);
      req.end();
    });
  }

  async function fetchNow(start: string, o: FetchOptions): Promise<FetchedBody> {
    const maxBytes = Math.min(o.maxBytes ?? ceilingBytes, ceilingBytes);
    const timeoutMs = Math.min(o.timeoutMs ?? ceilingMs, ceilingMs);
    const accept = o.accept ?? "*/*";
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      let current = start;
      for (let hop = 0; ; hop++) {
        const url = check(current);
        const to = await addressOf(url, ac.signal);
        // A source's credentials go to its own host only, never along a redirect elsewhere.
        const extra = o.headers && hop > 0 && url.host !== new URL(start).host ? undefined : o.headers;
        const res = await get(url, to, accept, ac.signal, extra);
        const status = res.statusCode ?? 0;
        if (REDIRECTS.has(status) && res.headers.location) {
          res.destroy();
          if (hop === MAX_REDIRECTS)
            throw refused("too_many_redirects", `more than ${MAX_REDIRECTS} redirects`);
          current = URL.canParse(res.headers.location, url.href)
            ? new URL(res.headers.location, url).href
            : res.headers.location;
          continue;
        }
        if (status < 200 || status > 299) {
          res.destroy();
          throw refused("http_status", `the server answered ${status}`, status);
        }
        const bytes = await readBody(res, maxBytes, ac.signal);
        return { url: url.href, status, contentType: res.headers["content-type"] ?? "", bytes };
      }
    } catch (err) {
      if (ac.signal.aborted) throw refused("timeout", `no complete answer within ${timeoutMs} ms`);
      if (err instanceof FetchRefused) throw err;
      throw refused("network", `the fetch failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async fetch(url, o = {}) {
      if (o.cache === false || o.headers) return fetchNow(url, o);
      const key = `${o.accept ?? "*/*"}\n${url}`;
      const hit = cache.get(key);
      const maxBytes = Math.min(o.maxBytes ?? ceilingBytes, ceilingBytes);
      const tooLarge = (b: FetchedBody) => {
        if (b.bytes.length > maxBytes)
          throw refused("too_large", `the body is larger than ${maxBytes} bytes`);
        return b;
      };
      if (hit) return tooLarge(hit);
      // One fetch for many callers: a new product image is asked for by every open at once.
      let p = inflight.get(key);
      if (!p) {
        p = fetchNow(url, o)
          .then((b) => {
            cache.set(key, b);
            return b;
          })
          .finally(() => inflight.delete(key));
        inflight.set(key, p);
      }
      return tooLarge(await p);
    },
  };
}

async function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw refused("timeout", "timed out");
  let onAbort = () => {};
  const aborted = new Promise<never>((_, fail) => {
    onAbort = () => fail(refused("timeout", "timed out"));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([p, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

const DECODERS = table<() => NodeJS.ReadWriteStream>({
  gzip: () => zlib.createGunzip(),
  "x-gzip": () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
});

/** The body, bounded in bytes after decoding (a small gzip can expand enormously). */
async function readBody(
  res: http.IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const tooLarge = () => refused("too_large", `the body is larger than ${maxBytes} bytes`);
  const announced = Number(res.headers["content-length"]);
  if (Number.isFinite(announced) && announced > maxBytes) {
    res.destroy();
    throw tooLarge();
  }
  const encoding = (res.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  let body: Readable = res;
  if (encoding !== "identity") {
    const decoder = DECODERS[encoding];
    if (!decoder) {
      res.destroy();
      throw refused("network", `unsupported content-encoding ${encoding}`);
    }
    body = pipeline(res, decoder(), () => {}) as unknown as Readable;
  }
  const stop = () => {
    res.destroy();
    body.destroy();
  };
  signal.addEventListener("abort", stop, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += (chunk as Uint8Array).length;
      if (size > maxBytes) {
        stop();
        throw tooLarge();
      }
      chunks.push(chunk as Uint8Array);
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
