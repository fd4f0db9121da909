import type { Clock, LinkRecord, LinkStore, RandomBytes } from "../ports/index.js";
import { base64url } from "../util/encoding.js";
import { Lru } from "../util/lru.js";
import type { Signer } from "../util/signer.js";

/**
 * Tracked links. An id is 12 random base64url chars followed by an 8-char HMAC of them,
 * so a forged or tampered id is refused before any store lookup (no store load from
 * guessing), and only destinations registered through the API are ever redirected to:
 * there is no open redirect to abuse.
 */
const ID_RE = /^[A-Za-z0-9_-]{20}$/;
const RAND_LEN = 12;
const SIG_LEN = 8;
/** Resolved links stay in memory: a send's few hundred links are hit millions of times. */
const CACHE_SIZE = 50_000;

export const UTM_KEYS = ["source", "medium", "campaign", "term", "content"] as const;
export type Utm = Partial<Record<(typeof UTM_KEYS)[number], string>>;

/** Appends utm_* parameters the destination does not already carry. */
export function withUtm(url: string, utm: Utm | undefined): string {
  if (!utm) return url;
  const u = new URL(url);
  for (const k of UTM_KEYS) {
    const v = utm[k];
    if (v && !u.searchParams.has(`utm_${k}`)) u.searchParams.append(`utm_${k}`, v);
  }
  return u.toString();
}

export class Links {
  private readonly cache = new Lru<string, LinkRecord>(CACHE_SIZE);
  constructor(
    private readonly store: LinkStore,
    private readonly signer: Signer,
    private readonly clock: Clock,
    private readonly random: RandomBytes,
  ) {}

  async create(url: string, campaign: string | null): Promise<LinkRecord> {
    const rand = base64url(this.random(9));
    const id = rand + (await this.signer.sign("link", rand, SIG_LEN));
    const stored = await this.store.put({ id, url, campaign, createdAt: this.clock.now() });
    this.cache.set(stored.id, stored);
    return stored;
  }

  /** The registered link for an id, or null for anything forged, tampered or unknown. */
  async resolve(id: string): Promise<LinkRecord | null> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    if (!ID_RE.test(id)) return null;
    if (!(await this.signer.verify("link", id.slice(0, RAND_LEN), id.slice(RAND_LEN)))) return null;
    const link = await this.store.get(id);
    if (link) this.cache.set(id, link);
    return link;
  }
}
