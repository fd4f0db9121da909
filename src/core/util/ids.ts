import { base64url } from "./encoding.js";
import type { Signer } from "./signer.js";

/**
 * Public ids that carry their own proof: 12 random base64url chars + an 8-char HMAC of them
 * under a purpose ("link", "block"). A forged or tampered id is refused by arithmetic, before
 * any store lookup, so guessing ids costs the server nothing.
 */
const ID_RE = /^[A-Za-z0-9_-]{20}$/;
const RAND_LEN = 12;
const SIG_LEN = 8;

export async function newSignedId(
  signer: Signer,
  purpose: string,
  random: (n: number) => Uint8Array,
): Promise<string> {
  const rand = base64url(random(9));
  return rand + (await signer.sign(purpose, rand, SIG_LEN));
}

export async function isSignedId(signer: Signer, purpose: string, id: string): Promise<boolean> {
  if (!ID_RE.test(id)) return false;
  return signer.verify(purpose, id.slice(0, RAND_LEN), id.slice(RAND_LEN));
}
