import { describe, expect, it } from "vitest";
import type { ProductInput } from "../../src/core/ports/catalog.js";
import { MAX_RELATED } from "../../src/core/ports/recs.js";
import { ProfileService } from "../../src/core/profiles/service.js";
import { RecsEngine } from "../../src/core/recs/engine.js";
import { filtersSchema, STRATEGIES, type Strategy } from "../../src/core/recs/options.js";
import { createRecsService } from "../../src/core/recs/service.js";
import { recsSink } from "../../src/core/recs/signals.js";
import { type IngestEvent, parseEvent } from "../../src/core/segment/event.js";
import { createSqliteCatalogStore } from "../../src/node/sqlite/catalog-store.js";
import { createSqliteProfileStore } from "../../src/node/sqlite/profile-store.js";
import { createSqliteRecsStore } from "../../src/node/sqlite/recs-store.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { tempDbFiles } from "../../src/node/testing/temp-files.js";

const DAY = 86_400_000;
const MIN = 60_000;
const newFile = tempDbFiles("opentime-recs-");

/** Only one strategy on: what it alone ranks first. */
const only = (s: Strategy) => Object.fromEntries(STRATEGIES.map((x) => [x, x === s ? 1 : 0]));

function product(id: string, extra: Partial<ProductInput> = {}): ProductInput {
  return {
    id,
    name: `Product ${id}`,
    price: 50,
    currency: "EUR",
    stock: 10,
    url: `https://shop.example/p/${id}`,
    category: "shoes",
    brand: "acme",
    ...extra,
  };
}

/** A real SQLite file: catalog, profiles (with the recs sink in their commits) and the engine. */
async function kit() {
  let now = Date.parse("2026-03-02T09:00:00Z");
  const clock = { now: () => now };
  const db = openDatabase(newFile());
  const catalog = createSqliteCatalogStore(db);
  const recs = createSqliteRecsStore(db);
  let seq = 0;
  const profiles = new ProfileService({
    store: createSqliteProfileStore(db),
    secret: "unit-secret-0123456789abcdefghijkl",
    clock,
    random: (n) => {
      const b = new Uint8Array(n);
      new DataView(b.buffer).setUint32(0, ++seq);
      return b;
    },
    windowMs: 1,
    recs: recsSink(recs),
  });
  const engine = new RecsEngine(recs, catalog, clock);
  let msg = 0;
  const send = async (userId: string, event: string, properties: Record<string, unknown>) => {
    const ev = parseEvent(
      {
        type: "track",
        userId,
        event,
        properties,
        messageId: `m-${++msg}`,
        timestamp: new Date(now).toISOString(),
      },
      { receivedAt: now, newId: () => `gen-${++msg}` },
    );
    if ("code" in ev) throw new Error(ev.message);
    await profiles.ingest([ev as IngestEvent]);
  };
  const view = (u: string, id: string, category = "shoes", brand = "acme") =>
    send(u, "Product Viewed", { product_id: id, category, brand });
  const order = (u: string, ids: string[]) =>
    send(u, "Order Completed", {
      order_id: `o-${++msg}`,
      total: 100,
      currency: "EUR",
      products: ids.map((id) => ({ product_id: id, category: "shoes", price: 50 })),
    });
  const choose = async (
    u: string | null,
    opts: Parameters<RecsEngine["choose"]>[0] extends infer R ? Partial<R> : never = {},
  ) => {
    const profile = u ? await profiles.find(u, { history: false }) : null;
    const picks = await engine.choose({ profile, count: 4, now, recipient: u, ...opts });
    return picks.map((p) => p.product.id);
  };
  return {
    db,
    catalog,
    recs,
    profiles,
    engine,
    view,
    order,
    choose,
    upsert: (ps: ProductInput[]) => catalog.upsertMany(ps, now),
    advance: (ms: number) => {
      now += ms;
    },
    get now() {
      return now;
    },
    close: async () => {
      await profiles.close();
      db.close();
    },
  };
}

