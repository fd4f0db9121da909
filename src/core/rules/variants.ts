import { z } from "zod";
import type { ParseResult } from "../blocks/kinds.js";
import { GOALS } from "../learning/thompson.js";
import { destinationOf } from "../links/destination.js";
import { conditionSchema } from "./conditions.js";

/**
 * Variants and slots: block-level keys that any block type may carry next to its own
 * options. They are taken out before the type's own parser sees the options, and each
 * variant's options are the block's options with the variant's override merged in.
 *
 *   { …the type's options…,
 *     "slots": { "cta": "https://shop.example/sale" },
 *     "variants": [ { "name": "outlook", "when": { "device": "outlook" },
 *                     "options": { "frames": 1 }, "slots": { "cta": "https://…" } } ] }
 */
export const RULE_KEYS = ["variants", "slots", "splits"] as const;
/** Bounded: every open walks the list, and each variant is a parsed copy of the options. */
export const MAX_VARIANTS = 16;
export const MAX_SLOTS = 16;
/** The name decisions and stats use when no variant matched: the block's own options. */
export const DEFAULT_VARIANT = "default";

const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
export const SLOT_RE = /^[A-Za-z0-9_-]{1,32}$/;
// A slot URL becomes a Location header: no whitespace or control characters (header
// injection), and only http(s) so an adaptive link can never become a javascript: or data: URL.
const NO_SPACE_RE = /^[^\s\u0000-\u001f\u007f]+$/;

export function isHttpUrl(s: string): boolean {
  // Sent as its serialisation (links/destination.ts), as tracked links are.
  return NO_SPACE_RE.test(s) && destinationOf(s) !== null;
}

const slotsSchema = z
  .record(
    z.string().regex(SLOT_RE, "slot names are 1-32 of A-Z a-z 0-9 _ -"),
    z.string().max(2048).refine(isHttpUrl, "use an absolute http(s) URL"),
  )
  .refine((o) => Object.keys(o).length <= MAX_SLOTS, `at most ${MAX_SLOTS} slots`);

const variantSchema = z
  .object({
    name: z
      .string()
      .regex(NAME_RE, "variant names are 1-64 of A-Z a-z 0-9 . _ -")
      .refine((n) => n !== DEFAULT_VARIANT, `"${DEFAULT_VARIANT}" names the block's own options`),
    when: conditionSchema.optional(),
    /** Variants sharing a split group divide its traffic by weight, per recipient. */
    split: z.string().regex(NAME_RE, "split groups are 1-64 of A-Z a-z 0-9 . _ -").optional(),
    weight: z.number().finite().min(0).max(1_000_000).optional(),
    options: z
      .record(z.unknown())
      .refine((o) => RULE_KEYS.every((k) => !(k in o)), "variants and slots do not nest")
      .default({}),
    slots: slotsSchema.optional(),
  })
  .strict();

/**
 * A split group's learning settings: `optimize` turns its fixed weights into Thompson
 * sampling on human results (see learning/thompson.ts); `pin` shows one member to everyone,
 * `stopped` goes back to the fixed weights (both set through POST /v1/blocks/:id/splits/:group).
 */
export const splitSettingsSchema = z
  .object({
    optimize: z.enum(GOALS),
    /** Share of traffic spread evenly over the arms, whatever the posterior says. */
    explore: z.number().min(0).max(0.5).default(0.05),
    /** Impressions each arm gets at its fixed weight before the posterior moves traffic. */
    minSample: z.number().int().min(0).max(1_000_000).default(100),
    /** A person keeps the arm they were shown for this long (per process; hours). */
    stickyHours: z
      .number()
      .min(0)
      .max(24 * 90)
      .default(24 * 7),
    /** Revenue goal: orders in this currency are the reward (others are stored, not rewarded). */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, "an ISO 4217 code")
      .optional(),
    pin: z.string().regex(NAME_RE).nullable().default(null),
    stopped: z.boolean().default(false),
  })
  .strict();
export type SplitSettings = z.infer<typeof splitSettingsSchema>;

