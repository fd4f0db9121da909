import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSigner } from "../../src/core/util/signer.js";
import { startTestServer, TEST_API_KEY, TEST_SECRET, type TestServer, UA } from "../helpers/server.js";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.cleanup();
});

const get = (path: string, init: RequestInit = {}) =>
  fetch(`${s.url}${path}`, {
    redirect: "manual",
    ...init,
    headers: { "user-agent": UA.chromeDesktop, ...init.headers },
  });

function rawPost(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TEST_API_KEY}`,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      },
    });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function createLink(json: unknown) {
  const res = await s.api("/v1/links", { method: "POST", json });
  return { res, body: (await res.json()) as Record<string, any> };
}

describe("POST /v1/links", () => {
  it("registers a destination and answers the tracked URL", async () => {
    const { res, body } = await createLink({
      url: "https://shop.example/p/1?ref=a&x=1",
      campaign: "bf-2026",
    });
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body.id).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(body.url).toBe(`${s.url.replace("127.0.0.1", "localhost")}/c/${body.id}`);
    expect(body.destination).toBe("https://shop.example/p/1?ref=a&x=1");
  });

  it("keeps one id for the same URL in the same campaign", async () => {
    const a = await createLink({ url: "https://shop.example/same", campaign: "c1" });
    const b = await createLink({ url: "https://shop.example/same", campaign: "c1" });
    const c = await createLink({ url: "https://shop.example/same", campaign: "c2" });
    expect(b.body.id).toBe(a.body.id);
    expect(c.body.id).not.toBe(a.body.id);
  });

  it("appends UTM parameters without overriding ones already there", async () => {
    const { body } = await createLink({
      url: "https://shop.example/p?utm_source=keep",
      campaign: "utm",
      utm: { source: "opentime", medium: "email", campaign: "spring sale" },
    });
    const dest = new URL(body.destination);
    expect(dest.searchParams.getAll("utm_source")).toEqual(["keep"]);
    expect(dest.searchParams.get("utm_medium")).toBe("email");
    expect(dest.searchParams.get("utm_campaign")).toBe("spring sale");
  });

  it.each([
    [{ url: "javascript:alert(1)" }, "validation_failed"],
    [{ url: "ftp://x.example/file" }, "validation_failed"],
    [{ url: "/relative" }, "validation_failed"],
    [{ url: "https://x.example", campaign: "has spaces" }, "validation_failed"],
    [{ url: "https://x.example", extra: 1 }, "validation_failed"],
    [{}, "validation_failed"],
  ])("rejects %j with a 400 JSON error", async (json, code) => {
    const { res, body } = await createLink(json);
    expect(res.status).toBe(400);
    expect(body.error.code).toBe(code);
    expect(typeof body.error.message).toBe("string");
  });

  it("rejects malformed JSON, oversize bodies and missing keys", async () => {
    const bad = await s.api("/v1/links", {
      method: "POST",
      body: "{nope",
      headers: { "content-type": "application/json" },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe("invalid_json");

    // The server answers 413 from Content-Length without reading the body, then closes;
    // node:http (unlike fetch) reports a response that arrives while it is still sending.
    const huge = await rawPost(
      `${s.url}/v1/links`,
      JSON.stringify({ url: `https://x.example/${"a".repeat(2 << 20)}` }),
    );
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).error.code).toBe("payload_too_large");

    const noKey = await fetch(`${s.url}/v1/links`, { method: "POST", body: "{}" });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as any).error.code).toBe("unauthorized");
    const wrongKey = await s.api("/v1/links", {
      method: "POST",
      json: {},
      headers: { authorization: "Bearer nope" },
    });
    expect(wrongKey.status).toBe(401);
  });
});

describe("GET /c/:linkId", () => {
  it("answers 302 to the registered URL with no-store", async () => {
    const { body } = await createLink({ url: "https://shop.example/p/42?a=1&b=2", campaign: "redir" });
    const res = await get(`/c/${body.id}?u=ann%40example.com`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://shop.example/p/42?a=1&b=2");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("answers HEAD like GET (scanners use it)", async () => {
    const { body } = await createLink({ url: "https://shop.example/head", campaign: "redir" });
    const res = await get(`/c/${body.id}`, { method: "HEAD" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://shop.example/head");
  });

  it("never redirects a forged, tampered or unknown id", async () => {
    const { body } = await createLink({ url: "https://shop.example/real", campaign: "redir" });
    const id: string = body.id;
    const tampered = id.slice(0, 19) + (id[19] === "A" ? "B" : "A");
    const flipped = (id[0] === "A" ? "B" : "A") + id.slice(1);
    // Correctly signed but never registered: only someone with the secret could make it.
    const signer = createSigner(TEST_SECRET);
    const rand = "unregistered";
    const unknown = rand + (await signer.sign("link", rand, 8));
    for (const bad of [tampered, flipped, unknown, "abc", "x".repeat(20), "%3Cscript%3E", "a".repeat(5000)]) {
      const res = await get(`/c/${bad}?u=<script>alert(1)</script>`);
      expect(res.status, bad).toBe(404);
      expect(res.headers.get("location")).toBeNull();
      const html = await res.text();
      expect(html).toContain("not valid");
      expect(html).not.toContain("<script>");
    }
  });

  it("stores any u safely: huge, binary-ish and markup values do not break the redirect", async () => {
    const { body } = await createLink({ url: "https://shop.example/u", campaign: "u-safety" });
    const values = ["a".repeat(10_000), "<img src=x onerror=alert(1)>", "*|UNIQID|*", "a@b c.com"].map(
      encodeURIComponent,
    );
    for (const u of [...values, "%00%01%02"]) {
      const res = await get(`/c/${body.id}?u=${u}`);
      expect(res.status).toBe(302);
    }
    const stats = (await (await s.api("/v1/campaigns/u-safety/stats")).json()) as any;
    expect(stats.clicks.total).toBe(5);
    // Control characters only and an unsubstituted merge tag are no recipient; three people remain.
    expect(stats.clicks.unique).toBe(3);
  });
});
