import { describe, expect, it } from "vitest";
import {
  type CatalogStore,
  MAX_HISTORY_PER_PRODUCT,
  type ProductInput,
} from "../../src/core/ports/catalog.js";

/** One contract every CatalogStore adapter passes: the in-memory fake and SQLite. */
export function catalogStoreContract(
  name: string,
  open: () => Promise<{ store: CatalogStore; reopen?: () => Promise<CatalogStore> }>,
) {
  const shoe: ProductInput = { id: "sku-1", name: "Trail shoe", price: 100, currency: "EUR", stock: 12 };

  describe(`CatalogStore contract: ${name}`, () => {
    it("creates products with version 1, nulls for absent fields and a first history point", async () => {
      const { store } = await open();
      expect(await store.upsertMany([shoe, { ...shoe, id: "sku-2" }], 1000)).toEqual({
        created: 2,
        updated: 0,
        unchanged: 0,
        changes: [],
      });
      expect(await store.get("sku-1")).toEqual({
        ...shoe,
        compareAtPrice: null,
        imageUrl: null,
        url: null,
        category: null,
        brand: null,
        tags: [],
        version: 1,
        createdAt: 1000,
        updatedAt: 1000,
        priceSince: 1000,
      });
      expect(await store.history("sku-1")).toEqual([{ at: 1000, price: 100, currency: "EUR", stock: 12 }]);
      expect(await store.get("nope")).toBeNull();
      expect(await store.history("nope")).toEqual([]);
    });

    it("bumps the version only on a change, and appends history only for price or stock", async () => {
      const { store } = await open();
      await store.upsertMany([shoe], 1000);
      expect(await store.upsertMany([shoe], 2000)).toEqual({
        created: 0,
        updated: 0,
        unchanged: 1,
        changes: [],
      });
      expect((await store.get("sku-1"))?.version).toBe(1);

      await store.upsertMany([{ ...shoe, name: "Trail shoe II" }], 3000);
      let p = await store.get("sku-1");
      expect(p).toMatchObject({ version: 2, updatedAt: 3000, priceSince: 1000, name: "Trail shoe II" });
      expect(await store.history("sku-1")).toHaveLength(1);

      // Price drops and restocks are reported (flows' catalog triggers); a sell-out is not.
      const dropped = await store.upsertMany([{ ...shoe, name: "Trail shoe II", price: 80 }], 4000);
      expect(dropped.changes).toEqual([
        {
          productId: "sku-1",
          change: "price_drop",
          before: { price: 100, stock: 12 },
          after: { price: 80, stock: 12, currency: "EUR", name: "Trail shoe II", url: null, imageUrl: null },
        },
      ]);
      expect(
        (await store.upsertMany([{ ...shoe, name: "Trail shoe II", price: 80, stock: 0 }], 5000)).changes,
      ).toEqual([]);
      p = await store.get("sku-1");
      expect(p).toMatchObject({ version: 4, price: 80, stock: 0, priceSince: 4000, createdAt: 1000 });
      expect(await store.history("sku-1")).toEqual([
        { at: 5000, price: 80, currency: "EUR", stock: 0 },
        { at: 4000, price: 80, currency: "EUR", stock: 12 },
        { at: 1000, price: 100, currency: "EUR", stock: 12 },
      ]);
      expect(await store.history("sku-1", 1)).toHaveLength(1);
      const restocked = await store.upsertMany(
        [{ ...shoe, name: "Trail shoe II", price: 90, stock: 4 }],
        6000,
      );
      expect(restocked.changes).toMatchObject([
        { change: "back_in_stock", before: { stock: 0 }, after: { stock: 4 } },
      ]);
    });

    it("keeps stock and reference price nullable (untracked stock is never sold out)", async () => {
      const { store } = await open();
      await store.upsertMany([{ ...shoe, stock: 3, compareAtPrice: 120 }], 1);
      await store.upsertMany([{ ...shoe, stock: null, compareAtPrice: null }], 2);
      expect(await store.get("sku-1")).toMatchObject({ stock: null, compareAtPrice: null, version: 2 });
      expect((await store.history("sku-1"))[0]).toEqual({ at: 2, price: 100, currency: "EUR", stock: null });
    });

    it(`bounds history to the newest ${MAX_HISTORY_PER_PRODUCT} points per product`, async () => {
      const { store } = await open();
      for (let i = 0; i < MAX_HISTORY_PER_PRODUCT + 5; i++) {
        await store.upsertMany([{ ...shoe, price: 100 + i }], 1000 + i);
      }
      const h = await store.history("sku-1");
      expect(h).toHaveLength(MAX_HISTORY_PER_PRODUCT);
      expect(h[0]!.price).toBe(100 + MAX_HISTORY_PER_PRODUCT + 4);
      expect(h.at(-1)!.price).toBe(105);
    });

    it("keeps category, brand and tags; a change to any of them is a new version", async () => {
      const { store } = await open();
      const tagged = { ...shoe, category: "Shoes", brand: "Alp", tags: ["trail", "waterproof"] };
      await store.upsertMany([tagged], 1);
      expect(await store.get("sku-1")).toMatchObject({ category: "Shoes", brand: "Alp", version: 1 });
      expect((await store.get("sku-1"))?.tags).toEqual(["trail", "waterproof"]);
      expect(await store.upsertMany([{ ...tagged, tags: ["trail", "waterproof"] }], 2)).toMatchObject({
        unchanged: 1,
      });
      await store.upsertMany([{ ...tagged, tags: ["waterproof", "trail"] }], 3);
      expect(await store.get("sku-1")).toMatchObject({ version: 2, tags: ["waterproof", "trail"] });
      await store.upsertMany([{ ...tagged, tags: null, brand: null }], 4);
      expect(await store.get("sku-1")).toMatchObject({
        version: 3,
        tags: [],
        brand: null,
        category: "Shoes",
      });
      // Labels are not price or stock: no history point for them.
      expect(await store.history("sku-1")).toHaveLength(1);
    });

    it("keeps products and history across a reopen (when the adapter persists)", async () => {
      const { store, reopen } = await open();
      if (!reopen) return;
      await store.upsertMany([shoe], 1000);
      await store.upsertMany([{ ...shoe, price: 90 }], 2000);
      const again = await reopen();
      expect(await again.get("sku-1")).toMatchObject({ price: 90, version: 2, priceSince: 2000 });
      expect(await again.history("sku-1")).toHaveLength(2);
    });
  });
}
