import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/server.js";
import { snsSign, startWebhookServer, type WebhookServer } from "../helpers/webhooks.js";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-events";
const OTHER_TOPIC = "arn:aws:sns:us-east-1:123456789012:not-ours";

/** A self-signed RSA certificate made with openssl, like the one SNS publishes. */
function makeCert(dir: string, name: string, days = 2) {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.pem`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-keyout",
      key,
      "-out",
      crt,
      "-days",
      String(days),
      "-nodes",
      "-subj",
      "/CN=sns.amazonaws.com",
    ],
    { stdio: "ignore" },
  );
  return { key: readFileSync(key, "utf8"), cert: readFileSync(crt, "utf8") };
}

// The stand-in "SNS host": serves the certificate and the ConfirmSubscription endpoint on
// 127.0.0.1, counting every request so tests can assert what was (not) fetched.
const hits: string[] = [];
let sns: Server;
let snsBase: string;
let good: { key: string; cert: string };
let wrong: { key: string; cert: string };
let s: WebhookServer;
let fetchCalls: string[] = [];

beforeAll(async () => {
  const dir = tempDir("opentime-sns-");
  good = makeCert(dir, "good");
  wrong = makeCert(dir, "wrong");
  sns = createServer((req, res) => {
    hits.push(req.url ?? "");
    if (req.url === "/SimpleNotificationService-good.pem") return res.end(good.cert);
    if (req.url?.startsWith("/?Action=ConfirmSubscription")) return res.end("<ConfirmSubscriptionResponse/>");
    if (req.url === "/redirect.pem") {
      res.writeHead(302, { location: "http://127.0.0.1:1/x.pem" });
      return res.end();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => sns.listen(0, "127.0.0.1", r));
  snsBase = `http://127.0.0.1:${(sns.address() as AddressInfo).port}`;
  s = await startWebhookServer(
    { OPENTIME_SES_TOPIC_ARNS: `${TOPIC}, arn:aws:sns:eu-west-1:123456789012:other` },
    {
      webhooks: {
        ses: {
          topicArns: [TOPIC],
          // Dependency injection only (never env): the loopback stand-in counts as "SNS".
          policy: { hostPattern: /^127\.0\.0\.1$/, schemes: ["http:"] },
          fetch: (input, init) => {
            fetchCalls.push(String(input));
            return fetch(input, init);
          },
        },
      },
    },
  );
});
afterAll(async () => {
  await s.cleanup();
  await new Promise((r) => sns.close(r));
});
beforeEach(() => {
  hits.length = 0;
  fetchCalls = [];
  s.events = [];
});

let seq = 0;
function notification(
  message: unknown,
  over: Record<string, string> = {},
  version: "1" | "2" = "1",
  key = good.key,
) {
  const msg: Record<string, string> = {
    Type: "Notification",
    MessageId: `22b80b92-fdea-4c2c-8f9d-bdfb0c7bf32${seq++}`,
    TopicArn: TOPIC,
    Message: typeof message === "string" ? message : JSON.stringify(message),
    Timestamp: "2026-01-01T10:00:00.000Z",
    SignatureVersion: version,
    SigningCertURL: `${snsBase}/SimpleNotificationService-good.pem`,
    UnsubscribeURL: `${snsBase}/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:x`,
    ...over,
  };
  msg.Signature = snsSign(msg, key, version);
  return msg;
}
const post = (msg: unknown, type = "Notification") =>
  s.post("ses", JSON.stringify(msg), {
    "content-type": "text/plain; charset=UTF-8",
    "x-amz-sns-message-type": type,
  });

const CLICK = {
  eventType: "Click",
  click: {
    ipAddress: "192.0.2.1",
    link: "https://shop/x",
    linkTags: { k: ["v"] },
    timestamp: "2017-08-09T23:51:25.570Z",
    userAgent: "Mozilla/5.0",
  },
  mail: {
    messageId: "EXAMPLE7c191be45",
    timestamp: "2017-08-09T23:50:00.000Z",
    destination: ["a@x.com"],
    tags: { "ses:configuration-set": ["ConfigSet"], rid: ["r_42"] },
  },
};

