import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTemplate, identify, manualClock, request, startSendingServer } from "../helpers/sending.js";
import type { TestServer } from "../helpers/server.js";
import { startSmtp, type TestSmtp, waitFor } from "../helpers/smtp.js";
import { mailgunSigned } from "../helpers/webhooks.js";

// What comes back from the ESP acts on sends: a hard bounce stops a send still waiting for
// its retry, and delivery events are joined to the attempt they are about.
const KEY = "key-sending-0123456789abcdef0123456789";
const clock = manualClock(Date.UTC(2026, 0, 5, 11, 0));
let smtp: TestSmtp;
let s: TestServer;

const webhook = (data: Record<string, unknown>) =>
  fetch(`${s.url}/v1/webhooks/mailgun`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(mailgunSigned(KEY, data, { timestamp: Math.floor(clock.now() / 1000) })),
  });
const sendsOf = async (person: string) =>
  ((await (await s.api(`/v1/profiles/${person}/sends`)).json()) as { sends: Record<string, any>[] }).sends;

beforeAll(async () => {
  smtp = await startSmtp();
  s = await startSendingServer({ SMTP_URL: smtp.url, OPENTIME_MAILGUN_SIGNING_KEY: KEY }, clock);
  await identify(s, "gus", { email: "gus@x.com", timezone: "Europe/Paris" });
  await identify(s, "hal", { email: "hal@x.com", timezone: "Europe/Paris" });
  await createTemplate(s, { id: "cart", name: "Cart", subject: "Your cart", html: "<p>cart</p>" });
});
afterAll(async () => {
  await s?.cleanup();
  await smtp?.close();
});

describe("ESP webhooks and pending sends", () => {
  it("a hard bounce stops a send that is waiting for its retry", async () => {
    smtp.refuseNext(451);
    const out = await s.sending!.messenger.send(request({ key: "r1:a", person: "gus@x.com" }));
    expect(out.status).toBe("accepted");
    const waiting = await waitFor(async () => (await sendsOf("gus@x.com")).find((r) => r.tries === 1));
    expect(waiting).toMatchObject({ status: "queued", reason: expect.stringMatching(/^smtp: 451 /) });
    expect(Date.parse(waiting.nextAt)).toBeGreaterThan(clock.now());

    const bounce = await webhook({
      event: "failed",
      severity: "permanent",
      reason: "bounce",
      id: "ev-b1",
      timestamp: clock.now() / 1000,
      recipient: "gus@x.com",
    });
    expect(bounce.status).toBe(200);

    clock.set(Date.parse(waiting.nextAt));
    await s.sending!.messenger.outbox.tick();
    await s.sending!.messenger.outbox.idle();
    const [row] = await sendsOf("gus@x.com");
    expect(row).toMatchObject({ status: "skipped", reason: "suppressed", tries: 1 });
    expect(smtp.received.filter((m) => m.to[0] === "gus@x.com")).toHaveLength(0);

    // Later requests for the bounced address are skipped at once.
    expect(await s.sending!.messenger.send(request({ key: "r2:a", person: "gus@x.com" }))).toEqual({
      status: "skipped",
      reason: "suppressed",
    });
  });

  it("joins delivered and clicked events to the attempt by the id it carried", async () => {
    const out = await s.sending!.messenger.send(request({ key: "r3:a", person: "hal@x.com" }));
    const id = (out as { attemptId: string }).attemptId;
    await waitFor(async () => (await sendsOf("hal@x.com"))[0]?.status === "sent");
    for (const [event, evId] of [
      ["delivered", "ev-d1"],
      ["clicked", "ev-c1"],
    ])
      expect(
        (
          await webhook({
            event,
            id: evId,
            timestamp: clock.now() / 1000,
            recipient: "hal@x.com",
            url: "https://shop.example/x",
            "user-variables": { opentime_send: id },
          })
        ).status,
      ).toBe(200);
    const row = await waitFor(async () => {
      const [r] = await sendsOf("hal@x.com");
      return r?.events.delivered && r.events.clicked ? r : undefined;
    });
    expect(row.events).toEqual({
      delivered: new Date(clock.now()).toISOString(),
      clicked: new Date(clock.now()).toISOString(),
    });
  });
});
