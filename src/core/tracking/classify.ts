/**
 * Human-or-machine classification of one tracked open or click.
 *
 * POLICY (why each hit lands where it does)
 * 1. Mailbox image proxies first: their UA is unambiguous and the hit still means "the
 *    message was rendered somewhere", so they get their own classes, not "scanner":
 *    gmail_proxy (GoogleImageProxy / ggpht.com), yahoo_proxy (YahooMailProxy), and
 *    apple_mpp for OPENS whose UA is exactly "Mozilla/5.0", or the stripped macOS WebKit UA
 *    (no Version/Safari token) when it comes from Apple's 17.0.0.0/8. The stripped UA alone
 *    is also Apple Mail and Outlook for Mac, so without the Apple IP it stays human.
 * 2. scanner. DECISIVE on its own: a HEAD or OPTIONS request, a security-product UA
 *    (Safe Links, Office link check, Mimecast, Proofpoint, Barracuda, Cisco, Trend Micro,
 *    Symantec, Forcepoint, Sophos, Zscaler, HeadlessChrome), or a source address in a
 *    security vendor's network, or >= 3 distinct links of one email clicked within 2 s.
 *    Otherwise SOFT signals are counted and TWO are needed, as Mautic's BotRatioHelper
 *    requires 2 of its 3: a click within 2 s of the first open, a click within 2 s of the
 *    send, a public-cloud address, a Google address without the image-proxy UA.
 * 3. bot: generic automation and link-preview tokens (curl, python-requests, Slackbot...).
 * 4. human: a browser-like or mail-client UA with no machine verdict. A single soft signal
 *    does NOT flip it (false positives drop real engagement); it is kept as a reason next to
 *    "weak_signal_ignored" so reports can re-score later.
 * 5. unknown: missing/empty UA, a bare "Mozilla/5.0" click, an oversized UA, anything else.
 * Every matching reason is kept even when an earlier rule already decided the class.
 *
 * PERFORMANCE: runs on every tracked redirect. Everything is precompiled at module load. What
 * a user agent says is read once per distinct UA (uaFactsOf): one lowercase copy capped at
 * MAX_UA_SCAN chars, ONE pass of one regex made only of literal alternatives (nothing to
 * backtrack into). Per hit: that lookup, one IP parse reused across all CIDR sets (binary
 * search each). Sanity check, not a test: 1e6 calls with a Chrome UA took ~1.3 µs each
 * before the UA cache (a per-needle `includes` loop was ~5x slower).
 */
import { CidrSet, type ParsedIp, parseIp } from "./ip.js";
import {
  APPLE_CIDRS,
  DATACENTER_CIDRS,
  GOOGLE_CIDRS,
  SECURITY_VENDOR_NETWORKS,
  YAHOO_CIDRS,
} from "./networks.js";

/**
 * Every traffic class, the one list: the type is derived from it, and the SQLite schema's
 * per-class columns are checked against it at compile time (src/node/sqlite/migrations.ts).
 */
export const TRAFFIC_CLASSES = Object.freeze([
  "human",
  "apple_mpp",
  "gmail_proxy",
  "yahoo_proxy",
  "scanner",
  "bot",
  "unknown",
] as const);

export type TrafficClass = (typeof TRAFFIC_CLASSES)[number];

export interface Hit {
  kind: "open" | "click";
  method: string;
  userAgent: string | null;
  ip: string | null;
  /** ms epoch */
  at: number;
  firstOpenAt?: number;
  sentAt?: number;
  /** Distinct links this recipient clicked in the last 2 s, this one included. */
  recentClicks?: number;
}

/** `reasons` are short stable snake_case codes, in evaluation order. */
export interface Classification {
  class: TrafficClass;
  reasons: string[];
}

/** A click this soon after the first open or the send is faster than a person can act. */
export const FAST_CLICK_MS = 2000;
/** This many distinct links inside the burst window is a link scanner walking the message. */
export const MANY_LINKS = 3;
/** Real UAs are < 512 chars; scanning more only lets a hostile client burn CPU. */
export const MAX_UA_SCAN = 1024;

