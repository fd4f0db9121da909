import { CidrSet } from "./ip.js";

/**
 * Which X-Forwarded-For entries to believe (OPENTIME_TRUST_PROXY), the convention of nginx's
 * real_ip and Express's `trust proxy`. Each proxy appends the address it received the request
 * from, so the entries a client cannot have written are the rightmost ones, one per proxy of
 * ours; the client's address is the entry just left of them. Anything further left is
 * whatever the client sent, and believing it let a scanner pass as a person and a person as
 * Apple's Mail Privacy Protection.
 *
 * - `{ hops: n }`: n proxies in front of us (`true` is one); the socket's peer is the last.
 * - `{ proxies }`: our proxies' addresses; the socket's peer must be one of them (else the
 *   header is not ours to read), then entries are skipped from the right while they are.
 */
export type TrustProxy = { readonly hops: number } | { readonly proxies: CidrSet };

/** More proxies than this in one chain is a typo. */
export const MAX_TRUSTED_HOPS = 10;

/** Names for ranges a proxy commonly sits in (Express's names, and "private" for RFC 1918). */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ["127.0.0.0/8", "::1/128"],
  private: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
  uniquelocal: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
  linklocal: ["169.254.0.0/16", "fe80::/10"],
};

/**
 * Reads OPENTIME_TRUST_PROXY: false/0 (null: the socket's peer is the client), true (one
 * hop), a hop count, or a comma-separated list of addresses, CIDR ranges and the names above.
 * Throws a message for the configuration error when it is none of these.
 */
export function parseTrustProxy(value: string): TrustProxy | null {
  const v = value.trim().toLowerCase();
  if (v === "false" || v === "0") return null;
  if (v === "true") return { hops: 1 };
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > MAX_TRUSTED_HOPS) throw new Error(`at most ${MAX_TRUSTED_HOPS} proxies`);
    return { hops };
  }
  const cidrs: string[] = [];
  for (const entry of v.split(",")) {
    const e = entry.trim();
    const named = NAMED_RANGES[e];
    if (named) cidrs.push(...named);
    else if (/^[0-9a-f:.]+(\/\d{1,3})?$/.test(e)) cidrs.push(e);
    else
      throw new Error(
        `use true, false, a number of proxies, or their addresses and CIDR ranges (or loopback, private, linklocal), comma-separated; not ${JSON.stringify(e)}`,
      );
  }
  try {
    return { proxies: new CidrSet(cidrs) };
  } catch (err) {
    throw new Error((err as Error).message);
  }
}

/** Longest address text kept (an IPv6 with a zone fits); more is not an address. */
const MAX_ADDRESS = 64;

/**
 * The client's address: from X-Forwarded-For as `trust` says, else the socket's peer
 * (`remote`, read only when needed).
 */
export function pickClientIp(
  trust: TrustProxy | null | undefined,
  forwardedFor: string | null | undefined,
  remote: () => string | null,
): string | null {
  if (!trust || !forwardedFor) return remote();
  let end = forwardedFor.length;
  if ("hops" in trust) {
    // The entry `hops` from the right (the leftmost when there are fewer).
    for (let i = 1; i < trust.hops; i++) {
      const comma = forwardedFor.lastIndexOf(",", end - 1);
      if (comma === -1) break;
      end = comma;
    }
    return entryBefore(forwardedFor, end);
  }
  const peer = remote();
  if (!trust.proxies.has(peer)) return peer;
  for (;;) {
    const start = forwardedFor.lastIndexOf(",", end - 1);
    const entry = entryBefore(forwardedFor, end);
    if (start === -1 || !trust.proxies.has(entry)) return entry;
    end = start;
  }
}

/** The trimmed entry ending at `end` (from the comma before it), bounded; null when empty. */
function entryBefore(header: string, end: number): string | null {
  const start = end > 0 ? header.lastIndexOf(",", end - 1) + 1 : 0;
  return header.slice(start, end).trim().slice(0, MAX_ADDRESS) || null;
}
