import { createHmac, createSign, sign as edSign, generateKeyPairSync } from "node:crypto";
import type { AppDeps } from "../../src/core/services.js";
import type { EmailEvent } from "../../src/core/webhooks/index.js";
import { startTestServer, type TestServer, tempDir } from "./server.js";

/** A real server on loopback whose verified ESP events land in `events` (a recording sink). */
export interface WebhookServer extends TestServer {
  events: EmailEvent[];
  /** Make the sink fail (to check that nothing is acknowledged that was not applied). */
  failSink: boolean;
  post(provider: string, body: string, headers?: Record<string, string>): Promise<Response>;
}

export async function startWebhookServer(
  env: Record<string, string> = {},
  extra: Partial<AppDeps> = {},
): Promise<WebhookServer> {
  const state = { events: [] as EmailEvent[], failSink: false };
  const server = await startTestServer(env, tempDir(), {
    emailEvents: async (events) => {
      if (state.failSink) throw new Error("sink down");
      state.events.push(...events);
    },
    ...extra,
  });
  const self: WebhookServer = {
    ...server,
    get events() {
      return state.events;
    },
    set events(v) {
      state.events = v;
    },
    get failSink() {
      return state.failSink;
    },
    set failSink(v) {
      state.failSink = v;
    },
    post(provider, body, headers = {}) {
      return fetch(`${server.url}/v1/webhooks/${provider}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      });
    },
  };
  return self;
}

// --- Real keys and real signatures, built the way each ESP builds them. ---

/** A SendGrid-style key pair: the public key as base64 SPKI DER (what the dashboard shows). */
export function sendgridKeys() {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const publicKeyB64 = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  return {
    publicKeyB64,
    /** base64 DER ECDSA signature over timestamp + body, as SendGrid sends it. */
    sign(timestamp: string, body: string | Buffer): string {
      return edSign(
        "sha256",
        Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]),
        privateKey,
      ).toString("base64");
    },
  };
}

export function sendgridHeaders(keys: ReturnType<typeof sendgridKeys>, body: string, timestamp?: number) {
  const ts = String(timestamp ?? Math.floor(Date.now() / 1000));
  return {
    "x-twilio-email-event-webhook-timestamp": ts,
    "x-twilio-email-event-webhook-signature": keys.sign(ts, body),
  };
}

export function mailgunSigned(
  key: string,
  eventData: unknown,
  opts: { timestamp?: number; token?: string } = {},
) {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const token =
    opts.token ?? createHmac("sha256", "t").update(String(Math.random())).digest("hex").slice(0, 50);
  const signature = createHmac("sha256", key)
    .update(timestamp + token)
    .digest("hex");
  return { signature: { timestamp, token, signature }, "event-data": eventData };
}

/** SNS string-to-sign, written independently of the implementation (from the AWS docs). */
export function snsSign(
  msg: Record<string, string>,
  privateKeyPem: string,
  version: "1" | "2" = "1",
): string {
  const keys =
    msg.Type === "Notification"
      ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
      : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"];
  const text = keys
    .filter((k) => msg[k] !== undefined)
    .map((k) => `${k}\n${msg[k]}\n`)
    .join("");
  const signer = createSign(version === "2" ? "RSA-SHA256" : "RSA-SHA1");
  signer.update(text, "utf8");
  return signer.sign(privateKeyPem, "base64");
}
