/**
 * IP parsing and CIDR matching for the tracking hot path.
 *
 * Hand-written parsers (no regex, no `node:net`) so this stays a pure core module and every
 * input, however hostile, costs at most one linear pass over a short, length-capped string.
 * IPv4 becomes one uint32 number; IPv6 becomes four uint32 words. IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`, as Node reports IPv4 peers on dual-stack sockets) is folded to IPv4 so
 * one IPv4 CIDR list covers both spellings.
 */

export type ParsedIp =
  | { readonly version: 4; readonly v4: number }
  | { readonly version: 6; readonly words: readonly [number, number, number, number] };

/** Longest textual IPv6 is 45 chars; leave room for brackets and a short zone id, refuse the rest. */
const MAX_IP_TEXT = 64;

/** Parses dotted-quad s[start,end) to a uint32, or -1. Rejects leading zeros (octal ambiguity). */
function parseV4(s: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let acc = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && acc === 0) return -1;
      acc = acc * 10 + (c - 48);
      digits++;
      if (acc > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || parts === 3) return -1;
      value = value * 256 + acc;
      parts++;
      acc = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (digits === 0 || parts !== 3) return -1;
  return value * 256 + acc; // < 2^32, exact in a double, never negative
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// Reused scratch for the 8 groups: parsing is synchronous, so sharing it is safe.
const groups = new Uint16Array(8);

/** Parses IPv6 text s[start,end) (no brackets, no zone) into 8 groups in `groups`. */
function parseV6(s: string, start: number, end: number): boolean {
  let n = 0;
  let gap = -1; // group index where "::" stands
  let i = start;
  if (i + 1 < end && s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    let j = i;
    let val = 0;
    while (j < end) {
      const h = hexVal(s.charCodeAt(j));
      if (h < 0) break;
      val = val * 16 + h;
      j++;
      if (j - i > 4) return false;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      // Embedded dotted IPv4 must be the last 32 bits.
      if (n > 6) return false;
      const v4 = parseV4(s, i, end);
      if (v4 < 0) return false;
      groups[n++] = Math.floor(v4 / 65536);
      groups[n++] = v4 % 65536;
      break;
    }
    if (j === i || n === 8) return false;
    groups[n++] = val;
    if (j === end) break;
    if (s.charCodeAt(j) !== 58) return false;
    j++;
    if (j < end && s.charCodeAt(j) === 58) {
      if (gap !== -1) return false;
      gap = n;
      j++;
    } else if (j === end) {
      return false; // trailing single ':'
    }
    i = j;
  }
  if (gap === -1) return n === 8;
  if (n > 7) return false;
  // Slide the groups after the gap to the end and zero-fill the gap.
  const tail = n - gap;
  for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  return true;
}

/** Parses an IPv4 or IPv6 address (brackets and `%zone` tolerated). Never throws; null when invalid. */
export function parseIp(input: unknown): ParsedIp | null {
  if (typeof input !== "string" || input.length === 0 || input.length > MAX_IP_TEXT) return null;
  const s = input.trim();
  if (s.indexOf(":") === -1) {
    const v4 = parseV4(s, 0, s.length);
    return v4 < 0 ? null : { version: 4, v4 };
  }
  let start = 0;
  let end = s.length;
  if (s.charCodeAt(0) === 91) {
    if (s.charCodeAt(end - 1) !== 93) return null;
    start = 1;
    end--;
  }
  const zone = s.indexOf("%", start);
  if (zone !== -1 && zone < end) end = zone;
  if (end - start < 2 || !parseV6(s, start, end)) return null;
  const w0 = groups[0]! * 65536 + groups[1]!;
  const w1 = groups[2]! * 65536 + groups[3]!;
  const w2 = groups[4]! * 65536 + groups[5]!;
  const w3 = groups[6]! * 65536 + groups[7]!;
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return { version: 4, v4: w3 };
  return { version: 6, words: [w0, w1, w2, w3] };
}

