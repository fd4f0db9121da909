import { describe, expect, it } from "vitest";
import { createDecisionRecorder } from "../../src/core/decisions/recorder.js";
import type { DecisionEntry, DecisionLog } from "../../src/core/ports/decisions.js";
import { createMemoryDecisionLog } from "../../src/core/testing/memory-decision-log.js";

const open = (at: number, recipient: string | null, variant = "a"): DecisionEntry => ({
  kind: "open",
  at,
  blockId: "blk",
  recipient,
  variant,
  slots: { cta: `https://x.example/${variant}` },
});

describe("decision recorder (group commit)", () => {
  it("writes nothing on record, one batch after the window", async () => {
    const log = createMemoryDecisionLog();
    const batches: number[] = [];
    const counting: DecisionLog = {
      ...log,
      record: async (b) => {
        batches.push(b.length);
        await log.record(b);
      },
    };
    const rec = createDecisionRecorder({ log: counting, windowMs: 20 });
    for (let i = 0; i < 5; i++) rec.record(open(i, `r${i}`));
    expect(log.opens).toHaveLength(0);
    expect(rec.pending).toBe(5);
    await new Promise((r) => setTimeout(r, 60));
    expect(batches).toEqual([5]);
    expect(log.opens.map((d) => d.at)).toEqual([0, 1, 2, 3, 4]);
  });

  it("answers lastFor from what is still buffered (a click right after its open)", async () => {
    const log = createMemoryDecisionLog();
    await log.record([open(1, "ann", "old")]);
    const rec = createDecisionRecorder({ log, windowMs: 10_000 });
    rec.record(open(2, "ann", "new"));
    expect(await rec.lastFor("blk", "ann")).toEqual({
      variant: "new",
      slots: { cta: "https://x.example/new" },
      at: 2,
    });
    expect(log.opens).toHaveLength(1);
    await rec.flush();
    expect(await rec.lastFor("blk", "ann")).toMatchObject({ variant: "new" });
    await rec.close();
  });

  it("keeps a failed batch for the next tick, and close() drains everything", async () => {
    const log = createMemoryDecisionLog();
    let fail = true;
    const flaky: DecisionLog = {
      ...log,
      record: async (b) => {
        if (fail) throw new Error("disk full");
        await log.record(b);
      },
    };
    const rec = createDecisionRecorder({ log: flaky, windowMs: 10_000 });
    rec.record(open(1, "ann"));
    await rec.flush();
    expect(rec.pending).toBe(1);
    expect(await rec.lastFor("blk", "ann"), "still readable while unwritten").not.toBeNull();
    fail = false;
    await rec.close();
    expect(rec.pending).toBe(0);
    expect(log.opens).toHaveLength(1);
  });

  it("erasure writes what is buffered first, so nothing of the person escapes it", async () => {
    const log = createMemoryDecisionLog();
    const rec = createDecisionRecorder({ log, windowMs: 10_000 });
    rec.record(open(1, "ann"));
    rec.record(open(2, "bob"));
    expect(await rec.eraseRecipient("ann")).toBeGreaterThan(0);
    expect(await rec.lastFor("blk", "ann")).toBeNull();
    expect(await rec.lastFor("blk", "bob")).not.toBeNull();
    expect(await rec.countsByVariant("blk")).toEqual([
      { variant: "a", opens: 2, uniqueRecipients: 1, clicks: 0 },
    ]);
    await rec.close();
  });

  it("bounds the buffer: the oldest are dropped and counted", async () => {
    const log = createMemoryDecisionLog();
    const rec = createDecisionRecorder({ log, windowMs: 10_000, maxBuffered: 3, maxBatch: 100 });
    for (let i = 0; i < 5; i++) rec.record(open(i, `r${i}`));
    expect(rec.dropped).toBe(2);
    expect(await rec.lastFor("blk", "r0"), "a dropped open is not answered").toBeNull();
    await rec.close();
    expect(log.opens.map((d) => d.at)).toEqual([2, 3, 4]);
  });
});
