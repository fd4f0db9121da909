import { z } from "zod";
import type { App } from "../app-env.js";
import { readJson } from "../http/validate.js";
import { normalizeRecipient } from "../tracking/recipient.js";

const body = z.object({ recipients: z.array(z.string().min(1).max(1000)).min(1).max(1000) }).strict();

/**
 * POST /v1/recipients/sign — the `us` value for each recipient (as opentime normalises it),
 * for ESPs that take a per-recipient custom field instead of computing it in the template.
 */
export function registerRecipientsSign(app: App): void {
  app.post("/v1/recipients/sign", async (c) => {
    const input = await readJson(c, body);
    const s = c.get("services");
    const signatures = await Promise.all(
      input.recipients.map(async (raw) => {
        const recipient = normalizeRecipient(raw);
        return { recipient, us: recipient ? await s.recipientProof.sign(recipient) : null };
      }),
    );
    return c.json({ signatures });
  });
}