export interface ParsedCidr {
  readonly version: 4 | 6;
  /** IPv4: first and last address. */
  readonly start: number;
  readonly end: number;
  /** IPv6: network words (already masked) and prefix length. */
  readonly words: readonly [number, number, number, number];
  readonly prefix: number;
}

function maskWord(bits: number): number {
  return bits >= 32 ? 0xffffffff : bits <= 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Parses "a.b.c.d/n" or "x::/n" (a bare address is a /32 or /128). Host bits are masked off. */
export function parseCidr(text: string): ParsedCidr | null {
  if (typeof text !== "string") return null;
  const slash = text.indexOf("/");
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const ip = parseIp(addrText);
  if (!ip) return null;
  const max = ip.version === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (p.length === 0 || p.length > 3 || !/^\d+$/.test(p)) return null;
    prefix = Number(p);
    // "::ffff:1.2.3.0/120" names IPv4 space in mapped form; bring it back to IPv4 terms.
    if (ip.version === 4 && addrText.indexOf(":") !== -1) {
      if (prefix < 96 || prefix > 128) return null;
      prefix -= 96;
    }
    if (prefix > max) return null;
  }
  if (ip.version === 4) {
    const mask = maskWord(prefix);
    const start = (ip.v4 & mask) >>> 0;
    const end = (start | ~mask) >>> 0;
    return { version: 4, start, end, words: [0, 0, 0, 0], prefix };
  }
  const w = ip.words;
  const words: [number, number, number, number] = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) words[k] = (w[k]! & maskWord(prefix - 32 * k)) >>> 0;
  return { version: 6, start: 0, end: 0, words, prefix };
}

/** One-off check; for repeated checks against a list build a CidrSet once. */
export function cidrContains(cidr: string, ip: string | ParsedIp | null | undefined): boolean {
  return new CidrSet([cidr]).has(ip);
}

/**
 * An immutable set of CIDR blocks built once. IPv4 blocks are sorted and merged into disjoint
 * ranges held in typed arrays, so `has` is a binary search (O(log n), no allocation). IPv6
 * lists here are short, so they are scanned linearly word by word.
 */
export class CidrSet {
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;
  /** 5 slots per IPv6 block: 4 masked words then the prefix length. */
  private readonly v6: Uint32Array;

  /** Throws on a malformed CIDR: lists are code or config, and a typo must fail loudly at startup. */
  constructor(cidrs: Iterable<string>) {
    const v4: Array<[number, number]> = [];
    const v6: number[] = [];
    for (const text of cidrs) {
      const c = parseCidr(text);
      if (!c) throw new TypeError(`invalid CIDR: ${JSON.stringify(text)}`);
      if (c.version === 4) v4.push([c.start, c.end]);
      else v6.push(...c.words, c.prefix);
    }
    v4.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const r of v4) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    this.starts = Uint32Array.from(merged, (r) => r[0]);
    this.ends = Uint32Array.from(merged, (r) => r[1]);
    this.v6 = Uint32Array.from(v6);
  }

  /** Number of disjoint IPv4 ranges plus IPv6 blocks (after merging). */
  get size(): number {
    return this.starts.length + this.v6.length / 5;
  }

  /** Accepts text (parsed here) or an address parsed once by the caller. Invalid input is simply false. */
  has(ip: string | ParsedIp | null | undefined): boolean {
    const p = typeof ip === "string" ? parseIp(ip) : ip;
    if (!p) return false;
    return p.version === 4 ? this.hasV4(p.v4) : this.hasV6(p.words);
  }

  private hasV4(x: number): boolean {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= x) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found !== -1 && x <= this.ends[found]!;
  }

  private hasV6(w: readonly [number, number, number, number]): boolean {
    const t = this.v6;
    outer: for (let i = 0; i < t.length; i += 5) {
      const prefix = t[i + 4]!;
      for (let k = 0; k < 4; k++) {
        const bits = prefix - 32 * k;
        if (bits <= 0) break;
        if ((w[k]! & maskWord(bits)) >>> 0 !== t[i + k]) continue outer;
      }
      return true;
    }
    return false;
  }
}
