import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { sendingOf, templateParam } from "./templates-shared.js";

/** DELETE /v1/templates/:id — every version; sends already queued keep their rendered copy. */
export function registerTemplatesDelete(app: App): void {
  app.delete("/v1/templates/:id", async (c) => {
    if (!(await sendingOf(c).store.templates.delete(templateParam(c))))
      throw new ApiError("not_found", "no such template");
    return c.body(null, 204);
  });
}
