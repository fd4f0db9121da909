import { describe, expect, it } from "vitest";
import { countdownCacheKey, renderCountdownGif } from "../../src/core/countdown/index.js";
import { decodeGif, deps, opts, pad2, readDigits, styleOf } from "./helpers.js";

const NOW = Date.parse("2026-12-20T10:00:00.250Z");
const base = { deadline: "2026-12-24T18:00:00+01:00" }; // 4 d 07 h 00 m 00 s minus 0.25 s after NOW

function expectedDigits(secs: number): string[] {
  return [
    pad2(Math.floor(secs / 86400)),
    pad2(Math.floor(secs / 3600) % 24),
    pad2(Math.floor(secs / 60) % 60),
    pad2(secs % 60),
  ];
}

describe("countdown GIF", () => {
  it("has the requested frames, 1 s delays and loops forever", () => {
    const o = opts({ ...base, frames: 60 });
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    expect([g.width, g.height]).toEqual([600, 120]);
    expect(g.frames).toHaveLength(60);
    expect(g.loop).toBe(0);
    for (const f of g.frames) expect(f.delay).toBe(100);
  });

  it("frame 1 is complete and shows the exact time left; each later frame one second less", () => {
    const o = opts({ ...base, frames: 12 });
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    const first = 4 * 86400 + 7 * 3600 - 1; // 0.25 s into the second: whole seconds left round down
    const f1 = g.frames[0];
    expect(f1 && [f1.x, f1.y, f1.width, f1.height]).toEqual([0, 0, 600, 120]);
    const style = styleOf(o, NOW);
    g.frames.forEach((f, k) => {
      expect(readDigits(style, o, f.canvas), `frame ${k + 1}`).toEqual(expectedDigits(first - k));
    });
  });

  it("later frames are small sub-rectangles drawn over frame 1", () => {
    const o = opts({ ...base, frames: 30 });
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    for (const f of g.frames.slice(1)) {
      expect(f.disposal).toBe(1);
      expect(f.width * f.height).toBeLessThan(600 * 120 * 0.35);
    }
  });

  it("every composed frame equals frame 1 rendered that many seconds later", () => {
    const o = opts({ ...base, frames: 70, deadline: "2026-12-20T11:01:05.250Z" }); // crosses minute and hour boundaries
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    for (const k of [0, 1, 5, 6, 64, 65, 66, 69]) {
      const still = decodeGif(renderCountdownGif({ ...o, frames: 1 }, NOW + k * 1000, deps));
      expect(
        Buffer.from(g.frames[k]?.canvas ?? []).equals(Buffer.from(still.frames[0]?.canvas ?? [])),
        `frame ${k + 1}`,
      ).toBe(true);
    }
  });

  it("crosses minute, hour and day boundaries", () => {
    const o = opts({ ...base, frames: 3, deadline: "2026-12-21T10:00:01.250Z" }); // 1 d 00:00:01 left
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    const style = styleOf(o, NOW);
    expect(g.frames.map((f) => readDigits(style, o, f.canvas))).toEqual([
      ["01", "00", "00", "01"],
      ["01", "00", "00", "00"],
      ["00", "23", "59", "59"],
    ]);
  });

  it("stops at zero, never negative, and plays once instead of looping back", () => {
    const o = opts({ ...base, frames: 8, deadline: "2026-12-20T10:00:03.250Z" });
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    expect(g.frames).toHaveLength(4);
    expect(g.loop).toBeNull();
    const style = styleOf(o, NOW);
    const read = g.frames.map((f) => readDigits(style, o, f.canvas)[3]);
    expect(read).toEqual(["03", "02", "01", "00"]);
  });

  it("is deterministic: same inputs, identical bytes", () => {
    const o = opts({ ...base, layout: "compact", locale: "de" });
    const a = renderCountdownGif(o, NOW, deps);
    const b = renderCountdownGif(o, NOW + 500, deps); // same whole second left
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(countdownCacheKey(o, NOW)).toBe(countdownCacheKey(o, NOW + 500));
    expect(countdownCacheKey(o, NOW)).not.toBe(countdownCacheKey(o, NOW + 1000));
    expect(countdownCacheKey(o, NOW)).not.toBe(countdownCacheKey({ ...o, locale: "fr" }, NOW));
  });

  it("depends on the deadline only through the seconds left: two timers, same bytes and key", () => {
    const a = opts({ ...base, frames: 5 });
    const later = Date.parse(a.deadline as string) + 7 * 86_400_000 + 123; // a week (and 123 ms) later
    const b = opts({ ...base, frames: 5, deadline: new Date(later).toISOString() });
    const nowA = NOW;
    const nowB = NOW + 7 * 86_400_000 + 400; // the same 4 d 06:59:59.x left, another phase
    expect(
      Buffer.from(renderCountdownGif(a, nowA, deps)).equals(Buffer.from(renderCountdownGif(b, nowB, deps))),
    ).toBe(true);
    expect(countdownCacheKey(a, nowA)).toBe(countdownCacheKey(b, nowB));
  });

  it("retina doubles the pixel dimensions", () => {
    const o = opts({ ...base, width: 300, height: 80, scale: 2, frames: 2 });
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    expect([g.width, g.height]).toEqual([600, 160]);
    const style = styleOf(o, NOW);
    expect(readDigits(style, o, g.frames[0]?.canvas ?? new Uint8Array())).toEqual(
      expectedDigits(4 * 86400 + 7 * 3600 - 1),
    );
  });

  it("hours-only shows up to 99 hours", () => {
    const o = opts({ ...base, units: "hours-only", frames: 2 });
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    const style = styleOf(o, NOW);
    expect(readDigits(style, o, g.frames[0]?.canvas ?? new Uint8Array())).toEqual(["99", "59", "59"]);
    const near = opts({ ...base, units: "hours-only", frames: 1, deadline: "2026-12-21T12:30:00.250Z" });
    const g2 = decodeGif(renderCountdownGif(near, NOW, deps));
    expect(readDigits(styleOf(near, NOW), near, g2.frames[0]?.canvas ?? new Uint8Array())).toEqual([
      "26",
      "30",
      "00",
    ]);
  });

  for (const layout of ["boxes", "compact", "inline"] as const) {
    for (const separator of [":", "", "|"]) {
      it(`layout ${layout} with separator "${separator}" reads back`, () => {
        const o = opts({ ...base, layout, separator, frames: 2, width: 500, height: 100 });
        const g = decodeGif(renderCountdownGif(o, NOW, deps));
        const style = styleOf(o, NOW);
        expect(readDigits(style, o, g.frames[1]?.canvas ?? new Uint8Array())).toEqual(
          expectedDigits(4 * 86400 + 7 * 3600 - 2),
        );
      });
    }
  }

  it("stays under a tenth of the naive size for 600x120x60", () => {
    const bytes = renderCountdownGif(opts({ ...base }), NOW, deps).length;
    expect(bytes).toBeLessThan(32_800);
  });
});
