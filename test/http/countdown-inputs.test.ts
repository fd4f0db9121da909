import { GifReader } from "omggif";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCountdownBlock, withDeadline } from "../../src/core/blocks/countdown-block.js";
import { renderCountdownGif } from "../../src/core/countdown/index.js";
import { createCountdownKit } from "../../src/node/countdown-kit.js";
import { decodeGif, secondsShown } from "../countdown/helpers.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * What a countdown's options may say, checked where a user meets it: POST /v1/blocks answers
 * 400 naming the field for what could never be drawn, and GET /i/ draws what was accepted.
 */
const now = Date.parse("2026-12-20T10:00:00.250Z");
const clock = { now: () => now };
let s: TestServer;
let kit: Awaited<ReturnType<typeof createCountdownKit>>;

beforeAll(async () => {
  kit = await createCountdownKit();
  s = await startTestServer({}, undefined, { clock });
});
afterAll(async () => {
  await s.cleanup();
});

async function create(options: Record<string, unknown>, type = "countdown") {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type, options } });
  return { status: res.status, body: (await res.json()) as any };
}
async function gif(path: string) {
  const res = await fetch(`${s.url}${path}`);
  expect(res.status).toBe(200);
  return { fallback: res.headers.get("x-opentime-fallback"), bytes: new Uint8Array(await res.arrayBuffer()) };
}
function expected(options: Record<string, unknown>, at: number, deadlineMs?: number) {
  const parsed = parseCountdownBlock(options, kit.fontIds);
  if (!parsed.ok) throw new Error(parsed.issues.join("; "));
  const o =
    deadlineMs === undefined ? parsed.block.countdown : withDeadline(parsed.block.countdown, deadlineMs);
  return renderCountdownGif(o, at, kit.deps);
}

describe("dates that do not exist", () => {
  it.each([
    [{ local: "2027-02-30T10:00", timeZone: "Europe/Berlin" }, "deadline.local", "February 2027 has 28 days"],
    [{ local: "2027-13-01T10:00", timeZone: "Europe/Berlin" }, "deadline.local", "month 13"],
    [{ local: "2027-01-01T25:00", timeZone: "Europe/Berlin" }, "deadline.local", "hour 25"],
    [{ local: "2027-01-01T10:61", timeZone: "Europe/Berlin" }, "deadline.local", "minute 61"],
    [{ local: "2027-01-01T10:00:60", timeZone: "Europe/Berlin" }, "deadline.local", "second 60"],
    ["2026-02-30T10:00:00Z", "deadline", "February 2026 has 28 days"],
    ["2026-04-31T10:00:00+02:00", "deadline", "April 2026 has 30 days"],
    ["2026-12-24T24:00:00Z", "deadline", "hour 24"],
    ["2026-12-24T18:00:00+25:00", "deadline", "offset"],
  ])("a deadline of %j is a 400 naming %s", async (deadline, field, why) => {
    const { status, body } = await create({ deadline });
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toContain(`options.${field}: `);
    expect(body.error.message).toContain(why);
  });

  it("takes real dates, a leap day included", async () => {
    for (const deadline of ["2028-02-29T10:00:00Z", { local: "2028-02-29T23:59:59", timeZone: "Asia/Tokyo" }])
      expect((await create({ deadline })).status).toBe(201);
  });

  it.each([
    [{ time: { from: "2026-02-30" } }, "variants.0.when.time.from"],
    [{ time: { until: "2026-02-29T10:00:00Z" } }, "variants.0.when.time.until"],
    [{ not: { time: { from: "2026-13-01" } } }, "variants.0.when.not.time.from"],
  ])("a condition %j is a 400 naming %s, on every block type", async (when, field) => {
    const variants = [{ name: "v", when, options: {} }];
    for (const [type, options] of [
      ["countdown", { deadline: "2026-12-24T18:00:00Z", variants }],
      ["banner", { headline: "Hi", variants }],
    ] as const) {
      const { status, body } = await create(options, type);
      expect(status, `${type}: ${JSON.stringify(body)}`).toBe(400);
      expect(body.error.message).toContain(`options.${field}: `);
    }
  });

  it("a preview at an impossible instant is a 400 naming at", async () => {
    const { body } = await create({ deadline: "2026-12-24T18:00:00Z" });
    const res = await s.api(`/v1/blocks/${body.id}/preview.gif?at=2026-02-30T10:00:00Z`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toContain("at");
  });
});

describe("control characters in texts", () => {
  it.each([
    ["countdown", { deadline: "2026-12-24T18:00:00Z", expiredText: "A\u0000B" }, "expiredText"],
    ["countdown", { deadline: "2026-12-24T18:00:00Z", separator: "\u0000" }, "separator"],
    ["countdown", { deadline: "2026-12-24T18:00:00Z", expiredText: "Ended\n" }, "expiredText"],
    ["countdown", { deadline: "2026-12-24T18:00:00Z", expiredText: "\u202eEnded" }, "expiredText"],
    ["banner", { headline: "Hi\u0007 there" }, "headline"],
    ["banner", { headline: "Hi", cta: "Shop\u0000" }, "cta"],
    [
      "banner",
      { headline: "Hi", layout: { type: "div", children: ["ok", "bad\u001b[31m"] } },
      "layout.children.1",
    ],
    ["weather", { content: { rain: { headline: "Rain\u0000" } } }, "content.rain.headline"],
    ["weather", { location: { lat: 1, lon: 2, label: "Par\u0085is" } }, "location.label"],
    ["price", { productId: "sku-1", layout: { type: "div", children: "{{name}}\u0000" } }, "layout.children"],
  ])("%s %j is a 400 naming %s", async (type, options, field) => {
    const { status, body } = await create(options, type);
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.error.message).toContain(`options.${field}: `);
    expect(body.error.message).toMatch(/control character U\+[0-9A-F]{4}/);
  });

  it("also in a variant's options", async () => {
    const { status, body } = await create({
      deadline: "2026-12-24T18:00:00Z",
      variants: [{ name: "v", when: { device: "outlook" }, options: { expiredText: "x\u0000" } }],
    });
    expect(status).toBe(400);
    expect(body.error.message).toContain("options.variants.0.options.expiredText: ");
  });
});