describe("POST /v1/webhooks/ses (SNS)", () => {
  it("verifies SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA) and normalises the SES event", async () => {
    for (const v of ["1", "2"] as const) {
      s.events = [];
      const msg = notification(CLICK, { Subject: "Amazon SES Email Event Notification" }, v);
      const res = await post(msg);
      expect(res.status, `v${v}: ${await res.clone().text()}`).toBe(200);
      expect(await res.json()).toEqual({ accepted: 1, ignored: 0 });
      expect(s.events).toEqual([
        {
          provider: "ses",
          type: "click",
          email: "a@x.com",
          at: Date.parse("2017-08-09T23:51:25.570Z"),
          id: `${msg.MessageId}:0`,
          url: "https://shop/x",
          messageId: "EXAMPLE7c191be45",
          recipientId: "r_42",
        },
      ]);
    }
    // The certificate was fetched once and then served from the cache.
    expect(hits.filter((h) => h.endsWith(".pem"))).toHaveLength(1);
  });

  it("refuses a tampered message, a wrong key and a non-allowlisted topic", async () => {
    const msg = notification(CLICK);
    expect((await post({ ...msg, Message: msg.Message!.replace("a@x.com", "b@x.com") })).status).toBe(401);
    expect((await post(notification(CLICK, {}, "1", wrong.key))).status).toBe(401);
    expect((await post({ ...msg, SignatureVersion: "2" })).status).toBe(401);
    const foreign = await post(notification(CLICK, { TopicArn: OTHER_TOPIC }));
    expect(foreign.status).toBe(403);
    expect(s.events).toEqual([]);
  });

  it.each([
    ["another host", "http://127.0.0.2:9/SimpleNotificationService-good.pem"],
    ["a look-alike host", "http://127.0.0.1.evil.example/SimpleNotificationService-good.pem"],
    ["the wrong scheme", "ftp://127.0.0.1/SimpleNotificationService-good.pem"],
    ["user info", "http://user@127.0.0.1/SimpleNotificationService-good.pem"],
    ["a path not ending in .pem", "http://127.0.0.1/cert.txt"],
    ["a query", "http://127.0.0.1/x.pem?u=1"],
    ["no URL at all", "not a url"],
  ])("refuses a SigningCertURL with %s without fetching anything", async (_, url) => {
    const res = await post(notification(CLICK, { SigningCertURL: url }));
    expect(res.status).toBe(401);
    expect(fetchCalls).toEqual([]);
    expect(hits).toEqual([]);
  });

  it("does not follow a redirect from the certificate URL", async () => {
    const res = await post(notification(CLICK, { SigningCertURL: `${snsBase}/redirect.pem` }));
    expect(res.status).toBe(401);
    expect(hits).toEqual(["/redirect.pem"]);
  });

  it("confirms a subscription by GETting SubscribeURL exactly once, for an allowed topic", async () => {
    const subscribeUrl = `${snsBase}/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=2336412f37fb`;
    const confirmation = (over: Record<string, string> = {}) => {
      const msg: Record<string, string> = {
        Type: "SubscriptionConfirmation",
        MessageId: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        Token: "2336412f37fb",
        TopicArn: TOPIC,
        Message: "You have chosen to subscribe to the topic. To confirm, visit the SubscribeURL.",
        SubscribeURL: subscribeUrl,
        Timestamp: "2026-01-01T10:00:00.000Z",
        SignatureVersion: "1",
        SigningCertURL: `${snsBase}/SimpleNotificationService-good.pem`,
        ...over,
      };
      msg.Signature = snsSign(msg, good.key);
      return msg;
    };
    const res = await post(confirmation(), "SubscriptionConfirmation");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 0, ignored: 0, confirmed: true });
    expect(hits.filter((h) => h.startsWith("/?Action=ConfirmSubscription"))).toEqual([
      subscribeUrl.slice(snsBase.length),
    ]);

    // Not for a topic we do not allow, and not for a SubscribeURL off the SNS host.
    hits.length = 0;
    expect((await post(confirmation({ TopicArn: OTHER_TOPIC }), "SubscriptionConfirmation")).status).toBe(
      403,
    );
    const offHost = confirmation({
      SubscribeURL: `http://127.0.0.2:1/?Action=ConfirmSubscription&TopicArn=${TOPIC}`,
    });
    expect((await post(offHost, "SubscriptionConfirmation")).status).toBe(503);
    expect(hits.filter((h) => h.startsWith("/?Action"))).toEqual([]);
    expect(fetchCalls.some((u) => u.includes("127.0.0.2"))).toBe(false);
  });

  it("ignores SES events it does not act on, and SES's plain-text setup message", async () => {
    const mail = { messageId: "m-1", destination: ["a@x.com"] };
    const ignored = await post(notification({ eventType: "Send", send: {}, mail }));
    expect(await ignored.json()).toEqual({ accepted: 0, ignored: 1 });
    const text = await post(
      notification("Successfully validated SNS topic for Amazon SES event publishing."),
    );
    expect(await text.json()).toEqual({ accepted: 0, ignored: 1 });
  });

  it("answers 400 for bodies that are not SNS envelopes", async () => {
    expect((await s.post("ses", "{")).status).toBe(400);
    expect((await s.post("ses", JSON.stringify({ Type: "Notification" }))).status).toBe(400);
    const msg = notification(CLICK);
    expect((await post(msg, "SubscriptionConfirmation")).status).toBe(400);
  });
});
