/**
 * `u` is whatever the ESP's merge tag put there: untrusted, any length, any bytes.
 * It is bounded and cleaned before it is stored, and never reflected into a page.
 */
export const MAX_RECIPIENT_LENGTH = 320; // longer than any valid email address (254)

// A merge tag the ESP did not substitute (test sends, previews): not a recipient.
const UNSUBSTITUTED = /^(\*\|.*\|\*|\{\{.*\}\}|\{%.*%\}|%%.*%%|\[\[.*\]\]|<%.*%>)$/s;

export function normalizeRecipient(raw: string | undefined | null): string | null {
  if (raw == null) return null;
  let u = raw.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  if (!u || UNSUBSTITUTED.test(u)) return null;
  if (u.length > MAX_RECIPIENT_LENGTH) u = u.slice(0, MAX_RECIPIENT_LENGTH);
  if (u.includes("@")) {
    // An unencoded "+" in a query string arrives as a space: a@b+tag → "a@b tag".
    u = u.replace(/ /g, "+").toLowerCase();
  }
  return u;
}

/** Campaign ids appear in URL paths: keep them to a safe, bounded alphabet. */
export const CAMPAIGN_RE = /^[A-Za-z0-9._:~-]{1,128}$/;
