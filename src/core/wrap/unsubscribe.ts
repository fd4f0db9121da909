/**
 * Which links of an email are its unsubscribe and preference links, left as the ESP wrote
 * them: the ESP expands or rewrites its own (a wrapped tag would be frozen into one link for
 * everybody), one-click unsubscribe must reach the ESP, and an opt-out is not engagement.
 *
 * Matched on what ESPs actually put there, never on a word anywhere in a URL: "preferences"
 * or "opt-out" in a content link (/collections/preferences-gift-set, /how-to-opt-out-of-ads)
 * is content and is tracked. Each rule gives a short reason for the wrap response.
 * 1. A merge tag the ESP expands to its unsubscribe or preference page, by the tag's own
 *    name (*|UNSUB|*, {% unsubscribe_url %}, <%asm_group_unsubscribe_raw_url%>, {{{unsubscribe}}},
 *    %%profile_center_url%%, Mailgun's %unsubscribe_url%…).
 * 2. An ESP's hosted unsubscribe page, or a List-Unsubscribe-style path: a whole path
 *    segment such as /unsubscribe, /opt-out or /email-preferences, or ?p=unsubscribe.
 * 3. A marker on the link or on the section around it: data-unsubscribe, a class naming
 *    unsubscribe (SendGrid's Unsubscribe--unsubscribeLink), SendGrid's unsubscribe module
 *    (data-type="unsubscribe").
 * 4. The link's text (its words, an image's alt, title, aria-label, SFMC's alias):
 *    "Unsubscribe", "Abmelden", "Manage preferences", "Opt out"…
 */
import { mergeTagsIn } from "./dialects.js";

/** Inside a merge tag: names ESPs give their unsubscribe and preference-centre links. */
const TAG_NAME =
  /unsub|opt.?out|update_?profile|profile_?cent|subscription_?(cent|settings|pref)|preference|manage_?subscription|set_user_to_subscribed/i;

/** Tags outside the merge-tag families (single-percent and single-bracket forms). */
const BARE_TAGS: readonly [RegExp, string][] = [
  [/%(?:tag_|mailing_list_)?unsubscribe_url%/i, "Mailgun"],
  [/%(?:UNSUBSCRIBELINK|UPDATELINK)%/i, "ActiveCampaign"],
  [/\[(?:unsubscribe|unsubscribe_preferences)\]/i, "SendGrid (legacy)"],
];

/** Rule 1: the unsubscribe or preference merge tag in `url`, as a reason; null when none. */
export function unsubscribeTag(url: string): string | null {
  for (const tag of mergeTagsIn(url)) if (TAG_NAME.test(tag)) return `merge tag ${tag}`;
  for (const [re, esp] of BARE_TAGS) {
    const m = re.exec(url);
    if (m) return `${esp} merge tag ${m[0]}`;
  }
  return null;
}

/** Path segments (lowercase, `_` as `-`, no extension) that only unsubscribe or preference pages use. */
const SEGMENTS: ReadonlySet<string> = new Set([
  "unsubscribe",
  "unsub",
  "unsubscribe-all",
  "one-click-unsubscribe",
  "list-unsubscribe",
  "newsletter-unsubscribe",
  "opt-out",
  "optout",
  "email-opt-out",
  "email-optout",
  "email-preferences",
  "emailpreferences",
  "mail-preferences",
  "manage-preferences",
  "manage-email-preferences",
  "update-preferences",
  "unsubscribe-preferences",
  "communication-preferences",
  "preference-center",
  "preferences-center",
  "preferencecenter",
  "preference-centre",
  "subscription-center",
  "subscription-centre",
  "subscription-preferences",
  "subscription-settings",
  "manage-subscription",
  "manage-subscriptions",
  "manage-subscription-preferences",
]);
/** `/email/preferences`-style pairs: a mailing word, then a settings word. */
const MAILING = new Set([
  "email",
  "emails",
  "mail",
  "newsletter",
  "newsletters",
  "communications",
  "marketing",
]);
const SETTINGS = new Set(["preferences", "settings", "subscriptions", "manage"]);
/** Query values that name the unsubscribe action (phpList's ?p=unsubscribe, ?action=optout…). */
const QUERY_VALUES = new Set(["unsubscribe", "unsub", "optout", "opt-out"]);

