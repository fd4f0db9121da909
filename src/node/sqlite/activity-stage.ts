import type { TrackEvent } from "../../core/ports/index.js";
import type { ActivityRow } from "../../core/ports/profiles.js";
import { emptyActivity, utcHour } from "../../core/profiles/activity.js";
import { recipientKey } from "../../core/profiles/identity.js";
import { addDecayed, ENGAGEMENT_WEIGHT, HALF_LIFE } from "../../core/profiles/model.js";
import { HOURS, MACHINE_CLASSES } from "./migrations.js";

/** What a staged hit needs: a logged open or click. */
export type StagedHit = Pick<TrackEvent, "recipient" | "kind" | "class" | "at" | "campaign">;

/**
 * A fold window's email activity and campaign uniques, staged column-wise: one slot per
 * person (recipient key), their numbers side by side in one Float64Array, their uniques in
 * parallel arrays. The same sums as aggregateActivity (core/profiles/activity.ts), whose
 * rows row() gives back.
 *
 * Why not an ActivityRow per person: a window holds every person hit in the last 2 s, so
 * each row (object, 24-hour array, engagement object, ~400 bytes) survived the young
 * generation and was copied by the scavenger on its way out; staging cost 3.3–3.8 µs per
 * hit against 0.7–1.1 µs for the key and its map entry alone (50,000 people, batches of
 * 1,500, in-process). Here a new person costs a map entry and 40 numbers in a buffer that
 * is reused window after window (the folder keeps two stages and swaps them).
 */
export class ActivityStage {
  /** People staged; slots are 0 … size - 1, in order of first hit. */
  size = 0;
  /** Campaign uniques staged (first hit of each campaign, kind and recipient). */
  uniqueCount = 0;
  private readonly index = new Map<string, number>();
  private keys: string[] = [];
  private num = new Float64Array(0);
  // Uniques: a list per slot (head, then next), the first hit's fields alongside.
  private head = new Int32Array(0);
  private next: number[] = [];
  private uCampaign: string[] = [];
  private uKind: TrackEvent["kind"][] = [];
  private uClass: TrackEvent["class"][] = [];
  private uRecipient: string[] = [];

  /** Stages a logged hit (one without a recipient counts for nobody). */
  add(e: StagedHit): void {
    const r = e.recipient;
    if (!r) return;
    const k = recipientKey(r);
    let slot = this.index.get(k);
    if (slot === undefined) slot = this.newSlot(k, e.at);
    const n = this.num;
    const b = slot * STRIDE;
    if (e.at < n[b + FIRST_AT]!) n[b + FIRST_AT] = e.at;
    if (e.at > n[b + LAST_AT]!) n[b + LAST_AT] = e.at;
    if (e.class !== "human") {
      n[b + (e.kind === "open" ? MACHINE_OPENS : MACHINE_CLICKS)]!++;
      n[b + MACHINE + MACHINE_INDEX[e.class]!]!++;
    } else {
      const last = b + (e.kind === "open" ? LAST_OPEN_AT : LAST_CLICK_AT);
      n[b + (e.kind === "open" ? OPENS : CLICKS)]!++;
      if (!(n[last]! >= e.at)) n[last] = e.at; // NaN (never) or earlier
      n[b + HOUR + utcHour(e.at)]!++;
      // The core's sum, on a scratch pair: no object per hit.
      scratch.v = n[b + ENGAGEMENT]!;
      scratch.t = n[b + ENGAGEMENT_AT]!;
      addDecayed(scratch, ENGAGEMENT_WEIGHT[e.kind], e.at, HALF_LIFE.engagement);
      n[b + ENGAGEMENT] = scratch.v;
      n[b + ENGAGEMENT_AT] = scratch.t;
    }
    this.addUnique(slot, e, r);
  }

  /** The staged people's slots in key order (JS string order). */
  sorted(): number[] {
    // The keys sorted natively, then their slots: faster than a comparator over slots.
    return [...this.index.keys()].sort().map((k) => this.index.get(k)!);
  }

  key(slot: number): string {
    return this.keys[slot]!;
  }

  /** A slot's delta as aggregateActivity would have made it. */
  row(slot: number): ActivityRow {
    const n = this.num;
    const b = slot * STRIDE;
    const out = emptyActivity(this.keys[slot]!, n[b + FIRST_AT]!);
    out.opens = n[b + OPENS]!;
    out.clicks = n[b + CLICKS]!;
    out.machineOpens = n[b + MACHINE_OPENS]!;
    out.machineClicks = n[b + MACHINE_CLICKS]!;
    MACHINE_CLASSES.forEach((c, i) => {
      if (n[b + MACHINE + i]! > 0) out.machineByClass[c] = n[b + MACHINE + i]!;
    });
    for (let h = 0; h < HOURS.length; h++) out.hours[h] = n[b + HOUR + h]!;
    out.lastOpenAt = Number.isNaN(n[b + LAST_OPEN_AT]!) ? null : n[b + LAST_OPEN_AT]!;
    out.lastClickAt = Number.isNaN(n[b + LAST_CLICK_AT]!) ? null : n[b + LAST_CLICK_AT]!;
    out.engagement = { v: n[b + ENGAGEMENT]!, t: n[b + ENGAGEMENT_AT]! };
    out.lastAt = n[b + LAST_AT]!;
    return out;
  }

