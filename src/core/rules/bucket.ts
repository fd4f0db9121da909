/**
 * A stable number in [0, 1) for a key: the same recipient of the same block always lands
 * in the same place, so a split or a random percentage shows one person one arm for good,
 * across opens, restarts and processes. Not a secret and not for security: cyrb53 (public
 * domain, 53-bit, well mixed) is enough to spread recipients evenly and costs well under
 * a microsecond.
 */
export function stableBucket(key: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const n = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return n / 2 ** 53;
}

/** A uniform number in [0, 1) from random bytes (an open without a recipient). */
export function randomUnit(random: (n: number) => Uint8Array): number {
  const b = random(4);
  return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 4294967296;
}
