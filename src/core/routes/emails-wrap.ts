import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";
import { WrapError, wrapEmail, wrapRequest } from "../wrap/index.js";

export function registerEmailsWrap(app: App): void {
  app.post("/v1/emails/wrap", async (c) => {
    const input = await readJson(c, wrapRequest);
    const { links, config } = c.get("services");
    try {
      return c.json(await wrapEmail(links, config.publicUrl, input));
    } catch (err) {
      if (err instanceof WrapError)
        throw new ApiError("validation_failed", err.message, { reason: err.code });
      throw err;
    }
  });
}
