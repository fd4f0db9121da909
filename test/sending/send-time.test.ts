import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/ports/index.js";
import { SendingService } from "../../src/core/sending/messenger.js";
import type { MessageRenderer } from "../../src/core/sending/render.js";
import { nextLocalHour } from "../../src/core/sending/send-time.js";
import { SendingMetrics } from "../../src/core/sending/sending-metrics.js";
import { DEFAULT_SENDING } from "../../src/core/sending/settings.js";
import { createMemorySendingStore } from "../../src/core/testing/memory-sending-store.js";
import { DAY, HOUR, profileKit } from "../../src/core/testing/profile-kit.js";
import { wallClock } from "../../src/core/util/zone.js";

// Send-time choice on a simulated audience whose best hours are known: each person opens
// mostly in their own local hour, sometimes an hour either side, sometimes at random.
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const ZONES = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney", "Asia/Kolkata"];

function setup() {
  const kit = profileKit(Date.parse("2026-03-01T00:00:00Z"));
  const messenger = new SendingService({
    store: createMemorySendingStore(),
    profiles: kit.service,
    channels: new Map(),
    renderer: {} as MessageRenderer, // send-time choice renders nothing
    settings: DEFAULT_SENDING,
    clock: { now: () => kit.now },
    random: (n) => new Uint8Array(n),
    logger: silentLogger,
    metrics: new SendingMetrics(),
  });
  return { kit, messenger };
}
const localHour = (zone: string, at: number) => wallClock(zone, at).getUTCHours();

/**
 * An open at `hour` local time on day `day` of February 2026, as an ESP webhook reports it.
 * (The profile counts opens by UTC hour, so the simulation stays within one DST period:
 * none of these zones changes offset between 1 February and 7 March.)
 */
async function open(
  kit: ReturnType<typeof setup>["kit"],
  email: string,
  zone: string,
  day: number,
  hour: number,
  n: number,
) {
  const wallMs = Date.UTC(2026, 1, day, hour, 20);
  const at = wallMs - (wallClock(zone, wallMs).getTime() - wallMs);
  await kit.service.applyEmailEvent({ provider: "sim", type: "open", email, at, id: `${email}:${n}` });
}

describe("send-time choice", () => {
  it("finds each person's best local hour on a simulated audience", async () => {
    const { kit, messenger } = setup();
    const random = rng(21);
    const people: { email: string; zone: string; best: number }[] = [];
    for (let i = 0; i < 240; i++) {
      const zone = ZONES[i % ZONES.length]!;
      const best = 8 + Math.floor(random() * 13); // 08:00-20:00, outside the quiet hours
      const email = `p${i}@sim.example`;
      people.push({ email, zone, best });
      await kit.send({ type: "identify", userId: `p${i}`, traits: { email, timezone: zone } });
      for (let n = 0; n < 12; n++) {
        const r = random();
        const hour =
          r < 0.6 ? best : r < 0.8 ? (best + (random() < 0.5 ? 23 : 1)) % 24 : Math.floor(random() * 24);
        await open(kit, email, zone, 1 + (n % 28), hour, n);
      }
    }
    await kit.service.flush();
    const after = Date.parse("2026-03-02T00:00:00Z");
    let right = 0;
    for (const p of people) {
      const at = await messenger.bestTime(p.email, after);
      expect(at).toBeGreaterThanOrEqual(after);
      expect(at - after).toBeLessThan(DAY);
      if (localHour(p.zone, at) === p.best) right++;
    }
    expect(right / people.length).toBeGreaterThanOrEqual(0.95);
  });

  it("uses the population default for new people and leans on it for people with little history", async () => {
    const { kit, messenger } = setup();
    const after = Date.parse("2026-03-02T05:00:00Z");
    await kit.send({
      type: "identify",
      userId: "new",
      traits: { email: "new@x.com", timezone: "Asia/Tokyo" },
    });
    await kit.send({
      type: "identify",
      userId: "few",
      traits: { email: "few@x.com", timezone: "Europe/Paris" },
    });
    await open(kit, "few@x.com", "Europe/Paris", 3, 9, 1);
    await open(kit, "few@x.com", "Europe/Paris", 4, 16, 2);
    await kit.send({ type: "identify", userId: "owl", traits: { email: "owl@x.com", timezone: "UTC" } });
    for (let n = 0; n < 10; n++) await open(kit, "owl@x.com", "UTC", 1 + n, 2, n);
    await kit.service.flush();
    // No history: 10:00 in their zone (OPENTIME_SEND_HOUR), the first one after `after`.
    const fresh = await messenger.bestTime("new@x.com", after);
    expect(localHour("Asia/Tokyo", fresh)).toBe(10);
    expect(fresh).toBe(Date.parse("2026-03-03T01:00:00Z"));
    // One open at 09:00 and one at 16:00: the prior breaks the tie towards the morning.
    expect(localHour("Europe/Paris", await messenger.bestTime("few@x.com", after))).toBe(9);
    // Someone who opens at 02:00: never an hour inside the quiet hours (21:00-08:00).
    const owl = localHour("UTC", await messenger.bestTime("owl@x.com", after));
    expect(owl >= 8 && owl < 21).toBe(true);
    // Unknown people get the default too.
    expect(localHour("UTC", await messenger.bestTime("nobody@x.com", after))).toBe(10);
  });

  it("returns `after` itself when it is already in the best hour, and handles a DST change", () => {
    const after = Date.UTC(2026, 2, 30, 8, 30); // 10:30 in Paris (summer time since 29 March)
    expect(nextLocalHour("Europe/Paris", 10, after)).toBe(after);
    // From 20:00 on 28 March (winter time) to 10:00 on the 29th (summer time): 08:00 UTC.
    expect(nextLocalHour("Europe/Paris", 10, Date.UTC(2026, 2, 28, 19))).toBe(Date.UTC(2026, 2, 29, 8));
    // 02:00 does not exist in Paris on 29 March: the next day's.
    expect(nextLocalHour("Europe/Paris", 2, Date.UTC(2026, 2, 28, 22))).toBe(Date.UTC(2026, 2, 30, 0));
    expect(HOUR).toBe(3_600_000);
  });
});
