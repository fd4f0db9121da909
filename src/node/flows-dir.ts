import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { definitionSchema, flowId } from "../core/flows/definition.js";
import type { FlowEngine } from "../core/flows/engine.js";
import type { Logger } from "../core/ports/index.js";

/** Files larger than this are not definitions (a definition is at most 100 steps). */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Flows as code: each `<id>.json` in the folder is a definition; a new one is created, a
 * changed one stored as the flow's next version (runs in flight stay on theirs), an
 * unchanged one left alone. An invalid file stops the start with its path and the reason.
 */
export async function loadFlowsDir(dir: string, engine: FlowEngine, logger: Logger): Promise<number> {
  await engine.load();
  let n = 0;
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".json")) continue;
    const file = join(dir, name);
    const id = basename(name, ".json");
    if (!flowId.safeParse(id).success) throw new Error(`${file}: the file name must be a flow id`);
    const text = readFileSync(file, "utf8");
    if (text.length > MAX_FILE_BYTES) throw new Error(`${file}: larger than ${MAX_FILE_BYTES} bytes`);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new Error(`${file}: not JSON (${(err as Error).message})`);
    }
    const parsed = definitionSchema.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      throw new Error(`${file}: ${i.path.join(".") || "(root)"}: ${i.message}`);
    }
    const had = engine.flow(id);
    if (had && JSON.stringify(had.definition) === JSON.stringify(parsed.data)) continue;
    await engine.save(id, parsed.data);
    logger.info({ flow: id, file }, had ? "flow updated from its file" : "flow created from its file");
    n++;
  }
  return n;
}
