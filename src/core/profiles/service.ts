import type { Clock, Logger, RandomBytes, TrackEvent } from "../ports/index.js";
import { silentLogger } from "../ports/index.js";
import type {
  EmailEvent,
  EraseResult,
  Profile,
  ProfileStore,
  StoredEvent,
  TrackingRow,
} from "../ports/profiles.js";
import type { RecsSink } from "../recs/signals.js";
import type { IngestEvent } from "../segment/event.js";
import { base64url } from "../util/encoding.js";
import { Lru } from "../util/lru.js";
import { createSigner, type Signer } from "../util/signer.js";
import { activityKeysOf, aggregateActivity, foldActivity, recipientsOfKeys } from "./activity.js";
import { addressesOf, recipientsOf, scrubHolders } from "./erasure.js";
import { groupKeys, type IngestResult, type Job, runGroup } from "./group.js";
import { historyOf, withCorrections } from "./history.js";
import { candidateKeys, identityValue, kindOf, normalizeEmail, recipientKey } from "./identity.js";
import { emptyProfile, MAX_HISTORY } from "./model.js";

export type { IngestResult } from "./group.js";

export interface ProfileServiceOptions {
  store: ProfileStore;
  /** OPENTIME_SECRET: keys the HMAC kept for erased people. */
  secret: string;
  /** The HMAC implementation; defaults to Web Crypto (Node passes its faster synchronous one). */
  signer?: Signer;
  clock: Clock;
  random: RandomBytes;
  logger?: Logger;
  /**
   * Group-commit window for acknowledged writes (Segment events, ESP events): requests
   * arriving within it share one transaction and one fsync, and each gets its 200 only
   * after that commit. 2 ms costs a request little and saves most of the fsyncs.
   */
  windowMs?: number;
  /** Opens and clicks are not acknowledged to anyone: they can wait longer to batch. */
  trackingWindowMs?: number;
  /** Events in one group before it is committed early. */
  maxGroupEvents?: number;
  /** How long a messageId / provider event id is remembered for deduplication. */
  dedupeRetentionMs?: number;
  /**
   * Recommendation signals (co-occurrence, popularity, each person's products), written
   * inside each group commit's transaction, so they stay exactly in step with the profiles.
   */
  recs?: RecsSink;
}

interface Pending {
  job: Job;
  weight: number;
  resolve?: () => void;
  reject?: (err: unknown) => void;
}

const PRUNE_EVERY_MS = 60_000;

function segmentEvents(jobs: Job[]): IngestEvent[] {
  const out: IngestEvent[] = [];
  for (const j of jobs) if (j.kind === "segment") for (const e of j.events) out.push(e);
  return out;
}

/**
 * What the app needs of the live profiles. ProfileService is the implementation; the Node
 * server wraps one running on a writer thread (src/node/profiles/threaded-profiles.ts).
 */
export type Profiles = Pick<
  ProfileService,
  | "ingest"
  | "applyEmailEvent"
  | "noteTrackEvent"
  | "applyTrackEvents"
  | "flush"
  | "find"
  | "profileIds"
  | "exportOf"
  | "erase"
  | "expunge"
  | "close"
>;

/**
 * One live profile per person. Every write goes through one serial queue of group
 * commits, so identity resolution and merges never race; reads go to the store, which
 * already holds everything acknowledged.
 */
export class ProfileService {
  private readonly store: ProfileStore;
  private readonly clock: Clock;
  private readonly signer: Signer;
  private readonly logger: Logger;
  private readonly windowMs: number;
  private readonly trackingWindowMs: number;
  private readonly maxGroupEvents: number;
  private readonly retention: number;
  private readonly newId: () => string;
  private readonly recs: RecsSink | undefined;
  // HMACs are async and cost a few µs; new identity keys repeat (a new visitor sends many
  // events), so recently computed ones are kept. 20k × ~100 bytes.
  private readonly hashCache = new Lru<string, string>(20_000);
  private pending: Pending[] = [];
  private pendingWeight = 0;
  /** Opens/clicks waiting to be added to email activity (never acknowledged to anyone). */
  private tracked: TrackEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private deadline = 0;
  private chain: Promise<void> = Promise.resolve();
  private lastPrune = 0;
  private closed = false;

  constructor(opts: ProfileServiceOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.signer = opts.signer ?? createSigner(opts.secret);
    this.logger = opts.logger ?? silentLogger;
    this.windowMs = opts.windowMs ?? 2;
    this.trackingWindowMs = opts.trackingWindowMs ?? 50;
    this.maxGroupEvents = opts.maxGroupEvents ?? 5_000;
    this.retention = opts.dedupeRetentionMs ?? 7 * 86_400_000;
    this.newId = () => `p_${base64url(opts.random(12))}`;
    this.recs = opts.recs;
  }

