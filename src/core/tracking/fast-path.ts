import { getQueryParam } from "hono/utils/url";
import type { Services } from "../build-services.js";
import { adaptiveBlockInMemory, adaptivePathOk, answerAdaptiveLink } from "../links/adaptive.js";
import { answerClick, answerOpen, type HitRequest, type PlainResponse } from "./answers.js";
import { pickClientIp } from "./client-ip.js";

/**
 * The URLs a send's every open and click hits (and adaptive links, /c/:blockId/:slot, whose
 * block this process holds), answered without the router: a runtime
 * adapter asks this first and hands the request to the Hono app when it returns null.
 *
 * Why: on a 2-core machine sharing its cores with the load, the router, its context and
 * Response objects and three middlewares were ~40% of a tracked redirect's CPU on the main
 * thread (bench/redirect.ts; README, "Where the time goes"). The answers are the very
 * functions the Hono routes call (answers.ts), and only requests whose meaning cannot differ
 * are taken: GET or HEAD, a path of one plain segment (nothing to decode), a link already in
 * memory. Anything else (unknown or forged ids, encoded paths, other methods) goes to the
 * app, which answers it as it always did.
 */
export interface FastRequest {
  method: string;
  /** Path and query as received ("/c/abc?u=…"). */
  url: string;
  /** One request header by lowercase name. */
  header(name: string): string | undefined;
  /** The socket's peer address. */
  remoteIp(): string | null;
}

/** null: not taken (the app answers). A promise: an adaptive link, decided asynchronously. */
export type FastPath = (req: FastRequest) => PlainResponse | Promise<PlainResponse> | null;

// Link ids are base64url; campaign files a subset of CAMPAIGN_RE plus ".gif". No "%": a
// segment that needs decoding goes to the router, which decodes it.
const LINK_ID = /^[A-Za-z0-9_-]{1,64}$/;
const PIXEL_FILE = /^[A-Za-z0-9._:~-]{1,132}$/;
// An adaptive link's block id (signed; only one this process verified is taken) and slot.
const ADAPTIVE = /^([A-Za-z0-9._~-]{1,128})\/([A-Za-z0-9_-]{1,32})$/;

const ADAPTIVE_ROUTE = "/c/:blockId/:slot";

export function createFastPath(s: Services): FastPath {
  const { links, tracker, metrics } = s;
  const ipOf = (req: FastRequest) => pickClientIp(s.trustProxy, req.header("x-forwarded-for"), req.remoteIp);
  return (req) => {
    const { method, url } = req;
    if (method !== "GET" && method !== "HEAD") return null;
    const click = url.startsWith("/c/");
    if (!click && !url.startsWith("/o/")) return null;
    const started = performance.now();
    const q = url.indexOf("?");
    const segment = q === -1 ? url.slice(3) : url.slice(3, q);
    // Built only once the request is known to be taken.
    const hit = (): HitRequest => ({
      method,
      // Hono's own query reader (it wants a whole URL), so `u` decodes exactly as c.req.query("u").
      u: q === -1 ? undefined : (getQueryParam(`http://h${url}`, "u") as string | undefined),
      userAgent: req.header("user-agent") ?? null,
      ip: ipOf(req),
    });
    let answer: PlainResponse;
    if (click && !LINK_ID.test(segment)) {
      // The same answer as the route's (links/adaptive.ts), taken when the block is in memory.
      const m = ADAPTIVE.exec(segment);
      if (!m || !adaptivePathOk(m[1]!, m[2]!)) return null;
      const block = adaptiveBlockInMemory(s, m[1]!);
      if (!block) return null;
      const full = `http://h${url}`;
      return answerAdaptiveLink(s, block, {
        method,
        slot: m[2]!,
        // Hono's own query reader, so parameters decode exactly as c.req.query(name).
        query: (name) => (q === -1 ? undefined : (getQueryParam(full, name) as string | undefined)),
        userAgent: req.header("user-agent") ?? null,
        ip: ipOf(req),
      }).then((answer) => {
        metrics.request(ADAPTIVE_ROUTE, method, answer.status, (performance.now() - started) / 1000);
        return answer;
      });
    }
    if (click) {
      if (!LINK_ID.test(segment)) return null;
      const link = links.cached(segment);
      if (!link) return null;
      answer = answerClick(tracker, link, hit());
    } else {
      if (!PIXEL_FILE.test(segment)) return null;
      answer = answerOpen(tracker, segment, hit());
    }
    metrics.request(
      click ? "/c/:linkId" : "/o/:file",
      method,
      answer.status,
      (performance.now() - started) / 1000,
    );
    return answer;
  };
}
