import type { Links } from "../links/links.js";
import type { Profile } from "../ports/profiles.js";
import type { TemplateRecord } from "../ports/sending.js";
import type { RecipientProof } from "../profiles/recipient-proof.js";
import { engagementAt, intentAt } from "../profiles/view.js";
import { base64url } from "../util/encoding.js";
import { Lru } from "../util/lru.js";
import { linkVerdict, WrapError, wrapHtml } from "../wrap/index.js";
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
  /** The one-click unsubscribe URL of this send (`opentime.unsubscribe_url`). */
  unsubscribeUrl?: string;
  /** Wrap the HTML for tracking (false for the preview's `wrap=false`). */
  wrap?: boolean;
}

/** Names the scope owns; the request's data cannot shadow them. */
const RESERVED = new Set(["person", "profile", "opentime", "data"]);
/** What opentime's links carry for the recipient, as Liquid: filled in per send. */
const RECIPIENT_TAG = "{{ opentime.u | url_encode }}&amp;us={{ opentime.us }}";
/** The variable a Liquid-made href is captured in before opentime_link tracks it. */
const HREF_VAR = "opentime_href_";
/** Where opentime_link leaves the hrefs it saw during one render (templates cannot reach a symbol). */
const HREFS = Symbol("hrefs");
interface Hrefs {
  marker: string;
  raw: string[];
  /** Only the wrapped HTML's hrefs are tracked (elsewhere the filter changes nothing). */
  active: boolean;
}
type FilterThis = { context: { getSync(path: PropertyKey[]): unknown } };

