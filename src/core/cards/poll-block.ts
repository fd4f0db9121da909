import { z } from "zod";
import type { RenderCache } from "../blocks/byte-cache.js";
import { CONTENT_TYPES, type ImageExt } from "../blocks/fallback.js";
import { RenderError } from "../blocks/image-service.js";
import type { BlockClick, BlockKind, RenderedBlock } from "../blocks/kinds.js";
import { preparedKind } from "../blocks/prepared-options.js";
import { textIssues } from "../blocks/texts.js";
import { destinationOf } from "../links/destination.js";
import type { BlockRecord, Clock, Logger } from "../ports/index.js";
import type { PollStore } from "../ports/live.js";
import { isHttpUrl, SLOT_RE, splitOptions } from "../rules/variants.js";
import { CAMPAIGN_RE } from "../tracking/recipient.js";
import { Lru } from "../util/lru.js";
import { optionIssues } from "./issues.js";
import { isKnownLocale } from "./price-model.js";
import { type CardElement, type CardRenderer, cardRoot, el } from "./types.js";

const hex = z.string().regex(/^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "use #rgb or #rrggbb");
const MAX_OPTIONS = 8;
/** A hot poll is opened thousands of times a second: its tally is read at most this often. */
const TALLY_TTL_MS = 1000;

export function pollOptionsSchema() {
  return z
    .object({
      question: z.string().min(1).max(160),
      /** Each option is a slot: its link is GET /c/:blockId/:id. */
      options: z
        .array(
          z
            .object({
              id: z.string().regex(SLOT_RE, "option ids are 1-32 of A-Z a-z 0-9 _ -"),
              label: z.string().min(1).max(60),
            })
            .strict(),
        )
        .min(2)
        .max(MAX_OPTIONS)
        .refine((o) => new Set(o.map((x) => x.id)).size === o.length, "option ids must differ"),
      /** Where every vote lands (stored here: never a URL from the request). */
      thanksUrl: z.string().max(2048).refine(isHttpUrl, "use an absolute http(s) URL"),
      votesLabel: z.string().max(30).default("votes"),
      locale: z.string().max(35).refine(isKnownLocale, "unknown locale").default("en-US"),
      width: z.number().int().min(200).max(1200).default(600),
      scale: z.union([z.literal(1), z.literal(2)]).default(1),
      font: z.string().max(40).optional(),
      background: hex.default("#ffffff"),
      textColor: hex.default("#111827"),
      barColor: hex.default("#6366f1"),
      trackColor: hex.default("#e5e7eb"),
      campaign: z.string().regex(CAMPAIGN_RE, "use 1-128 of A-Z a-z 0-9 . _ : ~ -").optional(),
    })
    .strict();
}
type Options = z.infer<ReturnType<typeof pollOptionsSchema>>;

interface Prepared {
  o: Options;
  height: number;
  ids: Set<string>;
}

/**
 * Polls: each option is an adaptive link; a human click records that person's vote (one
 * per person and poll, a later click changes it), and the image shows the tally at the
 * next open. Machine clicks (scanners, proxies, bots) and clicks without `u` land on the
 * thank-you page but never vote.
 */
export class PollBlocks {
  private readonly schema = pollOptionsSchema();
  private readonly tallies = new Lru<string, { at: number; tally: Record<string, number> }>(1000);
  private readonly formats = new Lru<string, Intl.NumberFormat>(50);

