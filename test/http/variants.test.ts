import { join } from "node:path";
import Database from "better-sqlite3";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCountdownBlock, withDeadline } from "../../src/core/blocks/countdown-block.js";
import { renderCountdownGif } from "../../src/core/countdown/index.js";
import { createCountdownKit } from "../../src/node/countdown-kit.js";
import { DB_FILE } from "../../src/node/server.js";
import { startTestServer, type TestServer, tempDir, UA } from "../helpers/server.js";
import { post, WRITE_KEY } from "../segment/helpers.js";

// A clock the test moves: the server renders "now" from it.
let now = Date.parse("2026-12-20T10:00:00.250Z");
const clock = { now: () => now };
let s: TestServer;
let kit: Awaited<ReturnType<typeof createCountdownKit>>;

const OUTLOOK = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)";

beforeAll(async () => {
  kit = await createCountdownKit();
  s = await startTestServer({ OPENTIME_WRITE_KEY: WRITE_KEY }, tempDir(), { clock });
});
afterAll(async () => {
  await s.cleanup();
});

const base = { deadline: "2026-12-24T18:00:00Z", campaign: "xmas-rules" };
const outlookOverride = { frames: 1, digitColor: "#c00000" };
const mobileOverride = { width: 320, height: 80 };
const withVariants = {
  ...base,
  slots: { cta: "https://shop.example/sale", hero: "https://shop.example/" },
  variants: [
    {
      name: "outlook",
      when: { device: "outlook" },
      options: outlookOverride,
      slots: { cta: "https://shop.example/sale?client=outlook" },
    },
    {
      name: "mobile",
      when: { device: ["ios", "android"] },
      options: mobileOverride,
      slots: { cta: "https://m.shop.example/sale" },
    },
  ],
};

