import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DB_FILE } from "../../src/node/server.js";
import { type TestServer, UA } from "../helpers/server.js";
import { post, startIngestServer } from "./helpers.js";

let s: TestServer;
beforeAll(async () => {
  s = await startIngestServer();
});
afterAll(async () => {
  await s.cleanup();
});

/** Every row of the SQLite file that mentions any of these strings, table by table. */
function mentions(needles: string[]): Record<string, number> {
  const db = new Database(join(s.dataDir, DB_FILE), { readonly: true });
  try {
    const out: Record<string, number> = {};
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .pluck()
      .all() as string[];
    for (const t of tables) {
      for (const row of db.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[]) {
        const text = JSON.stringify(row).toLowerCase();
        if (needles.some((n) => text.includes(n.toLowerCase()))) out[t] = (out[t] ?? 0) + 1;
      }
    }
    return out;
  } finally {
    db.close();
  }
}

describe("erasure", () => {
  const person = ["erase-me-user", "erase-anon-1", "gone@example.com"];

  it("export returns everything held; delete leaves nothing behind but a suppression hash", async () => {
    await post(s, "/v1/track", {
      anonymousId: "erase-anon-1",
      event: "Product Viewed",
      properties: { product_id: "p1" },
    });
    await post(s, "/v1/identify", {
      userId: "erase-me-user",
      anonymousId: "erase-anon-1",
      traits: { email: "Gone@Example.com", name: "Gone" },
    });
    await post(s, "/v1/track", { userId: "bystander", event: "Product Viewed" });
    const link = (await (
      await s.api("/v1/links", { method: "POST", json: { url: "https://shop.example/e", campaign: "er" } })
    ).json()) as any;
    await fetch(`${s.url}/o/er.gif?u=gone%40example.com`, { headers: { "user-agent": UA.iphoneSafari } });
    await fetch(`${link.url}?u=erase-me-user`, {
      redirect: "manual",
      headers: { "user-agent": UA.chromeDesktop },
    });
    await fetch(`${s.url}/o/er.gif?u=someone-else%40example.com`, {
      headers: { "user-agent": UA.iphoneSafari },
    });

    const exp = (await (await s.api("/v1/profiles/gone@example.com/export")).json()) as any;
    expect(exp.profile.userId).toBe("erase-me-user");
    expect(exp.identities.sort()).toEqual(["a:erase-anon-1", "e:gone@example.com", "u:erase-me-user"]);
    expect(exp.events.map((e: any) => e.type)).toEqual(["track", "identify"]);
    expect(exp.events[1].body.traits.name).toBe("Gone");
    expect(exp.tracking.map((t: any) => t.kind).sort()).toEqual(["click", "open"]);
    expect(Object.keys(mentions(person)).length).toBeGreaterThan(0);

    const uniques = async () => {
      const st = (await (await s.api("/v1/campaigns/er/stats")).json()) as any;
      return [st.opens.unique, st.clicks.unique, st.opens.total + st.clicks.total];
    };
    expect(await uniques()).toEqual([2, 1, 3]);

    const del = await s.api("/v1/profiles/erase-anon-1", { method: "DELETE" });
    expect(del.status).toBe(200);
    // Not a unique of the campaign any more; its hits still count in the totals.
    expect(await uniques()).toEqual([1, 0, 3]);
    expect(await del.json()).toMatchObject({ erased: true, events: 2, identities: 3, tracking: 2 });
    expect(mentions(person)).toEqual({});
    expect((await s.api("/v1/profiles/erase-me-user")).status).toBe(404);
    expect((await s.api("/v1/profiles/gone@example.com/export")).status).toBe(404);
    // Only the hashes are kept; other people are untouched.
    const db = new Database(join(s.dataDir, DB_FILE), { readonly: true });
    // Its three identity keys, and its user id as an ESP id in `u` (r:erase-me-user).
    expect(db.prepare("SELECT COUNT(*) FROM erased_identities").pluck().get() as number).toBe(4);
    expect(
      db
        .prepare("SELECT COUNT(*) FROM events WHERE recipient = 'someone-else@example.com'")
        .pluck()
        .get() as number,
    ).toBe(1);
    db.close();
    expect((await s.api("/v1/profiles/bystander")).status).toBe(200);
  });

  it("a stray later event under any erased identity does not re-create the person", async () => {
    for (const body of [
      { userId: "erase-me-user", event: "Product Viewed" },
      { anonymousId: "erase-anon-1", event: "Product Viewed" },
      {
        anonymousId: "fresh-device",
        event: "Product Viewed",
        context: { traits: { email: "GONE@example.com" } },
      },
    ]) {
      const res = await post(s, "/v1/track", body);
      expect(res.status).toBe(200); // acknowledged (a retrying client must stop) but dropped
    }
    const opensBefore = ((await (await s.api("/v1/campaigns/er/stats")).json()) as any).opens.total;
    // Later opens under the erased address and user id: counted for the campaign, tied to nobody.
    await fetch(`${s.url}/o/er.gif?u=gone%40example.com`, { headers: { "user-agent": UA.iphoneSafari } });
    await fetch(`${s.url}/o/er.gif?u=erase-me-user`, { headers: { "user-agent": UA.iphoneSafari } });
    for (const id of [...person, "fresh-device"])
      expect((await s.api(`/v1/profiles/${id}`)).status).toBe(404);
    const stats = (await (await s.api("/v1/campaigns/er/stats")).json()) as any;
    expect(stats.opens.total).toBe(opensBefore + 2);
    expect(stats.opens.unique).toBe(1); // someone-else only
    expect(mentions(person)).toEqual({});

    // An evergreen timer opened by them and by someone else: only the other start is kept.
    const block = (await (
      await s.api("/v1/blocks", {
        method: "POST",
        json: {
          type: "countdown",
          options: { evergreen: { duration: 3600, from: "first_open" }, campaign: "er2" },
        },
      })
    ).json()) as any;
    for (const u of ["gone%40example.com", "erase-me-user", "other-reader%40example.com"])
      expect((await fetch(`${block.url}?u=${u}`)).status).toBe(200);
    // First opens are group-committed: wait for the bystander's, written with theirs.
    for (let i = 0; i < 100 && !mentions(["other-reader@example.com"]).block_first_seen; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(mentions(["other-reader@example.com"]).block_first_seen).toBe(1);
    expect(mentions(person)).toEqual({});
  });

  it("answers 404 for unknown people and 401 without the operator key", async () => {
    expect((await s.api("/v1/profiles/nobody", { method: "DELETE" })).status).toBe(404);
    expect((await fetch(`${s.url}/v1/profiles/bystander`, { method: "DELETE" })).status).toBe(401);
  });
});
