import { base64url, utf8 } from "../util/encoding.js";
import type { Signer } from "../util/signer.js";

/**
 * Signed, stateless image URLs: the options travel in the URL (base64url JSON) and an HMAC
 * under OPENTIME_SECRET proves opentime issued them, so a marketer can make a timer without
 * the API, and nobody can make this server render options it did not sign.
 */
export const SIGNED_PURPOSE = "img";
export const SIGNED_SIG_LEN = 22;
/** base64url chars of options accepted in a URL; a full countdown style is ~400. */
export const MAX_SIGNED_OPTIONS = 4096;

export async function signedImageUrl(
  signer: Signer,
  publicUrl: string,
  options: Record<string, unknown>,
  format: string,
): Promise<string> {
  const o = base64url(utf8(JSON.stringify(options)));
  const sig = await signer.sign(SIGNED_PURPOSE, o, SIGNED_SIG_LEN);
  return `${publicUrl}/i/signed.${format}?o=${o}&s=${sig}`;
}
