import { z } from "zod";
import type { RenderCache } from "../blocks/byte-cache.js";
import { CONTENT_TYPES, type ImageExt } from "../blocks/fallback.js";
import { RenderError } from "../blocks/image-service.js";
import type { BlockClick, BlockKind, OpenContext, RenderedBlock } from "../blocks/kinds.js";
import { preparedKind } from "../blocks/prepared-options.js";
import { textIssues } from "../blocks/texts.js";
import { numberOf, PATH_RE, valueAt } from "../live/paths.js";
import type { BlockRecord, Clock, Logger } from "../ports/index.js";
import type { CouponStore, Grant, GrantLevel } from "../ports/live.js";
import { type Condition, conditionSchema } from "../rules/conditions.js";
import type { BlockRules } from "../rules/engine.js";
import { compileCondition, type Test } from "../rules/evaluate.js";
import { splitOptions } from "../rules/variants.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";
import { Lru } from "../util/lru.js";
import { optionIssues } from "./issues.js";
import {
  cleanText,
  fillTemplate,
  type ParsedTemplate,
  PROFILE_FIELDS,
  parseTemplate,
  profileFields,
} from "./merge-fields.js";
import { type CardElement, type CardRenderer, cardRoot, el } from "./types.js";

const hex = z.string().regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "use #rgb or #rrggbb");
export const POOL_RE = /^[A-Za-z0-9._-]{1,64}$/;
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_LEVELS = 8;
const TEXT_FIELDS = [...PROFILE_FIELDS, "offer", "percent", "code", "level"] as const;
/** A low pool is logged at most this often per pool (the metric counts every time). */
const LOW_LOG_MS = 60_000;

const levelSchema = z
  .object({
    name: z.string().regex(NAME_RE, "level names are 1-64 of A-Z a-z 0-9 . _ -"),
    /** The discount in percent; a ceiling (maxPercent, personMaxTrait) excludes a level above it. */
    percent: z.number().min(0).max(100).optional(),
    /** What the card says the offer is ("20%", "Free shipping"); default: the percent. */
    label: z.string().min(1).max(40).optional(),
    /** Who may get this level: the `when` language of variants (engagement, intent, ltv, cartValue…). */
    when: conditionSchema.optional(),
    /** Unique codes handed out for this level (POST /v1/coupons/:pool). */
    pool: z.string().regex(POOL_RE, "pool names are 1-64 of A-Z a-z 0-9 . _ -").optional(),
    /** At most this many people of the offer get this level; then the next level down. */
    cap: z.number().int().min(0).max(100_000_000).optional(),
  })
  .strict()
  .refine((l) => l.percent !== undefined || l.label !== undefined, "give percent or label");

export function offerOptionsSchema() {
  return z
    .object({
      /** Best first: a person gets the first level they qualify for that is under its cap. */
      levels: z
        .array(levelSchema)
        .min(1)
        .max(MAX_LEVELS)
        .refine((l) => new Set(l.map((x) => x.name)).size === l.length, "level names must differ"),
      /** Shown (and added to the landing URL) when the level's pool is empty or it has none. */
      fallbackCode: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,64}$/, "1-64 of A-Z a-z 0-9 . _ -")
        .optional(),
      /** The campaign's ceiling: no level above this percent is given. */
      maxPercent: z.number().min(0).max(100).optional(),
      /** A trait holding a person's own ceiling in percent (staff, resellers…). */
      personMaxTrait: z.string().regex(PATH_RE).optional(),
      headline: z.string().min(1).max(120).default("{{offer}} off, just for you"),
      subline: z.string().max(160).default("Use code {{code}}"),
      /** The subline when there is no code to show. */
      noCode: z.string().max(160).default("Applied at checkout"),
      /** The query parameter the code is added as on the landing URL. */
      couponParam: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,32}$/)
        .default("coupon"),
      /** Log and count a pool with this many codes left or fewer. */
      lowPoolAlert: z.number().int().min(0).max(1_000_000).default(50),
      width: z.number().int().min(100).max(1200).default(600),
      height: z.number().int().min(40).max(800).default(200),
      scale: z.union([z.literal(1), z.literal(2)]).default(1),
      font: z.string().max(40).optional(),
      background: hex.default("#111827"),
      textColor: hex.default("#ffffff"),
      accentColor: hex.default("#f59e0b"),
      campaign: z.string().regex(CAMPAIGN_RE, "use 1-128 of A-Z a-z 0-9 . _ : ~ -").optional(),
    })
    .strict();
}
type Options = z.infer<ReturnType<typeof offerOptionsSchema>>;
type Level = Options["levels"][number];

