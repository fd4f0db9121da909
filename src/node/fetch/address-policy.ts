import { CidrSet, type ParsedIp, parseIp } from "../../core/tracking/ip.js";

/**
 * Where the guarded fetcher may connect. Threat model: a URL from an operator, a feed or a
 * redirect names a host we then connect to from inside the network (SSRF). Cloud metadata
 * (169.254.169.254), the loopback admin ports, the LAN and anything not meant to be reached
 * from the Internet are refused by address, after DNS, for every address a name resolves to.
 * Fails closed: an address that does not parse is refused.
 */
const PRIVATE_V4 = new CidrSet([
  "0.0.0.0/8", // "this network"; 0.0.0.0 reaches localhost on Linux
  "10.0.0.0/8",
  "100.64.0.0/10", // CGNAT: the provider's shared space, often its internal services
  "127.0.0.0/8",
  "169.254.0.0/16", // link-local, cloud metadata endpoints
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24", // TEST-NETs and benchmarking: never a real shop, sometimes a lab network
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "192.88.99.0/24",
  "192.168.0.0/16",
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, broadcast
]);

const PRIVATE_V6 = new CidrSet([
  "::/96", // unspecified, loopback and the deprecated IPv4-compatible form (::10.0.0.1)
  "::ffff:0:0:0/96", // IPv4-translated
  "64:ff9b:1::/48", // NAT64 for local use: private by definition
  "100::/64", // discard
  "2001::/23", // IETF assignments: Teredo (hides an IPv4 peer), ORCHID, …
  "2001:db8::/32", // documentation
  "fc00::/7", // unique local
  "fe80::/10", // link-local
  "fec0::/10", // site-local (deprecated, still routed in some LANs)
  "ff00::/8", // multicast
]);

// Prefixes that carry an IPv4 address a gateway will forward to: judged by that address.
const NAT64 = new CidrSet(["64:ff9b::/96"]);
const SIX_TO_FOUR = new CidrSet(["2002::/16"]);

/** True when an address must not be connected to (IPv4-mapped IPv6 is judged as IPv4). */
export function isPrivateAddress(address: string | ParsedIp): boolean {
  const ip = typeof address === "string" ? parseIp(address) : address;
  if (!ip) return true;
  if (ip.version === 4) return PRIVATE_V4.has(ip);
  if (PRIVATE_V6.has(ip)) return true;
  const [w0, w1, , w3] = ip.words;
  if (NAT64.has(ip)) return PRIVATE_V4.has({ version: 4, v4: w3 });
  if (SIX_TO_FOUR.has(ip))
    return PRIVATE_V4.has({ version: 4, v4: ((w0 & 0xffff) * 65536 + (w1 >>> 16)) >>> 0 });
  return false;
}

/** A hostname as allowlists compare it: lower case, no IPv6 brackets, no trailing dot. */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

/**
 * Host patterns: "shop.example" (that host only), "*.cdn.example" (any subdomain, not the
 * domain itself: list both when both serve content) or "*" (any host; addresses are still
 * checked). Throws on a malformed entry: it is configuration, a typo must stop the start.
 */
export function hostAllowlist(patterns: readonly string[]): (host: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const raw of patterns) {
    const p = normalizeHost(raw.trim());
    if (!p) continue;
    if (p === "*") any = true;
    else if (p.startsWith("*.") && /^[a-z0-9.-]+$/.test(p.slice(2)) && !p.slice(2).includes("*"))
      suffixes.push(p.slice(1));
    else if (/^[a-z0-9.:-]+$/.test(p)) exact.add(p);
    else throw new TypeError(`invalid host pattern: ${JSON.stringify(raw)}`);
  }
  return (host) => {
    const h = normalizeHost(host);
    return any || exact.has(h) || suffixes.some((s) => h.endsWith(s) && h.length > s.length);
  };
}
