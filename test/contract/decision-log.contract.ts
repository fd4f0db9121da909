import { describe, expect, it } from "vitest";
import type { DecisionEntry, DecisionLog } from "../../src/core/ports/decisions.js";

/** One contract every DecisionLog adapter passes: the in-memory fake and SQLite. */
export function decisionLogContract(
  name: string,
  open: () => Promise<{ log: DecisionLog; reopen?: () => Promise<DecisionLog> }>,
) {
  const shown = (
    at: number,
    recipient: string | null,
    variant: string,
    slots: Record<string, string> = {},
    blockId = "blk",
  ): DecisionEntry => ({ kind: "open", at, blockId, recipient, variant, slots });
  const click = (recipient: string | null, variant: string, blockId = "blk"): DecisionEntry => ({
    kind: "click",
    at: 9,
    blockId,
    recipient,
    variant,
    slot: "cta",
  });

  describe(`DecisionLog contract: ${name}`, () => {
    it("answers the latest open per block and recipient, with its slots", async () => {
      const { log } = await open();
      await log.record([
        shown(1, "ann@x.com", "mobile", { cta: "https://m.example/" }),
        shown(2, "bob@x.com", "default"),
        shown(3, "ann@x.com", "outlook", { cta: "https://o.example/", hero: "https://o.example/h" }),
        shown(4, "ann@x.com", "default", {}, "other-block"),
      ]);
      expect(await log.lastFor("blk", "ann@x.com")).toEqual({
        variant: "outlook",
        slots: { cta: "https://o.example/", hero: "https://o.example/h" },
        at: 3,
      });
      expect(await log.lastFor("blk", "bob@x.com")).toEqual({ variant: "default", slots: {}, at: 2 });
      expect(await log.lastFor("other-block", "ann@x.com")).toMatchObject({ variant: "default", at: 4 });
      expect(await log.lastFor("blk", "nobody@x.com")).toBeNull();
      expect(await log.lastFor("nope", "ann@x.com")).toBeNull();
    });

    it("counts opens, unique recipients and clicks per variant", async () => {
      const { log } = await open();
      await log.record([
        shown(1, "ann@x.com", "a"),
        shown(2, "ann@x.com", "a"),
        shown(3, "bob@x.com", "a"),
        shown(4, null, "a"),
        shown(5, "cat@x.com", "b"),
        click("ann@x.com", "a"),
        click(null, "b"),
        click("cat@x.com", "b"),
        shown(6, "dan@x.com", "a", {}, "other-block"),
      ]);
      await log.record([click("ann@x.com", "gone")]);
      expect(await log.countsByVariant("blk")).toEqual([
        { variant: "a", opens: 4, uniqueRecipients: 2, clicks: 1 },
        { variant: "b", opens: 1, uniqueRecipients: 1, clicks: 2 },
        { variant: "gone", opens: 0, uniqueRecipients: 0, clicks: 1 },
      ]);
      expect(await log.countsByVariant("nope")).toEqual([]);
    });

    it("erases a recipient: no decision, no unique left; anonymous totals stay", async () => {
      const { log } = await open();
      await log.record([
        shown(1, "ann@x.com", "a", { cta: "https://a.example/" }),
        shown(2, "ann@x.com", "a", {}, "other-block"),
        shown(3, "bob@x.com", "a"),
      ]);
      const removed = await log.eraseRecipient("ann@x.com");
      expect(removed).toBeGreaterThanOrEqual(2);
      expect(await log.lastFor("blk", "ann@x.com")).toBeNull();
      expect(await log.lastFor("other-block", "ann@x.com")).toBeNull();
      expect(await log.lastFor("blk", "bob@x.com")).not.toBeNull();
      expect(await log.countsByVariant("blk")).toEqual([
        { variant: "a", opens: 2, uniqueRecipients: 1, clicks: 0 },
      ]);
      expect(await log.eraseRecipient("ann@x.com")).toBe(0);
    });

    it("forgets a deleted block: its decisions, totals and uniques; other blocks stay", async () => {
      const { log } = await open();
      await log.record([
        shown(1, "ann@x.com", "a", { cta: "https://a.example/" }),
        shown(2, "bob@x.com", "b", {}, "other-block"),
      ]);
      // Rows may go after it returns (SQLite: a slice at a time); reads forget them at once.
      await log.deleteBlock("blk");
      expect(await log.lastFor("blk", "ann@x.com")).toBeNull();
      expect(await log.countsByVariant("blk")).toEqual([]);
      expect(await log.lastFor("other-block", "bob@x.com")).not.toBeNull();
      expect(await log.deleteBlock("blk")).toBe(0);
    });

    it("an empty batch is a no-op; recorded decisions survive a reopen", async () => {
      const { log, reopen } = await open();
      await log.record([]);
      await log.record([shown(1, "ann@x.com", "a", { cta: "https://a.example/" })]);
      if (!reopen) return;
      const again = await reopen();
      expect(await again.lastFor("blk", "ann@x.com")).toEqual({
        variant: "a",
        slots: { cta: "https://a.example/" },
        at: 1,
      });
      expect(await again.countsByVariant("blk")).toEqual([
        { variant: "a", opens: 1, uniqueRecipients: 1, clicks: 0 },
      ]);
    });
  });
}
