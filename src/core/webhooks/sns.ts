// Amazon SNS envelope verification (SES events arrive through SNS).
//
// Threat model: anyone can POST a JSON envelope naming any certificate URL. We accept it
// only if (1) its TopicArn is on the operator's allowlist; (2) SigningCertURL is https, on
// an SNS host (sns.<region>.amazonaws.com[.cn]) and ends in .pem — checked BEFORE any
// fetch, so a hostile URL never makes us connect anywhere (SSRF); (3) the certificate,
// fetched over TLS from that host with redirects refused, a timeout and a size cap, is
// within its validity dates; (4) its RSA key verifies Signature over the canonical string
// (SHA1withRSA for SignatureVersion 1, SHA256withRSA for 2). TLS to an amazonaws.com host
// is what vouches for the certificate (as in AWS's own SDK validators); we do not build a
// chain. A SubscriptionConfirmation is confirmed by GETting SubscribeURL only after all of
// the above and only when that URL is on the same SNS host pattern for the same topic.
// Replays: SNS re-sends identical envelopes on retry, so there is no timestamp window;
// event ids derive from MessageId, which makes a replay recognisable downstream.

import { utf8 } from "../util/encoding.js";
import { Lru } from "../util/lru.js";
import { fromBase64, isObj, type Obj } from "./bytes.js";
import { parseCertificate, pemToDer } from "./der.js";

export const SNS_HOST_PATTERN = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** Which URLs count as SNS. Production uses the default; tests inject a loopback policy. */
export interface SnsUrlPolicy {
  hostPattern: RegExp;
  schemes: readonly string[];
}
export const SNS_URL_POLICY: SnsUrlPolicy = { hostPattern: SNS_HOST_PATTERN, schemes: ["https:"] };

/** Certificates kept per process: SNS uses one per region and rotates rarely. */
export const SNS_CERT_CACHE_MAX = 16;
/** A signing certificate is ~2 KB of PEM; anything far larger is not one. */
export const SNS_CERT_MAX_BYTES = 64 * 1024;
export const SNS_FETCH_TIMEOUT_MS = 5_000;

export type SnsType = "Notification" | "SubscriptionConfirmation" | "UnsubscribeConfirmation";

export interface SnsEnvelope {
  Type: SnsType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: "1" | "2";
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  Token?: string;
  SubscribeURL?: string;
}

const NOTIFICATION_KEYS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"] as const;
const CONFIRMATION_KEYS = [
  "Message",
  "MessageId",
  "SubscribeURL",
  "Timestamp",
  "Token",
  "TopicArn",
  "Type",
] as const;

/** Checks the envelope's shape; null when a required field is missing or not a string. */
export function parseEnvelope(json: unknown): SnsEnvelope | null {
  if (!isObj(json)) return null;
  const t = json.Type;
  if (t !== "Notification" && t !== "SubscriptionConfirmation" && t !== "UnsubscribeConfirmation")
    return null;
  const required = ["MessageId", "TopicArn", "Message", "Timestamp", "Signature", "SigningCertURL"];
  if (t !== "Notification") required.push("Token", "SubscribeURL");
  for (const k of required) if (typeof json[k] !== "string") return null;
  if (json.Subject !== undefined && typeof json.Subject !== "string") return null;
  const v = String(json.SignatureVersion ?? "1");
  if (v !== "1" && v !== "2") return null;
  return { ...(json as Obj), SignatureVersion: v } as unknown as SnsEnvelope;
}

/** "Name\nValue\n" pairs in byte order of the names, as SNS signs them. */
export function stringToSign(env: SnsEnvelope): string {
  const keys = env.Type === "Notification" ? NOTIFICATION_KEYS : CONFIRMATION_KEYS;
  let out = "";
  for (const k of keys) {
    const v = env[k as keyof SnsEnvelope];
    if (v === undefined) continue; // Subject is signed only when present
    out += `${k}\n${v}\n`;
  }
  return out;
}

/** A URL we may contact as "SNS", or null. Never fetch a URL this refused. */
export function snsUrl(raw: string, policy: SnsUrlPolicy, kind: "certificate" | "subscribe"): URL | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  if (!policy.schemes.includes(u.protocol) || u.username || u.password || u.hash) return null;
  if (!policy.hostPattern.test(u.hostname)) return null;
  if (kind === "certificate" && (!u.pathname.endsWith(".pem") || u.search)) return null;
  return u;
}

