import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SendOutcome } from "../../src/core/ports/messaging.js";
import { createTemplate, identify, manualClock, request, startSendingServer } from "../helpers/sending.js";
import type { TestServer } from "../helpers/server.js";
import { startSmtp, type TestSmtp, waitFor } from "../helpers/smtp.js";

// Caps, priorities and quiet hours across flows, with requests made as flows make them,
// under the server's injected clock. Paris is UTC+1 in January.
const HOUR = 3_600_000;
const at = (day: number, hh: number, mm = 0) => Date.UTC(2026, 0, day, hh - 1, mm); // Paris wall time
const clock = manualClock(at(5, 12));
let smtp: TestSmtp;
let s: TestServer;
const send = (r: Parameters<typeof request>[0]) => s.sending!.messenger.send(request(r));

beforeAll(async () => {
  smtp = await startSmtp();
  s = await startSendingServer({ SMTP_URL: smtp.url }, clock);
  for (const id of ["bob", "cara", "dan", "eve"])
    await identify(s, id, { email: `${id}@x.com`, timezone: "Europe/Paris" });
  await createTemplate(s, { id: "cart", name: "Cart", subject: "Your cart", html: "<p>cart</p>" });
});
afterAll(async () => {
  await s?.cleanup();
  await smtp?.close();
});

describe("frequency caps across flows", () => {
  it("holds a second email in the same hour until the first leaves the window, then the daily per-flow cap", async () => {
    clock.set(at(5, 12));
    expect(
      await send({ key: "c1:a", person: "bob@x.com", source: { flowId: "cart" } as never }),
    ).toMatchObject({
      status: "accepted",
    });
    clock.set(at(5, 12, 20));
    // Another flow 20 minutes later: the hourly cap (1) holds it until 13:00.
    expect(await send({ key: "b1:a", person: "bob@x.com", source: { flowId: "browse" } as never })).toEqual({
      status: "deferred",
      until: at(5, 13),
      reason: "frequency_cap",
    });
    // Asked again at the time it was given: it goes.
    clock.set(at(5, 13));
    expect(
      (await send({ key: "b1:a", person: "bob@x.com", source: { flowId: "browse" } as never })).status,
    ).toBe("accepted");
    // The cart flow's second email of the day at 15:00 goes; its third (flow cap: 2 a day)
    // waits until the first leaves the day window, the global daily cap (3) being full too.
    clock.set(at(5, 15));
    expect(
      (await send({ key: "c2:a", person: "bob@x.com", source: { flowId: "cart" } as never })).status,
    ).toBe("accepted");
    clock.set(at(5, 17));
    expect(await send({ key: "c3:a", person: "bob@x.com", source: { flowId: "cart" } as never })).toEqual({
      status: "deferred",
      until: at(6, 12),
      reason: "frequency_cap",
    });
    // With a deadline before that, the request is skipped instead of waiting.
    expect(
      await send({
        key: "c4:a",
        person: "bob@x.com",
        deadline: at(5, 20),
        source: { flowId: "cart" } as never,
      }),
    ).toEqual({ status: "skipped", reason: "frequency_cap" });
    await waitFor(
      () => smtp.received.filter((m) => m.to[0] === "bob@x.com").length === 3,
      10_000,
      "3 emails",
    );
  });
});

describe("quiet hours in the person's zone", () => {
  it("defers a send at 22:30 to 08:00 the next morning, and skips it when its deadline comes first", async () => {
    clock.set(at(7, 22, 30));
    expect(await send({ key: "q1:a", person: "cara@x.com" })).toEqual({
      status: "deferred",
      until: at(8, 8),
      reason: "quiet_hours",
    });
    expect(await send({ key: "q2:a", person: "cara@x.com", deadline: at(8, 6) })).toEqual({
      status: "skipped",
      reason: "deadline_passed",
    });
    clock.set(at(8, 8));
    expect((await send({ key: "q1:a", person: "cara@x.com" })).status).toBe("accepted");
  });
});

describe("priorities between flows", () => {
  it("gives the 08:00 slot to the higher priority whichever flow asks first", async () => {
    clock.set(at(9, 23));
    const low = { key: "news1:a", person: "dan@x.com", priority: 10, source: { flowId: "news" } as never };
    const high = { key: "cart9:a", person: "dan@x.com", priority: 90, source: { flowId: "cart" } as never };
    expect((await send(low)).status).toBe("deferred");
    expect((await send(high)).status).toBe("deferred");
    // 08:00: the newsletter's flow asks first, but the cart reminder is due for the same slot.
    clock.set(at(10, 8));
    const lowFirst = (await send(low)) as Extract<SendOutcome, { status: "deferred" }>;
    expect(lowFirst).toMatchObject({ status: "deferred", reason: "frequency_cap" });
    expect(lowFirst.until).toBeLessThanOrEqual(at(10, 8) + 2 * 60_000);
    expect((await send(high)).status).toBe("accepted");
    // When the newsletter asks again, the hour is taken: it waits for the next.
    clock.set(lowFirst.until);
    expect(await send(low)).toEqual({ status: "deferred", until: at(10, 9), reason: "frequency_cap" });
    clock.set(at(10, 9));
    expect((await send(low)).status).toBe("accepted");
  });

  it("lets a lower priority have a slot that no higher one wants", async () => {
    clock.set(at(12, 10));
    expect((await send({ key: "news2:a", person: "eve@x.com", priority: 10 })).status).toBe("accepted");
    clock.advance(HOUR);
    expect((await send({ key: "news3:a", person: "eve@x.com", priority: 10 })).status).toBe("accepted");
  });
});
