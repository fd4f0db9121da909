import { z } from "zod";
import type { App } from "../app-env.js";
import { signedImageUrl } from "../blocks/signed-url.js";
import { readJson } from "../http/validate.js";
import { validateBlockOptions } from "./blocks-shared.js";

const body = z
  .object({
    type: z.literal("countdown"),
    options: z.record(z.unknown()),
    format: z.enum(["gif", "png", "jpg", "webp"]).default("gif"),
  })
  .strict();

export function registerSign(app: App): void {
  app.post("/v1/sign", async (c) => {
    const input = await readJson(c, body);
    const s = c.get("services");
    const options = validateBlockOptions(s, input.type, input.options);
    return c.json({ url: await signedImageUrl(s.signer, s.config.publicUrl, options, input.format) }, 201);
  });
}
