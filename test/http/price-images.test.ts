import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { priceCard } from "../../src/core/cards/price-templates.js";
import type { CardRenderer } from "../../src/core/cards/types.js";
import type { Logger } from "../../src/core/ports/index.js";
import { createSatoriRenderer } from "../../src/node/cards/satori-renderer.js";
import { createGuardedFetcher } from "../../src/node/fetch/guarded-fetcher.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * Product images on price cards: an http(s) image is fetched through the guarded fetcher
 * once per product version and drawn as a data: URL; a refused or broken one leaves the
 * card without an image (never a broken image), with the reason in the log.
 */
let s: TestServer;
let cdn: Server;
let cdnUrl: string;
let renderer: CardRenderer;
let png: Buffer;
const hits = new Map<string, number>();
const warnings: Array<Record<string, unknown>> = [];
const logger: Logger = {
  debug() {},
  info() {},
  warn: (obj) => void warnings.push(obj as Record<string, unknown>),
  error() {},
};

beforeAll(async () => {
  png = await sharp({ create: { width: 48, height: 48, channels: 3, background: "#1d4ed8" } })
    .png()
    .toBuffer();
  cdn = createServer((req, res) => {
    const path = req.url ?? "/";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === "/shoe.png") return void res.writeHead(200, { "content-type": "image/png" }).end(png);
    if (path === "/page.png") return void res.writeHead(200, { "content-type": "text/html" }).end("<html>");
    if (path === "/big.png") {
      return void res.writeHead(200, { "content-type": "image/png" }).end(Buffer.alloc(3 * 1024 * 1024));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => cdn.listen(0, "127.0.0.1", r));
  cdnUrl = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  renderer = await createSatoriRenderer();
  s = await startTestServer({}, undefined, {
    logger,
    fetcher: createGuardedFetcher({ allow: ["127.0.0.1"], allowPrivate: ["127.0.0.1"] }),
  });
});
afterAll(async () => {
  await s.cleanup();
  cdn.closeAllConnections();
  await new Promise((r) => cdn.close(r));
});

const theme = { background: "#ffffff", text: "#111827", accent: "#d92d20", font: "Roboto" };
async function put(products: unknown) {
  const res = await s.api("/v1/products", { method: "PUT", json: { products } });
  expect(res.status, await res.clone().text()).toBe(200);
}
async function card(productId: string, u = "ann") {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type: "price", options: { productId } } });
  const { id } = (await res.json()) as any;
  return open(id, u);
}
async function open(blockId: string, u = "ann") {
  const res = await fetch(`${s.url}/i/${blockId}.png?u=${u}`);
  expect(res.status).toBe(200);
  expect(res.headers.get("x-opentime-fallback")).toBeNull();
  return { blockId, bytes: new Uint8Array(await res.arrayBuffer()) };
}
/** Decoded pixels as one hex digest: a 600x300 deep-equal in the test runner is slow and unreadable. */
async function pixels(bytes: Uint8Array) {
  const data = await sharp(bytes).ensureAlpha().raw().toBuffer();
  return createHash("sha256").update(data).digest("hex");
}
/** The card the engine draws for a name and price, with or without an image. */
async function drawn(name: string, image: string | null) {
  const model = { name, now: "€79.00", was: null, discount: null, stockLabel: null, soldOut: false, image };
  return pixels(
    await renderer.render(priceCard("classic", model, 600, 300, theme), {
      width: 600,
      height: 300,
      scale: 1,
      format: "png",
    }),
  );
}
const shoe = { name: "Trail shoe", price: 79, currency: "EUR" };

describe("remote product images on price cards", () => {
  it("draws an http(s) image fetched once per product version, however often the card is opened", async () => {
    await put([{ id: "img-1", ...shoe, imageUrl: `${cdnUrl}/shoe.png` }]);
    const first = await card("img-1");
    const withImage = await drawn("Trail shoe", `data:image/png;base64,${png.toString("base64")}`);
    expect(await pixels(first.bytes)).toEqual(withImage);
    expect(await pixels(first.bytes)).not.toEqual(await drawn("Trail shoe", null));

    await Promise.all(["bob", "cy", "dee", "eve"].map((u) => open(first.blockId, u)));
    await card("img-1", "fay");
    expect(hits.get("/shoe.png")).toBe(1);
  });

  it.each([
    ["a host not on the allowlist", "https://cdn.example/shoe.png", "host_not_allowed"],
    ["a 404", "/missing.png", "http_status"],
    ["something that is not an image", "/page.png", "not_an_image"],
    ["an image over 2 MB", "/big.png", "too_large"],
  ])("draws the card without an image for %s, and logs why", async (_, url, reason) => {
    const imageUrl = url.startsWith("/") ? `${cdnUrl}${url}` : url;
    const id = `noimg-${reason}`;
    await put([{ id, ...shoe, imageUrl }]);
    const { bytes } = await card(id);
    expect(await pixels(bytes)).toEqual(await drawn("Trail shoe", null));
    expect(warnings).toContainEqual(expect.objectContaining({ productId: id, url: imageUrl, reason }));
  });
});
