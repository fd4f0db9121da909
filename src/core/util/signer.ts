import { base64url, timingSafeEqual, utf8 } from "./encoding.js";

/**
 * HMAC-SHA256 signing with Web Crypto (works on Node, Workers, Deno, Bun).
 * The CryptoKey is imported once; signing is async because crypto.subtle is.
 */
export interface Signer {
  /** base64url HMAC of `purpose:data`, truncated to `length` chars (≥ 8). */
  sign(purpose: string, data: string, length?: number): Promise<string>;
  verify(purpose: string, data: string, signature: string): Promise<boolean>;
}

export function createSigner(secret: string): Signer {
  const keyPromise = crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const sign = async (purpose: string, data: string, length = 43): Promise<string> => {
    const key = await keyPromise;
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(`${purpose}:${data}`)));
    return base64url(mac).slice(0, Math.max(8, length));
  };
  return {
    sign,
    async verify(purpose, data, signature) {
      if (signature.length < 8 || signature.length > 43) return false;
      return timingSafeEqual(await sign(purpose, data, signature.length), signature);
    },
  };
}
