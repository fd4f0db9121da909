import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import type { OutboundMessage } from "../../src/core/ports/sending.js";
import { createBrazeChannel } from "../../src/core/sending/channels/braze.js";
import { createKlaviyoChannel } from "../../src/core/sending/channels/klaviyo.js";
import { createMailgunChannel } from "../../src/core/sending/channels/mailgun.js";
import { createPostmarkChannel } from "../../src/core/sending/channels/postmark.js";
import { createSendgridChannel } from "../../src/core/sending/channels/sendgrid.js";
import { createWebhookChannel } from "../../src/core/sending/channels/webhook.js";
import { type EspServer, startEspServer } from "../helpers/esp-server.js";

// Each adapter against a local server answering as the real API does (REFERENCE: outbound
// sending): the request it makes, and how each answer is classified.
const message: OutboundMessage = {
  sendId: "s_abc123",
  key: "run7:send",
  channel: "email",
  to: { profileId: "p_1", email: "ann@x.com", phone: "+33600000000", userId: "u1", u: "ann@x.com" },
  campaign: "cart-send",
  template: { id: "cart", version: 2, name: "Cart reminder" },
  subject: "Your cart",
  html: "<p>Hi</p>",
  text: "Hi",
  data: { cart: { total: 42 } },
};
const SECRET = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
let esp: EspServer;
afterEach(() => esp?.close());
const http = (baseUrl: string) => ({ baseUrl, timeoutMs: 2_000 });

describe("SendGrid v3 Mail Send", () => {
  it("posts the message with custom args and tracking off; 202's X-Message-Id is the provider id", async () => {
    esp = await startEspServer({ status: 202, headers: { "x-message-id": "sg-42" } });
    const ch = createSendgridChannel({ ...http(esp.url), apiKey: "SG.key", from: "Shop <hi@shop.example>" });
    expect(await ch.send(message)).toEqual({ ok: true, providerId: "sg-42" });
    const [req] = esp.requests;
    expect(req).toMatchObject({ method: "POST", path: "/v3/mail/send" });
    expect(req!.headers.authorization).toBe("Bearer SG.key");
    expect(JSON.parse(req!.body)).toEqual({
      personalizations: [
        {
          to: [{ email: "ann@x.com" }],
          custom_args: { opentime_send: "s_abc123", opentime_key: "run7:send", campaign: "cart-send" },
        },
      ],
      from: { email: "hi@shop.example", name: "Shop" },
      subject: "Your cart",
      content: [
        { type: "text/plain", value: "Hi" },
        { type: "text/html", value: "<p>Hi</p>" },
      ],
      tracking_settings: {
        click_tracking: { enable: false, enable_text: false },
        open_tracking: { enable: false },
      },
    });
  });

  it("classifies answers: 400 permanent, 429 and 5xx transient with Retry-After, no answer transient", async () => {
    esp = await startEspServer({ status: 202 });
    const ch = createSendgridChannel({
      ...http(esp.url),
      timeoutMs: 300,
      apiKey: "k",
      from: "hi@shop.example",
    });
    esp.reply(
      { status: 400, body: { errors: [{ message: "bad from" }] } },
      { status: 429, headers: { "retry-after": "7" } },
      { status: 503 },
      { status: 202, delayMs: 2_000 },
    );
    expect(await ch.send(message)).toMatchObject({
      ok: false,
      permanent: true,
      reason: expect.stringContaining("HTTP 400"),
    });
    expect(await ch.send(message)).toMatchObject({ ok: false, permanent: false, retryAfterMs: 7000 });
    expect(await ch.send(message)).toMatchObject({
      ok: false,
      permanent: false,
      reason: "sendgrid: HTTP 503",
    });
    expect(await ch.send(message)).toMatchObject({
      ok: false,
      permanent: false,
      reason: "sendgrid: no answer within 300 ms",
    });
  });
});

