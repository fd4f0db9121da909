import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EspServer, startEspServer } from "../helpers/esp-server.js";
import { createTemplate, identify, manualClock, request, startSendingServer } from "../helpers/sending.js";
import type { TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/smtp.js";

// Through the server: email over SendGrid's API and SMS over a signed webhook, each a local
// server; provider failures retried with backoff or dead-lettered, and a dead letter
// retried by the operator; the SMS fallback when email is refused.
const SECRET = `whsec_${Buffer.from("fedcba9876543210fedcba9876543210").toString("base64")}`;
// Now (the outgoing webhook's timestamp must be recent for the verifier); quiet hours off.
const clock = manualClock(Date.now());
let sendgrid: EspServer;
let hooks: EspServer;
let s: TestServer;
const sendsOf = async (person: string) =>
  ((await (await s.api(`/v1/profiles/${person}/sends`)).json()) as { sends: Record<string, any>[] }).sends;
const settle = async () => {
  await s.sending!.messenger.outbox.tick();
  await s.sending!.messenger.outbox.idle();
};

beforeAll(async () => {
  sendgrid = await startEspServer({ status: 202, headers: { "x-message-id": "sg-1" } });
  hooks = await startEspServer({ status: 200 });
  s = await startSendingServer(
    {
      OPENTIME_SENDGRID_API_KEY: "SG.test-key-0123456789",
      OPENTIME_SENDGRID_URL: sendgrid.url,
      OPENTIME_WEBHOOK_URL: `${hooks.url}/sms`,
      OPENTIME_WEBHOOK_SECRET: SECRET,
      OPENTIME_SEND_QUIET_HOURS: "off",
    },
    clock,
  );
  await identify(s, "ivy", { email: "ivy@x.com" });
  await identify(s, "jon", { email: "jon@x.com" });
  await identify(s, "kim", { email: "kim@x.com", phone: "+33611111111", consent: { sms: true } });
  await createTemplate(s, {
    id: "cart",
    name: "Cart",
    subject: "Your cart",
    html: "<p>cart</p>",
    sms: "Your cart is waiting {{ opentime.url }}",
  });
});
afterAll(async () => {
  await s?.cleanup();
  await sendgrid?.close();
  await hooks?.close();
});

describe("provider failures", () => {
  it("retries a 503 with backoff until it goes, then records the provider's id", async () => {
    sendgrid.reply({ status: 503 }, { status: 429, headers: { "retry-after": "120" } });
    const out = await s.sending!.messenger.send(request({ key: "p1:a", person: "ivy@x.com" }));
    expect(out.status).toBe("accepted");
    const first = await waitFor(async () => (await sendsOf("ivy@x.com")).find((r) => r.tries === 1));
    expect(first).toMatchObject({ status: "queued", reason: "sendgrid: HTTP 503" });
    // Backoff: between half and all of 30 s for the first retry.
    const wait1 = Date.parse(first.nextAt) - clock.now();
    expect(wait1).toBeGreaterThanOrEqual(15_000);
    expect(wait1).toBeLessThanOrEqual(30_000);
    // Not due yet: nothing is sent.
    await settle();
    expect(sendgrid.requests).toHaveLength(1);
    clock.set(Date.parse(first.nextAt));
    await settle();
    // 429 with Retry-After: 120 s.
    const second = (await sendsOf("ivy@x.com"))[0]!;
    expect(second).toMatchObject({ status: "queued", tries: 2 });
    expect(Date.parse(second.nextAt) - clock.now()).toBe(120_000);
    clock.set(Date.parse(second.nextAt));
    await settle();
    expect((await sendsOf("ivy@x.com"))[0]).toMatchObject({ status: "sent", tries: 3, providerId: "sg-1" });
    expect(sendgrid.requests).toHaveLength(3);
  });

  it("dead-letters a 400 at once; the operator's retry sends it", async () => {
    sendgrid.reply({
      status: 400,
      body: { errors: [{ message: "The from address does not match a verified Sender Identity" }] },
    });
    await s.sending!.messenger.send(request({ key: "p2:a", person: "jon@x.com" }));
    const dead = await waitFor(async () => (await sendsOf("jon@x.com")).find((r) => r.status === "dead"));
    expect(dead.reason).toMatch(/^sendgrid: HTTP 400 .*verified Sender Identity/);
    const list = (await (await s.api("/v1/dead-letters")).json()) as { sends: { id: string }[] };
    expect(list.sends.map((d) => d.id)).toContain(dead.id);

    const retried = await s.api(`/v1/sends/${dead.id}/retry`, { method: "POST" });
    expect(retried.status).toBe(202);
    await settle();
    expect((await sendsOf("jon@x.com"))[0]).toMatchObject({ status: "sent", tries: 1 });
    expect((await s.api(`/v1/sends/${dead.id}/retry`, { method: "POST" })).status).toBe(409);
  });
});

describe("channel fallback", () => {
  it("sends the SMS, signed, when the person withdrew email consent", async () => {
    const before = hooks.requests.length;
    // Withdraw email consent the way a Segment identify would carry it.
    await identify(s, "kim", { consent: { email: false, sms: true } });
    const out = await s.sending!.messenger.send(
      request({ key: "p4:a", person: "kim@x.com", channels: ["email", "sms"] }),
    );
    expect(out).toMatchObject({ status: "accepted", channel: "sms" });
    await settle();
    const req = hooks.requests[before]!;
    const body = new Webhook(SECRET).verify(req.body, req.headers as Record<string, string>) as any;
    expect(body).toMatchObject({
      type: "message.sms",
      data: {
        sms: "Your cart is waiting https://ot.example",
        to: { phone: "+33611111111" },
        opentime_key: "p4:a",
      },
    });
  });
});