  constructor(
    private readonly renderer: CardRenderer | undefined,
    private readonly polls: PollStore | undefined,
    private readonly cache: RenderCache,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  kind(): BlockKind {
    const kind = preparedKind(
      "poll",
      (o) => this.prepare(o),
      (p, block, ext) => this.render(p, block, ext),
      ({ o }) =>
        textIssues(
          [
            ["question", o.question],
            ["votesLabel", o.votesLabel],
            ...o.options.map((x, i) => [`options.${i}.label`, x.label] as [string, string]),
          ],
          this.renderer?.coverage,
        ),
    );
    return {
      ...kind,
      clickTarget: async (block, click) => this.target(block, click),
      clicked: async (block, click) => this.vote(block, click),
    };
  }

  prepare(options: unknown): { ok: true; prepared: Prepared } | { ok: false; issues: string[] } {
    if (!this.renderer) return { ok: false, issues: ["polls are not available on this server"] };
    if (!this.polls) return { ok: false, issues: ["polls are not available on this server (no poll store)"] };
    const res = this.schema.safeParse(options);
    if (!res.success) return { ok: false, issues: optionIssues(res.error) };
    const o = res.data;
    if (o.font !== undefined && !this.renderer.families.includes(o.font))
      return { ok: false, issues: [`font: use one of ${this.renderer.families.join(", ")}`] };
    return {
      ok: true,
      prepared: { o, height: 90 + 62 * o.options.length, ids: new Set(o.options.map((x) => x.id)) },
    };
  }

  /** Votes per option, read at most once a second (this process's own votes show at once). */
  async tally(pollId: string): Promise<Record<string, number>> {
    const now = this.clock.now();
    const hit = this.tallies.get(pollId);
    if (hit && now - hit.at < TALLY_TTL_MS && now >= hit.at) return hit.tally;
    const tally = (await this.polls?.tally(pollId)) ?? {};
    this.tallies.set(pollId, { at: now, tally });
    return tally;
  }

  private options(block: BlockRecord): Options | null {
    const res = this.schema.safeParse(splitOptions(block.options).base);
    return res.success ? res.data : null;
  }

  private async target(block: BlockRecord, click: BlockClick): Promise<string | null> {
    const o = this.options(block);
    if (!o?.options.some((x) => x.id === click.slot)) return click.url;
    return destinationOf(o.thanksUrl);
  }

  private async vote(block: BlockRecord, click: BlockClick & { human: boolean }): Promise<void> {
    // One vote per person: without `u` there is nobody to count it for; a machine never votes.
    if (!click.human || !click.recipient || !this.polls) return;
    const o = this.options(block);
    if (!o?.options.some((x) => x.id === click.slot)) return;
    try {
      await this.polls.vote(block.id, click.recipient, click.slot, click.now);
      this.tallies.delete(block.id);
    } catch (err) {
      this.logger.error({ err, block: block.id }, "poll vote not recorded");
    }
  }

  private async render(p: Prepared, block: BlockRecord, ext: ImageExt): Promise<RenderedBlock> {
    const renderer = this.renderer;
    if (!renderer) throw new RenderError("renderer_unavailable");
    const tally = await this.tally(block.id);
    const counts = p.o.options.map((x) => (Object.hasOwn(tally, x.id) ? (tally[x.id] ?? 0) : 0));
    const key = ["poll1", block.id, block.version, counts.join(","), ext].join("\u0000");
    const image = await this.cache.get(key, async () => ({
      bytes: await renderer.render(this.tree(p, counts, p.o.font ?? renderer.families[0]!), {
        width: p.o.width,
        height: p.height,
        scale: p.o.scale,
        format: ext,
      }),
      contentType: CONTENT_TYPES[ext],
    }));
    return { image, campaign: p.o.campaign ?? block.id };
  }

  private tree(p: Prepared, counts: number[], font: string): CardElement {
    const o = p.o;
    const total = counts.reduce((a, b) => a + b, 0);
    let pct = this.formats.get(o.locale);
    if (!pct) {
      pct = new Intl.NumberFormat(o.locale, { style: "percent", maximumFractionDigits: 0 });
      this.formats.set(o.locale, pct);
    }
    const nf = pct;
    const rows = o.options.map((x, i) => {
      const share = total ? counts[i]! / total : 0;
      return el(
        "div",
        { display: "flex", flexDirection: "column", width: "100%", marginTop: 14 },
        el(
          "div",
          { display: "flex", justifyContent: "space-between", fontSize: 20 },
          el("div", { display: "flex" }, x.label),
          el("div", { display: "flex" }, nf.format(share)),
        ),
        el(
          "div",
          {
            display: "flex",
            width: "100%",
            height: 14,
            backgroundColor: o.trackColor,
            borderRadius: 7,
            marginTop: 6,
          },
          share > 0
            ? el("div", {
                display: "flex",
                width: `${Math.round(share * 1000) / 10}%`,
                height: 14,
                backgroundColor: o.barColor,
                borderRadius: 7,
              })
            : null,
        ),
      );
    });
    return el(
      "div",
      {
        ...cardRoot(o.width, p.height, { background: o.background, font }, 24),
        color: o.textColor,
        flexDirection: "column",
        alignItems: "flex-start",
      },
      el("div", { display: "flex", fontSize: 24 }, o.question),
      ...rows,
      el(
        "div",
        { display: "flex", fontSize: 16, marginTop: 14, opacity: 0.7 },
        `${new Intl.NumberFormat(o.locale).format(total)} ${o.votesLabel}`,
      ),
    );
  }
}
