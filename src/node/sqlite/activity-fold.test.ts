import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { TrackEvent } from "../../core/ports/index.js";
import { aggregateActivity } from "../../core/profiles/activity.js";
import { trackEvent } from "../../core/testing/track-event.js";
import { whileAWriterWaits } from "../testing/lock-waiter.js";
import { tempDbFiles } from "../testing/temp-files.js";
import { createActivityFolder } from "./activity-fold.js";
import { createSqliteProfileStore } from "./profile-store.js";
import { createEventWriter, openDatabase } from "./store.js";

// Email activity and campaign uniques folded from the log (activity-fold.ts) on a real
// SQLite file: what is read before and after a fold, after a crash, and around an erasure.
const file = tempDbFiles("opentime-activity-fold-");

let clock = Date.UTC(2026, 10, 29, 9, 0, 0);
const hit = (
  recipient: string | null,
  kind: TrackEvent["kind"] = "open",
  cls: TrackEvent["class"] = "human",
) => trackEvent({ at: clock++, kind, recipient, class: cls });
// The erased-person hash: any stable function of the key will do here.
const hashOf = (k: string) => `h:${k}`;

/** The event writer thread's steps: log a batch, then stage what was logged. */
function open(path: string, opts: { foldMs?: number; maxKeys?: number; sliceKeys?: number } = {}) {
  const db = openDatabase(path);
  let now = clock;
  const folder = createActivityFolder(db, hashOf, { ...opts, now: () => now });
  const write = createEventWriter(db, { erasedKeys: folder.erasedKeys, uniquesLater: true });
  const profiles = createSqliteProfileStore(db);
  return {
    db,
    folder,
    profiles,
    append(batch: TrackEvent[]) {
      const { logged, through } = write(batch);
      folder.stage(logged, through);
    },
    advance: (ms: number) => {
      now += ms;
    },
    activity: async (key: string) => (await profiles.activity([key]))[0] ?? null,
    through: () => db.prepare("SELECT through FROM activity_fold_state").pluck().get() as number,
    /** A window part-way: the log seq it ends at and the last key written. */
    partial: () =>
      db.prepare("SELECT window_end AS windowEnd, done_key AS doneKey FROM activity_fold_state").get(),
    /** Campaign c's unique recipients per kind, with the class of their first hit. */
    uniques: () =>
      (
        db
          .prepare(
            "SELECT kind, recipient, class FROM campaign_uniques WHERE campaign = 'c' ORDER BY kind, recipient",
          )
          .all() as { kind: string; recipient: string; class: string }[]
      ).map((u) => `${u.kind} ${u.recipient} ${u.class}`),
    /** Erases an email as DELETE /v1/profiles does: log rows, uniques, activity; its hash kept. */
    erase: (email: string) =>
      profiles.erase({
        profileId: null,
        recipients: [email],
        activityKeys: [`e:${email}`],
        hashes: [hashOf(`e:${email}`)],
        at: clock,
      }),
    logged: (r: string) =>
      db.prepare("SELECT count(*) FROM events WHERE recipient = ?").pluck().get(r) as number,
  };
}

