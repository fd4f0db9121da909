import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Script } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, tempDir } from "../helpers/server.js";

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ OPENTIME_WRITE_KEY: "wk_test" });
});
afterAll(() => s.cleanup());

describe("GET /t.js", () => {
  it("serves a small, cacheable, valid script", async () => {
    const res = await fetch(`${s.url}/t.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cache-control")).toMatch(/public, max-age=3600/);
    expect(res.headers.get("etag")).toMatch(/^"t-[0-9a-z]+-[0-9a-f]{8}"$/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const text = await res.text();
    expect(text.length).toBeLessThan(12 * 1024);
    expect(() => new Script(text)).not.toThrow(); // parses as plain (non-module) JS
  });

  it("answers 304 to a matching If-None-Match, without a body", async () => {
    const etag = (await fetch(`${s.url}/t.js`)).headers.get("etag")!;
    const res = await fetch(`${s.url}/t.js`, { headers: { "if-none-match": `W/${etag}, "other"` } });
    expect(res.status).toBe(304);
    expect(res.headers.get("etag")).toBe(etag);
    expect(await res.text()).toBe("");
  });

  it("needs no key", async () => {
    expect((await fetch(`${s.url}/t.js`, { headers: { authorization: "Bearer wrong" } })).status).toBe(200);
  });
});

// --- In a real browser: Debian's Chromium, launched headless on a page served locally. ---

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) =>
  existsSync(p),
);

interface Received {
  host: string;
  headers: IncomingHttpHeaders;
  body: any;
}

describe.skipIf(!CHROMIUM)("the tracker in Chromium", () => {
  const received: Received[] = [];
  const extraPages: Record<string, string> = {};
  let shop: Server;
  let chrome: ChildProcess | undefined;
  const profileDir = tempDir("opentime-chromium-");

  afterAll(async () => {
    if (chrome?.pid) {
      try {
        process.kill(-chrome.pid, "SIGKILL"); // the process group we started (detached)
      } catch {}
    }
    shop?.closeAllConnections(); // a killed browser's keep-alive sockets must not hold close()
    await new Promise((r) => shop?.close(r));
    rmSync(profileDir, { recursive: true, force: true });
  });

  it("sends page, identify, track and product events to /v1/batch in Segment's shape", async () => {
    // The "shop": serves the pages and stands in for /v1/batch (it records what arrives).
    // The script itself comes from the real opentime server (another origin).
    shop = createServer((req, res) => {
      if (req.method === "POST" && req.url === "/v1/batch") {
        let text = "";
        req.on("data", (d) => (text += d));
        req.on("end", () => {
          received.push({ host: req.headers.host ?? "", headers: req.headers, body: JSON.parse(text) });
          res.writeHead(200, { "content-type": "application/json" }).end('{"success":true}');
        });
        return;
      }
      const page = pages[req.url ?? ""] ?? extraPages[req.url ?? ""];
      if (!page) return res.writeHead(404).end();
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
    });
    await new Promise<void>((r) => shop.listen(0, "127.0.0.1", r));
    const port = (shop.address() as AddressInfo).port;
    const A = `http://127.0.0.1:${port}`;
    const crossOrigin = `http://localhost:${port}`; // same server, another origin
    const OT = s.url;
    const pages: Record<string, string> = {
      // 1: auto page() from data attributes; leaves by navigation → flushed on pagehide (beacon).
      "/1.html": `<!doctype html><title>Shoe</title>
<script src="${OT}/t.js" data-write-key="wk_test" data-host="${A}"></script>
<script>
opentime.identify("u_1", { email: "ann@x.com" });
opentime.productViewed({ id: "p1", name: "Shoe", price: 49.5, currency: "EUR" });
opentime.track("CTA Clicked", { n: 1 });
setTimeout(function () { location.href = "/2.html"; }, 200);
</script>`,
      // 2: same origin, explicit flush → fetch with Basic auth.
      "/2.html": `<!doctype html><title>Cart</title>
<script src="${OT}/t.js" data-write-key="wk_test" data-host="${A}" data-page="false"></script>
<script>
opentime.productAdded({ id: "p1", quantity: 2, cart_id: "c1" });
opentime.cartViewed({ cart_id: "c1", products: [{ id: "p1", quantity: 2 }] });
opentime.flush();
setTimeout(function () { location.href = "/3.html"; }, 500);
</script>`,
      // 3: calls queued before the script loads, init() in code, a cross-origin host.
      "/3.html": `<!doctype html><title>Thanks</title>
<script>window.opentime = [["track", "Early Event", { a: 1 }]];</script>
<script src="${OT}/t.js"></script>
<script>
opentime.init({ writeKey: "wk_test", host: "${crossOrigin}" });
opentime.orderCompleted({ order_id: "o1", total: 99, currency: "EUR", products: [{ id: "p1", quantity: 2 }] });
opentime.push(["track", "Pushed After Load", { b: 2 }]);
opentime.flush();
</script>`,
    };

    chrome = spawn(
      CHROMIUM!,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profileDir}`,
        `${A}/1.html`,
      ],
      { stdio: "ignore", detached: true },
    );

    const events = () => received.flatMap((r) => r.body.batch as any[]);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !events().some((e) => e.event === "Order Completed")) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const all = events();
    const names = all.map((e) => (e.type === "track" ? e.event : e.type));
    expect(names, JSON.stringify(received.map((r) => r.headers))).toEqual(
      expect.arrayContaining([
        "page",
        "identify",
        "Product Viewed",
        "CTA Clicked",
        "Product Added",
        "Cart Viewed",
        "Early Event",
        "Order Completed",
        "Pushed After Load",
      ]),
    );

    // One anonymous id across pages (first-party storage), a UUID, on every event.
    const anon = new Set(all.map((e) => e.anonymousId));
    expect(anon.size).toBe(1);
    expect([...anon][0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Segment's common fields.
    for (const e of all) {
      expect(e.messageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number.isNaN(Date.parse(e.timestamp))).toBe(false);
      expect(e.context.library.name).toBe("opentime.js");
    }
    expect(new Set(all.map((e) => e.messageId)).size).toBe(all.length);

    const byName = (n: string) => all.find((e) => e.event === n || e.type === n)!;
    expect(byName("page")).toMatchObject({
      properties: { path: "/1.html", title: "Shoe", url: `${A}/1.html` },
    });
    expect(byName("identify")).toMatchObject({ userId: "u_1", traits: { email: "ann@x.com" } });
    expect(byName("Product Viewed")).toMatchObject({
      userId: "u_1",
      properties: { product_id: "p1", price: 49.5 },
    });
    expect(byName("Product Added")).toMatchObject({
      userId: "u_1",
      properties: { product_id: "p1", quantity: 2, cart_id: "c1" },
    });
    expect(byName("Cart Viewed").properties.products).toEqual([{ product_id: "p1", quantity: 2 }]);
    expect(byName("Order Completed")).toMatchObject({
      userId: "u_1",
      properties: { order_id: "o1", products: [{ product_id: "p1" }] },
    });

    // Every request: Segment batch shape with the write key in the body, as text/plain
    // (a CORS simple request); the same-origin fetch also carries Basic auth.
    for (const r of received) {
      expect(r.body.writeKey).toBe("wk_test");
      expect(r.headers["content-type"]).toMatch(/^text\/plain/);
    }
    const sameOrigin = received.find((r) => r.body.batch.some((e: any) => e.event === "Product Added"))!;
    expect(sameOrigin.headers.authorization).toBe(`Basic ${Buffer.from("wk_test:").toString("base64")}`);
    const onHide = received.find((r) => r.body.batch.some((e: any) => e.event === "CTA Clicked"))!;
    expect(onHide.headers.authorization).toBeUndefined(); // sendBeacon: no custom headers
    const cross = received.find((r) => r.body.batch.some((e: any) => e.event === "Order Completed"))!;
    expect(cross.host).toBe(`localhost:${port}`);
    expect(cross.headers.origin).toBe(A);
    expect(cross.headers.authorization).toBeUndefined();
  }, 30_000);

  it("reaches opentime's own /v1/batch and builds the live profile", async () => {
    // The shop page loads t.js from opentime and, with no data-host, sends back to it
    // (cross-origin, text/plain, write key in the body).
    const port = (shop.address() as AddressInfo).port;
    extraPages["/real.html"] = `<!doctype html><title>Real</title>
<script src="${s.url}/t.js" data-write-key="wk_test"></script>
<script>
opentime.identify("u_browser", { email: "bea@x.com" });
opentime.productViewed({ id: "sku-9", name: "Boot", category: "shoes", price: 120 });
opentime.productAdded({ id: "sku-9", name: "Boot", price: 120, quantity: 1 });
opentime.flush();
</script>`;
    const second = spawn(
      CHROMIUM!,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profileDir}-2`,
        `http://127.0.0.1:${port}/real.html`,
      ],
      { stdio: "ignore", detached: true },
    );
    try {
      let profile: any = null;
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const res = await s.api("/v1/profiles/u_browser");
        if (res.status === 200) {
          profile = await res.json();
          if (profile.cart?.items?.length) break;
        }
        await new Promise((r) => setTimeout(r, 150));
      }
      expect(profile, "no profile reached opentime").not.toBeNull();
      expect(profile.identities.emails).toContain("bea@x.com");
      expect(profile.identities.anonymousIds).toHaveLength(1);
      expect(profile.cart.items).toMatchObject([{ productId: "sku-9", quantity: 1 }]);
    } finally {
      try {
        process.kill(-second.pid!, "SIGKILL");
      } catch {}
      rmSync(`${profileDir}-2`, { recursive: true, force: true });
    }
  }, 30_000);
});
