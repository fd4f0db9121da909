import { z } from "zod";
import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { parseParams } from "../http/validate.js";
import { sendingOf, sendView } from "./templates-shared.js";

export const sendId = z.string().regex(/^s_[A-Za-z0-9_-]{1,40}$/, "not a send id");

/** GET /v1/sends/:id — one attempt. */
export function registerSendsRead(app: App): void {
  app.get("/v1/sends/:id", async (c) => {
    const id = parseParams(sendId, c.req.param("id"), "send id");
    const r = await sendingOf(c).store.sends.get(id);
    if (!r) throw new ApiError("not_found", "no such send");
    return c.json(sendView(r));
  });
}
