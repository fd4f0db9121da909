import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env.js";
import { definitionSchema, type FlowDefinition, flowId } from "../flows/definition.js";
import type { FlowEngine } from "../flows/engine.js";
import { ApiError } from "../http/errors.js";
import { parseParams, readJson } from "../http/validate.js";
import type { FlowRecord, RunRecord } from "../ports/flows.js";

export function flowsOf(c: Context<AppEnv>): FlowEngine {
  const e = c.get("services").flowEngine;
  if (!e) throw new ApiError("unavailable", "flows are not configured on this server");
  return e;
}

export function flowParam(c: Context<AppEnv>): string {
  return parseParams(flowId, c.req.param("id"), "flow id");
}

export async function findFlow(c: Context<AppEnv>, id: string, version?: number): Promise<FlowRecord> {
  const f = await flowsOf(c).store.flow(id, version);
  if (!f) throw new ApiError("not_found", version === undefined ? "no such flow" : "no such flow version");
  return f;
}

/**
 * A definition from a body that may also carry `extra` fields (the id on create, `migrate`
 * on update): those are read first, the rest is the definition, with every zod issue's path.
 */
export async function readDefinition<E extends z.ZodRawShape>(
  c: Context<AppEnv>,
  extra: E,
): Promise<{ definition: FlowDefinition; extra: z.infer<z.ZodObject<E>> }> {
  const raw = await readJson(c, z.record(z.string(), z.unknown()));
  const own = z.object(extra);
  const picked: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) (Object.hasOwn(extra, k) ? picked : rest)[k] = v;
  return {
    extra: parseParams(own, picked, "body") as z.infer<z.ZodObject<E>>,
    definition: parseParams(definitionSchema, rest, "body"),
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function flowView(f: FlowRecord) {
  return {
    id: f.id,
    version: f.version,
    status: f.status,
    builtin: f.builtin,
    createdAt: iso(f.createdAt),
    updatedAt: iso(f.updatedAt),
    ...f.definition,
  };
}

export function runView(r: RunRecord) {
  const trigger = r.data.trigger as Record<string, unknown> | undefined;
  return {
    id: r.id,
    flowId: r.flowId,
    version: r.version,
    profileId: r.profileId,
    status: r.status,
    stepId: r.stepId,
    wakeAt: r.status === "active" ? iso(r.wakeAt) : null,
    waitingFor: r.waitingFor,
    trigger: trigger ?? null,
    startedAt: iso(r.startedAt),
    updatedAt: iso(r.updatedAt),
  };
}
