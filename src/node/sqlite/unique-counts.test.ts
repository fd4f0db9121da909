import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { trackEvent } from "../../core/testing/track-event.js";
import { tempDbFiles } from "../testing/temp-files.js";
import { createSqliteDecisionLog } from "./decision-store.js";
import { MIGRATIONS } from "./migrations.js";
import { createSqliteProfileStore } from "./profile-store.js";
import { createSqliteStore } from "./store.js";

// Unique recipients are counted as they are added (migration 9's triggers), so stats read a
// few rows; on upgrade, the counts and the uniques' index by recipient start from the
// uniques already stored.
const file = tempDbFiles("opentime-unique-counts-");

/** A database file as a release with `version` migrations left it. */
function databaseAt(version: number): { path: string; old: Database.Database } {
  const path = file();
  const old = new Database(path);
  for (const m of MIGRATIONS.slice(0, version)) old.exec(m);
  old.pragma(`user_version = ${version}`);
  return { path, old };
}

it("counts the uniques a database had before the upgrade, then every new one once", async () => {
  const { path, old } = databaseAt(8);
  const add = old.prepare(
    "INSERT INTO campaign_uniques (campaign, kind, recipient, class) VALUES ('c', ?, ?, ?)",
  );
  add.run("open", "ann", "human");
  add.run("open", "bob", "apple_mpp");
  add.run("click", "ann", "human");
  old.close();

  const store = createSqliteStore(path);
  const stats = async () => {
    const s = await store.events.campaignStats("c");
    return { opens: s.opens.uniqueByClass, clicks: s.clicks.uniqueByClass, unique: s.opens.unique };
  };
  expect(await stats()).toEqual({ opens: { human: 1, apple_mpp: 1 }, clicks: { human: 1 }, unique: 2 });
  // ann again (already unique), cy twice (first as a person), an open without a recipient.
  await store.events.append([
    trackEvent({ recipient: "ann", class: "scanner" }),
    trackEvent({ recipient: "cy", class: "human" }),
    trackEvent({ recipient: "cy", class: "bot" }),
    trackEvent({ recipient: null }),
  ]);
  expect(await stats()).toEqual({ opens: { human: 2, apple_mpp: 1 }, clicks: { human: 1 }, unique: 3 });
  // Erasing people removes their uniques and the counts follow: bob's from before the
  // upgrade (no log row left to find them by), cy's still in the log's unindexed tail.
  const profiles = createSqliteProfileStore(store.db);
  const erase = (r: string) =>
    profiles.erase({ profileId: null, recipients: [r], activityKeys: [], hashes: [], at: 1 });
  expect((await erase("bob")).other).toBe(1);
  expect((await erase("cy")).other).toBe(1);
  expect(await stats()).toEqual({ opens: { human: 1 }, clicks: { human: 1 }, unique: 1 });
  expect(store.db.prepare("SELECT recipient FROM campaign_uniques").pluck().all()).toEqual(["ann", "ann"]);
  await store.close();
});

it("counts a variant's unique recipients from before the upgrade, then as they are shown and erased", async () => {
  const { path, old } = databaseAt(9);
  old.exec(`INSERT INTO decision_counts (block_id, variant, opens, clicks) VALUES ('b', 'red', 3, 1);
            INSERT INTO decision_uniques (block_id, variant, recipient) VALUES ('b', 'red', 'ann'), ('b', 'red', 'bob');`);
  old.close();
  const store = createSqliteStore(path);
  const log = createSqliteDecisionLog(store.db);
  const counts = async () =>
    (await log.countsByVariant("b")).map((c) => `${c.variant}:${c.opens}/${c.uniqueRecipients}/${c.clicks}`);
  expect(await counts()).toEqual(["red:3/2/1"]);
  const shown = (recipient: string, variant: string) => ({
    at: 1,
    blockId: "b",
    recipient,
    variant,
    slots: {},
    kind: "open" as const,
  });
  // ann again (already counted), cy on red, ann on a new variant.
  await log.record([shown("ann", "red"), shown("cy", "red"), shown("ann", "blue")]);
  expect(await counts()).toEqual(["blue:1/1/0", "red:5/3/1"]);
  await log.eraseRecipient("ann");
  expect(await counts()).toEqual(["blue:1/0/0", "red:5/2/1"]);
  await store.close();
});

it("finds by recipient, after the upgrades, uniques with an entry, in the log's unindexed tail, and new ones", async () => {
  const { path, old } = databaseAt(13);
  // dee's open is in the log's unindexed tail (seq 2 > through 1) and already folded into
  // the uniques: before migration 14, erasure found it by reading the tail.
  old.exec(`INSERT INTO events (seq, at, kind, campaign, recipient, class, reasons, method)
              VALUES (1, 1, 'open', 'c', 'ann', 'human', '[]', 'GET'),
                     (2, 2, 'open', 'c', 'dee', 'human', '[]', 'GET');
            UPDATE log_index_state SET through = 1;
            INSERT INTO campaign_uniques (campaign, kind, recipient, class)
              VALUES ('c', 'open', 'ann', 'human'), ('c', 'open', 'dee', 'human');
            INSERT INTO campaign_uniques_by_recipient (recipient, campaign, kind) VALUES ('ann', 'c', 'open');`);
  old.close();
  const store = createSqliteStore(path);
  // A unique written after the upgrades has no entry (migration 17): erasure finds it
  // through its log row, here still in the unindexed tail.
  await store.events.append([trackEvent({ recipient: "eve", kind: "click", campaign: "c" })]);
  const byRecipient = () =>
    store.db
      .prepare("SELECT recipient || '/' || kind FROM campaign_uniques_by_recipient ORDER BY 1")
      .pluck()
      .all();
  expect(byRecipient()).toEqual(["ann/open", "dee/open"]);
  expect(store.db.prepare("SELECT recipient FROM campaign_uniques ORDER BY 1").pluck().all()).toEqual([
    "ann",
    "dee",
    "eve",
  ]);
  const profiles = createSqliteProfileStore(store.db);
  const erase = (r: string) =>
    profiles.erase({ profileId: null, recipients: [r], activityKeys: [], hashes: [], at: 3 });
  expect((await erase("dee")).other).toBe(1);
  expect((await erase("eve")).other).toBe(1);
  expect(store.db.prepare("SELECT recipient FROM campaign_uniques").pluck().all()).toEqual(["ann"]);
  expect(byRecipient()).toEqual(["ann/open"]);
  const s = await store.events.campaignStats("c");
  expect([s.opens.unique, s.clicks.unique]).toEqual([1, 0]);
  await store.close();
});
