import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTemplate, identify, manualClock, request, startSendingServer } from "../helpers/sending.js";
import type { TestServer } from "../helpers/server.js";
import { partOf, startSmtp, type TestSmtp, waitFor } from "../helpers/smtp.js";

// Monday 5 January 2026, 12:00 in Paris: outside the default quiet hours.
const NOON_PARIS = Date.UTC(2026, 0, 5, 11, 0);
const clock = manualClock(NOON_PARIS);
let smtp: TestSmtp;
let s: TestServer;

beforeAll(async () => {
  smtp = await startSmtp();
  s = await startSendingServer({ SMTP_URL: smtp.url }, clock);
  await identify(s, "u1", { email: "Ann@X.com", first_name: "Ann", timezone: "Europe/Paris" });
  await createTemplate(s, {
    id: "cart",
    name: "Cart reminder",
    subject: "{{ person.first_name | default: 'Hello' }}, your {{ cart.items[0].name }} is waiting",
    html:
      "<html><body><p>Hi {{ person.first_name }}, {{ cart.items[0].name }} for {{ cart.total }}</p>" +
      '<a href="https://shop.example/cart?id={{ cart.id }}">Back to your cart</a>' +
      '<img src="https://ot.example/i/blk_price.png" alt="">' +
      "</body></html>",
    text: "Hi {{ person.first_name }}, your cart: https://shop.example/cart",
  });
});
afterAll(async () => {
  await s?.cleanup();
  await smtp?.close();
});

const cart = { cart: { id: "c9", total: 42, items: [{ name: "Blue Shoe" }] } };

describe("sending through SMTP", () => {
  it("renders, wraps for the recipient and sends once per key", async () => {
    const out = await s.sending!.messenger.send(
      request({ key: "run1:send", person: "ann@x.com", data: cart }),
    );
    expect(out).toMatchObject({ status: "accepted", channel: "email" });
    const mail = await waitFor(() => smtp.received[0], 10_000, "the email");
    expect(mail.to).toEqual(["ann@x.com"]);
    expect(mail.header("subject")).toBe("Ann, your Blue Shoe is waiting");
    const attemptId = (out as { attemptId: string }).attemptId;
    expect(mail.header("message-id")).toBe(`<${attemptId}.opentime@shop.example>`);
    expect(mail.header("x-opentime-key")).toBe("run1:send");
    const html = partOf(mail.raw, "text/html")!;
    expect(html).toContain("Hi Ann, Blue Shoe for 42");
    // The shop link is tracked, with this person's u and proof; the block image too; a pixel added.
    expect(html).toMatch(/href="https:\/\/ot\.example\/c\/[\w-]+\?u=ann%40x\.com&amp;us=[0-9a-f]{64}"/);
    expect(html).toMatch(
      /src="https:\/\/ot\.example\/i\/blk_price\.png\?u=ann%40x\.com&amp;us=[0-9a-f]{64}"/,
    );
    expect(html).toMatch(
      /src="https:\/\/ot\.example\/o\/cart-send\.gif\?u=ann%40x\.com&amp;us=[0-9a-f]{64}"/,
    );
    expect(partOf(mail.raw, "text/plain")).toContain("Hi Ann, your cart");

    // The same key again (a flow's retry, a restart): the same answer, nothing sent.
    expect(
      await s.sending!.messenger.send(request({ key: "run1:send", person: "ann@x.com", data: cart })),
    ).toEqual(out);
    await waitFor(async () => {
      const res = await s.api("/v1/profiles/ann@x.com/sends");
      const body = (await res.json()) as { sends: { status: string }[] };
      return body.sends[0]?.status === "sent" ? body : undefined;
    });
    const res = await s.api("/v1/profiles/u1/sends");
    const { sends } = (await res.json()) as { sends: Record<string, unknown>[] };
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({
      id: attemptId,
      key: "run1:send",
      status: "sent",
      channel: "email",
      provider: "smtp",
      providerId: `${attemptId}.opentime@shop.example`,
      campaign: "cart-send",
      template: "cart",
      templateVersion: 1,
      tries: 1,
    });
    expect(smtp.received).toHaveLength(1);
  });

  it("dead-letters a send whose template needs data it did not get, with the variable's name", async () => {
    clock.advance(86_400_000); // a day later: under every cap again
    const out = await s.sending!.messenger.send(request({ key: "run2:send", person: "ann@x.com", data: {} }));
    expect(out.status).toBe("failed");
    expect((out as { reason: string }).reason).toMatch(/^template: subject: undefined variable: cart/);
    const res = await s.api("/v1/dead-letters");
    const { sends } = (await res.json()) as { sends: { key: string; reason: string }[] };
    expect(sends.map((d) => d.key)).toEqual(["run2:send"]);
  });
});