const APPLE_NET = new CidrSet(APPLE_CIDRS);
const GOOGLE_NET = new CidrSet(GOOGLE_CIDRS);
const YAHOO_NET = new CidrSet(YAHOO_CIDRS);
const DATACENTER_NET = new CidrSet(DATACENTER_CIDRS);
const VENDOR_NETS: ReadonlyArray<readonly [reason: string, set: CidrSet]> = Object.entries(
  SECURITY_VENDOR_NETWORKS,
)
  .filter(([, cidrs]) => cidrs.length > 0)
  .map(([name, cidrs]) => [`ip_${name}`, new CidrSet(cidrs)] as const);

// UA needle kinds, as bits, so ONE pass of one precompiled regex answers every UA question.
const K_GMAIL = 1;
const K_YAHOO = 2;
const K_OFFICE = 4;
const K_MAIL = 8;
const K_PLATFORM = 16;
const K_ENGINE = 32;
const K_SCANNER = 64;
const K_BOT = 128;

/** Lowercase needle -> [kind, reason ("" when the needle only feeds a decision)]. */
const NEEDLES = new Map<string, readonly [number, string]>();
function needles(kind: number, list: string, reason: (needle: string) => string = () => ""): void {
  for (const n of list.split("|")) NEEDLES.set(n, [kind, reason(n)]);
}
needles(K_GMAIL, "googleimageproxy|ggpht.com");
needles(K_YAHOO, "yahoomailproxy");
/**
 * Office apps send their own request for a hyperlink before handing it to the browser
 * ("Microsoft Office/16.0 (...; Microsoft Outlook ...)", "...; ms-office; MSOffice 16)").
 * On a CLICK that request is a machine pre-check (the browser's own request follows); on an
 * OPEN the same tokens are Outlook desktop rendering images, i.e. a person.
 */
needles(K_OFFICE, "microsoft office/|ms-office|msoffice|microsoft outlook");
needles(K_MAIL, "thunderbird/|outlook-ios|outlook-android");
// Browser-like = "Mozilla/5.0 (" + a platform + an engine token. "cros " not "cros" (microsoft).
needles(K_PLATFORM, "windows|macintosh|mac os x|iphone|ipad|android|linux|x11|cros ");
needles(K_ENGINE, "applewebkit/|gecko/|gecko)|trident/|chrome/|firefox/|safari/|edg/");
const scanner = (list: string, name: string) => needles(K_SCANNER, list, () => `ua_scanner_${name}`);
scanner("safelinks", "safelinks");
scanner("existence discovery|protocol discovery", "office_link_check");
scanner("headlesschrome", "headless_chrome");
scanner("mimecast", "mimecast");
scanner("proofpoint", "proofpoint");
scanner("barracuda", "barracuda");
scanner("ironport|cisco", "cisco");
scanner("trend micro|trendmicro", "trend_micro");
scanner("symantec|messagelabs", "symantec");
scanner("forcepoint|websense", "forcepoint");
scanner("sophos", "sophos");
scanner("zscaler", "zscaler");
needles(
  K_BOT,
  "curl/|wget/|python-requests|python-urllib|aiohttp|go-http-client|java/|okhttp|axios|node-fetch|" +
    "undici|libwww|apache-httpclient|phantomjs|slackbot|twitterbot|facebookexternalhit|discordbot|" +
    "telegrambot|whatsapp|linkedinbot|skypeuripreview|crawler|spider",
  (n) => `ua_bot_token:${n.replace("/", "")}`,
);

/**
 * All needles as one alternation of escaped literals, longest first. Literals only (no
 * quantifiers), so there is nothing to backtrack into: cost is linear in the capped UA length.
 * Shared `g` regex: safe because classify
 * is synchronous and resets lastIndex before use.
 */