  /**
   * The numbers of a slot, for writers that read them in place (activity-table.ts): its
   * `COUNT_COLUMNS` counts from `base`, then the columns at the offsets below.
   */
  numbers(slot: number): { n: Float64Array; base: number } {
    return { n: this.num, base: slot * STRIDE };
  }

  /** Calls `fn` with each of a slot's uniques, in log order. */
  forEachUnique(
    slot: number,
    fn: (campaign: string, kind: TrackEvent["kind"], recipient: string, cls: TrackEvent["class"]) => void,
  ): void {
    for (let u = this.head[slot]!; u !== -1; u = this.next[u]!)
      fn(this.uCampaign[u]!, this.uKind[u]!, this.uRecipient[u]!, this.uClass[u]!);
  }

  /** Slots the buffers hold now (they grow by doubling). */
  get capacity(): number {
    return this.num.length / STRIDE;
  }

  /**
   * Empties the stage, keeping its buffers for the next window, unless they are more than
   * four times what this window needed (and past 4,096 slots): a burst's buffers (up to
   * ~42 MB at the fold's 100,000-person bound) are given back after a quieter window.
   */
  clear(): void {
    if (this.capacity > 4 * Math.max(4_096, this.size)) {
      this.num = new Float64Array(0);
      this.head = new Int32Array(0);
    }
    this.index.clear();
    this.keys.length = 0;
    this.next.length = 0;
    this.uCampaign.length = 0;
    this.uKind.length = 0;
    this.uClass.length = 0;
    this.uRecipient.length = 0;
    this.size = 0;
    this.uniqueCount = 0;
  }

  private newSlot(k: string, at: number): number {
    const slot = this.size++;
    if (slot * STRIDE >= this.num.length) this.grow();
    this.index.set(k, slot);
    this.keys[slot] = k;
    const b = slot * STRIDE;
    this.num.fill(0, b, b + STRIDE);
    this.num[b + LAST_OPEN_AT] = Number.NaN;
    this.num[b + LAST_CLICK_AT] = Number.NaN;
    this.num[b + ENGAGEMENT_AT] = at;
    this.num[b + FIRST_AT] = at;
    this.num[b + LAST_AT] = at;
    this.head[slot] = -1;
    return slot;
  }

  private grow(): void {
    const slots = Math.max(1024, this.num.length / STRIDE) * 2;
    const num = new Float64Array(slots * STRIDE);
    num.set(this.num);
    this.num = num;
    const head = new Int32Array(slots);
    head.set(this.head);
    this.head = head;
  }

  /** The person's first hit of each campaign, kind and recipient is a unique (its class kept). */
  private addUnique(slot: number, e: StagedHit, recipient: string): void {
    let last = -1;
    for (let u = this.head[slot]!; u !== -1; u = this.next[u]!) {
      if (this.uKind[u] === e.kind && this.uCampaign[u] === e.campaign && this.uRecipient[u] === recipient)
        return;
      last = u;
    }
    const u = this.next.length;
    this.next.push(-1);
    this.uCampaign.push(e.campaign);
    this.uKind.push(e.kind);
    this.uClass.push(e.class);
    this.uRecipient.push(recipient);
    if (last === -1) this.head[slot] = u;
    else this.next[last] = u;
    this.uniqueCount++;
  }
}

// A slot's numbers. The counts come first, in the order activity-table.ts's COUNTS lists
// their columns: opens, clicks, machine opens and clicks, one per machine class, one per hour.
const OPENS = 0;
const CLICKS = 1;
const MACHINE_OPENS = 2;
const MACHINE_CLICKS = 3;
const MACHINE = 4;
const HOUR = MACHINE + MACHINE_CLASSES.length;
/** How many counts lead a slot's numbers. */
export const COUNT_COLUMNS = HOUR + HOURS.length;
/** Offsets after the counts: NaN stands for a time never set. */
export const LAST_OPEN_AT = COUNT_COLUMNS;
export const LAST_CLICK_AT = COUNT_COLUMNS + 1;
export const ENGAGEMENT = COUNT_COLUMNS + 2;
export const ENGAGEMENT_AT = COUNT_COLUMNS + 3;
export const FIRST_AT = COUNT_COLUMNS + 4;
export const LAST_AT = COUNT_COLUMNS + 5;
const STRIDE = COUNT_COLUMNS + 6;

const MACHINE_INDEX: Partial<Record<TrackEvent["class"], number>> = Object.fromEntries(
  MACHINE_CLASSES.map((c, i) => [c, i]),
);
const scratch = { v: 0, t: 0 };
