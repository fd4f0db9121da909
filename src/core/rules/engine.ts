import { RenderError } from "../blocks/image-service.js";
import type { OpenContext } from "../blocks/kinds.js";
import type { Learner } from "../learning/learner.js";
import type { Scorer } from "../learning/scores.js";
import type { BlockRecord, RandomBytes } from "../ports/index.js";
import type { WeatherCondition } from "../ports/weather.js";
import { Lru } from "../util/lru.js";
import { randomUnit, stableBucket } from "./bucket.js";
import { type Arm, armNamed, type CompiledRules, choose, compileRules, InvalidRulesError } from "./choose.js";
import type { Device } from "./conditions.js";
import { devicesOf } from "./device.js";
import type { Facts } from "./evaluate.js";
import type { SplitSettings } from "./variants.js";

/**
 * The weather where this open happens, for `weather` conditions. Optional: a server
 * without a weather provider (or a failed lookup) answers null and those conditions are
 * simply false.
 */
export type WeatherFor = (open: OpenContext) => Promise<WeatherCondition | null>;

/** The value of the block's data source for this open (data blocks); null without one. */
export type DataFor = (block: BlockRecord, open: OpenContext) => Promise<unknown>;

/** What the open path knows besides the OpenContext. */
export interface ChooseOptions {
  /** The client address (Apple Mail Privacy Protection is told apart by Apple's network). */
  ip?: string | null;
}

export interface Chosen {
  /** The variant's name, or "default". */
  variant: string;
  /** The record the block's kind renders: the variant's merged options, its own version key. */
  block: BlockRecord;
  slots: Record<string, string>;
}

/**
 * Picks the variant of a stored block for one open. Rules are compiled once per block
 * version (the same memo key the kinds use) and the per-open work is the conditions alone.
 */
export class BlockRules {
  // Compiled rules per block version; sized like the kinds' own option memos.
  private readonly compiled = new Lru<string, CompiledRules>(10_000);

  constructor(
    private readonly random: RandomBytes,
    private readonly weatherFor?: WeatherFor,
    private readonly dataFor?: DataFor,
    /** Optimised splits choose through it (absent, or for a preview: their fixed weights). */
    private readonly learner?: Learner,
    /** `propensity` and `churnRisk` conditions read it (absent: they are false). */
    private readonly scorer?: Scorer,
  ) {}

  rulesOf(block: BlockRecord): CompiledRules {
    const key = `${block.id}:${block.version}`;
    let rules = this.compiled.get(key);
    if (!rules) {
      try {
        rules = compileRules(block);
      } catch (err) {
        if (err instanceof InvalidRulesError) throw new RenderError("invalid_options");
        throw err;
      }
      this.compiled.set(key, rules);
    }
    return rules;
  }

  async choose(block: BlockRecord, open: OpenContext, opts: ChooseOptions = {}): Promise<Chosen> {
    const rules = this.rulesOf(block);
    if (rules.variants.length === 0) return chosen(rules.default);
    const learner = open.preview ? undefined : this.learner;
    const optimize =
      learner &&
      ((group: string, eligible: readonly { name: string; weight: number }[], settings: SplitSettings) =>
        learner.pick(block.id, group, eligible, settings, open.recipient, open.now));
    return chosen(await choose(rules, this.facts(block, open, opts), optimize));
  }

  /** A named arm (the preview's `variant=`); null when the block has none by that name. */
  forced(block: BlockRecord, name: string): Chosen | null {
    const arm = armNamed(this.rulesOf(block), name);
    return arm ? chosen(arm) : null;
  }

  /** What conditions ask about this open (offers evaluate their levels' `when` with it). */
  facts(block: BlockRecord, open: OpenContext, opts: ChooseOptions = {}): Facts {
    let devices: Set<Device> | undefined;
    let weather: Promise<WeatherCondition | null> | undefined;
    let data: Promise<unknown> | undefined;
    let scores: Promise<{ propensity: number; churnRisk: number } | null> | undefined;
    const { recipient } = open;
    return {
      now: open.now,
      devices: () => {
        devices ??= devicesOf(open.userAgent, opts.ip ?? null, open.now);
        return devices;
      },
      profile: () => open.profile(),
      scores: () => {
        scores ??= open.profile().then((p) => (p && this.scorer ? this.scorer.scoresOf(p, open.now) : null));
        return scores;
      },
      weather: () => {
        // A weather failure must never break the image: the condition is just false.
        weather ??= this.weatherFor ? this.weatherFor(open).catch(() => null) : Promise.resolve(null);
        return weather;
      },
      data: () => {
        // Like weather: a source that fails makes its conditions false, never the image.
        data ??= this.dataFor ? this.dataFor(block, open).catch(() => null) : Promise.resolve(null);
        return data;
      },
      bucket: (salt) =>
        recipient ? stableBucket(`${block.id}\u0000${salt}\u0000${recipient}`) : randomUnit(this.random),
    };
  }
}

function chosen(arm: Arm): Chosen {
  return { variant: arm.name, block: arm.block, slots: arm.slots };
}
