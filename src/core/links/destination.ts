/**
 * Where a tracked link (or an adaptive link's slot) sends a person, in the form a Location
 * header can carry: the WHATWG URL serialisation of an absolute http(s) URL. It percent-
 * encodes every character above U+007E and every space and control character, writes the
 * host in punycode and drops tabs and newlines, so `https://magaza.example/ürün` becomes
 * `https://magaza.example/%C3%BCr%C3%BCn` and a CR LF can never start a header of its own.
 *
 * Why: Node's writeHead throws on a header value holding a character above U+00FF or a
 * control character, and a URL stored as written reached it on every click. Destinations
 * are normalised when registered (POST /v1/links, wrapping, the CLI), and every answer
 * normalises again what it is about to send, for rows an older version stored as written.
 */

/** Longest destination kept: what a 4,096-character input may grow to once encoded is refused past it. */
export const MAX_DESTINATION_LENGTH = 8192;

// What the serialisation of an http(s) URL is made of; checked again, as the header's guard.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** The destination for `raw`, or null when no valid absolute http(s) URL can be made of it. */
export function destinationOf(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") return null;
  const href = url.href;
  return href.length <= MAX_DESTINATION_LENGTH && HEADER_SAFE.test(href) ? href : null;
}
