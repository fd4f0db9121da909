import type { BlockRecord } from "../ports/index.js";
import { dict } from "../util/dict.js";
import { compileCondition, type Facts, type Test } from "./evaluate.js";
import {
  DEFAULT_VARIANT,
  MAX_VARIANTS,
  mergeOptions,
  parseRules,
  type SplitSettings,
  splitOptions,
} from "./variants.js";

/** One arm of a block, ready for the open path: everything computed once per block version. */
export interface Arm {
  name: string;
  /** What the block's kind renders: the merged options under a version key of this arm. */
  block: BlockRecord;
  /** Slot name → URL shown by this arm (the block's default slots, overridden by the arm's). */
  slots: Record<string, string>;
}

interface CompiledVariant extends Arm {
  test: Test | null;
  /** Split group, "" for weighted variants outside a named group, null when not split. */
  group: string | null;
  weight: number;
}

export interface CompiledRules {
  default: Arm;
  variants: CompiledVariant[];
  /** Learning settings of the split groups that have them (null-prototype, by group). */
  splits: Record<string, SplitSettings>;
}

/**
 * Chooses among the eligible members of an optimised split group (the learner's bandit);
 * returns an index into `eligible`.
 */
export type SplitChooser = (
  group: string,
  eligible: readonly { name: string; weight: number }[],
  settings: SplitSettings,
) => number;

export class InvalidRulesError extends Error {}

/**
 * Kinds memoise parsed options by `${block.id}:${block.version}`. An arm's options differ
 * from the block's, so each arm gets a version of its own that no real version (an integer)
 * and no other arm can have: version + (index + 1) / 32, exact in binary floating point.
 * Any kind keyed on id and version is thereby correct for variants without knowing them.
 */
const VERSION_STEP = 32;
if (MAX_VARIANTS >= VERSION_STEP) throw new Error("VERSION_STEP must exceed MAX_VARIANTS");

export function armVersion(version: number, index: number): number {
  return version + (index + 1) / VERSION_STEP;
}

/** Compiles a stored block's rules (validated when it was saved) for the open path. */
export function compileRules(block: BlockRecord): CompiledRules {
  const { base, rules } = splitOptions(block.options);
  if (!rules) return { default: { name: DEFAULT_VARIANT, block, slots: {} }, variants: [], splits: dict() };
  const parsed = parseRules(rules);
  if (!parsed.success) throw new InvalidRulesError(parsed.error.issues[0]?.message ?? "invalid rules");
  const defaultSlots = parsed.data.slots ?? {};
  const variants = (parsed.data.variants ?? []).map(
    (v, i): CompiledVariant => ({
      name: v.name,
      block: { ...block, options: mergeOptions(base, v.options), version: armVersion(block.version, i) },
      slots: { ...defaultSlots, ...v.slots },
      test: v.when ? compileCondition(v.when) : null,
      group: v.split ?? (v.weight !== undefined ? "" : null),
      weight: v.weight ?? 1,
    }),
  );
  return {
    default: { name: DEFAULT_VARIANT, block: { ...block, options: base }, slots: defaultSlots },
    variants,
    splits: dict(parsed.data.splits),
  };
}

/**
 * The arm one open sees. Variants are tried in order; the first whose `when` holds wins.
 * Reaching the first variant of a split group decides the whole group at once: among its
 * members whose `when` holds, one is picked by weight with the recipient's stable bucket
 * for that group (random per open without a recipient); later members are then skipped.
 * No match: the block's own options ("default").
 */
export async function choose(rules: CompiledRules, facts: Facts, optimize?: SplitChooser): Promise<Arm> {
  const decided = new Set<string>();
  for (const v of rules.variants) {
    if (v.group === null) {
      if (!v.test || (await v.test(facts))) return v;
      continue;
    }
    if (decided.has(v.group)) continue;
    decided.add(v.group);
    const eligible: CompiledVariant[] = [];
    for (const m of rules.variants) {
      if (m.group === v.group && m.weight > 0 && (!m.test || (await m.test(facts)))) eligible.push(m);
    }
    const settings = rules.splits[v.group];
    const picked =
      settings && optimize && eligible.length > 0
        ? eligible[optimize(v.group, eligible, settings)]
        : pickByWeight(eligible, facts.bucket(`split:${v.group}`));
    if (picked) return picked;
  }
  return rules.default;
}

/** The arm whose share of the total weight holds `u` (in [0, 1)); null when none can win. */
export function pickByWeight<T extends { weight: number }>(arms: T[], u: number): T | null {
  const total = arms.reduce((s, a) => s + a.weight, 0);
  if (!(total > 0)) return null;
  let x = u * total;
  for (const a of arms) {
    x -= a.weight;
    if (x < 0) return a;
  }
  // Rounding at the very top of the range: the last arm that can win.
  return arms.findLast((a) => a.weight > 0) ?? null;
}

/** An arm by name, for the preview's `variant=` (null when the block has no such arm). */
export function armNamed(rules: CompiledRules, name: string): Arm | null {
  if (name === DEFAULT_VARIANT) return rules.default;
  return rules.variants.find((v) => v.name === name) ?? null;
}