  /** Accepts validated events; resolves once they are durable and the profiles updated. */
  ingest(events: IngestEvent[]): Promise<IngestResult> {
    const result: IngestResult = { accepted: 0, duplicates: 0, suppressed: 0 };
    if (!events.length) return Promise.resolve(result);
    return this.submit({ kind: "segment", events, result }, events.length).then(() => result);
  }

  /** For ESP webhooks: deduplicated by provider + id; resolves once durable. */
  async applyEmailEvent(e: EmailEvent): Promise<void> {
    if (!normalizeEmail(e.email)) throw new TypeError("applyEmailEvent: email is not an address");
    await this.submit({ kind: "email", event: e, result: { accepted: 0, duplicates: 0, suppressed: 0 } }, 1);
  }

  /**
   * Opens and clicks from /o and /c. Never awaited: the pixel or redirect has been
   * answered already; the event joins the next group (at most trackingWindowMs later).
   */
  noteTrackEvent(e: TrackEvent): void {
    if (!e.recipient || this.closed) return;
    this.tracked.push(e);
    this.schedule(this.trackingWindowMs);
  }

  /**
   * Adds a batch of opens/clicks to email activity now; resolves once committed. A
   * failure is logged, never thrown (the event log already has them).
   */
  applyTrackEvents(events: readonly TrackEvent[]): Promise<void> {
    for (const e of events) if (e.recipient) this.tracked.push(e);
    return this.flush();
  }

