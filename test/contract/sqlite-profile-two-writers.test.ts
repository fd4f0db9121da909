import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TrackEvent } from "../../src/core/ports/index.js";
import type { ProfileStore } from "../../src/core/ports/profiles.js";
import { ProfileService } from "../../src/core/profiles/service.js";
import { type IngestEvent, parseEvent } from "../../src/core/segment/event.js";
import { trackEvent } from "../../src/core/testing/track-event.js";
import { createSqliteProfileStore } from "../../src/node/sqlite/profile-store.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { tempDir } from "../helpers/server.js";

/**
 * The server writes one file from two connections: the main thread (Segment, webhooks,
 * erasure: profile documents) and the event-writer thread (opens/clicks: email
 * activity). Here two services on two connections to one file stand for them, and the
 * other side's write is forced into the window between a group's first (unlocked) read
 * and its locked transaction.
 */
const SECRET = "two-writers-secret-0123456789abcdef";
let n = 0;
const service = (store: ProfileStore) =>
  new ProfileService({
    store,
    secret: SECRET,
    clock: { now: () => Date.now() },
    random: (len) => crypto.getRandomValues(new Uint8Array(len)),
    windowMs: 1,
    trackingWindowMs: 1,
  });
/** An identify naming the person by user id or anonymous id, with their email (and more traits). */
const identifyBy = (
  ids: { userId?: string; anonymousId?: string },
  email: string,
  traits: Record<string, unknown> = {},
): IngestEvent => {
  const ev = parseEvent(
    {
      type: "identify",
      ...ids,
      traits: { email, ...traits },
      messageId: `tw-${++n}`,
      timestamp: new Date().toISOString(),
    },
    { receivedAt: Date.now(), newId: () => `tw-gen-${++n}` },
  );
  if ("code" in ev) throw new Error(ev.message);
  return ev as IngestEvent;
};
const identify = (userId: string, email: string, traits?: Record<string, unknown>) =>
  identifyBy({ userId }, email, traits);
const identifyAnon = (anonymousId: string, email: string) => identifyBy({ anonymousId }, email);
const open = (recipient: string): TrackEvent => trackEvent({ campaign: "tw", recipient });

/** Two services on two connections; `beforeLock` runs once, after B's unlocked lookup. */
function twoWriters() {
  const file = join(tempDir(), "two.db");
  const a = service(createSqliteProfileStore(openDatabase(file)));
  const storeB = createSqliteProfileStore(openDatabase(file));
  const hook: { beforeLock: (() => Promise<void>) | null } = { beforeLock: null };
  const b = service({
    ...storeB,
    transact: storeB.transact!.bind(storeB),
    async lookup(keys) {
      const out = await storeB.lookup(keys);
      const run = hook.beforeLock;
      hook.beforeLock = null;
      if (run) await run();
      return out;
    },
  });
  return { a, b, hook };
}

describe("profiles written from two connections", () => {
  it("a commit by the other connection between a group's reads and its write is not lost", async () => {
    const { a, b, hook } = twoWriters();
    await a.ingest([identify("tw-1", "tw1@example.com")]);
    // A's traits land after B looked the person up but before B takes the lock: B must
    // read the profile under the lock, or its write would put back the old document.
    hook.beforeLock = async () => {
      await a.ingest([identify("tw-1", "tw1@example.com", { plan: "pro" })]);
    };
    await b.ingest([identifyAnon("tw-anon-1", "tw1@example.com")]);
    const p = (await a.find("tw-1"))!;
    expect(p.traits.plan).toBe("pro");
    expect(p.anonymousIds).toEqual(["tw-anon-1"]);
    expect(p.counts.identify).toBe(3);
  });

  it("an event applied just after the other connection erased the person does not re-create them", async () => {
    const { a, b, hook } = twoWriters();
    await a.ingest([identify("tw-2", "tw2@example.com")]);
    // B sees the address as known (so hashes nothing), then A erases the person: under
    // the lock the key is unknown and unhashed, so B hashes it, retries and drops it.
    hook.beforeLock = async () => {
      expect(await a.erase("tw-2")).toMatchObject({ identities: 2 });
    };
    const res = await b.ingest([identifyAnon("tw-anon-2", "tw2@example.com")]);
    expect(res.suppressed).toBe(1);
    expect(await a.find("tw2@example.com")).toBeNull();
    expect(await b.find("tw2@example.com")).toBeNull();
  });

  it("opens from the other connection join the profile; after an erasure they are dropped", async () => {
    const { a, b } = twoWriters();
    await a.ingest([identify("tw-3", "tw3@example.com")]);
    await b.applyTrackEvents([open("tw3@example.com"), open("tw-3")]);
    await a.ingest([identify("tw-3", "tw3@example.com", { plan: "x" })]);
    const p = (await a.find("tw-3"))!;
    // The address and the user id in `u` both count for the person; the traits survive.
    expect(p.email.opens).toBe(2);
    expect(p.traits.plan).toBe("x");
    await a.erase("tw-3");
    await b.applyTrackEvents([open("tw3@example.com"), open("tw-3")]);
    expect(await a.find("tw3@example.com")).toBeNull();
    expect(await a.find("tw-3")).toBeNull();
  });
});
