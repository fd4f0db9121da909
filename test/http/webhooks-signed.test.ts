import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  mailgunSigned,
  sendgridHeaders,
  sendgridKeys,
  startWebhookServer,
  type WebhookServer,
} from "../helpers/webhooks.js";

const MAILGUN_KEY = "key-0123456789abcdef0123456789abcdef";
const sg = sendgridKeys();
let s: WebhookServer;

beforeAll(async () => {
  s = await startWebhookServer({
    OPENTIME_SENDGRID_PUBLIC_KEY: sg.publicKeyB64,
    OPENTIME_MAILGUN_SIGNING_KEY: MAILGUN_KEY,
  });
});
afterAll(() => s.cleanup());
beforeEach(() => {
  s.events = [];
  s.failSink = false;
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });

// An open with the fields SendGrid's Event Webhook docs list (`rid` a custom arg), plus the
// other event types it posts in one array.
const SENDGRID_BATCH = JSON.stringify([
  {
    email: "a@x.com",
    timestamp: 1700000000,
    event: "open",
    sg_event_id: "e1",
    sg_message_id: "m1.filter0001",
    sg_machine_open: false,
    ip: "66.249.93.84",
    useragent: "Mozilla/5.0",
    rid: "r_42",
  },
  {
    email: "a@x.com",
    timestamp: 1700000001,
    event: "open",
    sg_event_id: "e2",
    sg_machine_open: true,
    campaign: "bf-2026",
  },
  {
    email: "B@X.com",
    timestamp: 1700000002,
    event: "click",
    sg_event_id: "e3",
    url: "https://shop.example/x",
    category: ["promo", "bf"],
  },
  {
    email: "c@x.com",
    timestamp: 1700000003,
    event: "bounce",
    sg_event_id: "e4",
    type: "bounce",
    bounce_classification: "Invalid Address",
    reason: "550 5.1.1",
  },
  {
    email: "c@x.com",
    timestamp: 1700000004,
    event: "bounce",
    sg_event_id: "e5",
    type: "blocked",
    bounce_classification: "Reputation",
  },
  { email: "d@x.com", timestamp: 1700000005, event: "spamreport", sg_event_id: "e6" },
  { email: "d@x.com", timestamp: 1700000006, event: "group_unsubscribe", sg_event_id: "e7", asm_group_id: 1 },
  { email: "d@x.com", timestamp: 1700000007, event: "unsubscribe", sg_event_id: "e8" },
  { email: "e@x.com", timestamp: 1700000008, event: "deferred", sg_event_id: "e9", attempt: "1" },
  {
    email: "e@x.com",
    timestamp: 1700000009,
    event: "dropped",
    sg_event_id: "e10",
    reason: "Bounced Address",
  },
  { email: "e@x.com", timestamp: 1700000010, event: "delivered", sg_event_id: "e11", response: "250 OK" },
  { email: "e@x.com", timestamp: 1700000011, event: "processed", sg_event_id: "e12" },
  { email: "e@x.com", timestamp: 1700000012, event: "group_resubscribe", sg_event_id: "e13" },
  { email: "e@x.com", timestamp: 1700000013, event: "some_future_event", sg_event_id: "e14" },
]);