describe("recommendation strategies on a seeded catalog", () => {
  it("recently viewed, not bought: newest first, a purchase removes it (unless consumable)", async () => {
    const k = await kit();
    await k.upsert(
      ["a", "b", "c", "d"].map((id) => product(id)).concat(product("soap", { tags: ["consumable"] })),
    );
    await k.view("ann", "a");
    k.advance(MIN);
    await k.view("ann", "b");
    k.advance(MIN);
    await k.view("ann", "soap");
    expect((await k.choose("ann", { weights: only("recentlyViewed"), count: 3 })).slice(0, 3)).toEqual([
      "soap",
      "b",
      "a",
    ]);
    await k.order("ann", ["b", "soap"]);
    const after = await k.choose("ann", { weights: only("recentlyViewed"), count: 2 });
    expect(after).toContain("a");
    expect(after).not.toContain("b");
    // A consumable comes back (from the fill here: it is bought, so no longer "viewed, not bought").
    expect(await k.choose("ann", { weights: only("recentlyViewed"), count: 5 })).toContain("soap");
    expect(await k.choose("ann", { weights: only("recentlyViewed"), count: 5 })).not.toContain("b");
    await k.close();
  });

  it("viewed together and bought together learn incrementally from other people's events", async () => {
    const k = await kit();
    await k.upsert(["p1", "p2", "p3", "q1", "q2", "q3", "x"].map((id) => product(id)));
    // Two people look at p1 then p2 in one session; one looks at p1 then p3.
    for (const u of ["u1", "u2"]) {
      await k.view(u, "p1");
      k.advance(MIN);
      await k.view(u, "p2");
    }
    await k.view("u3", "p1");
    k.advance(MIN);
    await k.view("u3", "p3");
    await k.order("u4", ["q1", "q2"]);
    await k.order("u5", ["q1", "q2", "q3"]);
    expect(await k.recs.related("view", "p1", 5)).toEqual(["p2", "p3"]);
    expect(await k.recs.related("view", "p2", 5)).toEqual(["p1"]);
    expect((await k.recs.related("buy", "q1", 5))[0]).toBe("q2");

    await k.view("zed", "p1");
    expect(await k.choose("zed", { weights: only("viewedTogether"), count: 2 })).toEqual(["p2", "p3"]);
    await k.order("yan", ["q1"]);
    expect(await k.choose("yan", { weights: only("boughtTogether"), count: 1 })).toEqual(["q2"]);
    await k.close();
  });

  it("trending (views) and best sellers (orders), time-decayed; cold start gets best sellers in scope", async () => {
    const k = await kit();
    await k.upsert([
      product("old", { category: "shoes" }),
      product("new", { category: "shoes" }),
      product("hat", { category: "hats" }),
    ]);
    // "old" sold 3 times 90 days ago; "new" twice today: decay puts "new" first.
    for (let i = 0; i < 3; i++) await k.order(`o${i}`, ["old"]);
    k.advance(90 * DAY);
    for (let i = 0; i < 2; i++) await k.order(`n${i}`, ["new"]);
    await k.order("h", ["hat"]);
    await k.view("v1", "hat", "hats");
    await k.view("v2", "hat", "hats");
    await k.view("v3", "new");
    expect(await k.recs.popular("buy", {}, 3)).toEqual(["new", "hat", "old"]);
    expect(await k.recs.popular("view", {}, 2)).toEqual(["hat", "new"]);
    // Unknown person: best sellers first; scoped by the block's included categories.
    expect(await k.choose(null, { weights: only("bestSellers"), count: 1 })).toEqual(["new"]);
    const scoped = await k.choose(null, {
      filters: filtersSchema.parse({ include: { categories: ["hats"] } }),
      count: 2,
    });
    expect(scoped).toEqual(["hat"]);
    await k.close();
  });

  it("price drops and back in stock on products the person viewed; new arrivals in their categories", async () => {
    const k = await kit();
    await k.upsert([product("d", { price: 100 }), product("r", { stock: 0 }), product("z"), product("y")]);
    await k.view("ann", "d");
    await k.view("ann", "r");
    await k.view("ann", "z");
    k.advance(DAY);
    await k.upsert([product("d", { price: 70 }), product("r", { stock: 4 })]);
    expect(await k.choose("ann", { weights: only("priceDrops"), count: 1 })).toEqual(["d"]);
    expect(await k.choose("ann", { weights: only("backInStock"), count: 1 })).toEqual(["r"]);
    k.advance(DAY);
    await k.upsert([product("fresh", { category: "shoes" }), product("elsewhere", { category: "bags" })]);
    const arrivals = await k.choose("ann", { weights: only("newArrivals"), count: 1 });
    expect(arrivals).toEqual(["fresh"]);
    await k.close();
  });

  it("filters: stock, operator include/exclude and price range, diversity, rest after too many impressions", async () => {
    const k = await kit();
    await k.upsert([
      product("s1", { category: "shoes", price: 20 }),
      product("s2", { category: "shoes", price: 30 }),
      product("s3", { category: "shoes", price: 40 }),
      product("h1", { category: "hats", price: 25, brand: "other" }),
      product("h2", { category: "hats", price: 500 }),
      product("gone", { category: "shoes", stock: 0 }),
    ]);
    for (const id of ["gone", "s1", "s2", "s3", "h1", "h2"]) await k.order(`buyer-${id}`, [id]);
    const all = await k.choose(null, { count: 4 });
    expect(all).not.toContain("gone");
    // Diversity: at most 2 of 4 tiles from one category while others qualify.
    expect(all.filter((id) => id.startsWith("s")).length).toBe(2);
    const rules = filtersSchema.parse({ exclude: { brands: ["other"] }, maxPrice: 100 });
    const ruled = await k.choose(null, { count: 4, filters: rules });
    expect(ruled).not.toContain("h1");
    expect(ruled).not.toContain("h2");
    expect(ruled.sort()).toEqual(["s1", "s2", "s3"]);
    // Shown 3 times within a day: rested while other products can fill the tiles.
    for (let i = 0; i < 3; i++) k.engine.noteShown("ann", ["s1"], k.now);
    expect(await k.choose("ann", { count: 2, filters: rules })).not.toContain("s1");
    // …but it comes back rather than leave a tile empty.
    expect(
      (
        await k.choose("ann", {
          count: 4,
          filters: filtersSchema.parse({ include: { categories: ["shoes"] } }),
        })
      ).sort(),
    ).toEqual(["s1", "s2", "s3"]);
    await k.close();
  });

  it("fills with fallback products when strategies come short, and an empty catalog gives no products (no throw)", async () => {
    const k = await kit();
    expect(await k.choose("nobody", { count: 4 })).toEqual([]);
    await k.upsert([product("f1"), product("f2")]);
    // No events at all: the fill takes the operator's fallbacks, then any product.
    expect(await k.choose(null, { count: 2, fallbackProducts: ["f2"] })).toEqual(["f2", "f1"]);
    await k.close();
  });

  it("is available as data for templates (services.recs)", async () => {
    const k = await kit();
    await k.upsert([product("t1"), product("t2")]);
    await k.order("b1", ["t2"]);
    const svc = createRecsService(k.engine, k.profiles);
    const list = await svc.for("someone-unknown", { count: 2 });
    expect(list.map((p) => [p.id, p.strategy])).toEqual([
      ["t2", "bestSellers"],
      ["t1", "fallback"],
    ]);
    expect(list[0]).toMatchObject({ url: "https://shop.example/p/t2", price: 50, currency: "EUR" });
    await k.close();
  });

  it("keeps a bounded top K per product: a new pair past K drops the weakest", async () => {
    const k = await kit();
    const at = k.now;
    const pairs = Array.from({ length: MAX_RELATED + 5 }, (_, i) => ({
      kind: "view" as const,
      a: "hub",
      b: `n${i}`,
      w: i + 1,
      at,
    }));
    k.recs.apply({ pairs, popular: [], person: [], merged: [] });
    k.recs.apply({
      pairs: [{ kind: "view", a: "hub", b: "n44", w: 100, at }],
      popular: [],
      person: [],
      merged: [],
    });
    const related = await k.recs.related("view", "hub", 100);
    expect(related.length).toBe(MAX_RELATED);
    expect(related[0]).toBe("n44");
    expect(related).not.toContain("n0");
    expect(related).not.toContain("n4");
    expect(related).toContain("n5");
    await k.close();
  });

  it("forgets a person's products on erasure", async () => {
    const k = await kit();
    await k.upsert([product("a")]);
    await k.view("ann", "a");
    const p = await k.profiles.find("ann");
    expect((await k.recs.person(p!.id)).viewed.map((v) => v.id)).toEqual(["a"]);
    await k.profiles.erase("ann");
    expect((await k.recs.person(p!.id)).viewed).toEqual([]);
    await k.close();
  });
});
