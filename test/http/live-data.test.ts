import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuardedFetcher } from "../../src/node/fetch/guarded-fetcher.js";
import { SLOWDOWN } from "../helpers/budget.js";
import { samePixels } from "../helpers/image-snapshot.js";
import { startTestServer, type TestServer, withRecipientProof } from "../helpers/server.js";

/**
 * Data sources and data blocks end to end: a real server (SQLite in a temp dir) reads a
 * stand-in API on 127.0.0.1 through the guarded fetcher. The API's answers are set per
 * path by each test: changing values, failures, slowness, a huge body.
 */
type Answer = { status?: number; type?: string; body: string; delayMs?: number };
const answers = new Map<string, Answer>();
const seen: { path: string; auth: string | undefined }[] = [];
let api: Server;
let apiUrl: string;
let s: TestServer;
// The open's budget for a live source, stretched on a loaded machine (the schema allows 2 s).
const BUDGET_MS = Math.min(2000, Math.ceil(300 * SLOWDOWN));

beforeAll(async () => {
  process.env.OPENTIME_SOURCE_TEST_TOKEN = "Bearer t0ken";
  api = createServer((req, res) => {
    const path = req.url ?? "/";
    seen.push({ path, auth: req.headers.authorization });
    const a = answers.get(path.split("?")[0]!) ?? answers.get("*");
    if (!a) return void res.writeHead(404).end("nothing here");
    const send = () => {
      if (!res.destroyed)
        res.writeHead(a.status ?? 200, { "content-type": a.type ?? "application/json" }).end(a.body);
    };
    if (a.delayMs) setTimeout(send, a.delayMs);
    else send();
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  s = await startTestServer({}, undefined, {
    fetcher: createGuardedFetcher({ allow: ["127.0.0.1"], allowPrivate: ["127.0.0.1"] }),
  });
});
afterAll(async () => {
  await s?.cleanup();
  api.closeAllConnections();
  await new Promise((r) => api.close(r));
  delete process.env.OPENTIME_SOURCE_TEST_TOKEN;
});

const quote = (last: number, change: number) =>
  JSON.stringify({
    quote: { symbol: "ACME", last, change, pct: change / last, time: "2026-12-08T14:30:00Z" },
  });

async function createSource(json: Record<string, unknown>) {
  const res = await s.api("/v1/sources", { method: "POST", json });
  const body = (await res.json()) as any;
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body as { id: string; perRecipient: boolean };
}

const QUOTE_FIELDS = {
  instrument: { path: "quote.symbol" },
  last: { path: "quote.last", format: "currency", currency: "USD" },
  change: { path: "quote.change", format: "number", digits: 2, signed: true },
  percent: { path: "quote.pct", format: "percent", digits: 2, signed: true },
  time: { path: "quote.time", format: "time" },
};

async function createDataBlock(options: Record<string, unknown>) {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type: "data", options } });
  const body = (await res.json()) as any;
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body as { id: string; url: string };
}