async function createBlock(options: Record<string, unknown>, type = "countdown") {
  const res = await s.api("/v1/blocks", { method: "POST", json: { type, options } });
  return { res, body: (await res.json()) as any };
}
async function image(path: string, ua: string) {
  const res = await fetch(`${s.url}${path}`, { headers: { "user-agent": ua } });
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}
async function follow(path: string, ua = UA.chromeDesktop) {
  return fetch(`${s.url}${path}`, { redirect: "manual", headers: { "user-agent": ua } });
}
async function stats(id: string) {
  const res = await s.api(`/v1/blocks/${id}/stats`);
  expect(res.status).toBe(200);
  return ((await res.json()) as any).variants as {
    name: string;
    opens: number;
    uniqueRecipients: number;
    clicks: number;
  }[];
}
/** What the engine renders for these options at `at`: the route must serve exactly this. */
function expected(options: Record<string, unknown>, at: number, deadlineMs?: number) {
  const parsed = parseCountdownBlock(options, kit.fontIds);
  if (!parsed.ok) throw new Error(parsed.issues.join("; "));
  const opts =
    deadlineMs === undefined ? parsed.block.countdown : withDeadline(parsed.block.countdown, deadlineMs);
  return renderCountdownGif(opts, at, kit.deps);
}
function rows(sql: string, ...params: unknown[]) {
  const db = new Database(join(s.dataDir, DB_FILE), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe("block variants at open", () => {
  let id: string;
  beforeAll(async () => {
    const { res, body } = await createBlock(withVariants);
    expect(res.status, JSON.stringify(body)).toBe(201);
    id = body.id;
  });

  it("shows Outlook its variant, an iPhone its own, a desktop browser the default — each rendered from its merged options", async () => {
    const outlook = await image(`/i/${id}.gif?u=ann%40example.com`, OUTLOOK);
    expect(outlook.res.status).toBe(200);
    expect(outlook.res.headers.get("x-opentime-variant")).toBe("outlook");
    expect(outlook.res.headers.get("x-opentime-fallback")).toBeNull();
    expect(outlook.bytes).toEqual(expected({ ...base, ...outlookOverride }, now));

    const phone = await image(`/i/${id}.gif?u=bob%40example.com`, UA.iphoneSafari);
    expect(phone.res.headers.get("x-opentime-variant")).toBe("mobile");
    expect(phone.bytes).toEqual(expected({ ...base, ...mobileOverride }, now));
    expect(phone.bytes).not.toEqual(outlook.bytes);

    const desk = await image(`/i/${id}.gif?u=cat%40example.com`, UA.chromeDesktop);
    expect(desk.res.headers.get("x-opentime-variant")).toBe("default");
    expect(desk.bytes).toEqual(expected(base, now));

    // Same block version, opened again after the others: parsed options are kept per
    // variant, never mixed between them.
    const again = await image(`/i/${id}.gif?u=ann%40example.com`, OUTLOOK);
    expect(again.bytes).toEqual(outlook.bytes);
    expect((await image(`/i/${id}.gif`, UA.iphoneSafari)).bytes).toEqual(phone.bytes);
  });

  it("counts opens, unique recipients and clicks per variant", async () => {
    const v = await stats(id);
    expect(v.map((x) => x.name)).toEqual(["outlook", "mobile", "default"]);
    expect(v).toEqual([
      { name: "outlook", opens: 2, uniqueRecipients: 1, clicks: 0 },
      { name: "mobile", opens: 2, uniqueRecipients: 1, clicks: 0 },
      { name: "default", opens: 1, uniqueRecipients: 1, clicks: 0 },
    ]);
  });

  it("redirects an adaptive link to the slot of the variant that person was shown", async () => {
    const ann = await follow(`/c/${id}/cta?u=ann%40example.com`);
    expect(ann.status).toBe(302);
    expect(ann.headers.get("location")).toBe("https://shop.example/sale?client=outlook");
    expect(ann.headers.get("cache-control")).toBe("no-store");
    expect(ann.headers.get("referrer-policy")).toBe("no-referrer");

    const bob = await follow(`/c/${id}/cta?u=bob%40example.com`, UA.iphoneSafari);
    expect(bob.headers.get("location")).toBe("https://m.shop.example/sale");
    // A slot the variant does not override: the default's URL.
    expect((await follow(`/c/${id}/hero?u=bob%40example.com`)).headers.get("location")).toBe(
      "https://shop.example/",
    );
    // Someone never shown the block, or no recipient: the default.
    expect((await follow(`/c/${id}/cta?u=zed%40example.com`)).headers.get("location")).toBe(
      "https://shop.example/sale",
    );
    expect((await follow(`/c/${id}/cta`)).headers.get("location")).toBe("https://shop.example/sale");

    const v = await stats(id);
    expect(v.find((x) => x.name === "outlook")?.clicks).toBe(1);
    expect(v.find((x) => x.name === "mobile")?.clicks).toBe(2);
    expect(v.find((x) => x.name === "default")?.clicks).toBe(2);
    // Clicks count for the block's campaign like any tracked click.
    const campaign = (await (await s.api("/v1/campaigns/xmas-rules/stats")).json()) as any;
    expect(campaign.clicks.total).toBe(5);
  });

  it("follows the LAST render: a person who then opens on a phone is sent to the mobile URL", async () => {
    await image(`/i/${id}.gif?u=dee%40example.com`, OUTLOOK);
    expect((await follow(`/c/${id}/cta?u=dee%40example.com`)).headers.get("location")).toContain("outlook");
    await image(`/i/${id}.gif?u=dee%40example.com`, UA.iphoneSafari);
    // Right after the open (inside the group-commit window): still the newest render.
    expect((await follow(`/c/${id}/cta?u=dee%40example.com`)).headers.get("location")).toBe(
      "https://m.shop.example/sale",
    );
  });

  it("never redirects anywhere else: unknown slots, forged ids and blocks without slots are the dead-link page", async () => {
    for (const path of [
      `/c/${id}/nope?u=ann%40example.com`,
      `/c/${id}/bad%20slot`,
      `/c/${id.slice(0, -2)}xx/cta`,
      `/c/${"a".repeat(300)}/cta`,
    ]) {
      const res = await follow(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("location")).toBeNull();
      expect(await res.text()).not.toContain("ann");
    }
    const plain = (await createBlock(base)).body;
    expect((await follow(`/c/${plain.id}/cta`)).status).toBe(404);
    // Tracked links still resolve beside adaptive links.
    const link = (await (
      await s.api("/v1/links", { method: "POST", json: { url: "https://shop.example/x" } })
    ).json()) as any;
    expect((await follow(new URL(link.url).pathname)).headers.get("location")).toBe("https://shop.example/x");
  });

  it("records each open's decision with the URLs it showed", async () => {
    await (await s.api(`/v1/blocks/${id}/stats`)).json(); // flushes the group commit
    const ann = rows(
      "SELECT variant, slots, recipient FROM decisions WHERE block_id = ? AND recipient = ?",
      id,
      "ann@example.com",
    );
    expect(ann).toHaveLength(2);
    expect(JSON.parse(ann[0]!.slots as string)).toEqual({
      cta: "https://shop.example/sale?client=outlook",
      hero: "https://shop.example/",
    });
  });

  it("a HEAD counts as an open but is no decision (nothing was shown)", async () => {
    const before = await stats(id);
    const res = await fetch(`${s.url}/i/${id}.gif?u=ann%40example.com`, {
      method: "HEAD",
      headers: { "user-agent": UA.iphoneSafari },
    });
    expect(res.headers.get("x-opentime-variant")).toBe("mobile");
    expect(await stats(id)).toEqual(before);
    expect((await follow(`/c/${id}/cta?u=ann%40example.com`)).headers.get("location")).toContain("outlook");
  });
});

describe("preview", () => {
  let id: string;
  beforeAll(async () => {
    id = (await createBlock(withVariants)).body.id;
  });

  it("renders what that recipient would see with that user agent, and records nothing", async () => {
    const statsBefore = await stats(id);
    const campaignBefore = await (await s.api("/v1/campaigns/xmas-rules/stats")).json();
    const res = await s.api(
      `/v1/blocks/${id}/preview.gif?u=eve%40example.com&ua=${encodeURIComponent(OUTLOOK)}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect(res.headers.get("x-opentime-variant")).toBe("outlook");
    expect(res.headers.get("cache-control")).toContain("no-store");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(expected({ ...base, ...outlookOverride }, now));

    expect(await stats(id)).toEqual(statsBefore);
    expect(await (await s.api("/v1/campaigns/xmas-rules/stats")).json()).toEqual(campaignBefore);
    expect((await follow(`/c/${id}/cta?u=eve%40example.com`)).headers.get("location")).toBe(
      "https://shop.example/sale",
    );
  });

  it("renders at another time (`at`), and a forced variant (`variant`)", async () => {
    const at = "2026-12-24T17:59:00Z";
    const later = await s.api(`/v1/blocks/${id}/preview.gif?at=${encodeURIComponent(at)}`);
    expect(later.headers.get("x-opentime-variant")).toBe("default");
    expect(new Uint8Array(await later.arrayBuffer())).toEqual(expected(base, Date.parse(at)));

    const forced = await s.api(
      `/v1/blocks/${id}/preview.gif?variant=mobile&ua=${encodeURIComponent(OUTLOOK)}`,
    );
    expect(forced.headers.get("x-opentime-variant")).toBe("mobile");
    expect(new Uint8Array(await forced.arrayBuffer())).toEqual(expected({ ...base, ...mobileOverride }, now));
    const png = await s.api(`/v1/blocks/${id}/preview.png?variant=default`);
    expect(png.headers.get("content-type")).toBe("image/png");
  });

  it("time rules follow `at`: a variant for the last day shows in the preview of that day", async () => {
    const { body } = await createBlock({
      ...base,
      variants: [
        {
          name: "last-day",
          when: { time: { from: "2026-12-24", timeZone: "Europe/Berlin" } },
          options: { digitColor: "#c00000" },
        },
      ],
    });
    const today = await s.api(`/v1/blocks/${body.id}/preview.gif`);
    expect(today.headers.get("x-opentime-variant")).toBe("default");
    const lastDay = await s.api(`/v1/blocks/${body.id}/preview.gif?at=2026-12-23T23:30:00Z`);
    expect(lastDay.headers.get("x-opentime-variant")).toBe("last-day");
  });

  it("reads an evergreen timer's start but never records one", async () => {
    const { body } = await createBlock({ evergreen: { duration: 3600 } });
    const start = now;
    // Preview for someone who has not opened yet: a timer starting "now"; nothing stored.
    const preview = await s.api(`/v1/blocks/${body.id}/preview.gif?u=fay%40example.com`);
    expect(new Uint8Array(await preview.arrayBuffer())).toEqual(
      expected({ evergreen: { duration: 3600 } }, now, start + 3_600_000),
    );
    expect(rows("SELECT * FROM block_first_seen WHERE block_id = ?", body.id)).toEqual([]);

    now += 600_000; // ten minutes later, the first real open starts the timer
    await image(`/i/${body.id}.gif?u=fay%40example.com`, UA.chromeDesktop);
    const firstOpen = now;
    now += 60_000;
    const again = await s.api(`/v1/blocks/${body.id}/preview.gif?u=fay%40example.com`);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(
      expected({ evergreen: { duration: 3600 } }, now, firstOpen + 3_600_000),
    );
  });

  it("refuses bad parameters and unknown blocks, and needs the operator key", async () => {
    expect((await s.api(`/v1/blocks/${id}/preview.gif?variant=nope`)).status).toBe(400);
    // One route per format: an unknown one is no such route.
    expect((await s.api(`/v1/blocks/${id}/preview.bmp`)).status).toBe(404);
    expect((await s.api(`/v1/blocks/${id}/preview.gif?at=tomorrow`)).status).toBe(400);
    expect((await s.api(`/v1/blocks/${id.slice(0, -2)}xx/preview.gif`)).status).toBe(404);
    expect((await fetch(`${s.url}/v1/blocks/${id}/preview.gif`)).status).toBe(401);
    expect((await fetch(`${s.url}/v1/blocks/${id}/stats`)).status).toBe(401);
  });
});

describe("validation", () => {
  it("a variant whose merged options are invalid is a 400 naming the variant index and path", async () => {
    const { res, body } = await createBlock({
      ...base,
      variants: [
        { name: "ok", options: { width: 300 } },
        { name: "bad", options: { digitColor: "red" } },
      ],
    });
    expect(res.status).toBe(400);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toMatch(/^options\.variants\.1\.options\.digitColor: .*\(variant "bad"\)/);
  });

  it("bad conditions, slots and names are 400s too; a PATCH is checked the same way", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ variants: [{ name: "x", when: { device: "fax" } }] }, /^options\.variants\.0\.when\.device/],
      [{ slots: { cta: "javascript:alert(1)" } }, /^options\.slots\.cta/],
      [{ variants: [{ name: "x" }, { name: "x" }] }, /^options\.variants\.1\.name/],
      [{ variants: [{ name: "x", options: { bogus: 1 } }] }, /^options\.variants\.0\.options/],
    ];
    for (const [extra, msg] of cases) {
      const { res, body } = await createBlock({ ...base, ...extra });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(body.error.message).toMatch(msg);
    }
    const { body } = await createBlock(base);
    const patch = await s.api(`/v1/blocks/${body.id}`, {
      method: "PATCH",
      json: { options: { variants: [{ name: "big", options: { width: 99999 } }] } },
    });
    expect(patch.status).toBe(400);
    expect(((await patch.json()) as any).error.message).toMatch(/^options\.variants\.0\.options\.width/);
  });
});

describe("variants on another kind (price cards)", () => {
  it("renders each variant's card from its own options", async () => {
    const put = await s.api("/v1/products", {
      method: "PUT",
      json: { products: [{ id: "sku-v", name: "Trail shoe", price: 79, currency: "EUR", stock: 3 }] },
    });
    expect(put.status).toBe(200);
    const { res, body } = await createBlock(
      {
        productId: "sku-v",
        variants: [
          { name: "narrow", when: { device: "mobile" }, options: { width: 400, template: "compact" } },
        ],
      },
      "price",
    );
    expect(res.status, JSON.stringify(body)).toBe(201);
    const wide = await image(`/i/${body.id}.png`, UA.chromeDesktop);
    const narrow = await image(`/i/${body.id}.png`, UA.iphoneSafari);
    expect(wide.res.headers.get("x-opentime-variant")).toBe("default");
    expect(narrow.res.headers.get("x-opentime-variant")).toBe("narrow");
    expect((await sharp(wide.bytes).metadata()).width).toBe(600);
    expect((await sharp(narrow.bytes).metadata()).width).toBe(400);
  });
});

describe("erasure", () => {
  it("DELETE /v1/profiles/:id removes that person's decisions", async () => {
    const { body } = await createBlock(withVariants);
    const identify = await post(s, "/v1/identify", { userId: "gus-1", traits: { email: "Gus@Example.com" } });
    expect(identify.status).toBe(200);
    await image(`/i/${body.id}.gif?u=gus%40example.com`, OUTLOOK);
    await image(`/i/${body.id}.gif?u=gus-1`, OUTLOOK);
    await image(`/i/${body.id}.gif?u=hal%40example.com`, OUTLOOK);
    expect((await follow(`/c/${body.id}/cta?u=gus%40example.com`)).headers.get("location")).toContain(
      "outlook",
    );
    expect((await stats(body.id))[0]).toMatchObject({ name: "outlook", opens: 3, uniqueRecipients: 3 });
    // A second block, where they were shown two variants (erasure goes block by block).
    const { body: second } = await createBlock(withVariants);
    await image(`/i/${second.id}.gif?u=gus%40example.com`, UA.iphoneSafari);
    await image(`/i/${second.id}.gif?u=gus%40example.com`, UA.chromeDesktop);
    await image(`/i/${second.id}.gif?u=hal%40example.com`, UA.iphoneSafari);
    const secondStats = async () =>
      Object.fromEntries((await stats(second.id)).map((v) => [v.name, v.uniqueRecipients]));
    expect(await secondStats()).toMatchObject({ mobile: 2, default: 1 });

    const del = await s.api("/v1/profiles/gus%40example.com", { method: "DELETE" });
    expect(del.status, await del.clone().text()).toBe(200);

    for (const u of ["gus@example.com", "gus-1"]) {
      expect(rows("SELECT * FROM decisions WHERE recipient = ?", u), u).toEqual([]);
      expect(rows("SELECT * FROM decision_uniques WHERE recipient = ?", u), u).toEqual([]);
      expect((await follow(`/c/${body.id}/cta?u=${encodeURIComponent(u)}`)).headers.get("location")).toBe(
        "https://shop.example/sale",
      );
    }
    // Someone else's decisions stay; totals are counts, not about anyone.
    expect((await follow(`/c/${body.id}/cta?u=hal%40example.com`)).headers.get("location")).toContain(
      "outlook",
    );
    expect((await stats(body.id))[0]).toMatchObject({ name: "outlook", opens: 3, uniqueRecipients: 1 });
    expect(await secondStats()).toMatchObject({ mobile: 1, default: 0 });
    expect(rows("SELECT recipient FROM decisions WHERE block_id = ?", second.id)).toEqual([
      { recipient: "hal@example.com" },
    ]);
  });
});

describe("deleting a block", () => {
  it("answers the fallback and the dead-link page at once, then its decisions and first opens are deleted on the writer thread", async () => {
    const { body } = await createBlock({
      ...withVariants,
      deadline: undefined,
      evergreen: { duration: 86_400 },
    });
    expect(body.id, JSON.stringify(body)).toBeTruthy();
    for (const u of ["kim", "lou", "max"]) await image(`/i/${body.id}.gif?u=${u}%40example.com`, OUTLOOK);
    expect((await stats(body.id))[0]).toMatchObject({ name: "outlook", opens: 3, uniqueRecipients: 3 });
    const left = () =>
      ["decisions", "decision_uniques", "decision_counts", "block_first_seen"].map(
        (t) => rows(`SELECT count(*) AS n FROM ${t} WHERE block_id = ?`, body.id)[0]!.n,
      );
    // First opens are group-committed (a 50 ms window).
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 100 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
    };
    await until(() => left()[3] === 3);
    expect(left()).toEqual([3, 3, 1, 3]);

    expect((await s.api(`/v1/blocks/${body.id}`, { method: "DELETE" })).status).toBe(204);
    const fallback = await image(`/i/${body.id}.gif?u=kim%40example.com`, OUTLOOK);
    expect(fallback.res.headers.get("x-opentime-fallback")).not.toBeNull();
    expect((await s.api(`/v1/blocks/${body.id}/stats`)).status).toBe(404);
    expect((await follow(`/c/${body.id}/cta?u=kim%40example.com`)).status).toBe(404);
    // The rows go a slice at a time on the event-writer thread (block-purge.ts), the
    // block's mark after its last slice.
    const marks = () => rows("SELECT * FROM blocks_deleted");
    await until(() => left().every((n) => n === 0) && marks().length === 0);
    expect(left()).toEqual([0, 0, 0, 0]);
    expect(marks()).toEqual([]);
  });
});

describe("durability", () => {
  it("decisions still buffered are written on a graceful shutdown", async () => {
    const dir = tempDir();
    // A long group-commit window: only close() can have written the decision.
    const first = await startTestServer({ OPENTIME_BATCH_MS: "5000" }, dir, { clock });
    const created = (await (
      await first.api("/v1/blocks", { method: "POST", json: { type: "countdown", options: withVariants } })
    ).json()) as any;
    const res = await fetch(`${first.url}/i/${created.id}.gif?u=ivy%40example.com`, {
      headers: { "user-agent": OUTLOOK },
    });
    expect(res.headers.get("x-opentime-variant")).toBe("outlook");
    await first.close();

    const second = await startTestServer({}, dir, { clock });
    try {
      const link = await fetch(`${second.url}/c/${created.id}/cta?u=ivy%40example.com`, {
        redirect: "manual",
      });
      expect(link.headers.get("location")).toBe("https://shop.example/sale?client=outlook");
    } finally {
      await second.cleanup();
    }
  });
});
