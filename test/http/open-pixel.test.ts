import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, UA } from "../helpers/server.js";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.cleanup();
});

describe("GET /o/:campaignId.gif", () => {
  it("returns a 1x1 transparent GIF with no-cache headers", async () => {
    const res = await fetch(`${s.url}/o/spring.gif?u=ann%40example.com`, {
      headers: { "user-agent": UA.chromeDesktop },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect(res.headers.get("cache-control")).toContain("no-store");
    expect(res.headers.get("pragma")).toBe("no-cache");
    expect(res.headers.get("expires")).toBe("-1");
    const bytes = Buffer.from(await res.arrayBuffer());
    const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(1);
    expect(info.height).toBe(1);
    expect(data[3]).toBe(0); // fully transparent
  });

  it("still answers the pixel for a bad campaign id, and records nothing for it", async () => {
    const res = await fetch(`${s.url}/o/${encodeURIComponent("<bad id>")}.gif`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect((await res.arrayBuffer()).byteLength).toBe(43);
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await fetch(`${s.url}/o/spring.gif`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/gif");
  });

  it("records opens per recipient", async () => {
    for (const u of ["a@x.com", "a@x.com", "b@x.com"]) {
      await fetch(`${s.url}/o/pix-count.gif?u=${encodeURIComponent(u)}`, {
        headers: { "user-agent": UA.iphoneSafari },
      });
    }
    const stats = (await (await s.api("/v1/campaigns/pix-count/stats")).json()) as any;
    expect(stats.opens).toMatchObject({ total: 3, unique: 2, byClass: { human: 3 } });
    expect(stats.clicks.total).toBe(0);
  });
});
