import { request } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startWebhookServer, type WebhookServer } from "../helpers/webhooks.js";

const PM_USER = "postmark";
const PM_PASS = "pm-password-0123456789";
const PM_TOKEN = "pm-token-0123456789abcdef";
const BREVO_TOKEN = "brevo-token-0123456789abcdef";
let s: WebhookServer;

beforeAll(async () => {
  s = await startWebhookServer({
    OPENTIME_POSTMARK_USER: PM_USER,
    OPENTIME_POSTMARK_PASSWORD: PM_PASS,
    OPENTIME_POSTMARK_TOKEN: PM_TOKEN,
    OPENTIME_BREVO_TOKEN: BREVO_TOKEN,
  });
});
afterAll(() => s.cleanup());
beforeEach(() => {
  s.events = [];
});

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
const pm = (record: unknown, auth = basic(PM_USER, PM_PASS)) =>
  s.post("postmark", JSON.stringify(record), { authorization: auth });
const brevo = (body: unknown, auth = `Bearer ${BREVO_TOKEN}`) =>
  s.post("brevo", JSON.stringify(body), { authorization: auth });

// A click with the fields Postmark's click webhook docs list, plus realistic records of every RecordType.
const CLICK = {
  RecordType: "Click",
  MessageID: "883953f4-6105-42a2-a16a-77a8eac79483",
  Recipient: "a@x.com",
  OriginalLink: "https://shop/x",
  ClickLocation: "HTML",
  UserAgent: "Mozilla/5.0",
  ReceivedAt: "2026-01-01T10:00:00Z",
  Metadata: { rid: "r_42" },
};

describe("POST /v1/webhooks/postmark", () => {
  it("accepts basic auth and normalises a click", async () => {
    const res = await pm(CLICK);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, ignored: 0 });
    expect(s.events).toEqual([
      {
        provider: "postmark",
        type: "click",
        email: "a@x.com",
        at: Date.parse("2026-01-01T10:00:00Z"),
        id: "Click:883953f4-6105-42a2-a16a-77a8eac79483:a@x.com:2026-01-01T10:00:00Z",
        url: "https://shop/x",
        messageId: "883953f4-6105-42a2-a16a-77a8eac79483",
        recipientId: "r_42",
      },
    ]);
  });

  it("accepts the header token (X-Opentime-Token or Bearer) instead of basic auth", async () => {
    expect((await s.post("postmark", JSON.stringify(CLICK), { "x-opentime-token": PM_TOKEN })).status).toBe(
      200,
    );
    expect((await pm(CLICK, `Bearer ${PM_TOKEN}`)).status).toBe(200);
  });

  it("refuses missing or wrong credentials", async () => {
    expect((await s.post("postmark", JSON.stringify(CLICK))).status).toBe(401);
    expect((await pm(CLICK, basic(PM_USER, `${PM_PASS}x`))).status).toBe(401);
    expect((await pm(CLICK, basic("someone", PM_PASS))).status).toBe(401);
    expect(await pm(CLICK, "Bearer nope-nope-nope-nope")).toHaveProperty("status", 401);
    expect(await pm(CLICK, "Basic !!!")).toHaveProperty("status", 401);
    expect(s.events).toEqual([]);
  });

  it.each([
    [
      {
        RecordType: "Delivery",
        MessageID: "m1",
        Recipient: "a@x.com",
        DeliveredAt: "2026-01-01T10:00:00Z",
        Details: "250 OK",
      },
      { type: "delivered" },
    ],
    [
      {
        RecordType: "Open",
        FirstOpen: true,
        MessageID: "m1",
        Recipient: "a@x.com",
        ReceivedAt: "2026-01-01T10:00:00Z",
        Metadata: { campaign: "bf" },
      },
      { type: "open", campaign: "bf" },
    ],
    [
      {
        RecordType: "Bounce",
        ID: 4323372036,
        Type: "HardBounce",
        TypeCode: 1,
        Email: "a@x.com",
        BouncedAt: "2026-01-01T10:00:00Z",
        MessageID: "m1",
      },
      { type: "bounce", bounce: "hard", id: "Bounce:4323372036" },
    ],
    [
      {
        RecordType: "Bounce",
        ID: 42,
        Type: "SoftBounce",
        TypeCode: 4096,
        Email: "a@x.com",
        BouncedAt: "2026-01-01T10:00:00Z",
      },
      { type: "bounce", bounce: "soft" },
    ],
    [
      { RecordType: "Bounce", ID: 43, Type: "Transient", Email: "a@x.com" },
      { type: "bounce", bounce: "soft" },
    ],
    [
      {
        RecordType: "SpamComplaint",
        ID: 44,
        Type: "SpamComplaint",
        Email: "a@x.com",
        BouncedAt: "2026-01-01T10:00:00Z",
      },
      { type: "complaint" },
    ],
    [
      {
        RecordType: "SubscriptionChange",
        MessageID: "m1",
        Recipient: "a@x.com",
        ChangedAt: "2026-01-01T10:00:00Z",
        SuppressSending: true,
        SuppressionReason: "ManualSuppression",
      },
      { type: "unsubscribe" },
    ],
  ])("normalises %j", async (record, expected) => {
    const res = await pm(record);
    expect(res.status).toBe(200);
    expect(s.events).toHaveLength(1);
    expect(s.events[0]).toMatchObject({ provider: "postmark", email: "a@x.com", ...expected });
  });

  it("ignores reactivations, auto-responders and unknown record types", async () => {
    for (const record of [
      { RecordType: "SubscriptionChange", Recipient: "a@x.com", SuppressSending: false },
      { RecordType: "Bounce", ID: 1, Type: "AutoResponder", Email: "a@x.com" },
      { RecordType: "Inbound", Recipient: "a@x.com" },
    ]) {
      expect(await (await pm(record)).json()).toEqual({ accepted: 0, ignored: 1 });
    }
  });

  it("answers 400 for malformed bodies", async () => {
    expect((await s.post("postmark", "nope", { authorization: basic(PM_USER, PM_PASS) })).status).toBe(400);
    expect((await pm([CLICK])).status).toBe(400);
  });
});

