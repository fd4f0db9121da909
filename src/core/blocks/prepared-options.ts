import type { BlockRecord, BlockType } from "../ports/index.js";
import { Lru } from "../util/lru.js";
import type { ImageExt } from "./fallback.js";
import type { BlockKind, OpenContext, RenderedBlock } from "./kinds.js";
import { RenderError } from "./render-error.js";

/**
 * A block's options as its kind prepares them (validated, defaults resolved, templates
 * parsed), once per block version and reused by every open. The version is in the key,
 * so an edit is seen at the next open; options that no longer validate render the
 * fallback image ("invalid_options"), never a 500.
 */
export class PreparedOptions<P> {
  private readonly byKey: Lru<string, P>;

  /** `prepare` answers null for options it refuses. */
  constructor(
    private readonly prepare: (options: unknown) => P | null,
    max = 10_000,
  ) {
    this.byKey = new Lru(max);
  }

  of(block: BlockRecord): P {
    return this.keyed(`${block.id}:${block.version}`, () => block.options);
  }

  /** For options that are not a stored block (e.g. a signed URL's payload), under their own key. */
  keyed(key: string, options: () => unknown): P {
    const hit = this.byKey.get(key);
    if (hit) return hit;
    const prepared = this.prepare(options());
    if (prepared === null) throw new RenderError("invalid_options");
    this.byKey.set(key, prepared);
    return prepared;
  }
}

/** What a kind's `prepare` answers: the prepared options (holding the parsed ones as `o`), or issues. */
export type Prepare<P> = (options: unknown) => { ok: true; prepared: P } | { ok: false; issues: string[] };

/**
 * A card kind (PNG by default) whose options are prepared once per block version: `parse`
 * (a save) answers the parsed options `o` once they prepare and pass `saveIssues` (what only
 * a save checks, so a block saved before a check existed renders as before); `render` gets
 * the prepared ones for the block's version.
 */
export function preparedKind<P extends { o: Record<string, unknown> }>(
  type: BlockType,
  prepare: Prepare<P>,
  render: (prepared: P, block: BlockRecord, ext: ImageExt, open: OpenContext) => Promise<RenderedBlock>,
  saveIssues: (prepared: P) => string[] = () => [],
): BlockKind {
  const byVersion = new PreparedOptions<P>((options) => {
    const res = prepare(options);
    return res.ok ? res.prepared : null;
  });
  return {
    type,
    defaultExt: "png",
    parse: (options) => {
      const res = prepare(options);
      if (!res.ok) return res;
      const issues = saveIssues(res.prepared);
      return issues.length ? { ok: false, issues } : { ok: true, options: res.prepared.o };
    },
    render: (block, ext, open) => render(byVersion.of(block), block, ext, open),
  };
}
