import { countdownCacheKey, remainingSeconds, resolveDeadline } from "../countdown/index.js";
import type { BlockRecord, BlockStore, Clock } from "../ports/index.js";
import { Lru } from "../util/lru.js";
import type { CachedImage } from "./byte-cache.js";
import { RenderCache } from "./byte-cache.js";
import {
  type CountdownBlock,
  type CountdownKit,
  clampStart,
  countdownSaveIssues,
  parseCountdownBlock,
  parseStart,
  renderCountdown,
  withDeadline,
} from "./countdown-block.js";
import type { ImageExt } from "./fallback.js";
import type { BlockKind } from "./kinds.js";

const BLOCK_TTL_MS = 1000;

interface Prepared {
  block: CountdownBlock;
  style: string;
  /** Fixed deadline (ms); null for evergreen timers, resolved per recipient. */
  deadline: number | null;
}

import { PreparedOptions } from "./prepared-options.js";
import { RenderError } from "./render-error.js";

export { RenderError };

export interface RenderRequest {
  recipient: string | null;
  query: (name: string) => string | undefined;
  /** The instant to render for (the preview may pick another); the clock's now by default. */
  now?: number;
  /** A preview reads the recipient's evergreen start but never records one. */
  preview?: boolean;
}

/**
 * Turns a block (stored or signed) into image bytes for one open: resolves per-recipient
 * state (evergreen start), then serves from the shared render cache — every opener in the
 * same second of the same timer gets the same bytes, rendered once.
 */
export class ImageService {
  readonly cache: RenderCache;
  // Validation, the style hash and a fixed deadline: once per block version, not per open.
  private readonly prepared = new PreparedOptions<Prepared>((options) => {
    const res = this.parseCountdown(options);
    if (!res.ok) return null;
    const cd = res.block.countdown;
    return {
      block: res.block,
      // The style part of the engine's cache key; deadline and seconds left vary per open.
      style: countdownCacheKey(cd, 0, "").split(":")[1]!,
      deadline: res.block.evergreen ? null : resolveDeadline(cd),
    };
  });
  // Valid block ids and signed payloads already verified: HMAC through crypto.subtle runs on
  // Node's thread pool (~100 µs of latency), too slow to repeat on every open.
  private readonly verified = new Lru<string, string>(50_000);
  // Blocks read from the store in the last second: a hot timer is opened thousands of
  // times a second; this process drops an entry as soon as it edits the block, and other
  // processes see an edit within BLOCK_TTL_MS.
  private readonly recentBlocks = new Lru<string, { block: BlockRecord; at: number }>(10_000);
  // Evergreen starts already read from the store (they never change once written).
  private readonly starts = new Lru<string, number>(100_000);

  constructor(
    private readonly kit: CountdownKit | undefined,
    private readonly blocks: BlockStore,
    private readonly clock: Clock,
    cache?: RenderCache,
  ) {
    this.cache = cache ?? new RenderCache();
  }

  get fontIds(): readonly string[] {
    return this.kit?.fontIds ?? [];
  }

  parseCountdown(options: unknown) {
    if (!this.kit)
      return { ok: false as const, issues: ["countdown rendering is not available on this server"] };
    return parseCountdownBlock(options, this.kit.fontIds);
  }

  /** Countdowns as a block kind (GIF by default: they animate). */
  countdownKind(): BlockKind {
    return {
      type: "countdown",
      defaultExt: "gif",
      // A save: the options parse, and then what only a save checks (texts, expired image).
      parse: (options) => {
        const res = this.parseCountdown(options);
        if (!res.ok) return res;
        const issues = countdownSaveIssues(res.block.countdown, this.kit!);
        return issues.length ? { ok: false, issues } : { ok: true, options: res.block };
      },
      render: async (block, ext, open) => {
        const rendered = await this.renderStored(block, ext, open);
        return { image: rendered.image, campaign: this.campaignOf(rendered.block, block.id) };
      },
    };
  }

  /** The campaign an open of this block counts for (its own id when none was set). */
  campaignOf(block: CountdownBlock, fallback: string): string {
    return block.campaign ?? fallback;
  }

  async getBlock(id: string): Promise<BlockRecord | null> {
    const hit = this.cachedBlock(id);
    if (hit) return hit;
    const now = this.clock.now();
    const block = await this.blocks.get(id);
    if (block) this.recentBlocks.set(id, { block, at: now });
    else this.recentBlocks.delete(id);
    return block;
  }

  /** The block as this process holds it, when fresh (what getBlock answers without a read). */
  cachedBlock(id: string): BlockRecord | null {
    const now = this.clock.now();
    const hit = this.recentBlocks.get(id);
    return hit && now - hit.at < BLOCK_TTL_MS && now >= hit.at ? hit.block : null;
  }

  /** Call after editing or deleting a block, so this process shows the change at once. */
  forgetBlock(id: string): void {
    this.recentBlocks.delete(id);
  }

  /** Remembers that `key` (a block id, or a signed payload) passed its HMAC check with `sig`. */
  isVerified(key: string, sig = ""): boolean {
    return this.verified.get(key) === sig;
  }
  markVerified(key: string, sig = ""): void {
    this.verified.set(key, sig);
  }

  async renderStored(
    block: BlockRecord,
    ext: ImageExt,
    req: RenderRequest,
  ): Promise<{ image: CachedImage; block: CountdownBlock }> {
    const p = this.prepared.of(block);
    return { image: await this.render(p, block.id, ext, req), block: p.block };
  }

  async renderSigned(payloadKey: string, options: () => unknown, ext: ImageExt, req: RenderRequest) {
    const p = this.prepared.keyed(`s:${payloadKey}`, options);
    return { image: await this.render(p, null, ext, req), block: p.block };
  }

  private async render(
    p: Prepared,
    blockId: string | null,
    ext: ImageExt,
    req: RenderRequest,
  ): Promise<CachedImage> {
    const kit = this.kit;
    if (!kit) throw new RenderError("renderer_unavailable");
    const now = req.now ?? this.clock.now();
    let opts = p.block.countdown;
    let deadline = p.deadline;
    if (deadline === null) {
      const eg = p.block.evergreen!;
      deadline = (await this.evergreenStart(p.block, blockId, req, now)) + eg.duration * 1000;
      opts = withDeadline(opts, deadline);
    }
    // Everyone with the same whole seconds left shares these bytes (see countdownCacheKey):
    // all openers of a timer within a second, and an evergreen timer's first openers.
    const left = deadline <= now ? "x" : String(remainingSeconds(deadline, now));
    const key = `cd2:${p.style}:${ext}:${left}`;
    return this.cache.get(key, () => renderCountdown(kit, opts, now, ext));
  }

  private async evergreenStart(cd: CountdownBlock, blockId: string | null, req: RenderRequest, now: number) {
    const eg = cd.evergreen!;
    if (eg.from === "param") return clampStart(parseStart(req.query(eg.param)), now, eg.duration);
    // First open per recipient, remembered durably; without a recipient, the timer starts now.
    if (!req.recipient || !blockId) return now;
    const k = `${blockId}\u0000${req.recipient}`;
    const known = this.starts.get(k);
    if (known !== undefined) return known;
    // A preview shows the start already recorded (or "first open now") without recording it.
    if (req.preview) return (await this.blocks.peekFirstSeen?.(blockId, req.recipient)) ?? now;
    const start = await this.blocks.firstSeen(blockId, req.recipient, now);
    this.starts.set(k, start);
    return start;
  }
}
