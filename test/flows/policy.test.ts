import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTemplate, identify, manualClock, startSendingServer, WRITE_KEY } from "../helpers/sending.js";
import type { TestServer } from "../helpers/server.js";
import { startSmtp, type TestSmtp, waitFor } from "../helpers/smtp.js";

// Monday 5 January 2026, 22:00 in Paris: inside the default quiet hours (21:00-08:00).
const clock = manualClock(Date.UTC(2026, 0, 5, 21, 0));
const HOUR = 3_600_000;
let smtp: TestSmtp;
let s: TestServer;

const track = async (userId: string, event: string) => {
  const res = await fetch(`${s.url}/v1/track`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` },
    body: JSON.stringify({ userId, event, timestamp: new Date(clock.now()).toISOString() }),
  });
  expect(res.status).toBe(200);
};
const flow = (id: string, priority: number) =>
  s.api("/v1/flows", {
    method: "POST",
    json: {
      id,
      name: id,
      priority,
      trigger: { type: "event", name: "Visited" },
      start: "send",
      steps: [{ id: "send", type: "send", template: "note" }],
    },
  });
const statsOf = async (id: string) =>
  ((await (await s.api(`/v1/flows/${id}/stats`)).json()) as { flow: Record<string, number> }).flow;

beforeAll(async () => {
  smtp = await startSmtp();
  s = await startSendingServer(
    { SMTP_URL: smtp.url, OPENTIME_SEND_CAPS: JSON.stringify({ email: { day: 1 } }) },
    clock,
  );
  await identify(s, "eve", { email: "eve@x.com", timezone: "Europe/Paris" });
  await createTemplate(s, { id: "note", name: "Note", subject: "Note", text: "note" });
});
afterAll(async () => {
  await s?.cleanup();
  await smtp?.close();
});

describe("flows under sending's rules", () => {
  it("quiet hours delay two flows' sends to the morning, and a daily cap lets one through", async () => {
    expect((await flow("urgent", 90)).status).toBe(201);
    expect((await flow("nudge", 10)).status).toBe(201);
    await track("eve", "Visited");
    await waitFor(
      async () => (await statsOf("urgent")).deferred === 1 && (await statsOf("nudge")).deferred === 1,
    );
    expect(smtp.received).toHaveLength(0);
    // 08:00 in Paris: quiet hours are over; the cap of one email a day lets one of them go.
    clock.advance(10 * HOUR);
    await waitFor(() => smtp.received[0], 10_000, "the morning email");
    await new Promise((r) => setTimeout(r, 800));
    expect(smtp.received).toHaveLength(1);
    const [u, n] = [await statsOf("urgent"), await statsOf("nudge")];
    expect((u.sent ?? 0) + (n.sent ?? 0)).toBe(1);
    expect(u.sent).toBe(1);
  });
});