describe("POST /v1/webhooks/sendgrid", () => {
  it("accepts a correctly signed batch and normalises every event type", async () => {
    const { status, body } = await json(
      await s.post("sendgrid", SENDGRID_BATCH, sendgridHeaders(sg, SENDGRID_BATCH)),
    );
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toEqual({ accepted: 11, ignored: 3 });
    const byId = Object.fromEntries(s.events.map((e) => [e.id, e]));
    expect(byId.e1).toEqual({
      provider: "sendgrid",
      type: "open",
      email: "a@x.com",
      at: 1700000000000,
      id: "e1",
      machine: false,
      messageId: "m1",
      recipientId: "r_42",
    });
    expect(byId.e2).toMatchObject({ type: "open", machine: true, campaign: "bf-2026" });
    expect(byId.e3).toMatchObject({ type: "click", email: "b@x.com", url: "https://shop.example/x" });
    expect(byId.e4).toMatchObject({ type: "bounce", bounce: "hard" });
    expect(byId.e5).toMatchObject({ type: "bounce", bounce: "soft" });
    expect(byId.e6!.type).toBe("complaint");
    expect([byId.e7!.type, byId.e8!.type]).toEqual(["unsubscribe", "unsubscribe"]);
    expect([byId.e9!.type, byId.e10!.type, byId.e11!.type]).toEqual(["deferred", "dropped", "delivered"]);
  });

  it("refuses a tampered body (one byte changed after signing)", async () => {
    const headers = sendgridHeaders(sg, SENDGRID_BATCH);
    const tampered = SENDGRID_BATCH.replace('"e1"', '"E1"');
    const { status, body } = await json(await s.post("sendgrid", tampered, headers));
    expect(status).toBe(401);
    expect(body.error.code).toBe("unauthorized");
    expect(s.events).toEqual([]);
  });

  it("refuses a re-serialised body: verification is over the raw bytes", async () => {
    const pretty = JSON.stringify(JSON.parse(SENDGRID_BATCH), null, 2);
    const res = await s.post("sendgrid", pretty, sendgridHeaders(sg, SENDGRID_BATCH));
    expect(res.status).toBe(401);
  });

  it("refuses a signature made with another key", async () => {
    const other = sendgridKeys();
    const res = await s.post("sendgrid", SENDGRID_BATCH, sendgridHeaders(other, SENDGRID_BATCH));
    expect(res.status).toBe(401);
  });

  it("refuses timestamps outside ±300 s, even when correctly signed", async () => {
    const now = Math.floor(Date.now() / 1000);
    // 20 s past the bound either side: a slow machine's clock moves on between here and the
    // server's check (at +301 s a second's delay made it +300 and accepted).
    for (const ts of [now - 320, now + 320]) {
      const res = await s.post("sendgrid", SENDGRID_BATCH, sendgridHeaders(sg, SENDGRID_BATCH, ts));
      expect(res.status, `timestamp ${ts - now}`).toBe(401);
    }
    const ok = await s.post("sendgrid", SENDGRID_BATCH, sendgridHeaders(sg, SENDGRID_BATCH, now - 250));
    expect(ok.status).toBe(200);
  });

  it("refuses missing or garbage signature headers", async () => {
    expect((await s.post("sendgrid", SENDGRID_BATCH)).status).toBe(401);
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await s.post("sendgrid", SENDGRID_BATCH, {
      "x-twilio-email-event-webhook-timestamp": ts,
      "x-twilio-email-event-webhook-signature": "bm90IGEgc2lnbmF0dXJl",
    });
    expect(res.status).toBe(401);
  });

  it("answers 400 for a signed body that is not a JSON array", async () => {
    for (const body of ['{"event":"open"}', "not json"]) {
      const res = await json(await s.post("sendgrid", body, sendgridHeaders(sg, body)));
      expect(res.status, body).toBe(400);
      expect(["bad_request", "invalid_json"]).toContain(res.body.error.code);
    }
  });

  it("answers 503 (so SendGrid retries) when the events cannot be applied", async () => {
    s.failSink = true;
    const res = await s.post("sendgrid", SENDGRID_BATCH, sendgridHeaders(sg, SENDGRID_BATCH));
    expect(res.status).toBe(503);
  });
});

const MAILGUN_CLICK = {
  event: "clicked",
  id: "Ase7i2zsRYeDXztHGENqRA",
  timestamp: 1521243339.873676,
  recipient: "a@x.com",
  url: "https://shop.example/x",
  "user-variables": { rid: "r_42", campaign: "bf-2026" },
  "client-info": {
    "client-type": "browser",
    "client-os": "Linux",
    "device-type": "desktop",
    "user-agent": "Mozilla/5.0",
  },
  message: { headers: { "message-id": "20180316.1@mg.example" } },
  tags: ["promo"],
};