  private submit(job: Job, weight: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ job, weight, resolve, reject });
      this.pendingWeight += weight;
      this.schedule(this.closed ? 0 : this.windowMs);
    });
  }

  private schedule(ms: number): void {
    if (this.pendingWeight >= this.maxGroupEvents) ms = 0;
    const due = this.clockNow() + ms;
    if (this.timer && this.deadline <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.deadline = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    // Never keep a process alive just for the timer (Node); harmless elsewhere.
    (this.timer as { unref?: () => void }).unref?.();
  }

  // Scheduling uses real time whatever clock is injected (a frozen test clock must not
  // stall the queue); the injected clock is for what the profile records.
  private clockNow(): number {
    return performance.now();
  }

  /** Commits everything queued so far; resolves when it is durable. */
  flush(): Promise<void> {
    const run = async () => {
      while (this.pending.length || this.tracked.length) {
        const batch = this.pending;
        this.pending = [];
        this.pendingWeight = 0;
        if (batch.length) await this.commit(batch);
        const tracked = this.tracked;
        this.tracked = [];
        if (tracked.length) await this.commitActivity(tracked);
      }
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  /** Runs `fn` between two group commits (erasure must not interleave with a merge). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const out = this.flush().then(fn);
    this.chain = out.then(
      () => undefined,
      () => undefined,
    );
    return out;
  }

  private async commit(batch: Pending[]): Promise<void> {
    try {
      await this.write(batch.map((p) => p.job));
      for (const p of batch) p.resolve?.();
    } catch (err) {
      if (batch.length === 1) {
        this.logger.error({ err }, "profile write failed");
        batch[0]!.reject?.(err);
        return;
      }
      // Nothing of the failed group was written (one transaction), so each job can be
      // retried alone: one poison event fails its own request, not its neighbours'.
      for (const p of batch) {
        Object.assign(p.job.result, { accepted: 0, duplicates: 0, suppressed: 0, profileIds: undefined });
        await this.commit([p]);
      }
    }
  }

  private async commitActivity(events: TrackEvent[]): Promise<void> {
    try {
      const deltas = aggregateActivity(events);
      const hashes = await this.hashes([...deltas.keys()]);
      await this.store.addActivity([...deltas.values()], hashes);
    } catch (err) {
      this.logger.error({ err, events: events.length }, "email activity write failed");
    }
  }

  private async write(jobs: Job[]): Promise<void> {
    const now = this.clock.now();
    await this.writeGroup(jobs, now);
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await this.store.pruneSeen(now - this.retention, 10_000);
    }
  }

  /**
   * A group: reads, apply and write under one write lock (another connection writes the
   * same file). The HMACs for the erased check are async, so they are computed first for
   * the keys unknown now (a cache hit for repeat keys); the locked part runs without
   * awaiting.
   */
  private async writeGroup(jobs: Job[], now: number): Promise<void> {
    const { keys } = groupKeys(jobs);
    const known = await this.store.lookup(keys);
    const hashes = await this.hashes(keys.filter((k) => !known.has(k)));
    // A retry happens only if a key known a moment ago is unknown under the lock (its
    // person erased meanwhile); each retry hashes those keys, so it ends.
    for (;;) {
      const missing = this.store.transact((tx) => {
        const res = runGroup(jobs, tx, { now, newId: this.newId, hashes });
        if ("missing" in res) return res.missing;
        tx.commit(res.write);
        if (this.recs) this.recs.noteGroup(segmentEvents(jobs), res.write);
        return null;
      });
      if (!missing) return;
      for (const [k, h] of await this.hashes(missing)) hashes.set(k, h);
    }
  }

  private async hashes(keys: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    await Promise.all(
      keys.map(async (k) => {
        let h = this.hashCache.get(k);
        if (!h) {
          h = await this.signer.sign("erased", k);
          this.hashCache.set(k, h);
        }
        out.set(k, h);
      }),
    );
    return out;
  }

  /** Profile ids after `after` in id order, at most `limit` (the flows' sweep pages through them). */
  profileIds(after: string | null, limit: number): Promise<string[]> {
    return this.store.profileIds(after, limit);
  }

  /**
   * A profile by user id, email, anonymous id, ESP recipient id or profile id, with its
   * email activity folded in. `history: false` skips the log read behind the history's
   * opens/clicks (image rules and banners need scores and traits, not history).
   */
  async find(id: string, opts: { history?: boolean } = {}): Promise<Profile | null> {
    const found = await this.locate(id);
    return found ? this.read(found, opts) : null;
  }

  /** A located person as the API shows them: activity folded in, history built. */
  private async read(
    found: { profile: Profile; identities: string[] | null },
    opts: { history?: boolean },
  ): Promise<Profile> {
    const keys = activityKeysOf(found.profile);
    const profile = foldActivity(found.profile, await this.store.activity(keys));
    if (opts.history === false) return profile;
    const [events, tracking] = await Promise.all([
      found.identities ? [] : this.store.events(profile.id, MAX_HISTORY),
      this.store.tracking(recipientsOfKeys(keys), MAX_HISTORY),
    ]);
    return { ...profile, history: historyOf(events, withCorrections(tracking)) };
  }

  /**
   * The stored profile for `id`; else, for someone known only from opens/clicks, a profile
   * assembled around their activity key (its id is that key, e.g. `r:sub-123`, until a
   * Segment event or ESP webhook stores a real one).
   */
  private async locate(id: string): Promise<{ profile: Profile; identities: string[] | null } | null> {
    const keys = candidateKeys(id);
    const ids = await this.store.lookup(keys);
    const hit = keys.find((k) => ids.has(k));
    const pid = hit ? ids.get(hit)! : id.startsWith("p_") ? id : null;
    const stored = pid ? (await this.store.get([pid])).get(pid) : undefined;
    if (stored) return { profile: stored, identities: null };
    const k = recipientKey(id);
    const [row] = await this.store.activity([k]);
    if (!row) return null;
    const p = emptyProfile(k, row.firstAt);
    p.updatedAt = row.lastAt;
    (kindOf(k) === "e" ? p.emails : p.recipientIds).push(identityValue(k));
    return { profile: p, identities: [k] };
  }

  /** Everything held on a person: the profile, every identity, event and open/click. */
  async exportOf(id: string): Promise<{
    profile: Profile;
    identities: string[];
    events: StoredEvent[];
    tracking: TrackingRow[];
  } | null> {
    await this.flush();
    const found = await this.locate(id);
    if (!found) return null;
    const profile = await this.read(found, {});
    const identities = found.identities ?? (await this.store.keysOf(profile.id));
    const [events, tracking] = await Promise.all([
      found.identities ? [] : this.store.events(profile.id),
      this.store.tracking(recipientsOf(identities, profile)),
    ]);
    return { profile, identities, events, tracking: withCorrections(tracking) };
  }

  /**
   * Erases a person everywhere the store holds them, keeping only HMACs of their
   * identity keys (and activity keys) so a stray later event or open does not bring
   * them back.
   */
  erase(id: string): Promise<(EraseResult & { profileId: string }) | null> {
    return this.exclusive(async () => {
      const found = await this.locate(id);
      if (!found) return null;
      const { profile } = found;
      const identities = found.identities ?? (await this.store.keysOf(profile.id));
      const activityKeys = activityKeysOf(profile);
      const hashes = await this.hashes([...new Set([...identities, ...activityKeys])]);
      const emails = addressesOf(identities, profile);
      const holders = await this.store.emailHolders(emails);
      holders.delete(profile.id);
      const res = await this.store.erase({
        profileId: found.identities ? null : profile.id,
        recipients: recipientsOf(identities, profile),
        activityKeys,
        hashes: [...hashes.values()],
        at: this.clock.now(),
        emails,
        scrubbed: await scrubHolders(this.store, holders),
      });
      this.recs?.erasePerson(profile.id);
      return { profileId: profile.id, ...res };
    });
  }

  /** After an erasure: nothing deleted is left in the store's files (ProfileStore.expunge). */
  expunge(): Promise<void> {
    return this.exclusive(async () => {
      await this.store.expunge?.();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}
