import { describe, expect, it } from "vitest";
import type { TrackEvent } from "../../src/core/ports/index.js";
import type { ActivityRow, ProfileStore, ProfileWrite, StoredEvent } from "../../src/core/ports/profiles.js";
import { aggregateActivity } from "../../src/core/profiles/activity.js";
import { emptyProfile, HALF_LIFE } from "../../src/core/profiles/model.js";

/** One contract every ProfileStore adapter passes: the in-memory fake and SQLite. */
export function profileStoreContract(
  name: string,
  open: () => Promise<{ store: ProfileStore; reopen?: () => Promise<ProfileStore> }>,
) {
  const write = (over: Partial<ProfileWrite>): ProfileWrite => ({
    merged: [],
    identities: [],
    profiles: [],
    events: [],
    seen: [],
    emailRefs: [],
    ...over,
  });
  const ev = (profileId: string, messageId: string, at = 1): StoredEvent => ({
    profileId,
    messageId,
    type: "track",
    event: "Product Viewed",
    at,
    receivedAt: at,
    body: `{"m":"${messageId}"}`,
  });

  const activity = (key: string, at: number, kind: "open" | "click" = "open"): ActivityRow =>
    aggregateActivity([
      {
        at,
        kind,
        campaign: "c",
        linkId: null,
        recipient: key.slice(2),
        class: "human",
        reasons: [],
        ip: null,
        userAgent: null,
        method: "GET",
      },
    ]).get(key)!;

  describe(`ProfileStore contract: ${name}`, () => {
    it("commits profiles, identities, events and dedupe keys together and reads them back", async () => {
      const { store } = await open();
      const p = emptyProfile("p1", 5);
      p.traits = { plan: "pro" };
      await store.commit(
        write({
          identities: [
            ["u:1", "p1"],
            ["a:x", "p1"],
          ],
          profiles: [p],
          events: [ev("p1", "m1", 2), ev("p1", "m2", 1)],
          seen: [["m:m1", 5]],
        }),
      );
      expect(await store.lookup(["u:1", "a:x", "u:2"])).toEqual(
        new Map([
          ["u:1", "p1"],
          ["a:x", "p1"],
        ]),
      );
      expect((await store.get(["p1", "nope"])).get("p1")).toEqual(p);
      expect((await store.get(["nope"])).size).toBe(0);
      expect((await store.keysOf("p1")).sort()).toEqual(["a:x", "u:1"]);
      expect([...(await store.seen(["m:m1", "m:zz"]))]).toEqual(["m:m1"]);
      expect((await store.events("p1")).map((e) => e.messageId)).toEqual(["m2", "m1"]); // oldest first
    });

    it("a merge moves identities and stored events to the survivor and deletes the other", async () => {
      const { store } = await open();
      await store.commit(
        write({
          identities: [
            ["u:1", "A"],
            ["a:1", "B"],
            ["a:2", "B"],
          ],
          profiles: [emptyProfile("A", 1), emptyProfile("B", 1)],
          events: [ev("A", "1"), ev("B", "2")],
        }),
      );
      await store.commit(
        write({ merged: [{ from: "B", to: "A" }], profiles: [emptyProfile("A", 2)], events: [ev("A", "3")] }),
      );
      expect(await store.lookup(["a:1", "a:2"])).toEqual(
        new Map([
          ["a:1", "A"],
          ["a:2", "A"],
        ]),
      );
      expect((await store.get(["B"])).size).toBe(0);
      expect((await store.events("A")).length).toBe(3);
      expect(await store.events("B")).toEqual([]);
    });

    it("erase removes the person and keeps only the hashes", async () => {
      const { store } = await open();
      await store.commit(
        write({
          identities: [
            ["u:9", "Z"],
            ["e:z@x.com", "Z"],
          ],
          profiles: [emptyProfile("Z", 1)],
          events: [ev("Z", "9")],
        }),
      );
      await store.addActivity([activity("e:z@x.com", 1)], new Map([["e:z@x.com", "hz"]]));
      const res = await store.erase({
        profileId: "Z",
        recipients: ["z@x.com", "9"],
        activityKeys: ["e:z@x.com", "r:9"],
        hashes: ["h1", "h2"],
        at: 10,
      });
      expect(res).toMatchObject({ events: 1, identities: 2 });
      expect((await store.lookup(["u:9", "e:z@x.com"])).size).toBe(0);
      expect((await store.get(["Z"])).size).toBe(0);
      expect(await store.events("Z")).toEqual([]);
      expect([...(await store.erased(["h1", "h3"]))]).toEqual(["h1"]);
      expect(await store.activity(["e:z@x.com"])).toEqual([]);
    });

    it("keeps who named an address another profile holds; erasing it rewrites them and forgets", async () => {
      const { store } = await open();
      await store.commit(
        write({
          identities: [
            ["u:p", "P"],
            ["e:f@x.com", "P"],
            ["u:c", "C"],
            ["u:d", "D"],
          ],
          profiles: [emptyProfile("P", 1), emptyProfile("C", 1), emptyProfile("D", 1)],
          events: [ev("C", "c1", 1), ev("C", "c2", 2)],
          emailRefs: [
            ["f@x.com", "C"],
            ["f@x.com", "D"],
            ["o@x.com", "D"],
          ],
        }),
      );
      // D merges into C: its references become C's.
      await store.commit(write({ merged: [{ from: "D", to: "C" }], profiles: [emptyProfile("C", 2)] }));
      expect(await store.emailHolders(["f@x.com", "o@x.com", "n@x.com"])).toEqual(
        new Map([["C", ["f@x.com", "o@x.com"]]]),
      );
      const [c1] = await store.events("C");
      const scrubbed = emptyProfile("C", 3);
      scrubbed.traits.name = "Kim";
      await store.erase({
        profileId: "P",
        recipients: [],
        activityKeys: [],
        hashes: [],
        at: 5,
        emails: ["f@x.com"],
        scrubbed: [{ profile: scrubbed, events: [{ seq: c1!.seq!, body: '{"m":"scrubbed"}' }] }],
      });
      expect(await store.emailHolders(["f@x.com", "o@x.com"])).toEqual(new Map([["C", ["o@x.com"]]]));
      expect((await store.get(["C"])).get("C")!.traits).toEqual({ name: "Kim" });
      expect((await store.events("C")).map((e) => e.body)).toEqual(['{"m":"scrubbed"}', '{"m":"c2"}']);
    });

    it("adds email activity per key: new keys need a hash not on the erased list", async () => {
      const { store } = await open();
      await store.commit(write({ identities: [["u:gone", "G"]], profiles: [emptyProfile("G", 1)] }));
      await store.erase({ profileId: "G", recipients: [], activityKeys: [], hashes: ["h-gone"], at: 2 });
      const dropped = await store.addActivity(
        [activity("e:a@x.com", 1000), activity("r:gone", 1000), activity("r:nohash", 1000)],
        new Map([
          ["e:a@x.com", "h-a"],
          ["r:gone", "h-gone"],
        ]),
      );
      expect([...dropped].sort()).toEqual(["r:gone", "r:nohash"]);
      // A known key adds without a hash; the sums and the latest times win.
      expect(await store.addActivity([activity("e:a@x.com", 5000, "click")], new Map())).toEqual(new Set());
      const [row] = await store.activity(["e:a@x.com", "r:gone"]);
      expect(row).toMatchObject({
        key: "e:a@x.com",
        opens: 1,
        clicks: 1,
        lastOpenAt: 1000,
        lastClickAt: 5000,
      });
      expect(row!.hours.reduce((a, b) => a + b, 0)).toBe(2);
      expect(row!.engagement.t).toBe(5000);
    });

    it("adds a correction's delta: counts moved, a stored last click among the corrected ones replaced", async () => {
      const { store } = await open();
      const hashes = new Map([
        ["e:a@x.com", "h-a"],
        ["e:b@x.com", "h-b"],
      ]);
      const click = (r: string, at: number): TrackEvent => ({
        at,
        kind: "click",
        campaign: "c",
        linkId: `l${at}`,
        recipient: r,
        class: "human",
        reasons: [],
        ip: null,
        userAgent: null,
        method: "GET",
      });
      const fix = (e: TrackEvent): TrackEvent => ({ ...e, class: "scanner", corrects: "human" });
      // a: a person's click, then a scanner's burst (its first two clicks taken for a person's);
      // b: the burst only. The corrections come in a later delta than the clicks.
      const [a0, a1, a2, b1, b2] = [
        click("a@x.com", 1000),
        click("a@x.com", 90_000),
        click("a@x.com", 90_400),
        click("b@x.com", 90_000),
        click("b@x.com", 90_400),
      ];
      await store.addActivity([...aggregateActivity([a0!, a1!, a2!, b1!, b2!]).values()], hashes);
      const giveaway = (r: string): TrackEvent => ({ ...click(r, 90_800), class: "scanner" });
      const later = aggregateActivity([
        giveaway("a@x.com"),
        fix(a1!),
        fix(a2!),
        giveaway("b@x.com"),
        fix(b1!),
        fix(b2!),
      ]);
      expect(later.get("e:a@x.com")!.reclassifiedClicks).toEqual({ from: 90_000, to: 90_400 });
      await store.addActivity([...later.values()], new Map());
      const [a, b] = await store.activity(["e:a@x.com", "e:b@x.com"]);
      for (const row of [a!, b!]) {
        expect(row).toMatchObject({ machineClicks: 3, machineByClass: { scanner: 3 }, lastClickAt: null });
        // What a0 alone gives at the delta's time (90,800): the burst's clicks taken back.
        const want = row.key === "e:a@x.com" ? 3 * 2 ** (-(90_800 - 1000) / HALF_LIFE.engagement) : 0;
        expect(row.engagement.v).toBeCloseTo(want, 9);
      }
      expect(a).toMatchObject({ clicks: 1 });
      expect(b).toMatchObject({ clicks: 0 });
      expect(b!.hours.every((h) => h === 0)).toBe(true);
    });

    it("prunes dedupe keys older than the retention, bounded per call", async () => {
      const { store } = await open();
      await store.commit(
        write({
          seen: [
            ["m:a", 1],
            ["m:b", 2],
            ["m:c", 100],
          ],
        }),
      );
      expect(await store.pruneSeen(50, 1)).toBe(1);
      expect(await store.pruneSeen(50, 10)).toBe(1);
      expect([...(await store.seen(["m:a", "m:b", "m:c"]))]).toEqual(["m:c"]);
    });

    it("pages through profile ids in id order after a cursor, bounded per call", async () => {
      const { store } = await open();
      await store.commit(write({ profiles: ["c", "a", "d", "b"].map((id) => emptyProfile(id, 1)) }));
      expect(await store.profileIds(null, 3)).toEqual(["a", "b", "c"]);
      expect(await store.profileIds("c", 3)).toEqual(["d"]);
      expect(await store.profileIds("d", 3)).toEqual([]);
    });

    it("keeps commits across a reopen (when the adapter persists)", async () => {
      const { store, reopen } = await open();
      if (!reopen) return;
      await store.commit(
        write({ identities: [["u:p", "P"]], profiles: [emptyProfile("P", 1)], seen: [["m:p", 1]] }),
      );
      const again = await reopen();
      expect((await again.lookup(["u:p"])).get("u:p")).toBe("P");
      expect((await again.seen(["m:p"])).size).toBe(1);
    });
  });
}
