import { describe, expect, it } from "vitest";
import { tempDbFiles } from "../testing/temp-files.js";
import { startModuleWorker } from "../worker-thread.js";
import { createSqliteCouponStore, createSqlitePollStore } from "./live-store.js";
import { openDatabase } from "./store.js";

const newFile = tempDbFiles("opentime-live-");

function grantsIn(file: string, recipients: string[]): Promise<[string, string | null][]> {
  const w = startModuleWorker(import.meta.url, "../testing/coupon-grants.worker", {
    file,
    offer: "offer-1",
    pool: "p",
    recipients,
  });
  return new Promise((ok, fail) => {
    w.once("message", ok);
    w.once("error", fail);
  });
}

describe("SQLite coupon store", () => {
  it("three connections granting at once: one code per person, never one code for two", async () => {
    const file = newFile();
    const db = openDatabase(file);
    const coupons = createSqliteCouponStore(db);
    const codes = Array.from({ length: 300 }, (_, i) => `C${i}`);
    expect(await coupons.addCodes("p", codes, 1)).toEqual({ added: 300, duplicates: [] });
    // Everyone is asked for by every connection, in a different order each.
    const people = Array.from({ length: 120 }, (_, i) => `r${i}`);
    const [a, b] = await Promise.all([
      grantsIn(file, people),
      grantsIn(file, [...people].reverse()),
      (async () => {
        for (const r of people.filter((_, i) => i % 2 === 0))
          await coupons.grant("offer-1", r, [{ level: "l", pool: "p", cap: null }], 2);
      })(),
    ]);
    const mine = new Map<string, string | null>();
    for (const r of people) mine.set(r, (await coupons.grantOf("offer-1", r))?.code ?? null);
    for (const [r, code] of [...a!, ...b!]) expect(code, r).toBe(mine.get(r));
    const given = [...mine.values()];
    expect(given.every((c) => c !== null)).toBe(true);
    expect(new Set(given).size).toBe(people.length);
    expect(await coupons.stats("p")).toEqual({
      pool: "p",
      total: 300,
      assigned: 120,
      redeemed: 0,
      available: 180,
    });
    db.close();
  });

  it("caps a level per offer and falls to the next; an empty pool grants no code; redeem once", async () => {
    const db = openDatabase(newFile());
    const coupons = createSqliteCouponStore(db);
    await coupons.addCodes("gold", ["G1"], 1);
    const levels = [
      { level: "gold", pool: "gold", cap: 1 },
      { level: "silver", pool: "silver", cap: null },
    ];
    expect(await coupons.grant("o", "a", levels, 1)).toEqual({ level: "gold", code: "G1", at: 1 });
    expect(await coupons.grant("o", "b", levels, 2)).toEqual({ level: "silver", code: null, at: 2 });
    // The same person, later: the same grant.
    expect(await coupons.grant("o", "a", levels, 3)).toEqual({ level: "gold", code: "G1", at: 1 });
    expect(await coupons.redeem("G1", 5)).toBe(true);
    expect(await coupons.redeem("G1", 6)).toBe(false);
    expect(await coupons.redeem("nope", 6)).toBe(false);
    // Erasure: the grant goes, the code stays taken under no name.
    expect(await coupons.eraseRecipient("a")).toBe(2);
    expect(await coupons.grantOf("o", "a")).toBeNull();
    expect(db.prepare("SELECT count(*) FROM coupon_codes WHERE recipient = 'a'").pluck().get()).toBe(0);
    expect(await coupons.stats("gold")).toMatchObject({ assigned: 1, available: 0 });
    db.close();
  });
});

describe("SQLite poll store", () => {
  it("one vote per person: a later vote replaces the earlier", async () => {
    const db = openDatabase(newFile());
    const polls = createSqlitePollStore(db);
    await polls.vote("q", "ann", "a", 1);
    await polls.vote("q", "bob", "a", 2);
    await polls.vote("q", "ann", "b", 3);
    expect({ ...(await polls.tally("q")) }).toEqual({ a: 1, b: 1 });
    expect({ ...(await polls.tally("other")) }).toEqual({});
    expect(await polls.eraseRecipient("ann")).toBe(1);
    expect({ ...(await polls.tally("q")) }).toEqual({ a: 1 });
    db.close();
  });
});
