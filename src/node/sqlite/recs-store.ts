import type Database from "better-sqlite3";
import type { ProductRecord } from "../../core/ports/catalog.js";
import {
  DECAY_HALF_LIFE,
  decayedWeight,
  MAX_PERSON_ITEMS,
  MAX_RELATED,
  type RecsDelta,
  type RecsStore,
} from "../../core/ports/recs.js";
import { Lru } from "../../core/util/lru.js";
import { immediate } from "./write-lock.js";

type Row = {
  id: string;
  name: string;
  price: number;
  currency: string;
  compare_at_price: number | null;
  stock: number | null;
  image_url: string | null;
  url: string | null;
  category: string | null;
  brand: string | null;
  tags: string | null;
  version: number;
  created_at: number;
  updated_at: number;
  price_since: number;
};

const toProduct = (r: Row): ProductRecord => ({
  id: r.id,
  name: r.name,
  price: r.price,
  currency: r.currency,
  compareAtPrice: r.compare_at_price,
  stock: r.stock,
  imageUrl: r.image_url,
  url: r.url,
  category: r.category,
  brand: r.brand,
  tags: r.tags ? (JSON.parse(r.tags) as string[]) : [],
  version: r.version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  priceSince: r.price_since,
});

/** Ids per `IN (…)` read: SQLite's bound-parameter limit is far above, statements are cached per size. */
const CHUNK = 64;

/**
 * Recommendations in the shared SQLite file (migration 21). `apply` writes with small
 * prepared statements and no reads but the bounded-K checks, inside the caller's
 * transaction when there is one (the profile group commit), else its own.
 */
