import type { Logger } from "../ports/index.js";
import type { LearningStore } from "../ports/learning.js";
import type { Profile, StoredEvent } from "../ports/profiles.js";
import { eventKey } from "../profiles/ecommerce.js";
import { emptyProfile } from "../profiles/model.js";
import { applicableOf, applyEvent } from "../profiles/replay.js";
import { engagementAt, intentAt } from "../profiles/view.js";
import { auc, brier, fitLogistic, fitPlatt, type LogisticModel, logit, predict } from "./logistic.js";

const DAY = 86_400_000;
/** Purchase propensity: an order within this long after the moment scored. */
export const PROPENSITY_HORIZON = 7 * DAY;
/** Churn: a customer active in the last CHURN_ACTIVE_WINDOW with no event at all within this long. */
export const CHURN_HORIZON = 30 * DAY;
const CHURN_ACTIVE_WINDOW = 90 * DAY;
/** Below these, a model is not trained: the heuristic scores are used and say so. */
export const MIN_EXAMPLES = 200;
export const MIN_EACH_CLASS = 20;

const ORDER_COMPLETED = eventKey("Order Completed");
const cap = (days: number) => Math.min(365, Math.max(0, days));
const daysSince = (t: number | null, now: number) => (t === null ? 365 : cap((now - t) / DAY));

/** The features a score reads from a profile, in model order (one owner for the list). */
export const FEATURES = [
  "daysSinceOrder",
  "orders",
  "monetary",
  "engagement",
  "intent",
  "emailOpens",
  "emailClicks",
  "daysSinceEmailActivity",
  "cartItems",
  "daysSinceSeen",
] as const;

export function featuresOf(p: Profile, now: number): number[] {
  let monetary = 0;
  for (const v of Object.values(p.purchases.ltv)) monetary = Math.max(monetary, v);
  const lastEmail = Math.max(p.email.lastOpenAt ?? 0, p.email.lastClickAt ?? 0) || null;
  return [
    daysSince(p.purchases.lastAt, now),
    Math.log1p(p.purchases.count),
    Math.log1p(Math.max(0, monetary)),
    engagementAt(p, now).score,
    intentAt(p, now),
    Math.log1p(p.email.opens),
    Math.log1p(p.email.clicks),
    daysSince(lastEmail, now),
    p.cart?.items.length ?? 0,
    daysSince(p.lastSeenAt || null, now),
  ];
}

export type ScoreName = "propensity" | "churnRisk";

/**
 * One person's training examples at `cutoff`: the profile as its events built it up to
 * then (replayed, so nothing after the cutoff leaks in), labelled by what followed.
 * Churn only for people who were customers active in the 90 days before.
 */
export function examplesAt(events: readonly StoredEvent[], cutoff: number) {
  const before = events
    .filter((e) => e.at <= cutoff)
    .sort((a, b) => a.at - b.at || (a.seq ?? 0) - (b.seq ?? 0));
  if (before.length === 0) return null;
  const p = emptyProfile(before[0]!.profileId, before[0]!.at);
  for (const e of before) {
    const a = applicableOf(e);
    if (a) applyEvent(p, a, e.at);
  }
  const x = featuresOf(p, cutoff);
  const ordered = events.some(
    (e) =>
      e.at > cutoff &&
      e.at <= cutoff + PROPENSITY_HORIZON &&
      e.event !== null &&
      eventKey(e.event) === ORDER_COMPLETED,
  );
  const activeBefore = p.purchases.count > 0 && before[before.length - 1]!.at >= cutoff - CHURN_ACTIVE_WINDOW;
  const activeAfter = events.some((e) => e.at > cutoff && e.at <= cutoff + CHURN_HORIZON);
  return { x, propensity: ordered ? 1 : 0, churnRisk: activeBefore ? (activeAfter ? 0 : 1) : null };
}

export interface TrainedScore {
  model: LogisticModel;
  auc: number;
  brier: number;
  examples: number;
  positives: number;
  at: number;
}

export type TrainOutcome =
  | { trained: true; score: TrainedScore }
  | { trained: false; reason: string; examples: number; positives: number };

/**
 * Trains one score: 60% of the examples fit the model, 20% calibrate it (Platt), 20% are
 * held out for the AUC and Brier score reported. Refuses on too little data.
 */
export function trainScore(xs: readonly number[][], ys: readonly number[], at: number): TrainOutcome {
  const positives = ys.reduce((a, b) => a + b, 0);
  const negatives = ys.length - positives;
  if (ys.length < MIN_EXAMPLES || positives < MIN_EACH_CLASS || negatives < MIN_EACH_CLASS)
    return {
      trained: false,
      reason: `too little history: ${ys.length} examples with ${positives} positives (needs ${MIN_EXAMPLES}, and ${MIN_EACH_CLASS} of each outcome)`,
      examples: ys.length,
      positives,
    };
  // A fixed interleaving, not a shuffle: the same data always gives the same model.
  const part = (i: number) => (i % 5 < 3 ? 0 : i % 5 === 3 ? 1 : 2);
  const pick = (k: number) => {
    const x: number[][] = [];
    const y: number[] = [];
    xs.forEach((row, i) => {
      if (part(i) === k) {
        x.push(row as number[]);
        y.push(ys[i]!);
      }
    });
    return { x, y };
  };
  const train = pick(0);
  const calib = pick(1);
  const test = pick(2);
  const fitted = fitLogistic(train.x, train.y);
  const platt = fitPlatt(
    calib.x.map((r) => logit(fitted, r)),
    calib.y,
  );
  const model: LogisticModel = { ...fitted, platt };
  const p = test.x.map((r) => predict(model, r));
  return {
    trained: true,
    score: { model, auc: auc(p, test.y), brier: brier(p, test.y), examples: ys.length, positives, at },
  };
}

