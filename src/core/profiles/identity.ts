/**
 * Identity keys: one namespace per kind, so a user id "42" and an anonymous id "42" are
 * different people until an event links them.
 *   u:<userId>  a:<anonymousId>  e:<email, lowercased>  r:<ESP recipient id>
 */
export type IdentityKind = "u" | "a" | "e" | "r";

export const MAX_ID_LENGTH = 256;

// Deliberately loose: the ESP is the authority on deliverability; this only tells an
// address from an opaque id.
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== "string") return null;
  const e = raw.trim().toLowerCase();
  return e.length <= 320 && EMAIL_RE.test(e) ? e : null;
}

export const isEmail = (s: string) => EMAIL_RE.test(s);

export const key = (kind: IdentityKind, value: string) => `${kind}:${value}`;

export function kindOf(k: string): IdentityKind {
  return k[0] as IdentityKind;
}

export function identityValue(k: string): string {
  return k.slice(2);
}

/**
 * Keys to try, in order, for an id given to GET/DELETE /v1/profiles/:id or found in an
 * open's `u`: a user id first (the stable one), then an email, an anonymous id, an ESP id.
 */
export function candidateKeys(id: string): string[] {
  const email = normalizeEmail(id);
  const out = [key("u", id)];
  if (email) out.push(key("e", email));
  out.push(key("a", id), key("r", id));
  return out;
}

/**
 * The identity an open or click's `u` stands for. ESP ids are often the operator's own
 * user id (Customer.io `customer.id`, Braze `external_id`), so an id `u` also matches a
 * user id — tried first by the caller through candidateKeys.
 */
export function recipientKey(recipient: string): string {
  const email = normalizeEmail(recipient);
  return email ? key("e", email) : key("r", recipient);
}
