import type { FilterImplOptions, FS, Template } from "liquidjs";
import { Liquid } from "liquidjs/dist/liquid.browser.mjs";
import { Lru } from "../util/lru.js";

/** Bounds on one template part's work: marketers write these, and a loop can be unbounded. */
export const LIQUID_LIMITS = {
  /** Characters of source parsed per part. */
  parseChars: 1024 * 1024,
  /**
   * Milliseconds of rendering per part: a real template takes well under one, so this only
   * stops a runaway loop; it is wall time, so it leaves room for a loaded machine.
   */
  renderMs: 1000,
  /** Bytes LiquidJS may allocate for strings and ranges per render. */
  memory: 16 * 1024 * 1024,
} as const;

/** A template that does not parse or render; the message says where (line, column). */
export class TemplateError extends Error {
  constructor(
    readonly part: string,
    message: string,
  ) {
    super(`${part}: ${message}`);
    this.name = "TemplateError";
  }
}

// No file system at all: include/render/layout would read files (or, in the browser build,
// the DOM). They are refused when a template is parsed, so a template never reaches out.
const noFiles: FS = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async () => Promise.reject(new Error("templates cannot read files")),
  readFileSync: () => {
    throw new Error("templates cannot read files");
  },
  resolve: (_dir, file) => file,
};
const FILE_TAGS = ["include", "render", "layout"] as const;

/**
 * LiquidJS set up the way marketers expect from Shopify, Klaviyo and Braze, bounded:
 * unknown filters are errors; an undefined variable is an error unless it has a `default`
 * (or is an `if` condition), so a missing first name renders its fallback, and a template
 * that needs data it did not get fails with the variable's name instead of sending a gap.
 * Own properties only (no `constructor`, no prototype walks).
 */
export class LiquidEngine {
  private readonly liquid: Liquid;
  // Parsed parts by template id, version and part: a template is parsed once, not per send.
  private readonly parsed = new Lru<string, Template[]>(2_000);

  constructor() {
    this.liquid = new Liquid({
      strictFilters: true,
      strictVariables: true,
      lenientIf: true,
      ownPropertyOnly: true,
      fs: noFiles,
      relativeReference: false,
      parseLimit: LIQUID_LIMITS.parseChars,
      renderLimit: LIQUID_LIMITS.renderMs,
      memoryLimit: LIQUID_LIMITS.memory,
    });
    for (const name of FILE_TAGS)
      this.liquid.registerTag(name, {
        parse() {
          throw new Error(`{% ${name} %} is not supported: a template is one self-contained text`);
        },
        *render() {},
      });
  }

  /** Adds a filter templates may use (opentime's own, e.g. the tracking of rendered links). */
  registerFilter(name: string, filter: FilterImplOptions): void {
    this.liquid.registerFilter(name, filter);
  }

  /** Parses a part (cached under `cacheKey` when given); throws TemplateError. */
  parse(part: string, source: string, cacheKey?: string): Template[] {
    const hit = cacheKey ? this.parsed.get(cacheKey) : undefined;
    if (hit) return hit;
    try {
      const t = this.liquid.parse(source);
      if (cacheKey) this.parsed.set(cacheKey, t);
      return t;
    } catch (err) {
      throw new TemplateError(part, (err as Error).message);
    }
  }

  /**
   * Renders synchronously: LiquidJS's async render steps through a promise per node, which
   * cost more than the whole rest of a send; no filter or tag here waits for anything.
   */
  render(part: string, template: Template[], scope: object, maxChars: number): string {
    let out: string;
    try {
      out = String(this.liquid.renderSync(template, scope));
    } catch (err) {
      throw new TemplateError(part, (err as Error).message);
    }
    if (out.length > maxChars) throw new TemplateError(part, `renders to more than ${maxChars} characters`);
    return out;
  }
}