/** Scores from plain rules, for a shop with too little history to learn from. */
export function heuristicScores(x: readonly number[]): Record<ScoreName, number> {
  const [daysSinceOrder, , , engagement, intent, , , daysSinceEmail, cartItems, daysSinceSeen] =
    x as number[];
  const recency = Math.exp(-daysSinceOrder! / 60);
  const propensity =
    0.05 + 0.5 * intent! + 0.15 * Math.min(1, engagement! / 5) + 0.15 * recency + (cartItems! > 0 ? 0.1 : 0);
  const quiet = Math.min(daysSinceSeen!, daysSinceEmail!);
  const churnRisk = 1 - Math.exp(-quiet / 60);
  const r = (v: number) => Math.round(Math.min(0.99, Math.max(0.01, v)) * 1000) / 1000;
  return { propensity: r(propensity), churnRisk: r(churnRisk) };
}

/** Where the training examples come from: people and their stored events. */
export interface ScoreSource {
  /** Up to `limit` profile ids (a bounded sample of the shop). */
  profileIds(limit: number): Promise<string[]>;
  events(profileId: string): Promise<StoredEvent[]>;
}

export interface Scores {
  propensity: number;
  churnRisk: number;
  /** "model": learned from this shop; "heuristic": too little history to learn from. */
  source: Record<ScoreName, "model" | "heuristic">;
}

const SCORE_NAMES: readonly ScoreName[] = ["propensity", "churnRisk"];

/**
 * The trained models (kept in the LearningStore, loaded once) and the scores of a profile.
 * Training reads a bounded sample of people, replays each one's events to a cutoff a
 * horizon ago, and fits one model per score; a score with too little history keeps the
 * heuristic and its refusal is reported.
 */
export class Scorer {
  private models: Partial<Record<ScoreName, TrainedScore>> = {};
  private status: Partial<Record<ScoreName, TrainOutcome>> = {};
  private loaded: Promise<void> | null = null;

  constructor(
    private readonly store: LearningStore,
    private readonly logger: Logger,
    private readonly source?: ScoreSource,
    private readonly sample = 20_000,
  ) {}

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      for (const name of SCORE_NAMES) {
        const m = await this.store.loadModel(`score:${name}`);
        if (m) this.models[name] = JSON.parse(m.json) as TrainedScore;
      }
    })().catch((err) => this.logger.error({ err }, "score models read failed"));
    return this.loaded;
  }

  async scoresOf(p: Profile, now: number): Promise<Scores> {
    await this.load();
    const x = featuresOf(p, now);
    const h = heuristicScores(x);
    const out: Scores = { ...h, source: { propensity: "heuristic", churnRisk: "heuristic" } };
    for (const name of SCORE_NAMES) {
      const m = this.models[name];
      if (!m) continue;
      out[name] = Math.round(predict(m.model, x) * 1000) / 1000;
      out.source[name] = "model";
    }
    return out;
  }

  /** Trains both scores on the shop's history as of `now` (cutoffs one horizon back). */
  async train(now: number): Promise<Record<ScoreName, TrainOutcome>> {
    if (!this.source) throw new Error("no profile history to train on");
    const ids = await this.source.profileIds(this.sample);
    const px: number[][] = [];
    const py: number[] = [];
    const cx: number[][] = [];
    const cy: number[] = [];
    for (const [i, id] of ids.entries()) {
      // Requests go on between people: a training run never holds the thread for long.
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 0));
      const events = await this.source.events(id);
      const p = examplesAt(events, now - PROPENSITY_HORIZON);
      if (p) {
        px.push(p.x);
        py.push(p.propensity);
      }
      const c = examplesAt(events, now - CHURN_HORIZON);
      if (c && c.churnRisk !== null) {
        cx.push(c.x);
        cy.push(c.churnRisk);
      }
    }
    const result = { propensity: trainScore(px, py, now), churnRisk: trainScore(cx, cy, now) };
    for (const name of SCORE_NAMES) {
      const r = result[name];
      this.status[name] = r;
      if (r.trained) {
        this.models[name] = r.score;
        await this.store.saveModel(`score:${name}`, JSON.stringify(r.score), now);
        this.logger.info(
          { score: name, auc: r.score.auc, brier: r.score.brier, examples: r.score.examples },
          "score model trained",
        );
      } else this.logger.info({ score: name, reason: r.reason }, "score model not trained");
    }
    return result;
  }

  /** What each score runs on: the model with its held-out AUC, or the heuristic and why. */
  async describe() {
    await this.load();
    const out: Record<string, unknown> = {};
    for (const name of SCORE_NAMES) {
      const m = this.models[name];
      const last = this.status[name];
      out[name] = {
        source: m ? "model" : "heuristic",
        ...(m && {
          auc: round4(m.auc),
          brier: round4(m.brier),
          examples: m.examples,
          positives: m.positives,
          trainedAt: new Date(m.at).toISOString(),
        }),
        ...(last && !last.trained && { lastAttempt: { trained: false, reason: last.reason } }),
      };
    }
    return { features: FEATURES, ...out };
  }
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;
