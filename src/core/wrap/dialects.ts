/**
 * ESP template dialects: which merge tag puts the recipient into a URL query value, and how to recognise
 * merge-tag syntax in general, from each ESP's template docs. Caveats: HubSpot cannot apply a
 * filter to a personalization token in emails, and SendGrid and Brevo document no URL-encoding
 * helper, so those tags go in unencoded; Klaviyo's `urlencode` (it supports most Django filters)
 * and Customer.io's Liquid `url_encode` are assumed rather than documented.
 */

/** Every supported dialect. A readonly non-empty tuple so it can feed `z.enum(DIALECTS)` directly. */
export const DIALECTS = [
  "mailchimp",
  "klaviyo",
  "sendgrid",
  "braze",
  "sfmc",
  "hubspot",
  "iterable",
  "customerio",
  "brevo",
  "none",
] as const;

export type Dialect = (typeof DIALECTS)[number];

/** Which recipient attribute goes into tracked URLs. */
export type RecipientField = "email" | "id";

/**
 * The tags are written into a query value, so each one asks the ESP to URL-encode the substituted value
 * wherever the ESP offers a way to (an email such as `a+b@x.com` would otherwise reach us as `a b@x.com`).
 * `id` falls back to the email tag where the ESP has no documented per-recipient id tag.
 */
const TAGS: Readonly<Record<Dialect, Readonly<Record<RecipientField, string>>>> = {
  // `*|URL:…|*` is Mailchimp's URL-encoding modifier; UNIQID is the list member's unique id.
  mailchimp: { email: "*|URL:EMAIL|*", id: "*|UNIQID|*" },
  // Klaviyo supports Django filters; its profile-id tag is unverified, so id uses the email.
  klaviyo: { email: "{{ person.email|urlencode }}", id: "{{ person.email|urlencode }}" },
  // SendGrid Handlebars has no URL-encoding helper and no standard id field.
  sendgrid: { email: "{{email}}", id: "{{email}}" },
  // Braze recommends the external id over the email in personalised URLs; url_param_escape also encodes `&`.
  braze: {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Braze Liquid syntax, not a JS template
    email: "{{${email_address} | url_param_escape}}",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Braze Liquid syntax, not a JS template
    id: "{{${user_id} | url_param_escape}}",
  },
  // The subscriber key is an opaque id chosen by the sender, so it is left as is.
  sfmc: { email: "%%=URLEncode(emailaddr)=%%", id: "%%_subscriberkey%%" },
  // HubSpot cannot apply HubL filters to personalization tokens in emails.
  hubspot: { email: "{{ contact.email }}", id: "{{ contact.email }}" },
  iterable: { email: "{{#urlEncode}}{{email}}{{/urlEncode}}", id: "{{#urlEncode}}{{email}}{{/urlEncode}}" },
  customerio: { email: "{{customer.email | url_encode}}", id: "{{customer.id}}" },
  // No URL-encoding filter is confirmed for Brevo.
  brevo: { email: "{{ contact.EMAIL }}", id: "{{ contact.EMAIL }}" },
  // No ESP templating: links stay anonymous (still counted per link).
  none: { email: "", id: "" },
};

/** The merge tag that the ESP replaces with the recipient's email or id ("" for `none`). */
export function recipientTag(dialect: Dialect, field: RecipientField = "email"): string {
  return TAGS[dialect][field];
}

/**
 * One pattern per merge-tag family, non-greedy and bounded to one tag so a stray `{{` in text does not
 * swallow the document. SFMC `%%…%%` is restricted to names, `%%=…=%%` and `%%[…]%%`, because a bare
 * `%%` pair could otherwise match percent signs in ordinary text. SendGrid's legacy `-name-` is skipped:
 * hyphenated words in every URL path would match it.
 */
const MERGE_TAG_PATTERNS: readonly RegExp[] = [
  /\*\|[^|]{1,200}\|\*/, // Mailchimp *|EMAIL|*, *|URL:EMAIL|*
  /\{\{\{[\s\S]{1,500}?\}\}\}/, // Handlebars unescaped output {{{ … }}}, found whole
  /\{\{[\s\S]{1,500}?\}\}/, // Handlebars / Liquid / HubL / Django output {{ … }}
  /\{%[\s\S]{1,500}?%\}/, // Liquid / Django / HubL / Jinja tags {% … %}
  /%%(?:=[\s\S]{1,500}?=|\[[\s\S]{1,2000}?\]|[A-Za-z_][\w.-]{0,100})%%/, // SFMC / Pardot / AMPscript
  /\[\[[\s\S]{1,500}?\]\]/, // Iterable data feeds, Mailjet [[var:x]]
  /<%[\s\S]{1,500}?%>/, // SendGrid <%asm_group_unsubscribe_raw_url%>, ERB-style
];

/** True when `s` contains any ESP's merge-tag syntax. */
export function containsMergeTag(s: string): boolean {
  return MERGE_TAG_PATTERNS.some((re) => re.test(s));
}

/** Every merge tag in `s`, in the order of the families above (bounded: a URL holds a few). */
export function mergeTagsIn(s: string): string[] {
  const out: string[] = [];
  for (const re of MERGE_TAG_GLOBAL) {
    re.lastIndex = 0;
    for (let m = re.exec(s); m !== null && out.length < 50; m = re.exec(s)) out.push(m[0]);
  }
  return out;
}

// Shared `g` copies: safe because mergeTagsIn is synchronous and resets lastIndex first.
const MERGE_TAG_GLOBAL = MERGE_TAG_PATTERNS.map((re) => new RegExp(re.source, "g"));
