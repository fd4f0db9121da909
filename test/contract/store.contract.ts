import { describe, expect, it } from "vitest";
import type { Store, TrackEvent } from "../../src/core/ports/index.js";
import { blockRecord } from "../../src/core/testing/block-record.js";

/** One contract every Store adapter passes: the in-memory fake, SQLite, and later Redis. */
export function storeContract(
  name: string,
  open: () => Promise<{ store: Store; reopen?: () => Promise<Store> }>,
) {
  const ev = (over: Partial<TrackEvent>): TrackEvent => ({
    at: 1_700_000_000_000,
    kind: "open",
    campaign: "c",
    linkId: null,
    recipient: "r1",
    class: "human",
    reasons: [],
    ip: "203.0.113.5",
    userAgent: "UA",
    method: "GET",
    ...over,
  });

  describe(`Store contract: ${name}`, () => {
    it("stores and reads links; unknown ids are null", async () => {
      const { store } = await open();
      const link = { id: "a".repeat(20), url: "https://x.example/1", campaign: "c", createdAt: 5 };
      expect(await store.links.put([link])).toEqual([link]);
      expect(await store.links.get(link.id)).toEqual(link);
      expect(await store.links.get("b".repeat(20))).toBeNull();
      await store.close();
    });

    const link = (n: number, url: string, campaign: string | null) => ({
      id: String(n).repeat(20),
      url,
      campaign,
      createdAt: n,
    });

    it("keeps one link per URL per campaign, many without a campaign", async () => {
      const { store } = await open();
      const [first] = await store.links.put([link(1, "https://x.example/", "c")]);
      const [second] = await store.links.put([link(2, "https://x.example/", "c")]);
      expect(second!.id).toBe(first!.id);
      expect(await store.links.get("2".repeat(20))).toBeNull();
      const [n1] = await store.links.put([link(3, "https://x.example/", null)]);
      const [n2] = await store.links.put([link(4, "https://x.example/", null)]);
      expect(n1!.id).not.toBe(n2!.id);
      await store.close();
    });

    it("stores many links in one put, in order, one id per URL per campaign within it too", async () => {
      const { store } = await open();
      await store.links.put([link(1, "https://x.example/a", "c")]);
      const stored = await store.links.put([
        link(2, "https://x.example/b", "c"),
        link(3, "https://x.example/a", "c"), // registered before: keeps its id
        link(4, "https://x.example/b", "c"), // earlier in this put
        link(5, "https://x.example/b", "d"),
      ]);
      expect(stored.map((l) => l.id[0])).toEqual(["2", "1", "2", "5"]);
      for (const n of [1, 2, 5]) expect((await store.links.get(String(n).repeat(20)))?.createdAt).toBe(n);
      for (const n of [3, 4]) expect(await store.links.get(String(n).repeat(20))).toBeNull();
      await store.close();
    });

    it("counts totals, uniques and classes per campaign and kind", async () => {
      const { store } = await open();
      await store.events.append([
        ev({ recipient: "r1" }),
        ev({ recipient: "r1" }),
        ev({ recipient: "r2", class: "apple_mpp" }),
        ev({ recipient: null, class: "bot" }),
        ev({ kind: "click", linkId: "l1", recipient: "r1" }),
        ev({ kind: "click", linkId: "l1", recipient: "r3", class: "scanner" }),
        ev({ campaign: "other", recipient: "r9" }),
      ]);
      await store.events.append([ev({ recipient: "r2", class: "human" })]);
      await store.events.settle?.();
      const s = await store.events.campaignStats("c");
      expect(s.opens).toEqual({
        total: 5,
        unique: 2,
        byClass: { human: 3, apple_mpp: 1, bot: 1 },
        uniqueByClass: { human: 1, apple_mpp: 1 },
      });
      expect(s.clicks).toEqual({
        total: 2,
        unique: 2,
        byClass: { human: 1, scanner: 1 },
        uniqueByClass: { human: 1, scanner: 1 },
      });
      expect((await store.events.campaignStats("none")).opens.total).toBe(0);
      await store.close();
    });

    it("counts a large batch as it would its events one by one (first class wins)", async () => {
      const { store } = await open();
      // 123 events: more than one multi-row statement's worth in the SQLite adapter, with a
      // remainder; 40 recipients seen three times (the first time as a machine for some),
      // and every seventh event without a recipient.
      const batch = Array.from({ length: 123 }, (_, i) =>
        ev({
          at: 1_700_000_000_000 + i,
          recipient: i % 7 === 6 ? null : `big-${i % 40}`,
          class: i < 40 && i % 5 === 0 ? "apple_mpp" : "human",
        }),
      );
      await store.events.append(batch);
      await store.events.settle?.();
      const opens = (await store.events.campaignStats("c")).opens;
      const withRecipient = batch.filter((e) => e.recipient);
      const firstClass = new Map<string, string>();
      for (const e of withRecipient) if (!firstClass.has(e.recipient!)) firstClass.set(e.recipient!, e.class);
      const uniqueByClass: Record<string, number> = {};
      for (const c of firstClass.values()) uniqueByClass[c] = (uniqueByClass[c] ?? 0) + 1;
      const byClass: Record<string, number> = {};
      for (const e of batch) byClass[e.class] = (byClass[e.class] ?? 0) + 1;
      expect(opens).toEqual({ total: 123, unique: firstClass.size, byClass, uniqueByClass });
      await store.close();
    });

    it("moves a corrected hit to its new class in totals and uniques, counting nothing new", async () => {
      const { store } = await open();
      const t = 1_700_000_000_000;
      const click = (recipient: string, at: number, linkId: string, cls: TrackEvent["class"] = "human") =>
        ev({ kind: "click", recipient, at, linkId, class: cls });
      const fix = (hit: TrackEvent): TrackEvent => ({
        ...hit,
        class: "scanner",
        reasons: ["many_links_at_once"],
        ip: null,
        userAgent: null,
        method: "",
        corrects: hit.class,
      });
      // s1: a scanner's burst, its first two clicks logged as a person's (one corrected in
      // a later batch than it, one in the same). e1: clicked as a person an hour before a
      // burst, so stays a human unique. b1: a bot-looking burst.
      const s1 = [click("s1", t, "l1"), click("s1", t + 400, "l2")];
      const e1 = [click("e1", t - 3_600_000, "l1"), click("e1", t, "l1"), click("e1", t + 300, "l2")];
      const b1 = [click("b1", t, "l1", "bot"), click("b1", t + 100, "l2", "bot")];
      await store.events.append([s1[0]!, e1[0]!, e1[1]!, b1[0]!, ev({ recipient: "o1" })]);
      await store.events.append([
        s1[1]!,
        click("s1", t + 800, "l3", "scanner"),
        fix(s1[0]!),
        fix(s1[1]!),
        e1[2]!,
        click("e1", t + 600, "l3", "scanner"),
        fix(e1[1]!),
        fix(e1[2]!),
        b1[1]!,
        click("b1", t + 200, "l3", "scanner"),
        fix(b1[0]!),
        fix(b1[1]!),
      ]);
      await store.events.settle?.();
      const s = await store.events.campaignStats("c");
      expect(s.clicks).toEqual({
        total: 10,
        unique: 3,
        byClass: { human: 1, scanner: 9 },
        uniqueByClass: { human: 1, scanner: 2 },
      });
      expect(s.opens).toEqual({ total: 1, unique: 1, byClass: { human: 1 }, uniqueByClass: { human: 1 } });
      await store.close();
    });

    it("creates, reads, edits (bumping the version) and deletes blocks", async () => {
      const { store } = await open();
      const b = blockRecord("b".repeat(20), {
        options: { deadline: "2026-12-24T18:00:00+01:00", nested: { a: [1, 2] } },
        createdAt: 10,
        updatedAt: 10,
      });
      await store.blocks.create(b);
      expect(await store.blocks.get(b.id)).toEqual(b);
      const edited = await store.blocks.update(b.id, { deadline: "2026-12-31T00:00:00Z" }, 20);
      expect(edited).toEqual({
        ...b,
        options: { deadline: "2026-12-31T00:00:00Z" },
        version: 2,
        updatedAt: 20,
      });
      expect(await store.blocks.update("x".repeat(20), {}, 30)).toBeNull();
      expect(await store.blocks.delete(b.id)).toBe(true);
      expect(await store.blocks.get(b.id)).toBeNull();
      expect(await store.blocks.delete(b.id)).toBe(false);
      await store.close();
    });

    it("remembers the first time a recipient saw a block, once", async () => {
      const { store, reopen } = await open();
      expect(await store.blocks.firstSeen("blk", "ann@x.com", 1000)).toBe(1000);
      expect(await store.blocks.firstSeen("blk", "ann@x.com", 5000)).toBe(1000);
      expect(await store.blocks.firstSeen("blk", "bob@x.com", 5000)).toBe(5000);
      expect(await store.blocks.firstSeen("other", "ann@x.com", 7000)).toBe(7000);
      await store.close();
      if (reopen) {
        const again = await reopen();
        expect(await again.blocks.firstSeen("blk", "ann@x.com", 9000)).toBe(1000);
        await again.close();
      }
    });

    it("forgets the first opens of a deleted block; created again, the block takes new starts", async () => {
      const { store, reopen } = await open();
      const b = blockRecord("d".repeat(20));
      await store.blocks.create(b);
      expect(await store.blocks.firstSeen(b.id, "ann@x.com", 1000)).toBe(1000);
      expect(await store.blocks.peekFirstSeen?.(b.id, "ann@x.com")).toBe(1000);
      expect(await store.blocks.delete(b.id)).toBe(true);
      expect(await store.blocks.peekFirstSeen?.(b.id, "ann@x.com")).toBeNull();
      await store.blocks.create(b);
      expect(await store.blocks.firstSeen(b.id, "ann@x.com", 2000)).toBe(2000);
      await store.close();
      if (reopen) {
        const again = await reopen();
        expect(await again.blocks.firstSeen(b.id, "ann@x.com", 9000)).toBe(2000);
        await again.close();
      }
    });

    it("answers ping while open", async () => {
      const { store } = await open();
      expect(await store.ping()).toBe(true);
      await store.close();
    });

    it("keeps what was appended across a reopen (when the adapter persists)", async () => {
      const { store, reopen } = await open();
      if (!reopen) return;
      await store.events.append([ev({ recipient: "p1" }), ev({ recipient: "p2" })]);
      await store.close();
      const again = await reopen();
      await again.events.settle?.();
      expect((await again.events.campaignStats("c")).opens).toMatchObject({ total: 2, unique: 2 });
      await again.close();
    });
  });
}
