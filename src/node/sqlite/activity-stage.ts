import type { TrackEvent } from "../../core/ports/index.js";
import type { ActivityRow } from "../../core/ports/profiles.js";
import { emptyActivity, utcHour } from "../../core/profiles/activity.js";
import { recipientKey } from "../../core/profiles/identity.js";
import { addDecayed, ENGAGEMENT_WEIGHT, HALF_LIFE } from "../../core/profiles/model.js";
import { HOURS, MACHINE_CLASSES } from "./migrations.js";

/** What a staged hit needs: a logged open or click, or a correction of one. */
export type StagedHit = Pick<TrackEvent, "recipient" | "kind" | "class" | "at" | "campaign" | "corrects">;

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
  private uAt: number[] = [];
  /** Corrections of uniques staged in an earlier window, by slot: moved in the table. */
  private moves: Map<number, StagedHit[]> | null = null;

  /** Stages a logged hit (one without a recipient counts for nobody). */
  add(e: StagedHit): void {
    const r = e.recipient;
    if (!r) return;
    const k = recipientKey(r);
    let slot = this.index.get(k);
    if (slot === undefined) slot = this.newSlot(k, e.at);
    if (e.corrects) {
      this.correct(slot, e, r);
      return;
    }
    const n = this.num;
    const b = slot * STRIDE;
    if (e.at < n[b + FIRST_AT]!) n[b + FIRST_AT] = e.at;
    if (e.at > n[b + LAST_AT]!) n[b + LAST_AT] = e.at;
    if (e.class !== "human") {
      n[b + (e.kind === "open" ? MACHINE_OPENS : MACHINE_CLICKS)]!++;
      n[b + MACHINE + MACHINE_INDEX[e.class]!]!++;
    } else {
      n[b + (e.kind === "open" ? OPENS : CLICKS)]!++;
      if (e.kind === "click") noteClick(n, b, e.at);
      else if (!(n[b + LAST_OPEN_AT]! >= e.at)) n[b + LAST_OPEN_AT] = e.at; // NaN (never) or earlier
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

  /**
   * A correction (TrackEvent.corrects): its hit moves from one class to the other, the sums
   * as add() made them undone for the old class and made for the new one. A human click no
   * longer counts as one: its hour and engagement are taken back, its time leaves the
   * slot's last click times, and a stored last click among the corrected ones is replaced
   * in the table (activity-table.ts).
   */
  private correct(slot: number, e: StagedHit, recipient: string): void {
    // Only ever made to a machine class (a scanner's): nothing to take back otherwise.
    if (e.class === "human") return;
    const n = this.num;
    const b = slot * STRIDE;
    const open = e.kind === "open";
    const from = e.corrects!;
    if (from === "human") {
      n[b + (open ? OPENS : CLICKS)]!--;
      n[b + HOUR + utcHour(e.at)]!--;
      scratch.v = n[b + ENGAGEMENT]!;
      scratch.t = n[b + ENGAGEMENT_AT]!;
      addDecayed(scratch, -ENGAGEMENT_WEIGHT[e.kind], e.at, HALF_LIFE.engagement);
      n[b + ENGAGEMENT] = scratch.v;
      n[b + ENGAGEMENT_AT] = scratch.t;
      n[b + (open ? MACHINE_OPENS : MACHINE_CLICKS)]!++;
      if (!open) {
        if (!(n[b + RECLASS_FROM]! <= e.at)) n[b + RECLASS_FROM] = e.at;
        if (!(n[b + RECLASS_TO]! >= e.at)) n[b + RECLASS_TO] = e.at;
        forgetClick(n, b, e.at);
      }
    } else {
      n[b + MACHINE + MACHINE_INDEX[from]!]!--;
    }
    n[b + MACHINE + MACHINE_INDEX[e.class]!]!++;
    // The unique, if this window holds the very hit that made it; else the table's.
    for (let u = this.head[slot]!; u !== -1; u = this.next[u]!) {
      if (this.uKind[u] !== e.kind || this.uCampaign[u] !== e.campaign || this.uRecipient[u] !== recipient)
        continue;
      if (this.uClass[u] === from && this.uAt[u] === e.at) {
        this.uClass[u] = e.class;
        return;
      }
      break;
    }
    this.moves ??= new Map();
    const list = this.moves.get(slot);
    if (list) list.push(e);
    else this.moves.set(slot, [e]);
  }

  /** The corrections of a slot's uniques that the table holds (staged in an earlier window). */
  movesOf(slot: number): readonly StagedHit[] {
    return this.moves?.get(slot) ?? NO_MOVES;
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
    const range = this.reclassified(slot);
    if (range) out.reclassifiedClicks = range;
    return out;
  }

  /** The times of a slot's clicks corrected from human (ActivityRow.reclassifiedClicks). */
  reclassified(slot: number): { from: number; to: number } | null {
    const b = slot * STRIDE;
    const from = this.num[b + RECLASS_FROM]!;
    return Number.isNaN(from) ? null : { from, to: this.num[b + RECLASS_TO]! };
  }

  /**
   * The numbers of a slot, for writers that read them in place (activity-table.ts): its
   * `COUNT_COLUMNS` counts from `base`, then the columns at the offsets below.
   */
  numbers(slot: number): { n: Float64Array; base: number } {
    return { n: this.num, base: slot * STRIDE };
  }

  /** Calls `fn` with each of a slot's uniques, in log order (the time of the hit that made it). */
  forEachUnique(
    slot: number,
    fn: (
      campaign: string,
      kind: TrackEvent["kind"],
      recipient: string,
      cls: TrackEvent["class"],
      at: number,
    ) => void,
  ): void {
    for (let u = this.head[slot]!; u !== -1; u = this.next[u]!)
      fn(this.uCampaign[u]!, this.uKind[u]!, this.uRecipient[u]!, this.uClass[u]!, this.uAt[u]!);
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
    this.uAt.length = 0;
    this.moves = null;
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
    this.num.fill(Number.NaN, b + RECLASS_FROM, b + STRIDE);
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
    this.uAt.push(e.at);
    if (last === -1) this.head[slot] = u;
    else this.next[last] = u;
    this.uniqueCount++;
  }
}

/**
 * email_activity's counting columns in the order a slot holds them: the one list the
 * stage's offsets below and activity-table.ts's SQL are derived from.
 */
export const COUNTS: readonly string[] = Object.freeze([
  "opens",
  "clicks",
  "machine_opens",
  "machine_clicks",
  ...MACHINE_CLASSES.map((c) => `m_${c}`),
  ...HOURS,
]);
const countAt = (column: string): number => {
  const i = COUNTS.indexOf(column);
  if (i === -1) throw new Error(`email_activity has no counting column ${column}`);
  return i;
};
// A slot's numbers: the counts first (COUNTS order), then the times and the rest.
const OPENS = countAt("opens");
const CLICKS = countAt("clicks");
const MACHINE_OPENS = countAt("machine_opens");
const MACHINE_CLICKS = countAt("machine_clicks");
const MACHINE = countAt(`m_${MACHINE_CLASSES[0]}`);
const HOUR = countAt(HOURS[0]!);
// Runs of columns the code indexes into (MACHINE + class, HOUR + hour) must be contiguous.
if (
  !MACHINE_CLASSES.every((c, i) => COUNTS[MACHINE + i] === `m_${c}`) ||
  !HOURS.every((h, i) => COUNTS[HOUR + i] === h)
)
  throw new Error("COUNTS must list the machine classes and the hours each in one run");
/** How many counts lead a slot's numbers. */
export const COUNT_COLUMNS = COUNTS.length;
/** Offsets after the counts: NaN stands for a time never set. */
export const LAST_OPEN_AT = COUNT_COLUMNS;
export const LAST_CLICK_AT = COUNT_COLUMNS + 1;
export const ENGAGEMENT = COUNT_COLUMNS + 2;
export const ENGAGEMENT_AT = COUNT_COLUMNS + 3;
export const FIRST_AT = COUNT_COLUMNS + 4;
export const LAST_AT = COUNT_COLUMNS + 5;
/** The first and last time of the slot's clicks corrected from human (NaN: none). */
const RECLASS_FROM = COUNT_COLUMNS + 6;
const RECLASS_TO = COUNT_COLUMNS + 7;
/**
 * The slot's latest human click times after LAST_CLICK_AT, latest first (NaN: none), so
 * that a correction of the latest ones finds the click before them: a scanner's burst
 * gives itself away after two clicks taken for a person's, sometimes a few more.
 */
const EARLIER_CLICKS = COUNT_COLUMNS + 8;
const CLICK_TIMES = [LAST_CLICK_AT, EARLIER_CLICKS, EARLIER_CLICKS + 1, EARLIER_CLICKS + 2];
const STRIDE = COUNT_COLUMNS + 11;

/** Adds a human click's time to the slot's latest ones (LAST_CLICK_AT first), the oldest dropped. */
function noteClick(n: Float64Array, b: number, at: number): void {
  let x = at;
  for (const o of CLICK_TIMES) {
    const v = n[b + o]!;
    if (v >= x) continue;
    n[b + o] = x;
    if (Number.isNaN(v)) return;
    x = v;
  }
}

/** Takes a corrected click's time out of the slot's latest ones: the next becomes the last. */
function forgetClick(n: Float64Array, b: number, at: number): void {
  const i = CLICK_TIMES.findIndex((o) => n[b + o] === at);
  if (i === -1) return;
  for (let j = i; j < CLICK_TIMES.length - 1; j++) n[b + CLICK_TIMES[j]!] = n[b + CLICK_TIMES[j + 1]!]!;
  n[b + CLICK_TIMES[CLICK_TIMES.length - 1]!] = Number.NaN;
}

const MACHINE_INDEX: Partial<Record<TrackEvent["class"], number>> = Object.fromEntries(
  MACHINE_CLASSES.map((c, i) => [c, i]),
);
const scratch = { v: 0, t: 0 };
const NO_MOVES: readonly StagedHit[] = [];
