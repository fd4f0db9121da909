import type { Links } from "../links/links.js";
import type { Profile } from "../ports/profiles.js";
import type { TemplateRecord } from "../ports/sending.js";
import type { RecipientProof } from "../profiles/recipient-proof.js";
import { engagementAt, intentAt } from "../profiles/view.js";
import { Lru } from "../util/lru.js";
import { WrapError, wrapHtml } from "../wrap/index.js";
import { type LiquidEngine, TemplateError } from "./liquid.js";

/** Longest each rendered part may be, in characters. */
export const MAX_RENDERED = {
  subject: 998,
  html: 2 * 1024 * 1024,
  text: 512 * 1024,
  sms: 1600,
  pushTitle: 250,
  pushBody: 4000,
} as const;

/** The parts of a template once rendered for one person (only those the template has). */
export interface Rendered {
  subject?: string;
  html?: string;
  text?: string;
  sms?: string;
  push?: { title: string; body: string };
}

export interface RenderRequest {
  template: TemplateRecord;
  profile: Profile;
  /** What `u` carries in the message's links: the person's email, else their profile id. */
  u: string;
  campaign: string;
  sendId: string;
  /** The request's data: each key a top-level variable (`event`, `cart`, `product`, …). */
  data: Readonly<Record<string, unknown>>;
  /** Wrap the HTML for tracking (false for the preview's `wrap=false`). */
  wrap?: boolean;
}

/** Names the scope owns; the request's data cannot shadow them. */
const RESERVED = new Set(["person", "profile", "opentime", "data"]);

/**
 * Renders a template for one person: Liquid with the person, their profile, the request's
 * data and opentime's own values; then the HTML is wrapped as POST /v1/emails/wrap wraps
 * it (links tracked, open pixel), with this person's `u` and `us` written in, and set on
 * the opentime URLs the template already has (live blocks, adaptive links).
 */
export class MessageRenderer {
  // Link ids by campaign and destination: the store keeps one id per (campaign, URL), so a
  // send whose links were registered before needs no store write.
  private readonly linkIds = new Lru<string, string>(20_000);

  constructor(
    private readonly liquid: LiquidEngine,
    private readonly links: Links,
    private readonly proof: RecipientProof,
    private readonly publicUrl: () => string,
    private readonly now: () => number,
  ) {}

  async render(req: RenderRequest): Promise<Rendered> {
    const t = req.template;
    const us = await this.proof.sign(req.u);
    const scope = this.scope(req, us);
    const part = async (name: string, source: string | undefined, max: number) => {
      if (source === undefined) return undefined;
      const parsed = this.liquid.parse(name, source, `${t.id}\u0000${t.version}\u0000${name}`);
      return this.liquid.render(name, parsed, scope, max);
    };
    // In order, so the first part that fails is the one named.
    const subject = await part("subject", t.subject, MAX_RENDERED.subject);
    const html = await part("html", t.html, MAX_RENDERED.html);
    const text = await part("text", t.text, MAX_RENDERED.text);
    const sms = await part("sms", t.sms, MAX_RENDERED.sms);
    const title = await part("push.title", t.push?.title, MAX_RENDERED.pushTitle);
    const body = await part("push.body", t.push?.body, MAX_RENDERED.pushBody);
    const out: Rendered = {};
    // A subject is one header line.
    if (subject !== undefined) out.subject = subject.replace(/\s*[\r\n]+\s*/g, " ").trim();
    if (html !== undefined) out.html = req.wrap === false ? html : await this.wrap(html, req, us);
    if (text !== undefined) out.text = text;
    if (sms !== undefined) out.sms = sms;
    if (title !== undefined && body !== undefined) out.push = { title, body };
    return out;
  }

  /** Every parsed part of a template (create and update refuse what does not parse). */
  check(t: Pick<TemplateRecord, "subject" | "html" | "text" | "sms" | "push">): void {
    const parts: [string, string | undefined][] = [
      ["subject", t.subject],
      ["html", t.html],
      ["text", t.text],
      ["sms", t.sms],
      ["push.title", t.push?.title],
      ["push.body", t.push?.body],
    ];
    for (const [name, source] of parts) if (source !== undefined) this.liquid.parse(name, source);
  }

  private scope(req: RenderRequest, us: string): Record<string, unknown> {
    const p = req.profile;
    const now = this.now();
    const scope: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(req.data)) if (!RESERVED.has(k)) scope[k] = v;
    scope.data = req.data;
    // Traits first, identities over them: `person.email` is the address the message goes to.
    scope.person = {
      ...p.traits,
      id: p.id,
      email: p.emails[0] ?? (typeof p.traits.email === "string" ? p.traits.email : undefined),
      user_id: p.userId ?? undefined,
    };
    const engagement = engagementAt(p, now);
    scope.profile = {
      id: p.id,
      cart: p.cart
        ? { ...p.cart, value: p.cart.items.reduce((s, i) => s + (i.price ?? 0) * i.quantity, 0) }
        : null,
      wishlist: p.wishlist,
      purchases: { count: p.purchases.count, ltv: p.purchases.ltv, last_at: p.purchases.lastAt },
      engagement: engagement.tier,
      engagement_score: engagement.score,
      intent: intentAt(p, now),
      traits: p.traits,
    };
    scope.opentime = {
      u: req.u,
      us,
      campaign: req.campaign,
      send_id: req.sendId,
      url: this.publicUrl(),
    };
    return scope;
  }

  private async wrap(html: string, req: RenderRequest, us: string): Promise<string> {
    const base = this.publicUrl();
    try {
      const result = await wrapHtml(html, {
        campaign: req.campaign,
        dialect: "none",
        recipient: { u: req.u, us },
        clickUrl: (id) => `${base}/c/${id}`,
        openPixelUrl: `${base}/o/${req.campaign}.gif`,
        register: (urls) => this.register(urls, req.campaign),
      });
      return result.html;
    } catch (err) {
      if (err instanceof WrapError) throw new TemplateError("html", err.message);
      throw err;
    }
  }

  private async register(urls: string[], campaign: string): Promise<string[]> {
    const key = (u: string) => `${campaign}\u0000${u}`;
    const missing = urls.filter((u) => !this.linkIds.get(key(u)));
    if (missing.length) {
      const stored = await this.links.createMany(missing, campaign);
      for (const l of stored) this.linkIds.set(key(l.url), l.id);
    }
    return urls.map((u) => this.linkIds.get(key(u))!);
  }
}