const NEEDLE_RE = new RegExp(
  [...NEEDLES.keys()]
    .sort((x, y) => y.length - x.length)
    .map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))
    .join("|"),
  "g",
);

/** "bot" as a word end (Googlebot/, bingbot;, robot) but not "bottom", "abbott" or the Cubot phone. */
function hasBotWord(ua: string): boolean {
  let i = ua.indexOf("bot");
  while (i !== -1) {
    const next = ua.charCodeAt(i + 3); // NaN past the end
    const letterNext = next >= 97 && next <= 122;
    const cubot = i >= 2 && ua.charCodeAt(i - 2) === 99 && ua.charCodeAt(i - 1) === 117;
    if (!letterNext && !cubot) return true;
    i = ua.indexOf("bot", i + 3);
  }
  return false;
}

function within(at: number, ref: number | undefined): boolean {
  if (typeof ref !== "number" || !Number.isFinite(ref)) return false;
  const d = at - ref;
  return d >= 0 && d <= FAST_CLICK_MS;
}

/** What a user agent alone tells; its reasons in the order classify() has always given them. */
interface UaFacts {
  reasons: readonly string[];
  kinds: number;
  empty: boolean;
  oversized: boolean;
  bareMozilla: boolean;
  strippedWebkit: boolean;
  botWord: boolean;
  /** Starts "Mozilla/5.0 (" like every browser's. */
  mozillaParen: boolean;
}

function readUa(rawUa: string): UaFacts {
  const reasons: string[] = [];
  const add = (r: string): void => {
    if (!reasons.includes(r)) reasons.push(r);
  };
  // One bounded lowercase copy, one pass of NEEDLE_RE.
  const oversized = rawUa.length > MAX_UA_SCAN;
  const ua = (oversized ? rawUa.slice(0, MAX_UA_SCAN) : rawUa).trim().toLowerCase();
  if (ua.length === 0) add("ua_empty");
  if (oversized) add("ua_oversized");
  let kinds = 0;
  if (ua.length > 0) {
    NEEDLE_RE.lastIndex = 0;
    for (let m = NEEDLE_RE.exec(ua); m !== null; m = NEEDLE_RE.exec(ua)) {
      const [kind, reason] = NEEDLES.get(m[0])!;
      kinds |= kind;
      if (reason) add(reason); // scanner and bot codes, in UA order
    }
  }
  if (kinds & K_GMAIL) add("ua_google_image_proxy");
  if (kinds & K_YAHOO) add("ua_yahoo_mail_proxy");
  const bareMozilla = ua === "mozilla/5.0";
  if (bareMozilla) add("ua_bare_mozilla");
  const strippedWebkit =
    ua.startsWith("mozilla/5.0 (macintosh;") &&
    ua.includes("applewebkit/") &&
    !ua.includes("version/") &&
    !ua.includes("safari/") &&
    !ua.includes("chrome/") &&
    !ua.includes("firefox/");
  if (strippedWebkit) add("ua_stripped_webkit");
  return {
    reasons,
    kinds,
    empty: ua.length === 0,
    oversized,
    bareMozilla,
    strippedWebkit,
    botWord: hasBotWord(ua),
    mozillaParen: ua.startsWith("mozilla/5.0 ("),
  };
}

/**
 * A send's opens come from a few hundred distinct user agents (mail apps, browsers, proxies),
 * so what each one says is read once and kept: the lowercase copy and the needle scan were
 * ~1 µs of every hit. Bounded: cleared whole when full (a flood of distinct UAs then costs
 * what it did before, nothing more).
 */
const UA_FACTS_MAX = 4096;
const uaFacts = new Map<string, UaFacts>();
function uaFactsOf(rawUa: string): UaFacts {
  let f = uaFacts.get(rawUa);
  if (f === undefined) {
    f = readUa(rawUa);
    if (rawUa.length <= MAX_UA_SCAN) {
      if (uaFacts.size >= UA_FACTS_MAX) uaFacts.clear();
      uaFacts.set(rawUa, f);
    }
  }
  return f;
}

