import { timingSafeEqual, utf8 } from "../util/encoding.js";
import { Lru } from "../util/lru.js";
import type { Signer } from "../util/signer.js";

/**
 * Proof that an image URL was written for the recipient in its `u`.
 *
 * `u` is whatever the ESP merge tag put there, so anyone can put anyone's address in it.
 * Counting an open against that address is harmless (it only affects that recipient's own
 * records), but drawing their profile into the image — a first name, their city's weather,
 * the variant their engagement tier picks — would hand one person's data to whoever types
 * the URL. So profile-driven content needs `us`: the hex HMAC-SHA256 of the recipient (as
 * opentime normalises it: trimmed, emails lowercased) under the recipient key, which ESPs
 * compute per recipient with their template language's `hmac_sha256` filter. Without a
 * valid `us` the open renders as for an unknown person (defaults, profile conditions false),
 * unless the operator turns the check off (OPENTIME_UNSIGNED_PROFILES=true).
 */
export class RecipientProof {
  private key: Promise<CryptoKey> | null = null;
  private keyText: Promise<string> | null = null;
  // Verified pairs: a person opens an email several times, and HMAC via crypto.subtle is
  // a thread-pool job (~100 µs of latency).
  private readonly ok = new Lru<string, true>(50_000);

  constructor(private readonly signer: Signer) {}

  /** The recipient key operators give their ESP: derived from OPENTIME_SECRET, never the secret itself. */
  recipientKey(): Promise<string> {
    this.keyText ??= this.signer.sign("recipient-key", "v1", 43);
    return this.keyText;
  }

  /** Hex HMAC-SHA256 of `recipient` under the recipient key (what `us` must be). */
  async sign(recipient: string): Promise<string> {
    this.key ??= this.recipientKey().then((k) =>
      crypto.subtle.importKey("raw", utf8(k), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
    );
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await this.key, utf8(recipient)));
    let hex = "";
    for (const b of mac) hex += b.toString(16).padStart(2, "0");
    return hex;
  }

  async verify(recipient: string, us: string | undefined): Promise<boolean> {
    if (us?.length !== 64) return false;
    const given = us.toLowerCase();
    const k = `${recipient}\u0000${given}`;
    if (this.ok.get(k)) return true;
    const good = timingSafeEqual(await this.sign(recipient), given);
    if (good) this.ok.set(k, true);
    return good;
  }
}