const rulesSchema = z
  .object({
    variants: z.array(variantSchema).min(1).max(MAX_VARIANTS).optional(),
    slots: slotsSchema.optional(),
    splits: z
      .record(z.string().regex(NAME_RE, "split groups are 1-64 of A-Z a-z 0-9 . _ -"), splitSettingsSchema)
      .optional(),
  })
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.variants?.forEach((v, i) => {
      if (seen.has(v.name))
        ctx.addIssue({ code: "custom", path: ["variants", i, "name"], message: `"${v.name}" is used twice` });
      seen.add(v.name);
    });
    for (const [group, settings] of Object.entries(r.splits ?? {})) {
      const members = (r.variants ?? []).filter((v) => v.split === group).map((v) => v.name);
      if (members.length === 0)
        ctx.addIssue({
          code: "custom",
          path: ["splits", group],
          message: `no variant has "split": "${group}"`,
        });
      else if (settings.pin !== null && !members.includes(settings.pin))
        ctx.addIssue({
          code: "custom",
          path: ["splits", group, "pin"],
          message: `"${settings.pin}" is not a variant of split "${group}"`,
        });
    }
  });

export type Rules = z.infer<typeof rulesSchema>;
export type Variant = NonNullable<Rules["variants"]>[number];

/** The block's own options without the rule keys, and the rule keys (null when none). */
export function splitOptions(options: Record<string, unknown>): {
  base: Record<string, unknown>;
  rules: Record<string, unknown> | null;
} {
  if (!RULE_KEYS.some((k) => k in options)) return { base: options, rules: null };
  const { variants, slots, splits, ...base } = options;
  const rules: Record<string, unknown> = {};
  if (variants !== undefined) rules.variants = variants;
  if (slots !== undefined) rules.slots = slots;
  if (splits !== undefined) rules.splits = splits;
  return { base, rules };
}

export function parseRules(rules: Record<string, unknown>) {
  return rulesSchema.safeParse(rules);
}

// Deeper than this an override replaces instead of merging: options are small, and a
// hostile body must not turn the merge into deep recursion.
const MAX_MERGE_DEPTH = 8;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * A variant's options: the override merged into the base, objects key by key (so
 * `{"deadline":{"local":"…"}}` keeps the base's timeZone), arrays and scalars replaced,
 * and a key set to null removed (like PATCH /v1/blocks/:id).
 */
export function mergeOptions(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
  depth = 0,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete out[k];
    else if (depth < MAX_MERGE_DEPTH && isPlainObject(v) && isPlainObject(out[k]))
      out[k] = mergeOptions(out[k] as Record<string, unknown>, v, depth + 1);
    else out[k] = v;
  }
  return out;
}

/**
 * Validates a block's options with its rules: the rule keys against their schema, the base
 * options and then EVERY variant's merged options against the type's own parser, so a
 * variant can never fail at open time. Issues read "path: message" with paths from the
 * options root (variants.1.options.digitColor: …).
 */
export function validateWithRules(
  options: Record<string, unknown>,
  parse: (options: unknown) => ParseResult,
): { ok: true } | { ok: false; issues: string[] } {
  const { base, rules } = splitOptions(options);
  const own = parse(base);
  if (!rules) return own.ok ? { ok: true } : own;
  const r = parseRules(rules);
  if (!r.success)
    return { ok: false, issues: r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) };
  if (!own.ok) return own;
  const issues: string[] = [];
  r.data.variants?.forEach((v, i) => {
    const res = parse(mergeOptions(base, v.options));
    if (res.ok) return;
    for (const issue of res.issues) issues.push(prefixIssue(issue, `variants.${i}.options`, v.name));
  });
  return issues.length ? { ok: false, issues } : { ok: true };
}

/** "digitColor: bad" → "variants.1.options.digitColor: bad (variant \"outlook\")". */
function prefixIssue(issue: string, prefix: string, name: string): string {
  const at = issue.indexOf(": ");
  const path = at >= 0 ? issue.slice(0, at) : "";
  const message = at >= 0 ? issue.slice(at + 2) : issue;
  const where = path === "" || path === "options" ? prefix : `${prefix}.${path}`;
  return `${where}: ${message} (variant "${name}")`;
}