export function classify(hit: Hit): Classification {
  const reasons: string[] = [];
  const add = (r: string): void => {
    if (!reasons.includes(r)) reasons.push(r);
  };
  const isClick = hit.kind === "click";
  const at = typeof hit.at === "number" ? hit.at : Number.NaN;
  let decisive = 0;
  let soft = 0;

  // --- request shape
  const method = typeof hit.method === "string" && hit.method.length <= 16 ? hit.method.toUpperCase() : "";
  if (method === "HEAD") {
    add("head_request");
    decisive++;
  } else if (method === "OPTIONS") {
    add("options_request");
    decisive++;
  }

  // --- user agent (what it says is the same at every hit: see uaFactsOf)
  const ua = uaFactsOf(typeof hit.userAgent === "string" ? hit.userAgent : "");
  for (const r of ua.reasons) add(r);
  const { kinds, oversized, bareMozilla, strippedWebkit } = ua;
  const gmailUa = (kinds & K_GMAIL) !== 0;
  const yahooUa = (kinds & K_YAHOO) !== 0;
  if (kinds & K_SCANNER) decisive++;
  if (isClick && kinds & K_OFFICE) {
    add("ua_scanner_office_link_check");
    decisive++;
  }
  let bot = (kinds & K_BOT) !== 0;
  if (!bot && ua.botWord) {
    add("ua_bot_token:bot");
    bot = true;
  }
  const mailClient = !isClick && (kinds & (K_OFFICE | K_MAIL)) !== 0;
  const browser = !mailClient && ua.mozillaParen && (kinds & K_PLATFORM) !== 0 && (kinds & K_ENGINE) !== 0;

  // --- source address (parsed once, reused for every set)
  const ip: ParsedIp | null = parseIp(hit.ip);
  if (!ip && typeof hit.ip === "string" && hit.ip.length > 0) add("ip_invalid");
  let appleIp = false;
  if (ip) {
    appleIp = APPLE_NET.has(ip);
    if (appleIp) add("ip_apple");
    if (GOOGLE_NET.has(ip)) {
      add("ip_google");
      if (!gmailUa) soft++;
    }
    if (YAHOO_NET.has(ip)) add("ip_yahoo");
    let vendor = false;
    for (const [reason, set] of VENDOR_NETS) {
      if (set.has(ip)) {
        add(reason);
        decisive++;
        vendor = true;
      }
    }
    if (!vendor && DATACENTER_NET.has(ip)) {
      add("ip_datacenter");
      soft++;
    }
  }

  // --- timing and bursts (clicks only: an image fetch right after send is normal)
  if (isClick) {
    if (within(at, hit.firstOpenAt)) {
      add("click_within_2s_of_open");
      soft++;
    }
    if (within(at, hit.sentAt)) {
      add("click_within_2s_of_send");
      soft++;
    }
    if (typeof hit.recentClicks === "number" && hit.recentClicks >= MANY_LINKS) {
      // Decisive: no person clicks three different links of one email within two seconds;
      // a scanner following every link does exactly that.
      add("many_links_at_once");
      decisive++;
    }
  }

  // --- decide, in policy order
  if (gmailUa) return { class: "gmail_proxy", reasons };
  if (yahooUa) return { class: "yahoo_proxy", reasons };
  if (!isClick && (bareMozilla || (strippedWebkit && appleIp))) return { class: "apple_mpp", reasons };
  if (decisive > 0 || soft >= 2) return { class: "scanner", reasons };
  if (bot) return { class: "bot", reasons };
  if ((browser || mailClient) && !oversized) {
    add(mailClient ? "ua_mail_client" : "ua_browser");
    if (soft === 1) add("weak_signal_ignored");
    return { class: "human", reasons };
  }
  if (!ua.empty && !bareMozilla && !oversized) add("ua_unrecognized");
  return { class: "unknown", reasons };
}
