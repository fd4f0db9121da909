/**
 * Merge fields in card text: `Hi {{first_name|there}}!` — a field name, optionally a default
 * after `|`. Templates are parsed when a block is saved (an unknown field or a stray `{{` is
 * a 400), then filled at each open from the recipient's profile.
 *
 * Everything is plain text: satori draws strings as glyphs and never parses markup, and the
 * values are cleaned here (control and bidi-override characters dropped, whitespace folded,
 * length bounded) so a profile trait cannot reflow or spoof the sender's image.
 */

/** Fields read from the profile's traits (names follow Segment's identify spec). */
export const PROFILE_FIELDS = ["first_name", "last_name", "name", "city", "company"] as const;

/** A value drawn from a profile is cut to this many characters. */
export const MAX_FIELD_CHARS = 40;

export type Segment = { text: string } | { field: string; fallback: string };
export type ParsedTemplate = Segment[];

const FIELD = /\{\{\s*([a-z][a-z0-9_]{0,31})\s*(?:\|([^{}|]{0,40}))?\}\}/g;

/** Parses `text`; returns the issue (a message for a 400) when it is not a valid template. */
export function parseTemplate(
  text: string,
  fields: readonly string[],
): { ok: true; template: ParsedTemplate } | { ok: false; issue: string } {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(FIELD)) {
    const name = m[1]!;
    if (!fields.includes(name))
      return { ok: false, issue: `unknown merge field {{${name}}} (use ${fields.join(", ")})` };
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    out.push({ field: name, fallback: (m[2] ?? "").trim() });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  for (const s of out)
    if ("text" in s && (s.text.includes("{{") || s.text.includes("}}")))
      return {
        ok: false,
        issue: "malformed merge field: write {{field}} or {{field|default}} (default up to 40 characters)",
      };
  return { ok: true, template: out };
}

// C0/C1 controls, zero-width and bidi controls, the BOM: invisible, and the bidi ones can
// make drawn text read differently from what was typed.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g;

/** Plain, one-line, bounded text (by code points; an ellipsis marks a cut). */
export function cleanText(s: string, max: number): string {
  // Whitespace first (tabs and newlines become spaces), then what is left invisible goes.
  const flat = s.normalize("NFC").replace(/\s+/g, " ").replace(INVISIBLE, "").trim();
  const chars = [...flat];
  return chars.length <= max
    ? flat
    : `${chars
        .slice(0, max - 1)
        .join("")
        .trimEnd()}…`;
}

/** Fills a parsed template; a field without a value takes its default. */
export function fillTemplate(
  t: ParsedTemplate,
  values: Readonly<Record<string, string | undefined>>,
  max: number,
): string {
  let s = "";
  for (const seg of t) {
    if ("text" in seg) s += seg.text;
    else s += values[seg.field] || seg.fallback;
  }
  return cleanText(s, max);
}

const str = (v: unknown): string | undefined => {
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v !== "string") return undefined;
  const c = cleanText(v, MAX_FIELD_CHARS);
  return c || undefined;
};

/** Profile traits → merge field values (firstName / first_name / the first word of name…). */
export function profileFields(traits: Record<string, unknown> | null | undefined): Record<string, string> {
  if (!traits) return {};
  const full = str(traits.name);
  const words = full?.split(" ") ?? [];
  const first = str(traits.firstName) ?? str(traits.first_name) ?? words[0];
  const lastName = str(traits.lastName) ?? str(traits.last_name) ?? (words.slice(1).join(" ") || undefined);
  const address = traits.address as Record<string, unknown> | undefined;
  const company = traits.company as Record<string, unknown> | string | undefined;
  const out: Record<string, string | undefined> = {
    first_name: first,
    last_name: lastName,
    name: full ?? (first && lastName ? `${first} ${lastName}` : first),
    city: (address && typeof address === "object" ? str(address.city) : undefined) ?? str(traits.city),
    company: typeof company === "object" && company !== null ? str(company.name) : str(company),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Record<string, string>;
}