export function createSqliteRecsStore(db: Database.Database): RecsStore {
  // Insert-or-ignore then update, not an upsert: whether a row is new decides the K check.
  const insertPair = db.prepare("INSERT OR IGNORE INTO recs_pairs (kind, a, b, score) VALUES (?, ?, ?, ?)");
  const updatePair = db.prepare("UPDATE recs_pairs SET score = score + ? WHERE kind = ? AND a = ? AND b = ?");
  const pairCount = db.prepare("SELECT count(*) FROM recs_pairs WHERE kind = ? AND a = ?").pluck();
  const dropWeakestPair = db.prepare(
    `DELETE FROM recs_pairs WHERE kind = ? AND a = ? AND b = (
       SELECT b FROM recs_pairs WHERE kind = ? AND a = ? ORDER BY score LIMIT 1)`,
  );
  const addPopular = db.prepare(
    `INSERT INTO recs_popular (kind, product_id, score, category, brand) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (kind, product_id) DO UPDATE SET score = score + excluded.score,
         category = coalesce(excluded.category, category), brand = coalesce(excluded.brand, brand)`,
  );
  const insertPerson = db.prepare(
    "INSERT OR IGNORE INTO recs_person (profile_id, kind, product_id, at) VALUES (?, ?, ?, ?)",
  );
  const updatePerson = db.prepare(
    "UPDATE recs_person SET at = max(at, ?) WHERE profile_id = ? AND kind = ? AND product_id = ?",
  );
  const personCount = db
    .prepare("SELECT count(*) FROM recs_person WHERE profile_id = ? AND kind = ?")
    .pluck();
  const dropOldestPerson = db.prepare(
    `DELETE FROM recs_person WHERE profile_id = ? AND kind = ? AND product_id = (
       SELECT product_id FROM recs_person WHERE profile_id = ? AND kind = ? ORDER BY at LIMIT 1)`,
  );
  const movePerson = db.prepare(
    `INSERT INTO recs_person (profile_id, kind, product_id, at)
       SELECT ?, kind, product_id, at FROM recs_person WHERE profile_id = ? AND true
       ON CONFLICT (profile_id, kind, product_id) DO UPDATE SET at = max(at, excluded.at)`,
  );
  const deletePerson = db.prepare("DELETE FROM recs_person WHERE profile_id = ?");
  const personRows = db.prepare(
    "SELECT kind, product_id AS id, at FROM recs_person WHERE profile_id = ? ORDER BY at DESC",
  );
  const relatedRows = db
    .prepare("SELECT b FROM recs_pairs WHERE kind = ? AND a = ? ORDER BY score DESC LIMIT ?")
    .pluck();
  const popularAll = db
    .prepare("SELECT product_id FROM recs_popular WHERE kind = ? ORDER BY score DESC LIMIT ?")
    .pluck();
  const popularCategory = db
    .prepare(
      "SELECT product_id FROM recs_popular WHERE kind = ? AND category = ? ORDER BY score DESC LIMIT ?",
    )
    .pluck();
  const popularBrand = db
    .prepare("SELECT product_id FROM recs_popular WHERE kind = ? AND brand = ? ORDER BY score DESC LIMIT ?")
    .pluck();
  const newestAll = db.prepare(
    "SELECT * FROM products WHERE created_at >= ? ORDER BY created_at DESC LIMIT ?",
  );
  const newestCategory = db.prepare(
    "SELECT * FROM products WHERE category = ? AND created_at >= ? ORDER BY created_at DESC LIMIT ?",
  );
  const byIds = new Map<number, Database.Statement>();
  const byIdsOf = (n: number) => {
    let s = byIds.get(n);
    if (!s) {
      s = db.prepare(`SELECT * FROM products WHERE id IN (${new Array(n).fill("?").join(",")})`);
      byIds.set(n, s);
    }
    return s;
  };

  // Rows per (kind, product) and (person, kind), counted once from the table and then kept
  // here, so a new row costs no count(*) (this connection is the tables' only writer; after
  // a rolled-back group they may count too many, which only prunes a product's K early).
  const counts = new Lru<string, number>(200_000);
  const applyHere = (delta: RecsDelta) => {
    for (const m of delta.merged) {
      movePerson.run(m.to, m.from);
      deletePerson.run(m.from);
      for (const k of ["view", "buy"]) {
        counts.delete(`${m.to}\u0000${k}`);
        counts.delete(`${m.from}\u0000${k}`);
      }
    }
    for (const p of delta.pairs) {
      const score = decayedWeight(p.w, p.at, DECAY_HALF_LIFE.pair);
      if (insertPair.run(p.kind, p.a, p.b, score).changes === 0) {
        updatePair.run(score, p.kind, p.a, p.b);
        continue;
      }
      // A new row may take the product past its K: drop the weakest.
      const key = `${p.kind}\u0000${p.a}`;
      const held = counts.get(key);
      let n = held === undefined ? (pairCount.get(p.kind, p.a) as number) : held + 1;
      if (n > MAX_RELATED) {
        dropWeakestPair.run(p.kind, p.a, p.kind, p.a);
        n--;
      }
      counts.set(key, n);
    }
    for (const p of delta.popular)
      addPopular.run(p.kind, p.id, decayedWeight(p.w, p.at, DECAY_HALF_LIFE[p.kind]), p.category, p.brand);
    for (const p of delta.person) {
      if (insertPerson.run(p.profileId, p.kind, p.id, p.at).changes === 0) {
        updatePerson.run(p.at, p.profileId, p.kind, p.id);
        continue;
      }
      const key = `${p.profileId}\u0000${p.kind}`;
      const held = counts.get(key);
      let n = held === undefined ? (personCount.get(p.profileId, p.kind) as number) : held + 1;
      while (n > MAX_PERSON_ITEMS) {
        dropOldestPerson.run(p.profileId, p.kind, p.profileId, p.kind);
        n--;
      }
      counts.set(key, n);
    }
  };
  const applyTx = immediate(db, applyHere);
  const eraseTx = immediate(db, (profileId: string) => {
    deletePerson.run(profileId);
    counts.delete(`${profileId}\u0000view`);
    counts.delete(`${profileId}\u0000buy`);
  });

  return {
    apply(delta) {
      if (!delta.pairs.length && !delta.popular.length && !delta.person.length && !delta.merged.length)
        return;
      applyTx(delta);
    },
    erasePerson(profileId) {
      eraseTx(profileId);
    },
    async person(profileId) {
      const viewed = [];
      const bought = [];
      for (const r of personRows.all(profileId) as { kind: string; id: string; at: number }[]) {
        if (r.kind === "view") viewed.push({ id: r.id, at: r.at });
        else bought.push({ id: r.id, at: r.at });
      }
      return { viewed, bought };
    },
    async related(kind, id, limit) {
      return relatedRows.all(kind, id, limit) as string[];
    },
    async popular(kind, scope, limit) {
      if (scope.category !== undefined) return popularCategory.all(kind, scope.category, limit) as string[];
      if (scope.brand !== undefined) return popularBrand.all(kind, scope.brand, limit) as string[];
      return popularAll.all(kind, limit) as string[];
    },
    async products(ids) {
      const out: ProductRecord[] = [];
      for (let i = 0; i < ids.length; i += CHUNK) {
        const part = ids.slice(i, i + CHUNK);
        for (const r of byIdsOf(part.length).all(...part) as Row[]) out.push(toProduct(r));
      }
      return out;
    },
    async newest(category, since, limit) {
      const rows = (
        category === null ? newestAll.all(since, limit) : newestCategory.all(category, since, limit)
      ) as Row[];
      return rows.map(toProduct);
    },
  };
}