describe("Postmark", () => {
  it("posts with the server token; MessageID is the provider id", async () => {
    esp = await startEspServer({ status: 200, body: { ErrorCode: 0, MessageID: "pm-1", Message: "OK" } });
    const ch = createPostmarkChannel({
      ...http(esp.url),
      serverToken: "pm-token",
      from: "hi@shop.example",
      messageStream: "outbound",
    });
    expect(await ch.send(message)).toEqual({ ok: true, providerId: "pm-1" });
    const [req] = esp.requests;
    expect(req!.path).toBe("/email");
    expect(req!.headers["x-postmark-server-token"]).toBe("pm-token");
    expect(JSON.parse(req!.body)).toMatchObject({
      From: "hi@shop.example",
      To: "ann@x.com",
      Subject: "Your cart",
      HtmlBody: "<p>Hi</p>",
      TextBody: "Hi",
      MessageStream: "outbound",
      Tag: "cart-send",
      Metadata: { opentime_send: "s_abc123" },
      TrackOpens: false,
      TrackLinks: "None",
    });
    esp.reply({ status: 422, body: { ErrorCode: 406, Message: "Inactive recipient" } });
    expect(await ch.send(message)).toMatchObject({ ok: false, permanent: true });
  });
});

describe("Mailgun", () => {
  it("posts a multipart form with Basic api:KEY; the id comes back without brackets", async () => {
    esp = await startEspServer({
      status: 200,
      body: { id: "<20260105.1@mg.shop.example>", message: "Queued. Thank you." },
    });
    const ch = createMailgunChannel({
      ...http(esp.url),
      apiKey: "key-1",
      domain: "mg.shop.example",
      from: "hi@shop.example",
    });
    expect(await ch.send(message)).toEqual({ ok: true, providerId: "20260105.1@mg.shop.example" });
    const [req] = esp.requests;
    expect(req!.path).toBe("/v3/mg.shop.example/messages");
    expect(req!.headers.authorization).toBe(`Basic ${Buffer.from("api:key-1").toString("base64")}`);
    expect(req!.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    const form = await new Response(req!.body, {
      headers: { "content-type": req!.headers["content-type"]! },
    }).formData();
    expect(Object.fromEntries(form)).toMatchObject({
      from: "hi@shop.example",
      to: "ann@x.com",
      subject: "Your cart",
      html: "<p>Hi</p>",
      "o:tag": "cart-send",
      "o:tracking": "no",
      "v:opentime_send": "s_abc123",
    });
  });
});

describe("Klaviyo Create Event", () => {
  it("posts a JSON:API event whose unique_id is the idempotency key", async () => {
    esp = await startEspServer({ status: 202 });
    const ch = createKlaviyoChannel({ ...http(esp.url), apiKey: "pk_1", revision: "2024-10-15" });
    expect(await ch.send({ ...message, esp: { klaviyoMetric: "opentime Cart Reminder" } })).toEqual({
      ok: true,
      providerId: "run7:send",
    });
    const [req] = esp.requests;
    expect(req!.path).toBe("/api/events");
    expect(req!.headers).toMatchObject({
      authorization: "Klaviyo-API-Key pk_1",
      revision: "2024-10-15",
      "content-type": "application/vnd.api+json",
    });
    const body = JSON.parse(req!.body);
    expect(body.data.type).toBe("event");
    expect(body.data.attributes).toMatchObject({
      unique_id: "run7:send",
      metric: { data: { type: "metric", attributes: { name: "opentime Cart Reminder" } } },
      profile: {
        data: {
          type: "profile",
          attributes: { email: "ann@x.com", phone_number: "+33600000000", external_id: "u1" },
        },
      },
      properties: {
        opentime_send: "s_abc123",
        campaign: "cart-send",
        subject: "Your cart",
        data: { cart: { total: 42 } },
      },
    });
  });
});

describe("Braze API-triggered campaign", () => {
  it("triggers the campaign for the person's external id; dispatch_id is the provider id", async () => {
    esp = await startEspServer({ status: 201, body: { dispatch_id: "d-9", message: "success" } });
    const ch = createBrazeChannel({ ...http(esp.url), apiKey: "braze-key", campaignId: "camp-1" });
    expect(await ch.send(message)).toEqual({ ok: true, providerId: "d-9" });
    const [req] = esp.requests;
    expect(req!.path).toBe("/campaigns/trigger/send");
    expect(req!.headers.authorization).toBe("Bearer braze-key");
    const body = JSON.parse(req!.body);
    expect(body).toMatchObject({ campaign_id: "camp-1", recipients: [{ external_user_id: "u1" }] });
    expect(body.recipients[0].trigger_properties).toMatchObject({
      opentime_key: "run7:send",
      subject: "Your cart",
    });
  });
});

describe("Standard Webhooks", () => {
  it("signs so that the standardwebhooks library verifies it; webhook-id is the idempotency key", async () => {
    esp = await startEspServer({ status: 200, body: { id: "sms-77" } });
    const ch = createWebhookChannel({
      ...http(`${esp.url}/hooks/sms`),
      secret: SECRET,
      now: () => Date.now(),
    });
    const sms: OutboundMessage = { ...message, channel: "sms", sms: "Your cart is waiting" };
    expect(await ch.send(sms)).toEqual({ ok: true, providerId: "sms-77" });
    expect(await ch.send(sms)).toMatchObject({ ok: true });
    const [first, second] = esp.requests;
    expect(first!.path).toBe("/hooks/sms");
    const verified = new Webhook(SECRET).verify(first!.body, first!.headers as Record<string, string>) as any;
    expect(verified).toMatchObject({
      type: "message.sms",
      data: { sms: "Your cart is waiting", opentime_key: "run7:send" },
    });
    expect(first!.headers["webhook-id"]).toBe("run7:send");
    expect(second!.headers["webhook-id"]).toBe("run7:send");
    // A body changed after signing does not verify.
    expect(() =>
      new Webhook(SECRET).verify(
        first!.body.replace("waiting", "WAITING"),
        first!.headers as Record<string, string>,
      ),
    ).toThrow();
  });

  it("treats 410 Gone as permanent and 5xx as transient", async () => {
    esp = await startEspServer({ status: 200 });
    const ch = createWebhookChannel({ ...http(esp.url), secret: SECRET, now: () => Date.now() });
    esp.reply({ status: 410 }, { status: 502 });
    expect(await ch.send(message)).toMatchObject({ ok: false, permanent: true });
    expect(await ch.send(message)).toMatchObject({ ok: false, permanent: false });
  });
});

describe("one-click unsubscribe through each email API", () => {
  const withUnsub = { ...message, unsubscribeUrl: "https://ot.example/u/s_abc123.sig" };
  const expected = {
    "List-Unsubscribe": "<https://ot.example/u/s_abc123.sig>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
  };

  it("SendGrid: in the message's headers", async () => {
    esp = await startEspServer({ status: 202, headers: { "x-message-id": "sg-1" } });
    await createSendgridChannel({ ...http(esp.url), apiKey: "k", from: "hi@shop.example" }).send(withUnsub);
    expect(JSON.parse(esp.requests[0]!.body).headers).toEqual(expected);
  });

  it("Postmark: in Headers, beside the idempotency key", async () => {
    esp = await startEspServer({ status: 200, body: { ErrorCode: 0, MessageID: "pm-1" } });
    await createPostmarkChannel({
      ...http(esp.url),
      serverToken: "t",
      from: "hi@shop.example",
      messageStream: "outbound",
    }).send(withUnsub);
    expect(JSON.parse(esp.requests[0]!.body).Headers).toEqual([
      { Name: "X-Opentime-Key", Value: "run7:send" },
      ...Object.entries(expected).map(([Name, Value]) => ({ Name, Value })),
    ]);
  });

  it("Mailgun: as h: fields", async () => {
    esp = await startEspServer({ status: 200, body: { id: "<1@mg>", message: "Queued." } });
    await createMailgunChannel({ ...http(esp.url), apiKey: "k", domain: "mg", from: "hi@shop.example" }).send(
      withUnsub,
    );
    const req = esp.requests[0]!;
    const form = await new Response(req.body, {
      headers: { "content-type": req.headers["content-type"]! },
    }).formData();
    expect(form.get("h:List-Unsubscribe")).toBe(expected["List-Unsubscribe"]);
    expect(form.get("h:List-Unsubscribe-Post")).toBe(expected["List-Unsubscribe-Post"]);
  });
});
