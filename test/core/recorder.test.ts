import { describe, expect, it, vi } from "vitest";
import { type EventLog, silentLogger, type TrackEvent } from "../../src/core/ports/index.js";
import { createMemoryStore } from "../../src/core/testing/memory-store.js";
import { createRecorder } from "../../src/core/tracking/recorder.js";
import { createGroupCommit } from "../../src/core/util/group-commit.js";

const ev = (i: number): TrackEvent => ({
  at: i,
  kind: "open",
  campaign: "c",
  linkId: null,
  recipient: `r${i}`,
  class: "human",
  reasons: [],
  ip: null,
  userAgent: null,
  method: "GET",
});

describe("recorder (group commit)", () => {
  it("does not write on record, writes one batch after the window", async () => {
    const store = createMemoryStore();
    const batches: number[] = [];
    const rec = createRecorder({ events: store.events, windowMs: 30, onFlush: (n) => batches.push(n) });
    for (let i = 0; i < 10; i++) rec.record(ev(i));
    expect(store.events.log.length).toBe(0);
    expect(rec.pending).toBe(10);
    await new Promise((r) => setTimeout(r, 80));
    expect(store.events.log.map((e) => e.at)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches).toEqual([10]);
  });

  it("flushes at once when a batch is full, in order, and close() drains everything", async () => {
    const store = createMemoryStore();
    const batches: number[] = [];
    const rec = createRecorder({
      events: store.events,
      windowMs: 10_000,
      maxBatch: 4,
      onFlush: (n) => batches.push(n),
    });
    for (let i = 0; i < 10; i++) rec.record(ev(i));
    await rec.close();
    expect(store.events.log.map((e) => e.at)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...batches)).toBeLessThanOrEqual(4);
  });

  it("keeps events recorded while a write is in flight", async () => {
    const log: TrackEvent[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: EventLog = {
      async append(batch) {
        await gate;
        log.push(...batch);
      },
      async campaignStats() {
        throw new Error("unused");
      },
    };
    const rec = createRecorder({ events: slow, windowMs: 1 });
    rec.record(ev(1));
    const first = rec.flush();
    rec.record(ev(2));
    rec.record(ev(3));
    release();
    await first;
    await rec.close();
    expect(log.map((e) => e.at)).toEqual([1, 2, 3]);
  });

  it("what arrives during a timed write waits for the next window, not a back-to-back commit", async () => {
    // Fake timers: on a loaded machine, real ones made the windows drift into each other.
    vi.useFakeTimers();
    try {
      const writes: { at: number; size: number }[] = [];
      const slow: EventLog = {
        async append(batch) {
          writes.push({ at: Date.now(), size: batch.length });
          await new Promise((r) => setTimeout(r, 20));
        },
        async campaignStats() {
          throw new Error("unused");
        },
      };
      const rec = createRecorder({ events: slow, windowMs: 60 });
      const t0 = Date.now();
      rec.record(ev(1));
      await vi.advanceTimersByTimeAsync(60); // the window closes: the first write starts
      expect(writes).toEqual([{ at: t0 + 60, size: 1 }]);
      for (let i = 2; i <= 6; i++) rec.record(ev(i));
      await vi.advanceTimersByTimeAsync(35); // …and has ended (20 ms): the five still wait
      expect(writes).toHaveLength(1);
      expect(rec.pending).toBe(5);
      await vi.advanceTimersByTimeAsync(100);
      expect(writes.map((w) => w.size)).toEqual([1, 5]);
      expect(writes[1]!.at - writes[0]!.at).toBeGreaterThanOrEqual(60);
      await rec.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("retries a failed write without losing or duplicating the batch", async () => {
    const log: TrackEvent[] = [];
    let fail = true;
    const flaky: EventLog = {
      async append(batch) {
        if (fail) {
          fail = false;
          throw new Error("disk busy");
        }
        log.push(...batch);
      },
      async campaignStats() {
        throw new Error("unused");
      },
    };
    const rec = createRecorder({ events: flaky, windowMs: 5 });
    rec.record(ev(1));
    rec.record(ev(2));
    await new Promise((r) => setTimeout(r, 60));
    expect(log.map((e) => e.at)).toEqual([1, 2]);
    expect(rec.pending).toBe(0);
  });
});

describe("group commit with a store that takes nothing", () => {
  it("stays within maxBuffered, dropping the oldest a hundredth of the bound at a time, counted, logged; the rest is written once the store is back", async () => {
    const written: number[] = [];
    let down = true;
    const droppedItems: number[] = [];
    const warnings: object[] = [];
    const gc = createGroupCommit<number>({
      write: async (batch) => {
        if (down) throw new Error("disk full");
        written.push(...batch);
      },
      windowMs: 5,
      maxBatch: 50,
      maxBuffered: 1_000,
      what: "test",
      onDropped: (i) => droppedItems.push(i),
      logger: { ...silentLogger, warn: (o: object) => warnings.push(o) },
    });
    // Each full batch's write fails and its batch goes back in front of the buffer.
    for (let i = 0; i < 1_000; i++) gc.add(i);
    await new Promise((r) => setTimeout(r, 20));
    expect(gc.pending).toBe(1_000);
    expect(gc.dropped).toBe(0);
    gc.add(1_000); // the bound: the ten oldest go at once
    expect(gc.dropped).toBe(10);
    expect(droppedItems).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(gc.pending).toBe(991);
    for (let i = 1_001; i < 1_010; i++) gc.add(i); // room for nine more, nothing dropped
    expect(gc.dropped).toBe(10);
    gc.add(1_010);
    expect(gc.dropped).toBe(20);
    expect(gc.pending).toBeLessThanOrEqual(1_000);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatchObject({ dropped: 10, droppedSoFar: 20 });
    down = false;
    await gc.close();
    // Everything not dropped, in order, exactly once.
    expect(written).toEqual(Array.from({ length: 991 }, (_, i) => i + 20));
  });
});

describe("group commit behind a slow writer", () => {
  it("queues one flush behind the write in flight, which then writes everything, in order", async () => {
    const written: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const gc = createGroupCommit<number>({
      write: async (batch) => {
        if (written.length === 0) await gate; // the first write stalls
        written.push([...batch]);
      },
      windowMs: 10_000,
      maxBatch: 3,
      maxBuffered: 1_000,
      what: "test",
    });
    for (let i = 0; i < 3; i++) gc.add(i); // a full batch: its flush starts and stalls
    const flushes = new Set<Promise<void>>();
    for (let i = 3; i < 20; i++) {
      gc.add(i); // past maxBatch while the first write is out
      flushes.add(gc.flush());
    }
    expect(flushes.size).toBe(1); // every later call shares the queued flush
    release();
    await [...flushes][0];
    expect(written.flat()).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(written.every((b) => b.length <= 3)).toBe(true);
    expect(gc.pending).toBe(0);
    await gc.close();
  });

  it("flush() settles the log after writing, and a failed settle still resolves (logged)", async () => {
    const steps: string[] = [];
    let failSettle = false;
    const events: EventLog = {
      append: async (batch) => {
        steps.push(`append ${batch.length}`);
      },
      settle: async () => {
        steps.push("settle");
        if (failSettle) throw new Error("disk full");
      },
      campaignStats: () => createMemoryStore().events.campaignStats("c"),
    };
    const warnings: string[] = [];
    const logger = { warn: (_: object, msg: string) => warnings.push(msg) } as never;
    const rec = createRecorder({ events, windowMs: 10_000, logger });
    rec.record(ev(1));
    rec.record(ev(2));
    await rec.flush();
    expect(steps).toEqual(["append 2", "settle"]);
    failSettle = true;
    await expect(rec.flush()).resolves.toBeUndefined();
    expect(warnings).toEqual(["email activity could not be brought up to date before a read"]);
    await rec.close();
  });
});
