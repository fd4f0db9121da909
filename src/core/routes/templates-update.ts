import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";
import {
  checkTemplate,
  sendingOf,
  templateContent,
  templateParam,
  templateView,
} from "./templates-shared.js";

/** PUT /v1/templates/:id — new content as the next version; sends in flight keep theirs. */
export function registerTemplatesUpdate(app: App): void {
  app.put("/v1/templates/:id", async (c) => {
    const id = templateParam(c);
    const content = await readJson(c, templateContent);
    const sending = sendingOf(c);
    checkTemplate(sending, content);
    const t = await sending.store.templates.update(id, content, c.get("services").clock.now());
    if (!t) throw new ApiError("not_found", "no such template");
    return c.json(templateView(t));
  });
}
