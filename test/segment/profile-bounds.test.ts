import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAX_CURRENCIES,
  MAX_GROUP_TRAITS_CHARS,
  MAX_GROUPS,
  MAX_TRAITS_CHARS,
} from "../../src/core/profiles/model.js";
import { DB_FILE } from "../../src/node/server.js";
import type { TestServer } from "../helpers/server.js";
import { post, startIngestServer } from "./helpers.js";

let s: TestServer;
beforeAll(async () => {
  s = await startIngestServer();
});
afterAll(async () => {
  await s.cleanup();
});

/** The stored document's size in the SQLite file, in bytes, for a user id. */
function storedSize(userId: string): number {
  const db = new Database(join(s.dataDir, DB_FILE), { readonly: true });
  try {
    return db
      .prepare(
        "SELECT length(CAST(doc AS BLOB)) FROM profiles WHERE id = (SELECT profile_id FROM profile_identities WHERE key = ?)",
      )
      .pluck()
      .get(`u:${userId}`) as number;
  } finally {
    db.close();
  }
}

/** Sends events in batches that stay under the 500 KB batch limit. */
async function sendAll(events: object[], perBatch: number) {
  for (let i = 0; i < events.length; i += perBatch) {
    const res = await post(s, "/v1/batch", { batch: events.slice(i, i + perBatch) });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ success: true });
  }
}

const profile = async (id: string) => (await (await s.api(`/v1/profiles/${id}`)).json()) as any;

describe("a profile stays bounded whatever a client sends", () => {
  it("300 group calls with 30 KB of traits each keep the most recent groups, each trimmed", async () => {
    // This once made a 9 MB document, each write of it 0.2 s with every other write waiting.
    const t0 = Date.now() - 3_600_000;
    const groups = Array.from({ length: 300 }, (_, i) => ({
      type: "group",
      userId: "groupie",
      groupId: `g-${i}`,
      timestamp: new Date(t0 + i * 1000).toISOString(),
      traits: { name: `Group ${i}`, plan: "pro", blob: "x".repeat(30_000) },
    }));
    await sendAll(groups, 15);
    const p = await profile("groupie");
    expect(p.counts.group).toBe(300);
    expect(Object.keys(p.groups).sort()).toEqual(
      Array.from({ length: MAX_GROUPS }, (_, i) => `g-${300 - MAX_GROUPS + i}`).sort(),
    );
    // The keys that fit: the 30 KB blob does not.
    expect(p.groups["g-299"].traits).toEqual({ name: "Group 299", plan: "pro" });
    for (const g of Object.values(p.groups) as any[])
      expect(JSON.stringify(g.traits).length).toBeLessThanOrEqual(MAX_GROUP_TRAITS_CHARS);
    expect(storedSize("groupie")).toBeLessThan(64 * 1024);
    // Every event is still stored whole (export has them).
    const exp = (await (await s.api("/v1/profiles/groupie/export")).json()) as any;
    expect(exp.events).toHaveLength(300);
    expect(exp.events[299].body.traits.blob).toHaveLength(30_000);
  });

  it("traits stop at 16 KB of JSON; new currencies past 20 are not summed", async () => {
    const t0 = Date.now() - 3_600_000;
    const identifies = Array.from({ length: 100 }, (_, i) => ({
      type: "identify",
      userId: "hoarder",
      timestamp: new Date(t0 + i * 1000).toISOString(),
      traits: { [`t${i}`]: "y".repeat(2_000) },
    }));
    await sendAll(identifies, 50);
    const orders = Array.from({ length: 30 }, (_, i) => ({
      type: "track",
      userId: "hoarder",
      event: "Order Completed",
      timestamp: new Date(t0 + 200_000 + i * 1000).toISOString(),
      properties: { order_id: `o-${i}`, total: 1, currency: `C${String(i).padStart(2, "0")}` },
    }));
    await sendAll(orders, 30);
    const p = await profile("hoarder");
    expect(JSON.stringify(p.traits).length).toBeLessThanOrEqual(MAX_TRAITS_CHARS);
    expect(Object.keys(p.traits).length).toBeGreaterThan(5);
    // The first ones that fitted are kept; later ones did not fit.
    expect(p.traits.t0).toHaveLength(2_000);
    expect(p.traits.t99).toBeUndefined();
    expect(p.purchases.count).toBe(30);
    expect(Object.keys(p.purchases.ltv)).toHaveLength(MAX_CURRENCIES);
    expect(p.purchases.ltv.C00).toBe(1);
    expect(p.purchases.ltv.C29).toBeUndefined();
    expect(storedSize("hoarder")).toBeLessThan(64 * 1024);
  });
});
