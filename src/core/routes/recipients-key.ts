import type { App } from "../app-env.js";

/**
 * GET /v1/recipients/key — the key ESP templates sign recipients with, for `us` (see
 * profiles/recipient-proof.ts). Derived from OPENTIME_SECRET; giving it out does not give
 * out the secret (it cannot sign link ids, block ids or signed image URLs).
 */
export function registerRecipientsKey(app: App): void {
  app.get("/v1/recipients/key", async (c) => {
    const s = c.get("services");
    return c.json({
      key: await s.recipientProof.recipientKey(),
      algorithm: "HMAC-SHA256, hex, of the recipient as put in u (emails lowercased, trimmed)",
      example: '…?u={{ email | downcase }}&us={{ email | downcase | hmac_sha256: "<key>" }}',
      unsignedProfiles: s.unsignedProfiles === true,
    });
  });
}
