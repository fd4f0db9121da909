import { mkdirSync, rmSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { systemClock, webRandom } from "../../src/core/services.js";
import { newSignedId } from "../../src/core/util/ids.js";
import { createSigner } from "../../src/core/util/signer.js";
import { DB_FILE } from "../../src/node/server.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { type ServerProcess, spawnServer } from "../helpers/process.js";
import { TEST_API_KEY, TEST_SECRET, tempDir, UA } from "../helpers/server.js";

/**
 * Destinations reach a Location header. Node refuses a header value with a character above
 * U+00FF or a control character by throwing from writeHead; thrown there, outside any
 * handler, it ended the process. Run as its own process, as an operator runs it, so a
 * crash shows as one.
 */
const dataDir = tempDir();
const env = { OPENTIME_DATA_DIR: dataDir, OPENTIME_API_KEY: TEST_API_KEY, OPENTIME_SECRET: TEST_SECRET };
const auth = { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" };
let srv: ServerProcess | null = null;
afterAll(async () => {
  if (srv && srv.child.exitCode === null) {
    srv.child.kill("SIGTERM");
    await srv.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** A POST whose body is sent byte for byte (fetch would re-encode invalid UTF-8). */
function postRaw(url: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { ...auth, "content-length": body.length },
    });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const click = (url: string) =>
  fetch(url, { redirect: "manual", headers: { "user-agent": UA.chromeDesktop } });

async function alive(s: ServerProcess): Promise<void> {
  expect(s.child.exitCode, s.stderr()).toBeNull();
  expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
}

describe("destinations that a header cannot carry as written", () => {
  it("are registered as their URL serialisation and redirect to it; the server stays up", async () => {
    srv = await spawnServer(env);
    const cases: [string, string][] = [
      ["https://magaza.example/ürün", "https://magaza.example/%C3%BCr%C3%BCn"],
      [
        "https://shop.example/菓子?q=抹茶#上",
        "https://shop.example/%E8%8F%93%E5%AD%90?q=%E6%8A%B9%E8%8C%B6#%E4%B8%8A",
      ],
      ["https://shop.example/sale €/🎉", "https://shop.example/sale%20%E2%82%AC/%F0%9F%8E%89"],
      ["https://shop.example/a\tb\nc", "https://shop.example/abc"],
      ["https://shop.example/x\r\nSet-Cookie: a=b", "https://shop.example/xSet-Cookie:%20a=b"],
      ["https://shop.example/nul\u0000x", "https://shop.example/nul%00x"],
      ["https://bücher.example/", "https://xn--bcher-kva.example/"],
      ["http://a.example", "http://a.example/"],
    ];
    const seen: { destination: string; status: number; location: string | null }[] = [];
    for (const [url] of cases) {
      const res = await fetch(`${srv.url}/v1/links`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ url, campaign: "intl" }),
      });
      const body = (await res.json()) as { id: string; destination: string };
      expect(res.status, JSON.stringify(body)).toBe(201);
      const hit = await click(`${srv.url}/c/${body.id}?u=a%40x.com`);
      seen.push({ destination: body.destination, status: hit.status, location: hit.headers.get("location") });
    }
    await alive(srv);
    expect(seen).toEqual(cases.map(([, d]) => ({ destination: d, status: 302, location: d })));
  });

  it("refuses with 400 a URL that cannot be made valid", async () => {
    for (const url of [
      "https://bad host.example/",
      "https://exa\u0000mple.com/",
      "https://[::1/x",
      "http://",
    ]) {
      const res = await fetch(`${srv!.url}/v1/links`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ url }),
      });
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as any).error.code).toBe("validation_failed");
    }
    await alive(srv!);
  });

  it("normalises invalid UTF-8 in a JSON body rather than storing U+FFFD raw", async () => {
    const body = Buffer.concat([
      Buffer.from('{"url":"https://shop.example/'),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('","campaign":"bytes"}'),
    ]);
    const res = await postRaw(`${srv!.url}/v1/links`, body);
    expect(res.status, res.text).toBe(201);
    const { id, destination } = JSON.parse(res.text) as { id: string; destination: string };
    expect(destination).toBe("https://shop.example/%EF%BF%BD(%EF%BF%BD");
    const hit = await click(`${srv!.url}/c/${id}`);
    expect(hit.status).toBe(302);
    expect(hit.headers.get("location")).toBe(destination);
    await alive(srv!);
  });

  it("wraps an email whose links hold such characters into links that redirect", async () => {
    const html = [
      '<a href="https://magaza.example/ürün?renk=kırmızı">Ürün</a>',
      '<a href="https://shop.example/a b">space</a>',
      '<a href="https://bad host.example/">bad</a>',
    ].join("\n");
    const res = await fetch(`${srv!.url}/v1/emails/wrap`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ html, campaign: "wrap-intl", dialect: "none" }),
    });
    const body = (await res.json()) as {
      links: { id: string; url: string }[];
      skipped: { url: string; reason: string }[];
    };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.links.map((l) => l.url)).toEqual([
      "https://magaza.example/%C3%BCr%C3%BCn?renk=k%C4%B1rm%C4%B1z%C4%B1",
      "https://shop.example/a%20b",
    ]);
    expect(body.skipped).toMatchObject([{ url: "https://bad host.example/", reason: "invalid_url" }]);
    for (const l of body.links) {
      const hit = await click(`${srv!.url}/c/${l.id}`);
      expect(hit.status).toBe(302);
      expect(hit.headers.get("location")).toBe(l.url);
    }
    await alive(srv!);
  });

  it("sends an adaptive link's slot URL as its serialisation", async () => {
    const res = await fetch(`${srv!.url}/v1/blocks`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        type: "countdown",
        options: { deadline: "2030-01-01T00:00:00Z", slots: { cta: "https://shop.example/抹茶?q=ü" } },
      }),
    });
    const block = (await res.json()) as { id: string };
    expect(res.status, JSON.stringify(block)).toBe(201);
    const hit = await click(`${srv!.url}/c/${block.id}/cta?u=a%40x.com`);
    await alive(srv!);
    expect(hit.status).toBe(302);
    expect(hit.headers.get("location")).toBe("https://shop.example/%E6%8A%B9%E8%8C%B6?q=%C3%BC");
  });

  it("serves rows an older version stored as written, after a restart, without crashing", async () => {
    if (srv!.child.exitCode === null) {
      srv!.child.kill("SIGTERM");
      expect(await srv!.exited).toBe(0);
    }
    // Rows as an older version wrote them: the URL as received, straight into the file.
    const signer = createSigner(TEST_SECRET);
    const [turkish, kanji, broken, crlf] = [
      await newSignedId(signer, "link", webRandom),
      await newSignedId(signer, "link", webRandom),
      await newSignedId(signer, "link", webRandom),
      await newSignedId(signer, "link", webRandom),
    ];
    mkdirSync(dataDir, { recursive: true });
    const db = openDatabase(join(dataDir, DB_FILE));
    const put = db.prepare("INSERT INTO links (id, url, campaign, created_at) VALUES (?, ?, ?, ?)");
    put.run(turkish, "https://magaza.example/ürün", "old", systemClock.now());
    put.run(kanji, "https://shop.example/抹茶", "old", systemClock.now());
    put.run(broken, "https://bad host.example/ürün", "old", systemClock.now());
    put.run(crlf, "https://shop.example/x\r\nSet-Cookie: a=b", "old", systemClock.now());
    db.close();

    srv = await spawnServer(env);
    // Twice each: the first goes through the router (not in memory yet), the second is
    // answered by the fast path from the link kept in memory.
    const seen: unknown[] = [];
    for (let i = 0; i < 2; i++) {
      for (const id of [turkish, kanji, broken, crlf]) {
        const res = await click(`${srv.url}/c/${id}?u=a%40x.com`);
        seen.push({
          status: res.status,
          location: res.headers.get("location"),
          cookie: res.headers.get("set-cookie"),
          deadLink: (await res.text()).includes("This link is not valid"),
        });
      }
    }
    await alive(srv);
    const expected = [
      { status: 302, location: "https://magaza.example/%C3%BCr%C3%BCn", cookie: null, deadLink: false },
      { status: 302, location: "https://shop.example/%E6%8A%B9%E8%8C%B6", cookie: null, deadLink: false },
      { status: 404, location: null, cookie: null, deadLink: true },
      { status: 302, location: "https://shop.example/xSet-Cookie:%20a=b", cookie: null, deadLink: false },
    ];
    expect(seen).toEqual([...expected, ...expected]);
  });
});