describe("expired images", () => {
  it("naming a file that is not in assets/ is a 400; one that is draws it", async () => {
    const bad = await create({ deadline: "2026-12-24T18:00:00Z", expiredImage: "no-such.png" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("options.expiredImage: ");
    expect(bad.body.error.message).toContain("offer-ended.png");
    const good = await create({ deadline: "2026-12-20T09:00:00Z", expiredImage: "offer-ended.png" });
    expect(good.status).toBe(201);
    const g = decodeGif((await gif(`/i/${good.body.id}.gif`)).bytes);
    expect(g.frames).toHaveLength(1);
    expect(g.width).toBe(600);
  });
});

describe("evergreen start from the URL", () => {
  const options = { evergreen: { duration: 86_400, from: "param", param: "t" } };

  it.each([
    ["99999999999", "a Unix time in the year 5138"],
    ["%2B275760-09-13T00:00:00Z", "the last instant JavaScript can hold"],
    [String(Math.floor(now / 1000) + 3600), "an hour from now"],
  ])("t=%s (%s) starts now: never a start in the future", async (t) => {
    const { body } = await create(options);
    const { fallback, bytes } = await gif(`/i/${body.id}.gif?t=${t}`);
    expect(fallback).toBeNull();
    expect(bytes).toEqual(expected(options, now, now + 86_400_000));
  });

  it("a start long past shows the expired state, and a start an hour ago the remaining 23 h", async () => {
    const { body } = await create(options);
    const old = await gif(`/i/${body.id}.gif?t=100000000`);
    expect(old.fallback).toBeNull();
    expect(old.bytes).toEqual(expected(options, now, now - 1000));
    const hourAgo = Math.floor(now / 1000) - 3600;
    expect((await gif(`/i/${body.id}.gif?t=${hourAgo}`)).bytes).toEqual(
      expected(options, now, hourAgo * 1000 + 86_400_000),
    );
  });
});

describe("a timer that reaches zero within its frames", () => {
  const withText = {
    deadline: "2026-12-20T10:00:05Z",
    expiredText: "Sale ended",
    frames: 20,
    layout: "compact",
  };

  it("shows the expired state after zero and stays there (plays once, no loop back to the start)", async () => {
    const { body } = await create(withText);
    const g = decodeGif((await gif(`/i/${body.id}.gif`)).bytes);
    // 4.75 s left: 4, 3, 2, 1, 0, then the expired text.
    expect(g.frames).toHaveLength(6);
    expect(g.loop).toBeNull();
    const ended = decodeGif(expected(withText, Date.parse("2026-12-20T10:00:05Z"))).frames[0]!.canvas;
    expect(Buffer.from(g.frames[5]!.canvas).equals(Buffer.from(ended))).toBe(true);
    const zero = decodeGif(expected({ ...withText, frames: 1 }, Date.parse("2026-12-20T10:00:04.5Z")));
    expect(Buffer.from(g.frames[4]!.canvas).equals(Buffer.from(zero.frames[0]!.canvas))).toBe(true);
  });

  it("on a transparent background too, with nothing of the digits left under the text", async () => {
    const o = { ...withText, background: "transparent" };
    const { body } = await create(o);
    const g = decodeGif((await gif(`/i/${body.id}.gif`)).bytes);
    expect(g.loop).toBeNull();
    const ended = decodeGif(expected(o, Date.parse("2026-12-20T10:00:05Z"))).frames[0]!.canvas;
    expect(Buffer.from(g.frames.at(-1)!.canvas).equals(Buffer.from(ended))).toBe(true);
  });

  it("without an expired text, stops on zeros instead of looping back", async () => {
    const o = { deadline: "2026-12-20T10:00:03Z", frames: 20 };
    const { body } = await create(o);
    const g = decodeGif((await gif(`/i/${body.id}.gif`)).bytes);
    expect(g.frames).toHaveLength(3);
    expect(g.loop).toBeNull();
  });

  it("still loops when the deadline is past the last frame", async () => {
    const o = { deadline: "2026-12-20T10:00:30Z", frames: 20 };
    const { body } = await create(o);
    const g = decodeGif((await gif(`/i/${body.id}.gif`)).bytes);
    expect(g.frames).toHaveLength(20);
    expect(g.loop).toBe(0);
  });
});

describe("transparent timers without boxes", () => {
  const base = { deadline: "2026-12-24T17:12:34.500Z", layout: "compact", campaign: "t" };
  async function shown(options: Record<string, unknown>) {
    const { body } = await create(options);
    const { bytes } = await gif(`/i/${body.id}.gif`);
    return { bytes, g: decodeGif(bytes) };
  }

  it("are about the size of opaque ones, and every second shows its time", async () => {
    const opaque = await shown(base);
    const clear = await shown({ ...base, background: "transparent" });
    expect(clear.bytes.length).toBeLessThan(opaque.bytes.length * 1.5);
    const seconds = secondsShown(clear.g);
    expect(seconds).toHaveLength(60);
    for (const k of [0, 1, 7, 26, 27, 59]) {
      const want = decodeGif(expected({ ...base, background: "transparent", frames: 1 }, now + k * 1000));
      expect(Buffer.from(seconds[k]!).equals(Buffer.from(want.frames[0]!.canvas)), `second ${k}`).toBe(true);
    }
  });

  it.each([
    [{ width: 1200, height: 300 }, "1200x300"],
    [{ width: 1200, height: 600, scale: 2, layout: "inline" }, "inline 1200x600 at 2x"],
  ] as [Record<string, unknown>, string][])("%j delivers all 60 seconds (%s was cut short)", async (size) => {
    const { body } = await create({ ...base, background: "transparent", ...size });
    const r = new GifReader((await gif(`/i/${body.id}.gif`)).bytes);
    let cs = 0;
    for (let i = 0; i < r.numFrames(); i++) cs += r.frameInfo(i).delay;
    expect(cs).toBe(6000);
    expect(r.loopCount()).toBe(0);
  });

  it("options whose busiest minute is more than a render may do are refused, saying why", async () => {
    const big = { ...base, width: 1200, height: 600, scale: 2, units: ["seconds"], frames: 120 };
    const { status, body } = await create(big);
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/options\.frames: 120 frames of a 2400x1200 timer .* \(\d+ fit\)/);
    expect((await create({ ...big, frames: 20 })).status).toBe(201);
  });
});