async function open(id: string, query = "") {
  const path = await withRecipientProof(s, `/i/${id}.png${query}`);
  const started = performance.now();
  const res = await fetch(`${s.url}${path}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/png");
  expect((await sharp(bytes).metadata()).format).toBe("png");
  return {
    bytes,
    ms: performance.now() - started,
    fallback: res.headers.get("x-opentime-fallback"),
    variant: res.headers.get("x-opentime-variant"),
  };
}

describe("/v1/sources", () => {
  it("creates, lists, reads, replaces and deletes a source; secrets are only ever named", async () => {
    answers.set("/crud", { body: quote(10, 1) });
    const src = await createSource({
      url: `${apiUrl}/crud`,
      headersFromEnv: { Authorization: "OPENTIME_SOURCE_TEST_TOKEN" },
    });
    expect(src.perRecipient).toBe(false);
    const list = (await (await s.api("/v1/sources")).json()) as any;
    expect(list.sources.map((x: any) => x.id)).toContain(src.id);
    const read = (await (await s.api(`/v1/sources/${src.id}`)).json()) as any;
    expect(read.headersFromEnv).toEqual({ Authorization: "OPENTIME_SOURCE_TEST_TOKEN" });
    expect(JSON.stringify(read)).not.toContain("t0ken");
    expect(read.current.value.quote.last).toBe(10);
    expect(read.current.miss).toBeNull();
    // The header's value was read from the environment at the fetch.
    expect(seen.filter((x) => x.path === "/crud").at(-1)?.auth).toBe("Bearer t0ken");

    const put = await s.api(`/v1/sources/${src.id}`, {
      method: "PUT",
      json: { url: `${apiUrl}/crud?v=2`, mode: "live" },
    });
    expect(put.status).toBe(200);
    expect(((await put.json()) as any).mode).toBe("live");
    expect((await s.api(`/v1/sources/${src.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await s.api(`/v1/sources/${src.id}`)).status).toBe(404);
    expect((await s.api("/v1/sources/src_nope", { method: "DELETE" })).status).toBe(404);
  });

  it("refuses what it must not store or fetch: other variables, credentials, fields in the host", async () => {
    const bad = [
      { url: `${apiUrl}/x`, headersFromEnv: { Authorization: "OPENTIME_SECRET" } },
      { url: `${apiUrl}/x`, headersFromEnv: { Host: "OPENTIME_SOURCE_TEST_TOKEN" } },
      { url: "http://user:pw@127.0.0.1/x" },
      { url: "http://{{recipient}}.example/x" },
      { url: `${apiUrl}/x/{{password}}` },
      { url: "ftp://127.0.0.1/x" },
      { url: `${apiUrl}/x`, timeoutMs: 60_000 },
    ];
    for (const json of bad) {
      const res = await s.api("/v1/sources", { method: "POST", json });
      expect(res.status, JSON.stringify(json)).toBe(400);
    }
    const noKey = await fetch(`${s.url}/v1/sources`);
    expect(noKey.status).toBe(401);
  });
});