describe("email activity folded from the log", () => {
  it("adds a person's hits once the fold window has passed, summed across batches", async () => {
    const s = open(file(), { foldMs: 2_000 });
    s.append([hit("a@x.com"), hit("b@x.com")]);
    s.append([hit("a@x.com", "click"), hit("a@x.com", "open", "apple_mpp")]);
    expect(await s.activity("e:a@x.com")).toBeNull(); // staged, not yet folded
    expect(s.uniques()).toEqual([]);
    expect(s.folder.due).toBe(false);
    expect(s.folder.dueInMs).toBe(2_000);
    s.advance(2_000);
    expect(s.folder.due).toBe(true);
    s.folder.fold();
    expect(await s.activity("e:a@x.com")).toMatchObject({
      opens: 1,
      clicks: 1,
      machineOpens: 1,
      machineByClass: { apple_mpp: 1 },
    });
    expect(await s.activity("e:b@x.com")).toMatchObject({ opens: 1, clicks: 0 });
    // One unique per recipient and kind; the class of their first hit of that kind.
    expect(s.uniques()).toEqual(["click a@x.com human", "open a@x.com human", "open b@x.com human"]);
    expect(s.through()).toBe(4);
    expect(s.folder.dueInMs).toBeNull();
    // A second fold adds to what is stored.
    s.append([hit("a@x.com")]);
    s.folder.fold();
    expect(await s.activity("e:a@x.com")).toMatchObject({ opens: 2, clicks: 1 });
    expect(s.through()).toBe(5);
  });

  it("stores a new person's row with every field of their hits (counts, classes, hours, times, engagement)", async () => {
    const s = open(file());
    const hits = [
      hit("new@x.com"),
      hit("new@x.com", "click"),
      hit("new@x.com", "open", "apple_mpp"),
      hit("new@x.com", "click", "scanner"),
      { ...hit("new@x.com"), at: clock + 5 * 3_600_000 }, // another hour of the day
      hit("bot@x.com", "open", "gmail_proxy"), // machine only: no human time, no engagement
    ];
    s.append(hits);
    s.folder.fold();
    const expected = aggregateActivity(hits);
    for (const key of ["e:new@x.com", "e:bot@x.com"])
      expect(await s.activity(key)).toEqual(expected.get(key));
    expect((await s.activity("e:bot@x.com"))?.lastOpenAt).toBeNull();
  });

  it("is due early when many people are staged", () => {
    const s = open(file(), { foldMs: 60_000, maxKeys: 3 });
    s.append([hit("a@x.com"), hit("b@x.com")]);
    expect(s.folder.due).toBe(false);
    s.append([hit("c@x.com")]);
    expect(s.folder.due).toBe(true);
  });

  it("after a crash, rebuilds the unfolded hits from the log: the same rows as if it had folded", async () => {
    const crashed = file();
    const folded = file();
    const batches = [
      [hit("a@x.com"), hit("b@x.com", "click")],
      [hit("a@x.com", "click"), hit("c@x.com", "open", "gmail_proxy"), hit(null)],
      [hit("b@x.com"), hit("a@x.com")],
    ];
    const a = open(crashed);
    const b = open(folded);
    a.append(batches[0]!);
    a.folder.fold(); // the first batch made it
    b.append(batches[0]!);
    for (const batch of batches.slice(1)) {
      a.append(batch); // ...the rest only reached the log: "crash"
      b.append(batch);
    }
    b.folder.fold();
    a.db.close();

    const again = open(crashed);
    expect(await again.activity("e:a@x.com")).toMatchObject({ opens: 1, clicks: 0 });
    expect(again.folder.recover()).toBe(4); // four hits with a recipient above `through`
    for (const k of ["e:a@x.com", "e:b@x.com", "e:c@x.com"]) {
      const [got, want] = [(await again.activity(k))!, (await b.activity(k))!];
      // Engagement decays and adds in another grouping: equal but for rounding.
      expect(got.engagement.v).toBeCloseTo(want.engagement.v, 9);
      expect({ ...got, engagement: null }).toEqual({ ...want, engagement: null });
    }
    expect(await again.activity("e:a@x.com")).toMatchObject({ opens: 2, clicks: 1 });
    expect(again.uniques()).toEqual(b.uniques());
    expect(again.uniques()).toEqual([
      "click a@x.com human",
      "click b@x.com human",
      "open a@x.com human",
      "open b@x.com human",
      "open c@x.com gmail_proxy",
    ]);
    // Nothing twice: a second start finds nothing left to fold.
    expect(again.folder.recover()).toBe(0);
    again.db.close();
    expect(open(crashed).folder.recover()).toBe(0);
  });

  describe("in slices of people, each its own transaction", () => {
    const people = ["e@x.com", "a@x.com", "d@x.com", "b@x.com", "c@x.com"];
    const hitsOf = () => people.flatMap((p, i) => [hit(p), hit(p, "click", i % 2 ? "scanner" : "human")]);
    /** Every person's activity row and the campaign's uniques, for comparing two files. */
    const rowsOf = async (s: ReturnType<typeof open>) => ({
      activity: await Promise.all(people.map((p) => s.activity(`e:${p}`))),
      uniques: s.uniques(),
    });

    it("writes a window slice by slice in key order, lets another writer in between, and ends as one fold would", async () => {
      const hits = hitsOf();
      const whole = open(file());
      whole.append(hits);
      whole.folder.fold();

      const path = file();
      const s = open(path, { sliceKeys: 2 });
      s.append(hits);
      expect(s.folder.foldSlice()).toBe(true); // a@, b@
      expect(s.folder.folding).toBe(true);
      expect(s.partial()).toEqual({ windowEnd: 10, doneKey: "e:b@x.com" });
      expect(s.through()).toBe(0);
      expect(await s.activity("e:b@x.com")).toMatchObject({ opens: 1, machineClicks: 1 });
      expect(await s.activity("e:c@x.com")).toBeNull();
      // The write lock is free between slices: another connection commits meanwhile.
      const other = new Database(path);
      other.pragma("busy_timeout = 0");
      other.prepare("BEGIN IMMEDIATE").run();
      other.prepare("INSERT INTO erased_identities (hash, at) VALUES ('someone-else', 1)").run();
      other.prepare("COMMIT").run();
      other.close();
      // Hits arriving meanwhile wait for the next window.
      s.append([hit("a@x.com")]);
      expect(s.folder.behind).toBe(false);
      s.advance(2_000); // the window was taken a fold window ago: the next is due meanwhile
      expect(s.folder.behind).toBe(true);
      expect(s.folder.foldSlice()).toBe(true); // c@, d@
      expect(s.folder.foldSlice()).toBe(false); // e@: the window is done
      expect(s.folder.folding).toBe(false);
      expect(s.folder.behind).toBe(false);
      expect(s.partial()).toEqual({ windowEnd: null, doneKey: null });
      expect(s.through()).toBe(10);
      const got = await rowsOf(s);
      const want = await rowsOf(whole);
      expect(got.uniques).toEqual(want.uniques);
      expect(got.activity).toEqual(want.activity);
      s.folder.fold();
      expect(s.through()).toBe(11);
      expect(await s.activity("e:a@x.com")).toMatchObject({ opens: 2 });
    });

    it("after a crash between slices, adds only the people not yet written: nothing twice", async () => {
      const hits = hitsOf();
      const later = [hit("a@x.com"), hit("z@x.com")]; // the next window's, logged before the crash
      const whole = open(file());
      whole.append(hits);
      whole.append(later);
      whole.folder.fold();

      const path = file();
      const s = open(path, { sliceKeys: 2 });
      s.append(hits);
      s.folder.foldSlice(); // a@, b@ written; c@, d@, e@ only in the log
      s.append(later);
      s.db.close(); // "crash"

      const again = open(path);
      expect(again.folder.recover()).toBe(8); // c@, d@, e@ (two hits each), then the last two
      expect(again.partial()).toEqual({ windowEnd: null, doneKey: null });
      expect(again.through()).toBe(12);
      const got = await rowsOf(again);
      const want = await rowsOf(whole);
      expect(got.uniques).toEqual(want.uniques);
      for (const [i, row] of got.activity.entries()) {
        const w = want.activity[i]!;
        // Engagement decays and adds in another grouping: equal but for rounding.
        expect(row!.engagement.v).toBeCloseTo(w.engagement.v, 8);
        expect({ ...row, engagement: null }).toEqual({ ...w, engagement: null });
      }
      expect(await again.activity("e:z@x.com")).toMatchObject({ opens: 1 });
      again.db.close();
      expect(open(path).folder.recover()).toBe(0);
    });

    it("a read that settles mid-window gets the rest of the window and what was staged since", async () => {
      const s = open(file(), { sliceKeys: 2 });
      s.append(hitsOf());
      s.folder.foldSlice(); // a@, b@
      s.append([hit("z@x.com"), hit("a@x.com", "click")]); // the next window's
      s.folder.fold(); // what settle() does
      expect(s.folder.folding).toBe(false);
      expect(s.partial()).toEqual({ windowEnd: null, doneKey: null });
      expect(s.through()).toBe(12);
      expect(await s.activity("e:e@x.com")).toMatchObject({ opens: 1, clicks: 1 });
      expect(await s.activity("e:z@x.com")).toMatchObject({ opens: 1 });
      expect(await s.activity("e:a@x.com")).toMatchObject({ opens: 1, clicks: 1, machineClicks: 1 });
    });

    it("a person erased between two slices stays erased, whichever slice they were in", async () => {
      const s = open(file(), { sliceKeys: 2 });
      s.append(hitsOf());
      s.folder.foldSlice(); // a@, b@
      await s.erase("a@x.com"); // already written: the erasure takes it
      await s.erase("e@x.com"); // not yet: its slice must not bring it back
      while (s.folder.foldSlice());
      for (const gone of ["a@x.com", "e@x.com"]) {
        expect(await s.activity(`e:${gone}`)).toBeNull();
        expect(s.uniques().filter((u) => u.includes(gone))).toEqual([]);
      }
      expect(await s.activity("e:c@x.com")).toMatchObject({ opens: 1, clicks: 1 });
      expect(s.uniques()).toHaveLength(6); // b@, c@, d@: an open and a click each
    });

    it("ends a slice early while another writer waits for the lock (after a step of 250 people)", async () => {
      const s = open(file());
      const many = Array.from({ length: 600 }, (_, i) => hit(`p${String(i).padStart(3, "0")}@x.com`));
      s.append(many);
      expect(whileAWriterWaits(() => s.folder.foldSlice())).toBe(true);
      expect(s.partial()).toEqual({ windowEnd: 600, doneKey: "e:p249@x.com" });
      expect(await s.activity("e:p249@x.com")).toMatchObject({ opens: 1 });
      expect(await s.activity("e:p250@x.com")).toBeNull();
      // Nobody waits: the rest of the window (350 people, under a slice's 2,000) in one.
      expect(s.folder.foldSlice()).toBe(false);
      expect(s.through()).toBe(600);
      expect(await s.activity("e:p599@x.com")).toMatchObject({ opens: 1 });
    });
  });

  it("after a failed fold, drops what it staged and takes the hits from the log at the next", async () => {
    const s = open(file());
    s.append([hit("a@x.com"), hit("b@x.com", "click")]);
    s.db.exec("ALTER TABLE email_activity RENAME TO away"); // the write fails as on a full disk
    expect(() => s.folder.fold()).toThrow(/email_activity/);
    s.append([hit("a@x.com", "click")]); // arrives meanwhile
    s.db.exec("ALTER TABLE away RENAME TO email_activity");
    expect(s.folder.dueInMs).not.toBeNull();
    s.folder.fold();
    expect(await s.activity("e:a@x.com")).toMatchObject({ opens: 1, clicks: 1 });
    expect(await s.activity("e:b@x.com")).toMatchObject({ opens: 0, clicks: 1 });
    expect(s.uniques()).toEqual(["click a@x.com human", "click b@x.com human", "open a@x.com human"]);
    expect(s.through()).toBe(3);
    // Then back to staging: the next hits wait for the window again.
    s.append([hit("b@x.com")]);
    expect(await s.activity("e:b@x.com")).toMatchObject({ opens: 0 });
    s.folder.fold();
    expect(await s.activity("e:b@x.com")).toMatchObject({ opens: 1, clicks: 1 });
  });

  it("logs an erased person's later hits without them, counted for the campaign only", async () => {
    const s = open(file());
    s.append([hit("gone@x.com"), hit("kept@x.com")]);
    s.folder.fold();
    await s.erase("gone@x.com");
    expect(s.folder.erasedKeys([hit("gone@x.com"), hit("kept@x.com")])).toEqual(new Set(["e:gone@x.com"]));
    s.append([hit("gone@x.com", "click"), hit("kept@x.com", "click")]);
    s.folder.fold();
    expect(s.logged("gone@x.com")).toBe(0);
    expect(await s.activity("e:gone@x.com")).toBeNull();
    expect(await s.activity("e:kept@x.com")).toMatchObject({ opens: 1, clicks: 1 });
    expect(s.uniques()).toEqual(["click kept@x.com human", "open kept@x.com human"]);
    const anonymous = s.db.prepare("SELECT count(*) FROM events WHERE recipient IS NULL").pluck().get();
    expect(anonymous).toBe(1);
  });

  it("drops the staged hits of a person erased before the fold (the erasure took their log rows)", async () => {
    const path = file();
    const s = open(path);
    s.append([hit("late@x.com"), hit("late@x.com", "click"), hit("other@x.com")]);
    await s.erase("late@x.com");
    s.folder.fold();
    expect(await s.activity("e:late@x.com")).toBeNull();
    expect(await s.activity("e:other@x.com")).toMatchObject({ opens: 1 });
    expect(s.uniques()).toEqual(["open other@x.com human"]);
    // Nor does a restart bring them back from the log.
    s.db.close();
    const again = open(path);
    expect(again.folder.recover()).toBe(0);
    expect(await again.activity("e:late@x.com")).toBeNull();
  });

  describe("corrections (a scanner's clicks taken for a person's until its burst showed it)", () => {
    /** The correction the tracker logs for `e` (TrackEvent.corrects). */
    const fix = (e: TrackEvent): TrackEvent => ({ ...e, class: "scanner", corrects: e.class });
    const click = (r: string, linkId: string) => ({ ...hit(r, "click"), linkId });
    // Engagement adds and takes back in another grouping: equal but for rounding (and a
    // score taken back to 0 has no time that matters).
    const rounded = (e: { v: number; t: number }) => {
      const v = +e.v.toFixed(9) || 0;
      return { v, t: v === 0 ? null : e.t };
    };
    const rowOf = async (s: ReturnType<typeof open>, r: string) => {
      const row = (await s.activity(`e:${r}`))!;
      return { ...row, engagement: rounded(row.engagement) };
    };
    const expected = (events: TrackEvent[], r: string) => {
      const { reclassifiedClicks: _, ...row } = aggregateActivity(events).get(`e:${r}`)!;
      return { ...row, engagement: rounded(row.engagement) };
    };

    it("folded with their hits: the rows aggregateActivity makes, the click before the burst kept", async () => {
      const s = open(file());
      const before = click("a@x.com", "l0"); // a person's click before a scanner's burst
      clock += 60_000;
      const burstA = [click("a@x.com", "l1"), click("a@x.com", "l2")];
      const burstB = [click("b@x.com", "l1"), click("b@x.com", "l2")];
      const rest = [{ ...click("a@x.com", "l3"), class: "scanner" as const }, ...burstA.map(fix)];
      const restB = [{ ...click("b@x.com", "l3"), class: "scanner" as const }, ...burstB.map(fix)];
      const events = [hit("a@x.com"), before, ...burstA, ...burstB, ...rest, ...restB];
      s.append(events.slice(0, 6));
      s.append(events.slice(6));
      s.folder.fold();
      for (const r of ["a@x.com", "b@x.com"]) expect(await rowOf(s, r), r).toEqual(expected(events, r));
      expect(await s.activity("e:a@x.com")).toMatchObject({
        clicks: 1,
        machineClicks: 3,
        machineByClass: { scanner: 3 },
        lastClickAt: before.at,
      });
      expect(await s.activity("e:b@x.com")).toMatchObject({ clicks: 0, machineClicks: 3, lastClickAt: null });
      expect(s.uniques()).toEqual(["click a@x.com human", "click b@x.com scanner", "open a@x.com human"]);
    });

    it("folded in a later window than their hits: the unique and the counts moved in the table", async () => {
      const s = open(file());
      const burst = [click("b@x.com", "l1"), click("b@x.com", "l2")];
      s.append(burst);
      s.folder.fold();
      expect(s.uniques()).toEqual(["click b@x.com human"]);
      expect(await s.activity("e:b@x.com")).toMatchObject({ clicks: 2, lastClickAt: burst[1]!.at });
      const rest = [{ ...click("b@x.com", "l3"), class: "scanner" as const }, ...burst.map(fix)];
      s.append(rest);
      s.folder.fold();
      expect(s.uniques()).toEqual(["click b@x.com scanner"]);
      expect(await rowOf(s, "b@x.com")).toEqual(expected([...burst, ...rest], "b@x.com"));
      const counts = s.db
        .prepare("SELECT kind, class, n FROM campaign_unique_counts WHERE campaign = 'c' AND n > 0")
        .all();
      expect(counts).toEqual([{ kind: "click", class: "scanner", n: 1 }]);
    });

    it("a last click among the corrected ones, folded in an earlier window, is cleared: the one before is not kept", async () => {
      const s = open(file());
      const before = click("c@x.com", "l0");
      s.append([before]);
      s.folder.fold();
      clock += 60_000;
      const burst = [click("c@x.com", "l1"), click("c@x.com", "l2")];
      s.append(burst);
      s.folder.fold();
      s.append([{ ...click("c@x.com", "l3"), class: "scanner" }, ...burst.map(fix)]);
      s.folder.fold();
      expect(await s.activity("e:c@x.com")).toMatchObject({ clicks: 1, machineClicks: 3, lastClickAt: null });
      expect(s.uniques()).toEqual(["click c@x.com human"]);
    });

    it("after a crash, folds them from the log with their hits: the same rows and uniques", async () => {
      const crashed = file();
      const folded = file();
      const burst = [click("d@x.com", "l1"), click("d@x.com", "l2")];
      const batches = [
        [hit("d@x.com"), burst[0]!],
        [burst[1]!, { ...click("d@x.com", "l3"), class: "scanner" as const }, fix(burst[0]!)],
        [fix(burst[1]!), hit("e@x.com")],
      ];
      const a = open(crashed);
      const b = open(folded);
      a.append(batches[0]!);
      a.folder.fold(); // the first batch made it; the rest only reached the log
      for (const batch of batches) b.append(batch);
      for (const batch of batches.slice(1)) a.append(batch);
      b.folder.fold();
      a.db.close();
      const again = open(crashed);
      expect(again.folder.recover()).toBe(5);
      for (const r of ["d@x.com", "e@x.com"]) expect(await rowOf(again, r)).toEqual(await rowOf(b, r));
      expect(again.uniques()).toEqual(b.uniques());
      expect(again.uniques()).toEqual(["click d@x.com scanner", "open d@x.com human", "open e@x.com human"]);
      expect(again.folder.recover()).toBe(0);
    });
  });
});
