import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { definitionSchema, type FlowDefinition, flowId } from "../core/flows/definition.js";
import type { FlowEngine } from "../core/flows/engine.js";
import type { Logger } from "../core/ports/index.js";

/** Files larger than this are not definitions (a definition is at most 100 steps). */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Flows as code: each `<id>.json` in the folder is a definition. Read and checked before
 * anything else starts: an invalid file stops the start with its path and the reason.
 */
export function readFlowsDir(dir: string): { id: string; file: string; definition: FlowDefinition }[] {
  const out: { id: string; file: string; definition: FlowDefinition }[] = [];
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
    out.push({ id, file, definition: parsed.data });
  }
  return out;
}

/** A new file's flow is created, a changed one stored as the next version, an unchanged one left. */
export async function applyFlows(
  flows: ReturnType<typeof readFlowsDir>,
  engine: FlowEngine,
  logger: Logger,
): Promise<void> {
  await engine.load();
  for (const { id, file, definition } of flows) {
    const had = engine.flow(id);
    if (had && JSON.stringify(had.definition) === JSON.stringify(definition)) continue;
    await engine.save(id, definition);
    logger.info({ flow: id, file }, had ? "flow updated from its file" : "flow created from its file");
  }
}
