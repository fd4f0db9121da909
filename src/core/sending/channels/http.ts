import type { ChannelResult, OutboundMessage } from "../../ports/sending.js";

/** What every HTTP channel is built with. */
export interface HttpChannelOptions {
  /** The API's base URL (the real host by default; tests point it at a local server). */
  baseUrl: string;
  /** Longest one call may take, body included; then it is retried as a transient failure. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Longest error text kept from a provider's answer (it ends up in the attempt's reason). */
const MAX_REASON = 300;

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined
 * when absent or unreadable.
 */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const s = value.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * One request to a provider, its answer classified: 2xx sent; 408, 425, 429 and 5xx,
 * timeouts and connection errors transient (retried with backoff, Retry-After honoured);
 * any other 4xx permanent (dead letter). `read` turns a 2xx answer into the provider's id.
 */
export async function callProvider(
  o: HttpChannelOptions,
  provider: string,
  url: string,
  init: RequestInit,
  read: (res: Response) => Promise<string | null>,
): Promise<ChannelResult> {
  const doFetch = o.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(o.timeoutMs) });
  } catch (err) {
    const e = err as { name?: string; message?: string };
    const what =
      e.name === "TimeoutError" ? `no answer within ${o.timeoutMs} ms` : (e.message ?? String(err));
    return { ok: false, permanent: false, reason: `${provider}: ${what}` };
  }
  if (res.status >= 200 && res.status < 300) {
    try {
      return { ok: true, providerId: await read(res) };
    } catch {
      // Accepted is accepted: an unreadable body only loses the provider's id.
      return { ok: true, providerId: null };
    }
  }
  let text = "";
  try {
    text = (await res.text()).slice(0, MAX_REASON);
  } catch {
    // the status says enough
  }
  const reason = `${provider}: HTTP ${res.status}${text ? ` ${text.replace(/\s+/g, " ").trim()}` : ""}`;
  const transient = res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500;
  return transient
    ? {
        ok: false,
        permanent: false,
        reason,
        retryAfterMs: retryAfterMs(res.headers.get("retry-after"), Date.now()),
      }
    : { ok: false, permanent: true, reason };
}

/** "Shop <hi@shop.example>" or "hi@shop.example" → its parts. */
export function parseAddress(s: string): { email: string; name?: string } {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(s);
  if (m) return m[1] ? { email: m[2]!.trim(), name: m[1].trim() } : { email: m[2]!.trim() };
  return { email: s.trim() };
}

/** A message that lacks what its channel needs is the template's fault: permanent. */
export function missing(provider: string, m: OutboundMessage, what: string): ChannelResult {
  return {
    ok: false,
    permanent: true,
    reason: `${provider}: the message has no ${what} (template ${m.template.id})`,
  };
}

/** What trigger-the-ESP and webhook channels carry: the rendered parts and the request's data. */
export function messageProperties(m: OutboundMessage): Record<string, unknown> {
  return {
    opentime_send: m.sendId,
    opentime_key: m.key,
    campaign: m.campaign,
    channel: m.channel,
    template: m.template.id,
    template_version: m.template.version,
    subject: m.subject,
    html: m.html,
    text: m.text,
    sms: m.sms,
    push: m.push,
    data: m.data,
  };
}
