import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import type { PasswordHasher } from "../../core/ports/users.js";

// OWASP's scrypt minimum (N=2^17, r=8, p=1): 128 MB for each guess.
const LOG_N = 17;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 256 * 1024 * 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, KEYLEN, { N: n, r, p, maxmem: MAXMEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/**
 * `scrypt$N$r$p$salt$hash` (base64url): the parameters travel with the hash, so they can grow.
 * `logN` below 17 is for tests only (fewer seconds per sign-in on a loaded machine).
 */
export function createScryptHasher(logN = LOG_N): PasswordHasher {
  const N = 1 << logN;
  return {
    async hash(password) {
      const salt = randomBytes(16);
      const key = await derive(password, salt, N, R, P);
      return `scrypt$${N}$${R}$${P}$${salt.toString("base64url")}$${key.toString("base64url")}`;
    },
    async verify(password, stored) {
      const parts = stored.split("$");
      if (parts.length !== 6 || parts[0] !== "scrypt") return false;
      const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
      if (![n, r, p].every(Number.isSafeInteger) || n > 1 << 20 || r > 32 || p > 16) return false;
      const expected = Buffer.from(parts[5]!, "base64url");
      const key = await derive(password, Buffer.from(parts[4]!, "base64url"), n, r, p);
      return key.length === expected.length && timingSafeEqual(key, expected);
    },
  };
}
