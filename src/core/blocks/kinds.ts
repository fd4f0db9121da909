import type { BlockRecord, BlockType } from "../ports/index.js";
import type { Profile } from "../ports/profiles.js";
import type { CachedImage } from "./byte-cache.js";
import type { ImageExt } from "./fallback.js";

/** What one open of an image knows about who opened it and when. */
export interface OpenContext {
  /** The cleaned `u` (null when absent or unusable). */
  recipient: string | null;
  /** Any other query parameter of the image URL (evergreen `start`, weather `lat`…). */
  query: (name: string) => string | undefined;
  userAgent: string | null;
  /** The time the image is rendered for (ms); the preview route may set another. */
  now: number;
  /**
   * The recipient's live profile, looked up by `u` on first call (memoised per open);
   * null without a recipient, without profiles, or when nobody is known by that id.
   */
  profile: () => Promise<Profile | null>;
  /**
   * Whether the open proves it was written for `u` (`us`, see profiles/recipient-proof.ts),
   * or is the operator's preview: what anything per person beyond the profile (a
   * per-recipient data source) requires. Absent: not proven.
   */
  proven?: () => Promise<boolean>;
  /**
   * The operator's preview (GET /v1/blocks/:id/preview.:ext): render exactly as for a real
   * open but record nothing — no open, no decision, no first-seen time for evergreen timers.
   */
  preview?: boolean;
}

export interface RenderedBlock {
  image: CachedImage;
  /** The campaign this open counts for (the block's own id when none was set). */
  campaign: string;
  /**
   * Set when the image is a designed stand-in rather than what the block meant to show
   * (e.g. a weather card's neutral content because the provider was down): the route
   * reports it in X-Opentime-Fallback like a failed render, but serves these bytes.
   */
  fallback?: string;
  /**
   * Slots this open decided itself (a recs block's tiles: `tile1` → the product's URL), added
   * to the variant's slots in the decision log so adaptive links go where this open pointed.
   */
  slots?: Record<string, string>;
}

/** A click on an adaptive link of a block (GET /c/:blockId/:slot). */
export interface BlockClick {
  slot: string;
  recipient: string | null;
  /** Where the block's rules send this slot for this person (null: nowhere). */
  url: string | null;
  now: number;
  /** Whether the click proves it was written for `recipient` (`us` on the link, as on images). */
  proven: () => Promise<boolean>;
}

export type ParseResult = { ok: true; options: unknown } | { ok: false; issues: string[] };

/**
 * One type of live image (countdown, price, weather, banner…). The image route and the
 * blocks API only know this interface: a new type is a new kind registered in
 * build-services.ts, not an edit of every route.
 */
export interface BlockKind {
  readonly type: BlockType;
  /** The format the block's URL uses unless the email asks for another. */
  readonly defaultExt: ImageExt;
  /** Validates options for this type; issues read "path: message". */
  parse(options: unknown): ParseResult;
  render(block: BlockRecord, ext: ImageExt, open: OpenContext): Promise<RenderedBlock>;
  /**
   * Where a click on the block's adaptive link goes, when the kind decides (a poll's
   * options all lead to its thank-you page; an offer adds the person's code to the landing
   * URL). Only URLs stored in the block's options, never one from the request. null: the
   * dead-link page. Absent: the rules' URL as it is.
   */
  clickTarget?(block: BlockRecord, click: BlockClick): Promise<string | null>;
  /** What a click does once classified (a poll counts a human's vote); must not throw. */
  clicked?(block: BlockRecord, click: BlockClick & { human: boolean }): Promise<void>;
}

export class BlockKinds {
  private readonly kinds = new Map<string, BlockKind>();

  register(kind: BlockKind): this {
    this.kinds.set(kind.type, kind);
    return this;
  }

  get(type: string): BlockKind | undefined {
    return this.kinds.get(type);
  }

  get types(): string[] {
    return [...this.kinds.keys()];
  }
}