describe("data blocks", () => {
  it("shows the current value at each open of a live source, and a sparkline of its history", async () => {
    answers.set("/live", { body: quote(100, 1.5) });
    const src = await createSource({
      url: `${apiUrl}/live`,
      mode: "live",
      timeoutMs: BUDGET_MS,
      historyPath: "quote.last",
    });
    const block = await createDataBlock({ source: src.id, fields: QUOTE_FIELDS, notice: "Delayed 15 min" });
    const first = await open(block.id);
    expect(first.fallback).toBeNull();
    answers.set("/live", { body: quote(97.25, -2.75) });
    const second = await open(block.id);
    expect(second.fallback).toBeNull();
    expect(await samePixels(first.bytes, second.bytes)).toBe(false);
    const read = (await (await s.api(`/v1/sources/${src.id}`)).json()) as any;
    expect(read.history.map((h: any) => h.value)).toEqual([100, 97.25, 97.25]);
  });

  it("serves the cached value within the interval: one fetch for many opens", async () => {
    answers.set("/interval", { body: quote(50, 0) });
    const src = await createSource({ url: `${apiUrl}/interval`, everySeconds: 3600, timeoutMs: BUDGET_MS });
    const block = await createDataBlock({ source: src.id, fields: QUOTE_FIELDS });
    const before = seen.filter((x) => x.path === "/interval").length;
    const opens = await Promise.all(Array.from({ length: 8 }, () => open(block.id)));
    for (const o of opens) expect(o.fallback).toBeNull();
    expect(seen.filter((x) => x.path === "/interval").length - before).toBe(1);
  });

  const failures: [string, Answer, string][] = [
    ["down", { status: 500, body: "oops" }, "source_http_status"],
    ["answering non-JSON", { type: "text/html", body: "<html>maintenance</html>" }, "source_not_json"],
    ["answering a huge body", { body: JSON.stringify({ pad: "x".repeat(200_000) }) }, "source_too_large"],
    ["slow", { body: quote(1, 0), delayMs: BUDGET_MS * 4 }, "source_timeout"],
  ];
  for (const [what, answer, reason] of failures) {
    it(`a source ${what}: the last good value, the reason in X-Opentime-Fallback, never a slow open`, async () => {
      const path = `/fail-${reason}`;
      answers.set(path, { body: quote(42, 0.5) });
      const src = await createSource({
        url: `${apiUrl}${path}`,
        mode: "live",
        timeoutMs: BUDGET_MS,
        maxBytes: 64 * 1024,
      });
      const block = await createDataBlock({ source: src.id, fields: QUOTE_FIELDS });
      const good = await open(block.id);
      expect(good.fallback).toBeNull();
      answers.set(path, answer);
      const bad = await open(block.id);
      expect(bad.fallback).toBe(reason);
      // Within the budget (plus the render and loopback, stretched on a loaded machine).
      expect(bad.ms).toBeLessThan(BUDGET_MS + 1500 * SLOWDOWN);
      // The same value is drawn, now marked with its age.
      expect(await samePixels(good.bytes, bad.bytes)).toBe(false);
      const again = await open(block.id);
      expect(again.fallback).toBe(reason);
    });
  }

  it("a source that never answered: the block's unavailable card; a missing path: the field's fallback", async () => {
    const gone = await createSource({ url: `${apiUrl}/never`, mode: "live", timeoutMs: BUDGET_MS });
    const b1 = await createDataBlock({
      source: gone.id,
      fields: QUOTE_FIELDS,
      unavailable: "Quotes are resting",
    });
    expect((await open(b1.id)).fallback).toBe("source_http_status");
    answers.set("/partial", { body: JSON.stringify({ quote: { symbol: "ACME" } }) });
    const partial = await createSource({ url: `${apiUrl}/partial`, timeoutMs: BUDGET_MS });
    const b2 = await createDataBlock({ source: partial.id, fields: QUOTE_FIELDS });
    expect((await open(b2.id)).fallback).toBe("data_missing_path");
  });

  it("per-recipient sources: the recipient URL-escaped in the URL, cached per recipient", async () => {
    answers.set("*", { body: JSON.stringify({ seats: 3 }) });
    const src = await createSource({
      url: `${apiUrl}/seats/{{recipient}}?x=1`,
      everySeconds: 3600,
      timeoutMs: BUDGET_MS,
    });
    expect(src.perRecipient).toBe(true);
    const block = await createDataBlock({
      source: src.id,
      template: "score",
      fields: { status: { path: "seats", format: "number" } },
    });
    expect((await open(block.id, `?u=${encodeURIComponent("ann/../b c@x.com")}`)).fallback).toBeNull();
    // The recipient as opentime reads `u` (an email's space is the "+" a query string lost).
    expect(seen.map((x) => x.path)).toContain(`/seats/${encodeURIComponent("ann/../b+c@x.com")}?x=1`);
    const before = seen.length;
    await open(block.id, `?u=${encodeURIComponent("ann/../b c@x.com")}`);
    expect(seen.length).toBe(before);
    // Without a recipient there is no URL to fetch: the unavailable card, and why.
    expect((await open(block.id)).fallback).toBe("source_needs_recipient");
    // `u` without its proof (`us`) fetches nothing: anyone can type anyone's id into `u`.
    const res = await fetch(`${s.url}/i/${block.id}.png?u=someone-else@x.com`);
    expect(res.headers.get("x-opentime-fallback")).toBe("source_needs_proof");
    expect(seen.some((x) => x.path.includes("someone-else"))).toBe(false);
    answers.delete("*");
  });

  it("variants on the data: the `when` language's data condition picks what the value says", async () => {
    answers.set("/variant", { body: quote(80, -3) });
    const src = await createSource({ url: `${apiUrl}/variant`, mode: "live", timeoutMs: BUDGET_MS });
    const block = await createDataBlock({
      source: src.id,
      fields: QUOTE_FIELDS,
      variants: [
        {
          name: "crash",
          when: { data: { path: "quote.change", lt: -2 } },
          options: { background: "#fee2e2" },
        },
        {
          name: "rally",
          when: { data: { path: "quote.change", gt: 2 } },
          options: { background: "#dcfce7" },
        },
      ],
    });
    expect((await open(block.id)).variant).toBe("crash");
    answers.set("/variant", { body: quote(90, 5) });
    expect((await open(block.id)).variant).toBe("rally");
    answers.set("/variant", { body: quote(90, 0) });
    expect((await open(block.id)).variant).toBe("default");
    const bad = await s.api("/v1/blocks", {
      method: "POST",
      json: {
        type: "data",
        options: { source: src.id, variants: [{ name: "x", when: { data: { path: "a..b", gt: 1 } } }] },
      },
    });
    expect(bad.status).toBe(400);
  });
});
