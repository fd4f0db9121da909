import { type Metrics, series } from "../metrics.js";
import type { Clock, TrackEvent, TrackKind } from "../ports/index.js";
import { type Classification, classify, MANY_LINKS } from "./classify.js";
import type { ClickSignals, EarlierClick, RecentActivity } from "./recent-activity.js";
import type { Recorder } from "./recorder.js";

export interface HitInput {
  kind: TrackKind;
  campaign: string;
  linkId: string | null;
  recipient: string | null;
  method: string;
  userAgent: string | null;
  ip: string | null;
}

const MAX_UA = 512; // user agents are stored; bound them like every other input

/** The reasons a correction is logged with (the click that gave the burst away was classified). */
const BURST_REASONS = ["many_links_at_once", "reclassified_after_burst"];

/**
 * Classifies one open or click with what is known about the same recipient, then hands
 * it to the recorder (group commit). Synchronous on purpose: the response never waits.
 *
 * A link scanner's first clicks look like a person's until the third distinct link in the
 * burst window gives it away; that click is logged with a correction for each of the
 * earlier ones (TrackEvent.corrects), so every count made from the log moves them too.
 */
export class Tracker {
  private readonly recordedKeys = new Map<string, string>();
  private reclassified = 0;
  constructor(
    private readonly recorder: Recorder,
    private readonly activity: RecentActivity,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    /** Called with every recorded event (the profile service batches them itself). */
    private readonly onRecorded?: (event: TrackEvent) => void,
  ) {
    metrics.countedBy(
      "opentime_clicks_reclassified_total",
      "Clicks logged as a person's, then corrected to a scanner's when their burst gave it away",
      () => this.reclassified,
    );
  }

  hit(input: HitInput): Classification {
    const at = this.clock.now();
    const userAgent = input.userAgent ? input.userAgent.slice(0, MAX_UA) : null;
    let firstOpenAt: number | undefined;
    let recentClicks: number | undefined;
    let signals: ClickSignals | undefined;
    if (input.recipient) {
      if (input.kind === "open") {
        this.activity.noteOpen(input.campaign, input.recipient, at);
      } else {
        // Only clicks are timed against the first open.
        signals = this.activity.clickSignals(input.campaign, input.recipient, input.linkId ?? "", at);
        ({ recentClicks, firstOpenAt } = signals);
      }
    }
    const result = classify({
      kind: input.kind,
      method: input.method,
      userAgent,
      ip: input.ip,
      at,
      firstOpenAt,
      recentClicks,
    });
    const event: TrackEvent = {
      at,
      kind: input.kind,
      campaign: input.campaign,
      linkId: input.linkId,
      recipient: input.recipient,
      class: result.class,
      reasons: result.reasons,
      ip: input.ip,
      userAgent,
      method: input.method,
    };
    this.recorder.record(event);
    this.onRecorded?.(event);
    if (signals) {
      const burst = signals.recentClicks >= MANY_LINKS;
      const earlier = this.activity.classified(signals, input.linkId, at, result.class, burst);
      if (earlier.length) this.correct(event, earlier);
    }
    const id = `${input.kind} ${result.class}`;
    let key = this.recordedKeys.get(id);
    if (key === undefined) {
      key = series({ kind: input.kind, class: result.class });
      this.recordedKeys.set(id, key); // kinds × classes: a few dozen at most
    }
    this.metrics.eventsRecorded.incRendered(key);
    return result;
  }

  /** Logs the earlier clicks of the burst `giveaway` ended as a scanner's. */
  private correct(giveaway: TrackEvent, earlier: readonly EarlierClick[]): void {
    for (const c of earlier) {
      const correction: TrackEvent = {
        at: c.at,
        kind: "click",
        campaign: giveaway.campaign,
        linkId: c.linkId,
        recipient: giveaway.recipient,
        class: "scanner",
        reasons: BURST_REASONS,
        ip: null,
        userAgent: null,
        method: "",
        corrects: c.class,
      };
      this.recorder.record(correction);
      this.onRecorded?.(correction);
    }
    this.reclassified += earlier.length;
  }
}