describe("POST /v1/webhooks/mailgun", () => {
  it("accepts a signed event and normalises it", async () => {
    const { status, body } = await json(
      await s.post("mailgun", JSON.stringify(mailgunSigned(MAILGUN_KEY, MAILGUN_CLICK))),
    );
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toEqual({ accepted: 1, ignored: 0 });
    expect(s.events).toEqual([
      {
        provider: "mailgun",
        type: "click",
        email: "a@x.com",
        at: 1521243339874,
        id: "Ase7i2zsRYeDXztHGENqRA",
        machine: false,
        url: "https://shop.example/x",
        messageId: "20180316.1@mg.example",
        recipientId: "r_42",
        campaign: "bf-2026",
      },
    ]);
  });

  it.each([
    [
      { event: "failed", severity: "permanent", reason: "bounce" },
      { type: "bounce", bounce: "hard" },
    ],
    [
      { event: "failed", severity: "temporary", reason: "generic" },
      { type: "bounce", bounce: "soft" },
    ],
    [{ event: "failed", severity: "permanent", reason: "suppress-bounce" }, { type: "dropped" }],
    [{ event: "complained" }, { type: "complaint" }],
    [{ event: "unsubscribed" }, { type: "unsubscribe" }],
    [{ event: "delivered" }, { type: "delivered" }],
    [
      { event: "opened", "client-info": { bot: "apple" } },
      { type: "open", machine: true },
    ],
  ])("normalises %j", async (extra, expected) => {
    const data = { id: `id-${Math.random()}`, timestamp: 1700000000.5, recipient: "a@x.com", ...extra };
    const res = await s.post("mailgun", JSON.stringify(mailgunSigned(MAILGUN_KEY, data)));
    expect(res.status).toBe(200);
    expect(s.events[0]).toMatchObject(expected);
  });

  it("ignores (counts) event types it does not act on", async () => {
    const res = await json(
      await s.post(
        "mailgun",
        JSON.stringify(mailgunSigned(MAILGUN_KEY, { event: "accepted", recipient: "a@x.com" })),
      ),
    );
    expect(res.body).toEqual({ accepted: 0, ignored: 1 });
  });

  it("acknowledges a replayed token with 200 but applies nothing twice", async () => {
    const body = JSON.stringify(mailgunSigned(MAILGUN_KEY, MAILGUN_CLICK));
    expect((await json(await s.post("mailgun", body))).body).toEqual({ accepted: 1, ignored: 0 });
    const replay = await json(await s.post("mailgun", body));
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ accepted: 0, ignored: 1, duplicate: true });
    expect(s.events).toHaveLength(1);
  });

  it("takes Mailgun's retry when the first attempt could not be applied", async () => {
    const body = JSON.stringify(mailgunSigned(MAILGUN_KEY, MAILGUN_CLICK));
    s.failSink = true;
    expect((await s.post("mailgun", body)).status).toBe(503);
    s.failSink = false;
    expect((await json(await s.post("mailgun", body))).body).toEqual({ accepted: 1, ignored: 0 });
  });

  it("refuses wrong keys, tampered signatures and stale timestamps", async () => {
    const wrongKey = mailgunSigned("key-another-key-entirely-000000", MAILGUN_CLICK);
    expect((await s.post("mailgun", JSON.stringify(wrongKey))).status).toBe(401);
    const signed = mailgunSigned(MAILGUN_KEY, MAILGUN_CLICK);
    const flipped = {
      ...signed,
      signature: { ...signed.signature, token: `${signed.signature.token.slice(0, -1)}x` },
    };
    expect((await s.post("mailgun", JSON.stringify(flipped))).status).toBe(401);
    const stale = mailgunSigned(MAILGUN_KEY, MAILGUN_CLICK, {
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    expect((await s.post("mailgun", JSON.stringify(stale))).status).toBe(401);
    expect((await s.post("mailgun", JSON.stringify({ "event-data": MAILGUN_CLICK }))).status).toBe(401);
    expect(s.events).toEqual([]);
  });

  it("answers 400 for malformed bodies", async () => {
    expect((await s.post("mailgun", "{not json")).status).toBe(400);
    const noData = mailgunSigned(MAILGUN_KEY, undefined);
    expect((await s.post("mailgun", JSON.stringify(noData))).status).toBe(400);
  });
});