/** ESPs' hosted pages whose path alone does not say it. */
function hostedPage(u: URL, first: string): string | null {
  const host = u.hostname.toLowerCase();
  if (host.endsWith(".list-manage.com") && (first === "unsubscribe" || first === "profile"))
    return "Mailchimp's hosted unsubscribe or profile page";
  if (host === "manage.kmail-lists.com") return "Klaviyo's hosted subscription page";
  if (host.endsWith(".ct.sendgrid.net") && first === "asm") return "SendGrid's unsubscribe groups page";
  if (host === "visitor.constantcontact.com" && /^(un|oo)$/i.test(u.searchParams.get("p") ?? ""))
    return "Constant Contact's unsubscribe page";
  return null;
}

/** Rule 2: an ESP's hosted unsubscribe page or a List-Unsubscribe-style URL, as a reason. */
export function unsubscribeUrl(u: URL): string | null {
  const segments = u.pathname
    .split("/")
    .filter(Boolean)
    .map((s) => {
      let d = s;
      try {
        d = decodeURIComponent(s);
      } catch {}
      return d
        .toLowerCase()
        .replace(/\.(php|aspx?|html?|jsp|cfm)$/, "")
        .replaceAll("_", "-");
    });
  const hosted = hostedPage(u, segments[0] ?? "");
  if (hosted) return hosted;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (SEGMENTS.has(s)) return `path segment /${s}`;
    if (i > 0 && SETTINGS.has(s) && MAILING.has(segments[i - 1]!)) return `path /${segments[i - 1]}/${s}`;
  }
  for (const [k, v] of u.searchParams) if (QUERY_VALUES.has(v.toLowerCase())) return `query ${k}=${v}`;
  return null;
}

/** Rule 3: the link's own marker, as a reason. `attr` reads one attribute (lowercase name). */
export function unsubscribeMarker(attr: (name: string) => string | undefined): string | null {
  const flag = attr("data-unsubscribe");
  if (flag !== undefined && !/^\s*(false|0|no)\s*$/i.test(flag)) return "data-unsubscribe attribute";
  if (/^\s*unsubscribe\s*$/i.test(attr("data-opentime") ?? "")) return 'data-opentime="unsubscribe"';
  if (/^\s*unsubscribe\s*$/i.test(attr("data-type") ?? "")) return 'data-type="unsubscribe"';
  const cls = (attr("class") ?? "").split(/\s+/).find((c) => /unsubscribe/i.test(c));
  return cls ? `class ${cls}` : null;
}

/** Rule 3, for a section: an element whose links are all unsubscribe links (SendGrid's module). */
export function unsubscribeSection(attr: (name: string) => string | undefined): string | null {
  if (/^\s*unsubscribe\s*$/i.test(attr("data-type") ?? "")) return 'inside a data-type="unsubscribe" section';
  if (/^\s*module-unsubscribe\s*$/i.test(attr("data-role") ?? ""))
    return 'inside a data-role="module-unsubscribe" section';
  return null;
}

/** Words that say unsubscribe wherever they stand in a link's text (en, de, fr, es, it, nl, pt). */
const TEXT_WORDS =
  /(^|[^\p{L}])(unsubscribe|unsub|abmelden|abbestellen|désabonner|désinscri(re|ption|vez)|se désabonner|darse de baja|dar(te)? de baja|desuscribir(se|te)?|cancelar (la )?suscripción|disiscriviti|annulla (l'|la )?iscrizione|uitschrijven|afmelden|descadastrar|cancelar inscrição)($|[^\p{L}])/iu;
/** Whole texts (a link's text is short) that name the preference page or opting out. */
const TEXT_PHRASES =
  /^((manage|update|change|edit|set|review)( your| my)?( (e-?mail|mail|subscription|communication|newsletter|notification|marketing))? (preferences|settings|subscriptions?)|(e-?mail|mail|subscription|communication|newsletter|notification|marketing) (preferences|settings)|preference cent(er|re)|opt[- ]?out( here| now)?|opt[- ]?out of (these|our|all|future|marketing|promotional) (e-?mails?|messages|communications))$/i;
/** Longer than this is a sentence around a link, not a link's label. */
const MAX_PHRASE = 80;

/** Rule 4: what a link's text says, as a reason; null when it says neither. */
export function unsubscribeText(text: string): string | null {
  const t = text.replace(/\s+/g, " ").trim();
  if (!t) return null;
  const label = t.length > 60 ? `${t.slice(0, 57)}…` : t;
  if (TEXT_WORDS.test(t)) return `link text "${label}"`;
  const phrase = t
    .toLowerCase()
    .replace(/[.!:»›→>]+$/u, "")
    .trim();
  if (phrase.length <= MAX_PHRASE && TEXT_PHRASES.test(phrase)) return `link text "${label}"`;
  return null;
}
