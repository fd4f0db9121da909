import { describe, expect, it } from "vitest";
import { renderCountdownFrameRgba, renderCountdownGif } from "../../src/core/countdown/index.js";
import { decodeGif, deps, opts, secondsShown } from "./helpers.js";

const NOW = Date.parse("2026-12-20T10:00:00.250Z");

/** The frame as it should look: a fresh one-frame render taken k seconds later. */
function stillAt(o: ReturnType<typeof opts>, k: number): Uint8Array {
  return (
    decodeGif(renderCountdownGif({ ...o, frames: 1 }, NOW + k * 1000, deps)).frames[0]?.canvas ??
    new Uint8Array()
  );
}

describe("transparent background", () => {
  for (const layout of ["boxes", "compact", "inline"] as const) {
    it(`${layout}: background pixels are transparent in every composed frame, ink never lingers`, () => {
      // 61 s left: crosses a minute and flips "minute"/"minutes" and "second"/"seconds" labels.
      const o = opts({
        deadline: "2026-12-20T10:01:02.250Z",
        background: "transparent",
        layout,
        frames: 8,
        width: 400,
        height: 100,
      });
      const g = decodeGif(renderCountdownGif(o, NOW, deps));
      // Every composed frame (clearing frames too) shows what its second should.
      const shown = secondsShown(g);
      expect(shown).toHaveLength(8);
      shown.forEach((c, k) => {
        expect(Buffer.from(c).equals(Buffer.from(stillAt(o, k))), `second ${k + 1}`).toBe(true);
      });
      let t = 0;
      for (const f of g.frames) {
        const want = stillAt(o, Math.floor(t / 100));
        expect(Buffer.from(f.canvas).equals(Buffer.from(want)), `frame at ${t} cs`).toBe(true);
        t += f.delay;
      }
      const c = g.frames[0]?.canvas ?? new Uint8Array();
      expect(c[3]).toBe(0); // corner: transparent
      let opaque = 0;
      for (let i = 3; i < c.length; i += 4) if (c[i] === 255) opaque++;
      expect(opaque).toBeGreaterThan(500);
    });
  }

  it("boxes keep sub-rectangle frames (digits sit on opaque boxes)", () => {
    const o = opts({ deadline: "2026-12-21T10:00:30.250Z", background: "transparent", frames: 10 });
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    for (const f of g.frames.slice(1)) expect(f.width * f.height).toBeLessThan(600 * 120 * 0.2);
  });

  it("RGBA stills carry alpha 0 on the background", () => {
    const o = opts({ deadline: "2026-12-21T10:00:30.250Z", background: "transparent" });
    const img = renderCountdownFrameRgba(o, NOW, deps);
    expect(img.data[3]).toBe(0);
    expect(img.data.some((v, i) => i % 4 === 3 && v === 255)).toBe(true);
  });
});

describe("work bound", () => {
  it("a huge transparent canvas that needs whole frames ends the animation early instead of costing seconds", () => {
    const o = opts({
      deadline: "2026-12-20T11:00:00Z",
      background: "transparent",
      layout: "compact",
      units: ["minutes", "seconds"],
      width: 1200,
      height: 600,
      scale: 2,
      frames: 120,
    });
    const g = decodeGif(renderCountdownGif(o, NOW, deps));
    expect(g.frames.length).toBeGreaterThanOrEqual(2);
    expect(g.frames.length).toBeLessThan(120);
  });
});