/** An attribute value's text as the URL it means (the entities authors write in hrefs). */
function decodeAttribute(v: string): string {
  return v.replace(/&(#x[0-9a-f]+|#\d+|amp|quot|apos|lt|gt|#39);?/gi, (m, e: string) => {
    const k = e.toLowerCase();
    if (k === "amp") return "&";
    if (k === "quot") return '"';
    if (k === "apos" || k === "#39") return "'";
    if (k === "lt") return "<";
    if (k === "gt") return ">";
    const code = k.startsWith("#x") ? Number.parseInt(k.slice(2), 16) : Number.parseInt(k.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}
/** A URL in plain text, up to the next space or quote; trailing punctuation is the sentence's. */
const PLAIN_URL = /https?:\/\/[^\s<>"'`]+/gi;
const trimUrl = (raw: string) => raw.replace(/[.,;:!?)\]}]+$/, "");

const escapeAttribute = (v: string) =>
  v.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");

/**
 * Renders a template for one person: Liquid with the person, their profile, the request's
 * data and opentime's own values, the HTML wrapped as POST /v1/emails/wrap wraps it (links
 * tracked, an open pixel) for this person's `u` and `us`, which also replace what the
 * opentime URLs already in the template had (live blocks, adaptive links).
 *
 * The wrap is done once per template version and campaign, on the Liquid source, with the
 * recipient as Liquid (RECIPIENT_TAG), so a send renders one template and parses no HTML.
 * An href that Liquid makes (`{{ product.url }}`) is captured as rendered, and tracked
 * under the same rules as the wrap's (mailto, anchors, unsubscribe…) by opentime_link.
 */
export class MessageRenderer {
  // Link ids by campaign and destination: the store keeps one id per (campaign, URL), so a
  // send whose links were registered before needs no store write.
  private readonly linkIds = new Lru<string, string>(20_000);
  // Wrapped HTML sources by template version and campaign.
  private readonly wrapped = new Lru<string, Promise<string>>(1_000);

  constructor(
    private readonly liquid: LiquidEngine,
    private readonly links: Links,
    private readonly proof: RecipientProof,
    private readonly publicUrl: () => string,
    private readonly now: () => number,
  ) {
    // Liquid renders synchronously: a Liquid-made href leaves a marker and its text here,
    // and is tracked once the render is done (registering a new link is a store write).
    liquid.registerFilter("opentime_link", function (this: FilterThis, raw: unknown) {
      const text = String(raw ?? "");
      const hrefs = (this.context.getSync(["opentime"]) as { [HREFS]?: Hrefs } | undefined)?.[HREFS];
      if (!hrefs?.active) return text;
      hrefs.raw.push(text);
      return `${hrefs.marker}${hrefs.raw.length - 1}\u0000`;
    });
  }

  async render(req: RenderRequest): Promise<Rendered> {
    const t = req.template;
    const us = await this.proof.sign(req.u);
    const scope = this.scope(req, us);
    const hrefs: Hrefs = {
      marker: `\u0000${base64url(crypto.getRandomValues(new Uint8Array(6)))}:`,
      raw: [],
      active: false,
    };
    (scope.opentime as { [HREFS]?: Hrefs })[HREFS] = hrefs;
    const part = (name: string, source: string | undefined, max: number, key = name) => {
      if (source === undefined) return undefined;
      const parsed = this.liquid.parse(name, source, `${t.id}\u0000${t.version}\u0000${key}`);
      return this.liquid.render(name, parsed, scope, max);
    };
    // In order, so the first part that fails is the one named.
    const subject = part("subject", t.subject, MAX_RENDERED.subject);
    let html: string | undefined;
    if (t.html !== undefined && req.wrap !== false) {
      const source = await this.wrapSource(t, req.campaign);
      hrefs.active = true;
      html = part("html", source, MAX_RENDERED.html, `html\u0000${req.campaign}`);
      hrefs.active = false;
      if (html !== undefined && hrefs.raw.length > 0) html = await this.trackHrefs(html, hrefs, req, us);
    } else html = part("html", t.html, MAX_RENDERED.html);
    let text = part("text", t.text, MAX_RENDERED.text);
    let sms = part("sms", t.sms, MAX_RENDERED.sms);
    const title = part("push.title", t.push?.title, MAX_RENDERED.pushTitle);
    let body = part("push.body", t.push?.body, MAX_RENDERED.pushBody);
    if (req.wrap !== false) [text, sms, body] = await this.trackPlain([text, sms, body], req);
    const out: Rendered = {};
    // A subject is one header line.
    if (subject !== undefined) out.subject = subject.replace(/\s*[\r\n]+\s*/g, " ").trim();
    if (html !== undefined) out.html = html;
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
      unsubscribe_url: req.unsubscribeUrl ?? "",
    };
    return scope;
  }

  /**
   * The template's HTML wrapped for `campaign`, the recipient left as Liquid: once per
   * template version and campaign (single-flight: a burst of sends waits for one wrap).
   */
  private wrapSource(t: TemplateRecord, campaign: string): Promise<string> {
    const base = this.publicUrl();
    const key = `${t.id}\u0000${t.version}\u0000${campaign}\u0000${base}`;
    let wrapped = this.wrapped.get(key);
    if (!wrapped) {
      wrapped = this.wrap(t.html!, campaign, base);
      this.wrapped.set(key, wrapped);
      wrapped.catch(() => this.wrapped.delete(key));
    }
    return wrapped;
  }

  private async wrap(html: string, campaign: string, base: string): Promise<string> {
    try {
      const result = await wrapHtml(html, {
        campaign,
        dialect: "none",
        recipientTag: RECIPIENT_TAG,
        ownUrls: true,
        mergeTagHref: (raw) =>
          `{% capture ${HREF_VAR} %}${raw}{% endcapture %}{{ ${HREF_VAR} | opentime_link }}`,
        clickUrl: (id) => `${base}/c/${id}`,
        openPixelUrl: `${base}/o/${campaign}.gif`,
        register: (urls) => this.register(urls, campaign),
      });
      return result.html;
    } catch (err) {
      if (err instanceof WrapError) throw new TemplateError("html", err.message);
      throw err;
    }
  }

  /** The links Liquid made, tracked for this send's recipient in place of their markers. */
  private async trackHrefs(html: string, hrefs: Hrefs, req: RenderRequest, us: string): Promise<string> {
    const base = this.publicUrl();
    const clickHost = new URL(base).host.toLowerCase();
    const recipient = `u=${encodeURIComponent(req.u)}&us=${us}`;
    const urls = hrefs.raw.map((raw) => decodeAttribute(raw).trim());
    const verdicts = urls.map((url) => linkVerdict(url, clickHost));
    const destinations = verdicts.map((v) => ("destination" in v ? v.destination : null));
    const toTrack = [...new Set(destinations.filter((d): d is string => d !== null))];
    const ids = new Map<string, string>();
    if (toTrack.length) {
      const registered = await this.register(toTrack, req.campaign);
      for (const [i, url] of toTrack.entries()) ids.set(url, registered[i]!);
    }
    const text = urls.map((url, i) => {
      const v = verdicts[i]!;
      if ("skip" in v && v.skip === "already_tracked") {
        const own = new URL(url);
        own.searchParams.delete("u");
        own.searchParams.delete("us");
        return escapeAttribute(`${own.href}${own.search ? "&" : "?"}${recipient}`);
      }
      const d = destinations[i];
      return d === null || d === undefined
        ? hrefs.raw[i]!
        : escapeAttribute(`${base}/c/${ids.get(d)}?${recipient}`);
    });
    return html.replace(
      new RegExp(`${hrefs.marker}(\\d+)\u0000`, "g"),
      (_, i: string) => text[Number(i)] ?? "",
    );
  }

  /**
   * The http(s) URLs in plain-text parts (the email's text, SMS, push), tracked like the
   * HTML's: clicks there count for the send and for the channel the person answers. Only
   * `u` is added (no image there needs the proof, and an SMS pays for every character).
   */
  private async trackPlain(
    parts: (string | undefined)[],
    req: RenderRequest,
  ): Promise<(string | undefined)[]> {
    const found = parts.map((p) => (p ? [...p.matchAll(PLAIN_URL)].map((m) => trimUrl(m[0])) : []));
    const clickHost = new URL(this.publicUrl()).host.toLowerCase();
    const verdicts = new Map<string, string | null>();
    for (const url of found.flat())
      if (!verdicts.has(url)) {
        const v = linkVerdict(url, clickHost);
        verdicts.set(url, "destination" in v ? v.destination : null);
      }
    const toTrack = [...new Set([...verdicts.values()].filter((d): d is string => d !== null))];
    if (!toTrack.length) return parts;
    const registered = await this.register(toTrack, req.campaign);
    const ids = new Map(toTrack.map((d, i) => [d, registered[i]!]));
    const recipient = `u=${encodeURIComponent(req.u)}`;
    const base = this.publicUrl();
    return parts.map((p) =>
      p?.replace(PLAIN_URL, (raw) => {
        const url = trimUrl(raw);
        const d = verdicts.get(url);
        return d ? `${base}/c/${ids.get(d)}?${recipient}${raw.slice(url.length)}` : raw;
      }),
    );
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
