import { type Metrics, series } from "../metrics.js";
import type { Clock, TrackEvent, TrackKind } from "../ports/index.js";
import { type Classification, classify } from "./classify.js";
import type { RecentActivity } from "./recent-activity.js";
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

/**
 * Classifies one open or click with what is known about the same recipient, then hands
 * it to the recorder (group commit). Synchronous on purpose: the response never waits.
 */
export class Tracker {
  private readonly recordedKeys = new Map<string, string>();
  constructor(
    private readonly recorder: Recorder,
    private readonly activity: RecentActivity,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    /** Called with every recorded event (the profile service batches them itself). */
    private readonly onRecorded?: (event: TrackEvent) => void,
  ) {}

  hit(input: HitInput): Classification {
    const at = this.clock.now();
    const userAgent = input.userAgent ? input.userAgent.slice(0, MAX_UA) : null;
    let firstOpenAt: number | undefined;
    let recentClicks: number | undefined;
    if (input.recipient) {
      if (input.kind === "open") {
        this.activity.noteOpen(input.campaign, input.recipient, at);
      } else {
        // Only clicks are timed against the first open.
        ({ recentClicks, firstOpenAt } = this.activity.clickSignals(
          input.campaign,
          input.recipient,
          input.linkId ?? "",
          at,
        ));
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
    const id = `${input.kind} ${result.class}`;
    let key = this.recordedKeys.get(id);
    if (key === undefined) {
      key = series({ kind: input.kind, class: result.class });
      this.recordedKeys.set(id, key); // kinds × classes: a few dozen at most
    }
    this.metrics.eventsRecorded.incRendered(key);
    return result;
  }
}