interface Prepared {
  o: Options;
  tests: (Test | null)[];
  headline: ParsedTemplate;
  subline: ParsedTemplate;
  noCode: ParsedTemplate;
}

/**
 * Offers: the discount level a person's profile earns (rules per level, ceilings per
 * person and campaign), and a unique code from the level's pool handed out at their first
 * open — atomically (CouponStore.grant), so parallel first opens never share a code and a
 * person keeps theirs. The code rides on the block's adaptive links to the landing page.
 */
export class OfferBlocks {
  private readonly schema = offerOptionsSchema();
  // Grants never change once they hold a code: remembered, so repeat opens write nothing.
  private readonly grants = new Lru<string, Grant>(100_000);
  private readonly lowLogged = new Map<string, number>();
  /** Grants that left a pool at or under its alert level (for /metrics). */
  lowPoolAlerts = 0;

  constructor(
    private readonly renderer: CardRenderer | undefined,
    private readonly coupons: CouponStore | undefined,
    private readonly rules: BlockRules,
    private readonly cache: RenderCache,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  kind(): BlockKind {
    const kind = preparedKind(
      "offer",
      (o) => this.prepare(o),
      (p, block, ext, open) => this.render(p, block, ext, open),
      ({ o }) =>
        textIssues(
          [
            ["headline", o.headline],
            ["subline", o.subline],
            ["noCode", o.noCode],
            ...o.levels.map((l, i) => [`levels.${i}.label`, l.label] as [string, string | undefined]),
          ],
          this.renderer?.coverage,
        ),
    );
    return { ...kind, clickTarget: async (block, click) => this.landing(block, click) };
  }

  prepare(options: unknown): { ok: true; prepared: Prepared } | { ok: false; issues: string[] } {
    if (!this.renderer) return { ok: false, issues: ["offers are not available on this server"] };
    if (!this.coupons)
      return { ok: false, issues: ["offers are not available on this server (no coupon store)"] };
    const res = this.schema.safeParse(options);
    if (!res.success) return { ok: false, issues: optionIssues(res.error) };
    const o = res.data;
    if (o.font !== undefined && !this.renderer.families.includes(o.font))
      return { ok: false, issues: [`font: use one of ${this.renderer.families.join(", ")}`] };
    const issues: string[] = [];
    const parse = (text: string, path: string): ParsedTemplate => {
      const t = parseTemplate(text, TEXT_FIELDS);
      if (!t.ok) issues.push(`${path}: ${t.issue}`);
      return t.ok ? t.template : [];
    };
    const prepared: Prepared = {
      o,
      tests: o.levels.map((l) => (l.when ? compileCondition(l.when as Condition) : null)),
      headline: parse(o.headline, "headline"),
      subline: parse(o.subline, "subline"),
      noCode: parse(o.noCode, "noCode"),
    };
    return issues.length ? { ok: false, issues } : { ok: true, prepared };
  }

  /** The levels this open qualifies for, best first, under the campaign's and the person's ceilings. */
  private async eligible(p: Prepared, block: BlockRecord, open: OpenContext): Promise<Level[]> {
    const facts = this.rules.facts(block, open);
    const profile = await open.profile();
    const personMax = p.o.personMaxTrait
      ? numberOf(valueAt(profile?.traits, p.o.personMaxTrait))
      : Number.NaN;
    const ceiling = Math.min(p.o.maxPercent ?? 100, Number.isFinite(personMax) ? personMax : 100);
    const out: Level[] = [];
    for (let i = 0; i < p.o.levels.length; i++) {
      const l = p.o.levels[i]!;
      if (l.percent !== undefined && l.percent > ceiling) continue;
      const t = p.tests[i];
      if (t && !(await t(facts))) continue;
      out.push(l);
    }
    return out;
  }

  private async grantFor(p: Prepared, block: BlockRecord, open: OpenContext, levels: Level[]) {
    const recipient = open.recipient!;
    const key = `${block.id}\u0000${recipient}`;
    const known = this.grants.get(key);
    if (known) return known;
    const coupons = this.coupons!;
    // The preview shows a grant already made, and makes none.
    if (open.preview) return coupons.grantOf(block.id, recipient);
    const wanted: GrantLevel[] = levels.map((l) => ({
      level: l.name,
      pool: l.pool ?? null,
      cap: l.cap ?? null,
    }));
    const grant = await coupons.grant(block.id, recipient, wanted, open.now);
    if (!grant) return null;
    const level = p.o.levels.find((l) => l.name === grant.level);
    if (grant.code !== null || !level?.pool) this.grants.set(key, grant);
    if (level?.pool && grant.at === open.now) await this.checkPool(level.pool, p.o.lowPoolAlert);
    return grant;
  }

  private async checkPool(pool: string, alertAt: number): Promise<void> {
    try {
      const stats = await this.coupons!.stats(pool);
      if (stats.available > alertAt) return;
      this.lowPoolAlerts++;
      const now = this.clock.now();
      if (now - (this.lowLogged.get(pool) ?? -Infinity) < LOW_LOG_MS) return;
      if (this.lowLogged.size > 1000) this.lowLogged.clear();
      this.lowLogged.set(pool, now);
      this.logger.warn({ pool, available: stats.available, total: stats.total }, "coupon pool running low");
    } catch (err) {
      this.logger.error({ err, pool }, "coupon pool stats failed");
    }
  }

  private async render(
    p: Prepared,
    block: BlockRecord,
    ext: ImageExt,
    open: OpenContext,
  ): Promise<RenderedBlock> {
    const renderer = this.renderer;
    if (!renderer) throw new RenderError("renderer_unavailable");
    const o = p.o;
    const levels = await this.eligible(p, block, open);
    let level: Level | undefined;
    let code: string | null = null;
    let fallback: string | undefined;
    // `u` is untrusted: a code is handed out, and kept, only for an open proven to be
    // written for that person (`us`); anyone can type anyone's address into `u`.
    const proven = open.recipient !== null && ((await open.proven?.()) ?? false);
    if (proven) {
      const grant = levels.length ? await this.grantFor(p, block, open, levels) : null;
      level = grant ? o.levels.find((l) => l.name === grant.level) : undefined;
      code = grant?.code ?? null;
      // A preview before the person's first open: the level they would be granted now.
      if (!grant && open.preview) level = levels[0];
      else if (!grant) fallback = levels.length ? "offer_capped" : "offer_no_level";
      else if (code === null && level?.pool) fallback = "pool_empty";
    } else {
      // Nobody (proven) to hand a code to: the most basic level they qualify for, the fallback code.
      level = levels[levels.length - 1];
      fallback = open.recipient ? "recipient_unproven" : "no_recipient";
    }
    level ??= o.levels[o.levels.length - 1]!;
    code ??= o.fallbackCode ?? null;
    const profile = await open.profile();
    const offer = level.label ?? `${level.percent}%`;
    const values = {
      ...profileFields(profile?.traits),
      offer,
      percent: level.percent !== undefined ? `${level.percent}%` : "",
      code: code ?? "",
      level: level.name,
    };
    const headline = fillTemplate(p.headline, values, 120);
    const subline = fillTemplate(code ? p.subline : p.noCode, values, 160);
    const key = ["offer1", block.id, block.version, headline, subline, ext].join("\u0000");
    const font = o.font ?? renderer.families[0]!;
    const image = await this.cache.get(key, async () => ({
      bytes: await renderer.render(this.tree(o, headline, subline, code, font), {
        width: o.width,
        height: o.height,
        scale: o.scale,
        format: ext,
      }),
      contentType: CONTENT_TYPES[ext],
    }));
    return { image, campaign: o.campaign ?? block.id, fallback };
  }

  private tree(
    o: Options,
    headline: string,
    subline: string,
    code: string | null,
    font: string,
  ): CardElement {
    const u = Math.min(o.width / 600, o.height / 200);
    return el(
      "div",
      {
        ...cardRoot(o.width, o.height, { background: o.background, font }, Math.round(24 * u)),
        color: o.textColor,
        flexDirection: "column",
        justifyContent: "center",
      },
      el("div", { display: "flex", fontSize: Math.round(36 * u), color: o.accentColor }, headline),
      el(
        "div",
        {
          display: "flex",
          fontSize: Math.round(22 * u),
          marginTop: Math.round(12 * u),
          letterSpacing: code ? 1 : 0,
        },
        subline,
      ),
    );
  }

  /** The landing URL with the person's code (or the fallback code) added as `couponParam`. */
  private async landing(block: BlockRecord, click: BlockClick): Promise<string | null> {
    if (click.url === null) return null;
    const res = this.schema.safeParse(splitOptions(block.options).base);
    if (!res.success) return click.url;
    const o = res.data;
    let code = o.fallbackCode ?? null;
    if (click.recipient && this.coupons && (await click.proven())) {
      const key = `${block.id}\u0000${click.recipient}`;
      const grant =
        this.grants.get(key) ?? (await this.coupons.grantOf(block.id, click.recipient).catch(() => null));
      code = grant?.code ?? code;
    }
    if (!code) return click.url;
    const url = new URL(click.url);
    url.searchParams.set(o.couponParam, cleanText(code, 64));
    return url.href;
  }
}
