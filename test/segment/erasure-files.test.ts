import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DB_FILE } from "../../src/node/server.js";
import { type TestServer, UA } from "../helpers/server.js";
import { mailgunSigned } from "../helpers/webhooks.js";
import { post, startIngestServer } from "./helpers.js";

// Erasure as a forensic reader checks it: the raw bytes of the SQLite file and its WAL,
// free pages and old page versions included, must not hold the erased address.
const MAILGUN_KEY = "key-erase-0123456789abcdef0123456789";
let s: TestServer;
beforeAll(async () => {
  s = await startIngestServer({ OPENTIME_MAILGUN_SIGNING_KEY: MAILGUN_KEY });
});
afterAll(async () => {
  await s.cleanup();
});

/** Which of the database's files hold `needle` anywhere in their bytes (any case). */
function filesHolding(needle: string): string[] {
  const out: string[] = [];
  for (const f of [DB_FILE, `${DB_FILE}-wal`]) {
    const path = join(s.dataDir, f);
    if (!existsSync(path)) continue;
    if (readFileSync(path).toString("latin1").toLowerCase().includes(needle.toLowerCase())) out.push(f);
  }
  return out;
}

const mailgun = (data: object) =>
  fetch(`${s.url}/v1/webhooks/mailgun`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(mailgunSigned(MAILGUN_KEY, data)),
  });

describe("erasure leaves nothing in the database files", () => {
  it("the address is in neither opentime.db nor its WAL after DELETE /v1/profiles/:id", async () => {
    const email = "Forensic.Person@Example.com";
    await post(s, "/v1/identify", { userId: "forensic-1", anonymousId: "forensic-anon", traits: { email } });
    // Rewritten many times, so older versions of its pages sit in the WAL and free pages.
    for (let i = 0; i < 30; i++)
      await post(s, "/v1/track", {
        userId: "forensic-1",
        event: "Product Viewed",
        properties: { product_id: `sku-${i}`, note: "x".repeat(i * 200), contact: email },
      });
    expect(
      (await mailgun({ event: "opened", id: "f-1", timestamp: Date.now() / 1000, recipient: email })).status,
    ).toBe(200);
    await fetch(`${s.url}/o/forensic.gif?u=${encodeURIComponent(email.toLowerCase())}`, {
      headers: { "user-agent": UA.iphoneSafari },
    });
    // A bystander whose rows share pages with the person's.
    await post(s, "/v1/identify", { userId: "bystander-f", traits: { email: "stays@example.com" } });
    // A restart checkpoints the WAL into opentime.db: the person's rows are in its pages.
    await s.close();
    s = await startIngestServer({ OPENTIME_MAILGUN_SIGNING_KEY: MAILGUN_KEY }, s.dataDir);
    expect((await s.api(`/v1/profiles/${encodeURIComponent(email)}`)).status).toBe(200);
    expect(filesHolding(email)).toEqual([DB_FILE]);
    // More writes after the restart: old versions of pages in the WAL too.
    await post(s, "/v1/track", {
      userId: "forensic-1",
      event: "Cart Viewed",
      properties: { contact: email },
    });
    expect(filesHolding(email)).toEqual([DB_FILE, `${DB_FILE}-wal`]);

    const del = await s.api(`/v1/profiles/${encodeURIComponent(email)}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect(filesHolding(email)).toEqual([]);
    expect(filesHolding("forensic-anon")).toEqual([]);
    expect(filesHolding("stays@example.com")).not.toEqual([]);
    expect((await s.api("/v1/profiles/bystander-f")).status).toBe(200);
  });

  it("erasing an address clears it from every profile that named it (a shared inbox)", async () => {
    const shared = "family@example.com";
    // Two users of one inbox: the address's key is the first one's; the second's traits hold it too.
    await post(s, "/v1/identify", { userId: "parent", traits: { email: shared, name: "Pat" } });
    await post(s, "/v1/identify", { userId: "child", traits: { email: shared, name: "Kim" } });
    await post(s, "/v1/track", {
      userId: "child",
      event: "Product Viewed",
      properties: { product_id: "toy" },
      context: { traits: { email: shared } },
    });
    const before = (await (await s.api("/v1/profiles/child")).json()) as any;
    expect(before.traits.email).toBe(shared);
    expect((await (await s.api(`/v1/profiles/${shared}`)).json()).userId).toBe("parent");

    expect((await s.api(`/v1/profiles/${shared}`, { method: "DELETE" })).status).toBe(200);
    expect((await s.api("/v1/profiles/parent")).status).toBe(404);
    const child = (await (await s.api("/v1/profiles/child")).json()) as any;
    expect(child.traits).toEqual({ name: "Kim" });
    expect(child.counts).toMatchObject({ events: 2, identify: 1, track: 1 });
    expect(child.interests.products.map((p: any) => p.id)).toEqual(["toy"]);
    const exp = (await (await s.api("/v1/profiles/child/export")).json()) as any;
    expect(JSON.stringify(exp)).not.toContain(shared);
    expect(filesHolding(shared)).toEqual([]);
  });
});
