import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";
import { base64url } from "../util/encoding.js";
import { checkTemplate, sendingOf, templateCreate, templateView } from "./templates-shared.js";

/** POST /v1/templates — a new template (version 1); its Liquid must parse. */
export function registerTemplatesCreate(app: App): void {
  app.post("/v1/templates", async (c) => {
    const { id: chosen, ...content } = await readJson(c, templateCreate);
    const sending = sendingOf(c);
    checkTemplate(sending, content);
    const s = c.get("services");
    const id = chosen ?? `tpl_${base64url(s.random(9))}`;
    if (await sending.store.templates.get(id))
      throw new ApiError("conflict", `template ${id} exists; PUT it to store a new version`);
    const now = s.clock.now();
    const t = { ...content, id, version: 1, createdAt: now, updatedAt: now };
    await sending.store.templates.create(t);
    return c.json(templateView(t), 201);
  });
}
