import type { Profile, StoredEvent } from "../ports/profiles.js";
import { mergeIdentities, mergeInto } from "./merge.js";
import {
  type Applicable,
  applyEvent,
  inTimeOrder,
  MAX_REPLAY_EVENTS,
  rebuild,
  type Timed,
} from "./replay.js";

/** Reads a person's stored events (ProfileTx.history). */
export type HistoryReader = (profileIds: readonly string[], max: number) => StoredEvent[] | null;

/**
 * Keeps every profile a group commit touches equal to its events applied in time order
 * (replay.ts says why). An event newer than everything its profile has applied is applied
 * at once, the cheap common case. An older one, or a merge of two profiles (two histories
 * interleave), marks the profile for a rebuild at the end of the group: its stored events
 * are read once, and the rebuild replays them with the group's own, so a group with many
 * late events for one person rebuilds that person once.
 */
export class TimeOrder {
  /** Profiles to rebuild at finish(), with their stored events (both sides of a merge). */
  private readonly pending = new Map<string, StoredEvent[]>();
  /** Profiles with more stored events than a rebuild may read: applied on top instead. */
  private readonly tooMany = new Set<string>();
  /** The group's accepted events, each under the profile it belongs to now. */
  private readonly fresh: (Timed & { profileId: string })[] = [];

  constructor(private readonly history: HistoryReader) {}

  /** An accepted event of this group, for profile `p`. */
  add(p: Profile, at: number, apply: Applicable): void {
    this.fresh.push({ profileId: p.id, at, apply });
    if (this.pending.has(p.id)) return;
    if (inTimeOrder(p, at)) applyEvent(p, apply, at);
    else {
      const stored = this.storedOf(p.id);
      if (stored) this.pending.set(p.id, stored);
      else applyEvent(p, apply, at);
    }
  }

  /** `loser` joins `target` (the same person): identities now, the rest rebuilt from both histories. */
  merge(target: Profile, loser: Profile): void {
    const a = this.storedOf(target.id);
    const b = a && this.storedOf(loser.id);
    if (a && b && a.length + b.length <= MAX_REPLAY_EVENTS) {
      this.repoint(loser.id, target.id);
      mergeIdentities(target, loser);
      this.pending.delete(loser.id);
      this.pending.set(target.id, [...a, ...b]);
      return;
    }
    // Too big to rebuild: each side made whole as it stands, then added up (mergeInto).
    this.settle(target);
    this.settle(loser);
    this.repoint(loser.id, target.id);
    mergeInto(target, loser);
    this.tooMany.add(target.id);
  }

  /** Rebuilds every profile still marked (call once the group's events are all added). */
  finish(profiles: ReadonlyMap<string, Profile>): void {
    for (const id of [...this.pending.keys()]) {
      const p = profiles.get(id);
      if (p) this.settle(p);
    }
  }

  /** The events already stored for a profile: those held for its rebuild, else read now. */
  private storedOf(id: string): StoredEvent[] | null {
    const held = this.pending.get(id);
    if (held) return held;
    if (this.tooMany.has(id)) return null;
    const read = this.history([id], MAX_REPLAY_EVENTS);
    if (!read) this.tooMany.add(id);
    return read;
  }

  private settle(p: Profile): void {
    const stored = this.pending.get(p.id);
    if (!stored) return;
    this.pending.delete(p.id);
    rebuild(
      p,
      stored,
      this.fresh.filter((e) => e.profileId === p.id),
    );
  }

  private repoint(from: string, to: string): void {
    for (const e of this.fresh) if (e.profileId === from) e.profileId = to;
  }
}
