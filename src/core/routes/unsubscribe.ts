import type { Context } from "hono";
import type { App, AppEnv } from "../app-env.js";
import type { EmailEvent } from "../ports/profiles.js";
import { addressOf } from "../sending/policy.js";
import { sendOfToken } from "../sending/unsubscribe.js";
import { NOT_FOUND_PAGE } from "../tracking/answers.js";
import { emailEventSinkOf } from "../webhooks/sink.js";

/** Tokens are a send id and a short signature; anything longer is not one (no HMAC work). */
const MAX_TOKEN = 96;
const HEADERS = { "Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer" };

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222">
<h1>${title}</h1>${body}</body></html>`;

// A GET only asks: link scanners and previews fetch every URL in an email, and must not
// unsubscribe anyone. The button POSTs what a mailbox provider's one-click POST sends.
const CONFIRM_PAGE = page(
  "Unsubscribe",
  `<p>Stop receiving these emails?</p><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit" style="font-size:1rem;padding:.5rem 1rem">Unsubscribe</button></form>`,
);
const DONE_PAGE = page("You are unsubscribed", "<p>You will not receive these emails any more.</p>");

async function sendOf(c: Context<AppEnv>): Promise<string | null> {
  const token = c.req.param("token") ?? "";
  if (token.length > MAX_TOKEN) return null;
  return sendOfToken(c.get("services").signer, token);
}

const notFound = (c: Context<AppEnv>) => c.html(NOT_FOUND_PAGE, 404, HEADERS);

/**
 * GET|POST /u/:token — the one-click unsubscribe every sent email carries (List-Unsubscribe,
 * RFC 8058). The POST records an `unsubscribe` for the person the send went to, like an
 * ESP's unsubscribe webhook: consent refused for email, queued sends to them stopped.
 */
export function registerUnsubscribe(app: App): void {
  app.get("/u/:token", async (c) => ((await sendOf(c)) ? c.html(CONFIRM_PAGE, 200, HEADERS) : notFound(c)));
  app.post("/u/:token", async (c) => {
    const sendId = await sendOf(c);
    if (!sendId) return notFound(c);
    const services = c.get("services");
    const send = await services.sendingService?.store.sends.get(sendId);
    // Erased since, or never stored: there is no one left to unsubscribe.
    const profile = send && (await services.profiles?.find(send.profileId, { history: false }));
    const email = profile ? addressOf(profile, "email") : undefined;
    const sink = emailEventSinkOf(services);
    if (send && email && sink) {
      const event: EmailEvent = {
        provider: "opentime",
        type: "unsubscribe",
        email,
        at: services.clock.now(),
        id: `unsubscribe:${sendId}`,
        sendId,
        campaign: send.campaign,
      };
      await sink([event]);
      services.signals.emit({ type: "email", event });
    }
    return c.html(DONE_PAGE, 200, HEADERS);
  });
}
