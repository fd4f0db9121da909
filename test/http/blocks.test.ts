import { GifReader } from "omggif";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCountdownBlock, withDeadline } from "../../src/core/blocks/countdown-block.js";
import { renderCountdownGif } from "../../src/core/countdown/index.js";
import { createCountdownKit } from "../../src/node/countdown-kit.js";
import { startTestServer, type TestServer, tempDir, UA } from "../helpers/server.js";

// A clock the test moves: the server renders "now" from it.
let now = Date.parse("2026-12-20T10:00:00.250Z");
const clock = { now: () => now };
const dataDir = tempDir();
let s: TestServer;
let kit: Awaited<ReturnType<typeof createCountdownKit>>;

beforeAll(async () => {
  kit = await createCountdownKit();
  s = await startTestServer({}, dataDir, { clock });
});
afterAll(async () => {
  await s.cleanup();
});

async function createBlock(options: Record<string, unknown>) {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type: "countdown", options } });
  return { res, body: (await res.json()) as any };
}
async function image(path: string, ua = UA.chromeDesktop) {
  const res = await fetch(`${s.url}${path}`, { headers: { "user-agent": ua } });
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}
/** What the engine renders for these options at `at`: the route must serve exactly this. */
function expected(options: Record<string, unknown>, at: number, deadlineMs?: number) {
  const parsed = parseCountdownBlock(options, kit.fontIds);
  if (!parsed.ok) throw new Error(parsed.issues.join("; "));
  const opts =
    deadlineMs === undefined ? parsed.block.countdown : withDeadline(parsed.block.countdown, deadlineMs);
  return renderCountdownGif(opts, at, kit.deps);
}
async function metric(name: string): Promise<number> {
  const text = await (await s.api("/metrics")).text();
  const m = new RegExp(`^${name} (\\d+)`, "m").exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

const berlin = { deadline: { local: "2026-12-24T18:00", timeZone: "Europe/Berlin" }, campaign: "xmas" };

describe("countdown blocks", () => {
  it("creates a timer in a time zone and serves the GIF of the exact remaining time, with no-cache headers", async () => {
    const { res, body } = await createBlock(berlin);
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.url).toMatch(new RegExp(`/i/${body.id}\\.gif$`));
    const { res: img, bytes } = await image(`/i/${body.id}.gif?u=ann%40x.com`);
    expect(img.status).toBe(200);
    expect(img.headers.get("content-type")).toBe("image/gif");
    expect(img.headers.get("cache-control")).toContain("no-store");
    expect(img.headers.get("expires")).toBe("-1");
    expect(bytes).toEqual(expected(berlin, now));
    const gif = new GifReader(bytes as unknown as Buffer);
    expect(gif.numFrames()).toBe(60);
    expect(gif.loopCount()).toBe(0);
    expect(gif.frameInfo(1).delay).toBe(100);
    expect([gif.width, gif.height]).toEqual([600, 120]);
  });

  it("shows an edit at the next open (PATCH after send)", async () => {
    const { body } = await createBlock(berlin);
    const before = (await image(`/i/${body.id}.gif`)).bytes;
    const patch = await s.api(`/v1/blocks/${body.id}`, {
      method: "PATCH",
      json: { options: { deadline: "2026-12-31T23:59:59+01:00", digitColor: "#c00000" } },
    });
    expect(patch.status).toBe(200);
    expect(((await patch.json()) as any).version).toBe(2);
    const after = (await image(`/i/${body.id}.gif`)).bytes;
    expect(after).not.toEqual(before);
    expect(after).toEqual(
      expected({ ...berlin, deadline: "2026-12-31T23:59:59+01:00", digitColor: "#c00000" }, now),
    );
    const read = (await (await s.api(`/v1/blocks/${body.id}`)).json()) as any;
    expect(read.options.digitColor).toBe("#c00000");
  });

  it("renders once for everyone opening in the same second, and records each open", async () => {
    const { body } = await createBlock({ ...berlin, campaign: "same-second", digitColor: "#123456" });
    const rendersBefore = await metric("opentime_render_cache_renders");
    const all = await Promise.all(Array.from({ length: 25 }, (_, i) => image(`/i/${body.id}.gif?u=r${i}`)));
    for (const r of all) expect(r.bytes).toEqual(all[0]!.bytes);
    expect((await metric("opentime_render_cache_renders")) - rendersBefore).toBe(1);
    const stats = (await (await s.api("/v1/campaigns/same-second/stats")).json()) as any;
    expect(stats.opens).toMatchObject({ total: 25, unique: 25 });
  });

  it("gives every recipient their own evergreen deadline, remembered across a restart", async () => {
    const options = { evergreen: { duration: 86_400 }, campaign: "evergreen" };
    const { res, body } = await createBlock(options);
    expect(res.status, JSON.stringify(body)).toBe(201);
    const t0 = now;
    expect((await image(`/i/${body.id}.gif?u=ann%40x.com`)).bytes).toEqual(
      expected(options, t0, t0 + 86_400_000),
    );
    now = t0 + 3_600_000;
    expect((await image(`/i/${body.id}.gif?u=ann%40x.com`)).bytes).toEqual(
      expected(options, now, t0 + 86_400_000),
    );
    expect((await image(`/i/${body.id}.gif?u=bob%40x.com`)).bytes).toEqual(
      expected(options, now, now + 86_400_000),
    );

    await s.close();
    s = await startTestServer({}, dataDir, { clock });
    now = t0 + 7_200_000;
    expect((await image(`/i/${body.id}.gif?u=ann%40x.com`)).bytes).toEqual(
      expected(options, now, t0 + 86_400_000),
    );
    now = t0;
  });

  it("starts an evergreen timer from a time passed in the URL", async () => {
    const options = { evergreen: { duration: 3_600, from: "param", param: "sent" } };
    const { body } = await createBlock(options);
    const sent = Math.floor((now - 600_000) / 1000);
    const { bytes } = await image(`/i/${body.id}.gif?sent=${sent}`);
    expect(bytes).toEqual(expected(options, now, sent * 1000 + 3_600_000));
  });

  it("serves a PNG still of frame 1", async () => {
    const { body } = await createBlock({ ...berlin, width: 400, height: 100, scale: 2 });
    const { res, bytes } = await image(`/i/${body.id}.png`);
    expect(res.headers.get("content-type")).toBe("image/png");
    const meta = await sharp(bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 800, 200]);
  });

  it("answers a neutral fallback image for unknown, forged or deleted blocks — never a broken one", async () => {
    const { body } = await createBlock(berlin);
    const forged = `${body.id.slice(0, 19)}${body.id[19] === "A" ? "B" : "A"}`;
    expect((await s.api(`/v1/blocks/${body.id}`, { method: "DELETE" })).status).toBe(204);
    for (const path of [
      `/i/${body.id}.gif`,
      `/i/${forged}.gif`,
      "/i/nope.gif",
      "/i/x.bmp",
      "/i/signed.gif?o=e30&s=x",
    ]) {
      const { res, bytes } = await image(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/gif");
      expect(res.headers.get("x-opentime-fallback"), path).toBeTruthy();
      expect((await sharp(bytes).metadata()).width).toBe(1);
    }
    const png = await image("/i/nope.png");
    expect(png.res.headers.get("content-type")).toBe("image/png");
    expect((await sharp(png.bytes).metadata()).format).toBe("png");
  });

  it("makes signed stateless URLs that render, and refuses tampered ones", async () => {
    const options = { deadline: "2026-12-24T18:00:00+01:00", layout: "compact", frames: 10 };
    const res = await s.api("/v1/sign", { method: "POST", json: { type: "countdown", options } });
    expect(res.status).toBe(201);
    const { url } = (await res.json()) as { url: string };
    const path = url.slice(url.indexOf("/i/"));
    expect((await image(path)).bytes).toEqual(expected(options, now));
    const tampered = path.replace(/o=([A-Za-z0-9_-])/, (_m, ch) => `o=${ch === "e" ? "f" : "e"}`);
    const bad = await image(tampered);
    expect(bad.res.headers.get("x-opentime-fallback")).toBe("bad_signature");
  });

  it.each([
    [{ deadline: "tomorrow" }, "deadline"],
    [{ deadline: "2026-12-24T18:00:00+01:00", width: 5000 }, "width"],
    [{ deadline: "2026-12-24T18:00:00+01:00", frames: 1000 }, "frames"],
    [{ deadline: "2026-12-24T18:00:00+01:00", font: "Comic-Sans" }, "font"],
    [{ deadline: "2026-12-24T18:00:00+01:00", digitColor: "red" }, "digitColor"],
    [{ deadline: { local: "2026-12-24T18:00", timeZone: "Mars/Olympus" } }, "timeZone"],
    [{ evergreen: { duration: 5 } }, "duration"],
    [{ deadline: "2026-12-24T18:00:00+01:00", expiredText: "x".repeat(200) }, "expiredText"],
  ])("rejects bad options %j with a 400 naming %s", async (options, field) => {
    const { res, body } = await createBlock(options);
    expect(res.status).toBe(400);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toContain(field);
  });

  it("refuses block types this server cannot render yet, and requires the key", async () => {
    const res = await s.api("/v1/blocks", { method: "POST", json: { type: "price", options: {} } });
    expect(res.status).toBe(400);
    expect((await fetch(`${s.url}/v1/blocks`, { method: "POST", body: "{}" })).status).toBe(401);
  });
});
