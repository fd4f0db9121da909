import { describe, expect, it } from "vitest";
import {
  breakdown,
  localToEpochMs,
  renderCountdownGif,
  resolveDeadline,
} from "../../src/core/countdown/index.js";
import { decodeGif, deps, opts, readDigits, styleOf } from "./helpers.js";

const iso = (ms: number) => new Date(ms).toISOString();

describe("resolveDeadline", () => {
  it("takes ISO 8601 with an offset as is", () => {
    expect(iso(resolveDeadline({ deadline: "2026-12-24T18:00:00+01:00" }))).toBe("2026-12-24T17:00:00.000Z");
    expect(iso(resolveDeadline({ deadline: "2026-12-24T18:00Z" }))).toBe("2026-12-24T18:00:00.000Z");
  });

  it("converts wall time in a zone, winter and summer", () => {
    expect(iso(localToEpochMs("2026-12-24T18:00", "Europe/Berlin"))).toBe("2026-12-24T17:00:00.000Z");
    expect(iso(localToEpochMs("2026-07-01T12:00", "Europe/Berlin"))).toBe("2026-07-01T10:00:00.000Z");
    expect(iso(localToEpochMs("2026-07-01T12:00", "America/New_York"))).toBe("2026-07-01T16:00:00.000Z");
    expect(iso(localToEpochMs("2026-12-01T12:00:30", "America/New_York"))).toBe("2026-12-01T17:00:30.000Z");
  });

  it("spring forward: a time in the gap moves forward by the gap", () => {
    // Berlin 2026-03-29 02:00 → 03:00; 02:30 does not exist and means 03:30 CEST.
    expect(iso(localToEpochMs("2026-03-29T02:30", "Europe/Berlin"))).toBe("2026-03-29T01:30:00.000Z");
    expect(iso(localToEpochMs("2026-03-29T03:30", "Europe/Berlin"))).toBe("2026-03-29T01:30:00.000Z");
    expect(iso(localToEpochMs("2026-03-29T01:59", "Europe/Berlin"))).toBe("2026-03-29T00:59:00.000Z");
    // New York 2026-03-08 02:00 → 03:00.
    expect(iso(localToEpochMs("2026-03-08T02:30", "America/New_York"))).toBe("2026-03-08T07:30:00.000Z");
    expect(iso(localToEpochMs("2026-03-08T03:00", "America/New_York"))).toBe("2026-03-08T07:00:00.000Z");
  });

  it("fall back: an ambiguous time takes the earlier instant", () => {
    // Berlin 2026-10-25 03:00 CEST → 02:00 CET; 02:30 happens twice.
    expect(iso(localToEpochMs("2026-10-25T02:30", "Europe/Berlin"))).toBe("2026-10-25T00:30:00.000Z");
    expect(iso(localToEpochMs("2026-10-25T03:30", "Europe/Berlin"))).toBe("2026-10-25T02:30:00.000Z");
    // New York 2026-11-01 02:00 EDT → 01:00 EST; 01:30 happens twice.
    expect(iso(localToEpochMs("2026-11-01T01:30", "America/New_York"))).toBe("2026-11-01T05:30:00.000Z");
    expect(iso(localToEpochMs("2026-11-01T02:30", "America/New_York"))).toBe("2026-11-01T07:30:00.000Z");
  });
});

describe("breakdown", () => {
  it("splits over the chosen units, the largest absorbing the rest", () => {
    expect(
      breakdown(((2 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000 + 999, ["days", "hours", "minutes", "seconds"]),
    ).toEqual({
      days: 2,
      hours: 3,
      minutes: 4,
      seconds: 5,
    });
    expect(breakdown((51 * 3600 + 60) * 1000, ["hours", "minutes"])).toEqual({ hours: 51, minutes: 1 });
    expect(breakdown(90_061_000, ["days", "seconds"])).toEqual({ days: 1, seconds: 3661 });
    expect(breakdown(-5000, ["minutes", "seconds"])).toEqual({ minutes: 0, seconds: 0 });
  });

  it("hours-only caps at 99:59:59", () => {
    expect(breakdown(500 * 3600 * 1000, "hours-only")).toEqual({ hours: 99, minutes: 59, seconds: 59 });
    expect(breakdown(26 * 3600 * 1000, "hours-only")).toEqual({ hours: 26, minutes: 0, seconds: 0 });
  });
});

describe("countdowns across DST", () => {
  const cases = [
    // now (UTC), local deadline, zone, time actually left
    ["2026-03-28T11:00:00Z", "2026-03-29T12:00", "Europe/Berlin", ["00", "23", "00", "00"]], // 23-hour day
    ["2026-10-24T10:00:00Z", "2026-10-25T12:00", "Europe/Berlin", ["01", "01", "00", "00"]], // 25-hour day
    ["2026-03-07T17:00:00Z", "2026-03-08T12:00", "America/New_York", ["00", "23", "00", "00"]],
    ["2026-10-31T16:00:00Z", "2026-11-01T12:00", "America/New_York", ["01", "01", "00", "00"]],
  ] as const;
  for (const [now, local, timeZone, expected] of cases) {
    it(`${local} ${timeZone} seen at ${now}`, () => {
      const nowMs = Date.parse(now);
      const o = opts({ deadline: { local, timeZone }, frames: 2 });
      const g = decodeGif(renderCountdownGif(o, nowMs, deps));
      expect(readDigits(styleOf(o, nowMs), o, g.frames[0]?.canvas ?? new Uint8Array())).toEqual([
        ...expected,
      ]);
    });
  }
});
