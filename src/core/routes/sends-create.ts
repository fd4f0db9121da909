import { z } from "zod";
import type { App } from "../app-env.js";
import { readJson } from "../http/validate.js";
import { CHANNELS } from "../ports/messaging.js";
import { campaignId } from "./schemas.js";
import { sendingOf, TEMPLATE_ID } from "./templates-shared.js";

const body = z
  .object({
    /** Idempotency key: the same key never sends twice. */
    key: z.string().min(1).max(256),
    person: z.string().min(1).max(320),
    template: z.string().regex(TEMPLATE_ID),
    channels: z
      .union([z.literal("auto"), z.array(z.enum(CHANNELS)).min(1).max(CHANNELS.length)])
      .default(["email"]),
    priority: z.number().int().min(0).max(100).default(50),
    deadline: z.string().datetime({ offset: true }).optional(),
    data: z.record(z.unknown()).default({}),
    campaign: campaignId,
  })
  .strict();

/**
 * POST /v1/sends — one message through the same rules a flow's send step uses (consent,
 * suppression, caps, quiet hours, channel choice), for sends an application triggers
 * itself. 202 with the outcome: accepted, deferred (ask again at `until`), skipped or failed.
 */
export function registerSendsCreate(app: App): void {
  app.post("/v1/sends", async (c) => {
    const input = await readJson(c, body);
    const out = await sendingOf(c).messenger.send({
      ...input,
      deadline: input.deadline ? Date.parse(input.deadline) : undefined,
      source: { flowId: "api", flowVersion: 0, runId: input.key, stepId: "send" },
    });
    return c.json(
      out.status === "deferred" ? { ...out, until: new Date(out.until).toISOString() } : out,
      202,
    );
  });
}
