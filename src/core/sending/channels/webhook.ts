import type { Channel } from "../../ports/sending.js";
import { utf8 } from "../../util/encoding.js";
import { fromBase64 } from "../../webhooks/bytes.js";
import { callProvider, type HttpChannelOptions, messageProperties } from "./http.js";

/** A `whsec_` secret's key bytes, or null when it is not one (24–64 random bytes, base64). */
export function webhookSecretBytes(secret: string): Uint8Array<ArrayBuffer> | null {
  if (!secret.startsWith("whsec_")) return null;
  const bytes = fromBase64(secret.slice("whsec_".length));
  return bytes && bytes.length >= 24 && bytes.length <= 64 ? bytes : null;
}

const toBase64 = (bytes: Uint8Array) => {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
};

/**
 * Signs as the Standard Webhooks spec says: HMAC-SHA256 over `${id}.${timestamp}.${body}`
 * with the secret's bytes, sent as `v1,<base64>` in webhook-signature.
 */
export async function signWebhook(
  key: CryptoKey,
  id: string,
  timestampS: number,
  body: string,
): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key, utf8(`${id}.${timestampS}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/**
 * A generic outgoing webhook (SMS, push, anything a receiving service sends), signed per
 * Standard Webhooks. webhook-id is the idempotency key: the same on every retry and after
 * a restart, so the receiver can drop a repeat. 2xx is sent; 410 means the endpoint is
 * gone (permanent); 429 and 5xx are retried.
 */
export function createWebhookChannel(o: HttpChannelOptions & { secret: string; now: () => number }): Channel {
  const raw = webhookSecretBytes(o.secret);
  if (!raw) throw new Error("the webhook secret must be whsec_ followed by 24-64 bytes in base64");
  const key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return {
    provider: "webhook",
    async send(m) {
      const ts = Math.floor(o.now() / 1000);
      const body = JSON.stringify({
        type: `message.${m.channel}`,
        timestamp: new Date(ts * 1000).toISOString(),
        data: { ...messageProperties(m), to: m.to },
      });
      const signature = await signWebhook(await key, m.key, ts, body);
      return callProvider(
        o,
        "webhook",
        o.baseUrl,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "webhook-id": m.key,
            "webhook-timestamp": String(ts),
            "webhook-signature": signature,
          },
          body,
        },
        async (res) => {
          const j = (await res.json().catch(() => null)) as { id?: unknown } | null;
          return typeof j?.id === "string" ? j.id.slice(0, 200) : null;
        },
      );
    },
  };
}