async function readCapped(res: Response, cap: number): Promise<Uint8Array | null> {
  const len = Number(res.headers.get("content-length") ?? "0");
  if (len > cap || !res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > cap) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

interface CachedCert {
  spki: Uint8Array<ArrayBuffer>;
  notBefore: number;
  notAfter: number;
  keys: Map<string, Promise<CryptoKey>>;
}

export interface SnsVerifierOptions {
  fetch?: typeof fetch;
  policy?: SnsUrlPolicy;
  timeoutMs?: number;
}

export type SnsVerdict = { ok: true } | { ok: false; message: string };

/** Fetches, caches and uses SNS signing certificates. */
export class SnsVerifier {
  private readonly certs = new Lru<string, Promise<CachedCert | null>>(SNS_CERT_CACHE_MAX);
  private readonly fetch: typeof fetch;
  readonly policy: SnsUrlPolicy;
  private readonly timeoutMs: number;

  constructor(opts: SnsVerifierOptions = {}) {
    this.fetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.policy = opts.policy ?? SNS_URL_POLICY;
    this.timeoutMs = opts.timeoutMs ?? SNS_FETCH_TIMEOUT_MS;
  }

  async verify(env: SnsEnvelope, now: number): Promise<SnsVerdict> {
    const url = snsUrl(env.SigningCertURL, this.policy, "certificate");
    if (!url) return { ok: false, message: "SigningCertURL is not an SNS certificate URL" };
    const signature = fromBase64(env.Signature);
    if (!signature) return { ok: false, message: "the SNS signature is not base64" };
    const cert = await this.certificate(url.href);
    if (!cert) return { ok: false, message: "the SNS signing certificate could not be fetched or read" };
    if (now < cert.notBefore || now > cert.notAfter) {
      this.certs.delete(url.href);
      return { ok: false, message: "the SNS signing certificate is not valid now" };
    }
    const hash = env.SignatureVersion === "2" ? "SHA-256" : "SHA-1";
    let key = cert.keys.get(hash);
    if (!key) {
      key = crypto.subtle.importKey("spki", cert.spki, { name: "RSASSA-PKCS1-v1_5", hash }, false, [
        "verify",
      ]);
      cert.keys.set(hash, key);
    }
    try {
      const ok = await crypto.subtle.verify(
        "RSASSA-PKCS1-v1_5",
        await key,
        signature,
        utf8(stringToSign(env)),
      );
      return ok ? { ok: true } : { ok: false, message: "the SNS signature does not match" };
    } catch {
      return { ok: false, message: "the SNS signing certificate does not hold an RSA key" };
    }
  }

  /** GETs SubscribeURL; false if it is not an SNS URL for this topic or SNS did not answer 2xx. */
  async confirm(env: SnsEnvelope): Promise<boolean> {
    const url = env.SubscribeURL ? snsUrl(env.SubscribeURL, this.policy, "subscribe") : null;
    if (!url) return false;
    if (url.searchParams.get("Action") !== "ConfirmSubscription") return false;
    if (url.searchParams.get("TopicArn") !== env.TopicArn) return false;
    try {
      const res = await this.fetch(url.href, {
        redirect: "error",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  private certificate(href: string): Promise<CachedCert | null> {
    let p = this.certs.get(href);
    if (!p) {
      p = this.load(href);
      this.certs.set(href, p);
      // Failures are not cached: the next request may find the host reachable again.
      p.then((c) => c ?? this.certs.delete(href)).catch(() => this.certs.delete(href));
    }
    return p;
  }

  private async load(href: string): Promise<CachedCert | null> {
    try {
      // redirect "error": a redirect could lead off the SNS host we checked.
      const res = await this.fetch(href, { redirect: "error", signal: AbortSignal.timeout(this.timeoutMs) });
      if (res.status !== 200) {
        await res.body?.cancel();
        return null;
      }
      const bytes = await readCapped(res, SNS_CERT_MAX_BYTES);
      const der = bytes && pemToDer(new TextDecoder().decode(bytes));
      const info = der && parseCertificate(der);
      return info ? { ...info, keys: new Map() } : null;
    } catch {
      return null;
    }
  }
}
