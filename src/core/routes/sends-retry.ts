import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { parseParams } from "../http/validate.js";
import { sendId } from "./sends-read.js";
import { sendingOf, sendView } from "./templates-shared.js";

/**
 * POST /v1/sends/:id/retry — a dead letter queued again (tries from zero; rendered again
 * from the latest template version if it died before it was rendered). Suppression and
 * consent are checked again when it goes.
 */
export function registerSendsRetry(app: App): void {
  app.post("/v1/sends/:id/retry", async (c) => {
    const id = parseParams(sendId, c.req.param("id"), "send id");
    const r = await sendingOf(c).messenger.retry(id);
    if (r === "not_found") throw new ApiError("not_found", "no such send");
    if (r === "not_dead") throw new ApiError("conflict", "only a dead letter can be retried");
    if ("failed" in r) throw new ApiError("unprocessable", r.failed);
    return c.json(sendView(r), 202);
  });
}
