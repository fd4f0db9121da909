/**
 * What every text a block draws must be, checked when the block is saved (so a 400 names
 * the field, instead of every open answering the fallback image or dropping characters):
 * plain one-line text without control characters, and only characters the server's fonts
 * (or, on cards, its colour emoji) can draw. The fonts are the Node side's business: it
 * answers through TextCoverage. Texts filled in at the open (profile traits, product
 * names) are cleaned there instead.
 */

/** A grapheme no font can draw; `emoji` when it is an emoji the renderer does not draw in colour. */
export interface Undrawable {
  text: string;
  emoji: boolean;
}

export interface TextCoverage {
  /** The first grapheme of `text` that cannot be drawn with `font` first (any font when absent), or null. */
  undrawable(text: string, font?: string): Undrawable | null;
}

// C0 and C1 controls (tab and newline too: texts are one line), line and paragraph
// separators, bidi embeddings, overrides and isolates (they make drawn text read otherwise
// than typed), lone surrogates and the noncharacters U+FFFE/U+FFFF. resvg refuses an SVG
// holding most of these, so a countdown with one rendered the fallback at every open.
const CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]|\p{Cs}/u;

/** A fully-qualified emoji (😀, ❤️, 👨‍👩‍👧, 🇯🇵, 1️⃣), as Unicode lists them; ♥ or © alone are text. */
// biome-ignore lint/complexity/useRegexLiterals: a /v literal needs an ES2024 target; Node 20 runs it
export const EMOJI = new RegExp("^\\p{RGI_Emoji}$", "v");

const segmenter = new Intl.Segmenter("und", { granularity: "grapheme" });

export function graphemes(text: string): Iterable<string> {
  return (function* () {
    for (const s of segmenter.segment(text)) yield s.segment;
  })();
}

/** Joiners and variation selectors steer other characters; no font needs a glyph for them. */
export function needsGlyph(cp: number): boolean {
  return !(
    cp === 0x200c ||
    cp === 0x200d ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0xe0100 && cp <= 0xe01ef)
  );
}

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;

/** Why `text` cannot be drawn (a message for a 400), or null when it can. */
export function textIssue(text: string, coverage?: TextCoverage, font?: string): string | null {
  const control = CONTROL.exec(text);
  if (control) {
    return `contains the control character ${hex(control[0].codePointAt(0)!)} at position ${control.index + 1}: texts are one line of plain text`;
  }
  const missing = coverage?.undrawable(text, font);
  if (!missing) return null;
  const code = [...missing.text].map((c) => hex(c.codePointAt(0)!)).join(" ");
  if (missing.emoji)
    return `"${missing.text}" (${code}) is an emoji: countdowns draw text in one colour, so emoji cannot be drawn (use expiredImage for artwork)`;
  return `"${missing.text}" (${code}) cannot be drawn: no font on this server has it (fonts/README.md says how to add one)`;
}

/** Issues for named texts ("path: message"), skipping absent ones. */
export function textIssues(
  texts: Iterable<[path: string, text: string | undefined]>,
  coverage?: TextCoverage,
  font?: string,
): string[] {
  const out: string[] = [];
  for (const [path, text] of texts) {
    if (text === undefined) continue;
    const issue = textIssue(text, coverage, font);
    if (issue) out.push(`${path}: ${issue}`);
  }
  return out;
}

/**
 * The first grapheme of `text` that cannot be drawn: an emoji that `emoji` cannot draw in
 * colour (every emoji, when the renderer has no colour emoji), or a character no font has.
 */
export function findUndrawable(
  text: string,
  can: { glyph(cp: number): boolean; emoji?(grapheme: string): boolean },
): Undrawable | null {
  for (const g of graphemes(text)) {
    if (EMOJI.test(g)) {
      if (can.emoji?.(g)) continue;
      return { text: g, emoji: can.emoji === undefined };
    }
    for (const c of g) {
      const cp = c.codePointAt(0)!;
      if (needsGlyph(cp) && !can.glyph(cp)) return { text: g, emoji: false };
    }
  }
  return null;
}
