import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it, vi } from "vitest";
import { DB_FILE } from "../../src/node/server.js";
import { budgetFor, spawnServer, startBudget } from "../helpers/process.js";
import { TEST_API_KEY, TEST_SECRET, tempDir } from "../helpers/server.js";
import { basic, WRITE_KEY } from "./helpers.js";

const dataDir = tempDir();
const env = {
  OPENTIME_DATA_DIR: dataDir,
  OPENTIME_API_KEY: TEST_API_KEY,
  OPENTIME_SECRET: TEST_SECRET,
  OPENTIME_WRITE_KEY: WRITE_KEY,
};
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("crash safety of ingestion", () => {
  it("every event answered 200 survives a SIGKILL mid-load, profiles included", {
    timeout: budgetFor(4),
  }, async () => {
    let srv = await spawnServer(env);
    const acked: string[] = [];
    let stop = false;
    let sent = 0;
    // 8 concurrent senders of 50-event batches until the kill.
    const sender = async (w: number) => {
      for (let b = 0; !stop; b++) {
        const batch = Array.from({ length: 50 }, (_, i) => ({
          type: "track",
          userId: `crash-${w}-${i % 5}`,
          anonymousId: `anon-${w}-${i % 5}`,
          event: "Product Viewed",
          properties: { product_id: `p${i}` },
          messageId: `w${w}-b${b}-e${i}`,
        }));
        sent += batch.length;
        try {
          const res = await fetch(`${srv.url}/v1/batch`, {
            method: "POST",
            headers: { authorization: basic(WRITE_KEY), "content-type": "application/json" },
            body: JSON.stringify({ batch }),
          });
          if (res.status === 200) acked.push(...batch.map((e) => e.messageId));
        } catch {
          return; // the server died under us: this batch was never acknowledged
        }
      }
    };
    const senders = Array.from({ length: 8 }, (_, w) => sender(w));
    // Mid-load: once enough has been acknowledged for the count to mean something.
    await vi.waitFor(() => expect(acked.length).toBeGreaterThan(500), {
      timeout: startBudget(),
      interval: 10,
    });
    srv.child.kill("SIGKILL");
    stop = true;
    await srv.exited;
    await Promise.all(senders);
    expect(acked.length).toBeGreaterThan(500);

    srv = await spawnServer(env); // reopens the file (WAL recovery) like an operator restart
    const db = new Database(join(dataDir, DB_FILE), { readonly: true });
    const stored = new Set(db.prepare("SELECT message_id FROM profile_events").pluck().all() as string[]);
    const missing = acked.filter((m) => !stored.has(m));
    expect(missing, `${missing.length} acknowledged of ${acked.length} (sent ${sent}) lost`).toEqual([]);
    // Each profile counts exactly the events stored for it: none lost, none twice.
    const rows = db
      .prepare(
        "SELECT id, doc, (SELECT COUNT(*) FROM profile_events e WHERE e.profile_id = p.id) AS n FROM profiles p",
      )
      .all() as { doc: string; n: number }[];
    for (const r of rows) expect(JSON.parse(r.doc).counts.events).toBe(r.n);
    db.close();
    const p = (await (
      await fetch(`${srv.url}/v1/profiles/crash-0-0`, {
        headers: { authorization: `Bearer ${TEST_API_KEY}` },
      })
    ).json()) as any;
    expect(p.identities.anonymousIds).toEqual(["anon-0-0"]);
    srv.child.kill("SIGTERM");
    expect(await srv.exited).toBe(0);
  });
});