describe("POST /v1/webhooks/brevo", () => {
  it("accepts the bearer token and normalises an opened event as Brevo posts it", async () => {
    const sample = {
      event: "opened",
      email: "a@x.com",
      id: 123,
      date: "2024-01-15 10:35:00",
      ts_event: 1705314900,
      "message-id": "<20240115.1@smtp-relay.mailin.fr>",
      tags: ["rid_42"],
    };
    const res = await brevo(sample);
    expect(res.status).toBe(200);
    expect(s.events).toEqual([
      {
        provider: "brevo",
        type: "open",
        email: "a@x.com",
        at: 1705314900000,
        id: "<20240115.1@smtp-relay.mailin.fr>:opened:1705314900:a@x.com",
        machine: false,
        messageId: "20240115.1@smtp-relay.mailin.fr",
        recipientId: "42",
      },
    ]);
  });

  it("normalises every event type in a batched POST", async () => {
    const base = { email: "a@x.com", "message-id": "<m@x>", ts_event: 1705314900 };
    const batch = [
      { ...base, event: "delivered" },
      { ...base, event: "Proxy Open" },
      { ...base, event: "unique_proxy_open" },
      { ...base, event: "click", link: "https://shop/x", "X-Mailin-custom": '{"rid":"r_7","campaign":"bf"}' },
      { ...base, event: "hard_bounce" },
      { ...base, event: "soft_bounce" },
      { ...base, event: "spam" },
      { ...base, event: "unsubscribed" },
      { ...base, event: "blocked" },
      { ...base, event: "deferred" },
      { ...base, event: "request" },
      { ...base, event: "brand_new_event" },
    ];
    const res = await brevo(batch);
    expect(await res.json()).toEqual({ accepted: 10, ignored: 2 });
    expect(s.events.map((e) => [e.type, e.machine ?? e.bounce ?? e.url ?? null])).toEqual([
      ["delivered", null],
      ["open", true],
      ["open", true],
      ["click", "https://shop/x"],
      ["bounce", "hard"],
      ["bounce", "soft"],
      ["complaint", null],
      ["unsubscribe", null],
      ["dropped", null],
      ["deferred", null],
    ]);
    expect(s.events[3]).toMatchObject({ recipientId: "r_7", campaign: "bf" });
  });

  it("refuses a missing or wrong token", async () => {
    expect((await s.post("brevo", JSON.stringify({ event: "opened", email: "a@x.com" }))).status).toBe(401);
    expect((await brevo({ event: "opened", email: "a@x.com" }, `Bearer ${BREVO_TOKEN}x`)).status).toBe(401);
    expect(s.events).toEqual([]);
  });
});

function rawStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${s.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end('{"url":"https://x.example"}');
  });
}

describe("webhook routes and the operator key", () => {
  it("webhooks need no operator key, but every other /v1 route still does", async () => {
    expect((await pm(CLICK)).status).toBe(200);
    const links = await fetch(`${s.url}/v1/links`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"url":"https://x.example"}',
    });
    expect(links.status).toBe(401);
    expect((await fetch(`${s.url}/v1/campaigns/x/stats`)).status).toBe(401);
    // Dot segments sent raw (fetch would resolve them client-side) must not smuggle a
    // request past the key check onto an operator route.
    for (const path of ["/v1/webhooks/../links", "/v1/webhooks/%2e%2e/links", "/v1/webhooks/x/../../links"]) {
      expect([401, 404], path).toContain(await rawStatus(path));
      expect(await rawStatus(path)).not.toBe(201);
    }
  });

  it("answers 404 for unknown or unconfigured providers", async () => {
    const unknown = await s.post("sparkpost", "[]");
    expect(unknown.status).toBe(404);
    const unconfigured = await s.post("sendgrid", "[]");
    expect(unconfigured.status).toBe(404);
    expect(((await unconfigured.json()) as any).error.message).toMatch(/not configured/);
  });

  it("answers 413 for bodies over 1 MB, before verifying anything", async () => {
    const big = JSON.stringify({ event: "opened", email: "a@x.com", pad: "x".repeat(1024 * 1024) });
    const res = await brevo(big);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe("payload_too_large");
  });
});
