import type { App } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { WEBHOOK_PROVIDERS } from "../webhooks/index.js";
import { emailEventSinkOf } from "../webhooks/sink.js";

/**
 * POST /v1/webhooks/:provider — ESP event webhooks. Not behind the operator key: each
 * provider authenticates the way its ESP signs (see src/core/webhooks/*). The body is read
 * as raw bytes (bounded at 1 MB by the /v1 body limit) and verified before any JSON parse
 * of what it says. 200 is answered only after the events are applied, so an ESP retries
 * (on 5xx) anything we could not keep.
 */
export function registerWebhooks(app: App): void {
  app.post("/v1/webhooks/:provider", async (c) => {
    const services = c.get("services");
    const name = c.req.param("provider");
    const provider = services.webhookProviders.get(name);
    if (!provider) {
      throw (WEBHOOK_PROVIDERS as readonly string[]).includes(name)
        ? new ApiError("not_found", `${name} webhooks are not configured on this server`)
        : new ApiError("not_found", `unknown webhook provider; one of: ${WEBHOOK_PROVIDERS.join(", ")}`);
    }
    const body = new Uint8Array(await c.req.arrayBuffer());
    const result = await provider.receive({ headers: c.req.raw.headers, body, now: services.clock.now() });
    if (!result.ok) {
      services.logger.warn({ provider: name, code: result.code, reason: result.message }, "webhook refused");
      throw new ApiError(result.code, result.message);
    }
    if (result.events.length > 0) {
      const sink = emailEventSinkOf(services);
      try {
        if (!sink) throw new Error("no email event sink is configured");
        await sink(result.events);
      } catch (err) {
        result.release?.();
        services.logger.error({ err, provider: name }, "webhook events could not be applied");
        throw new ApiError("unavailable", "the events could not be applied; retry later");
      }
    }
    result.commit?.();
    // Applied and durable: now whoever acts on ESP events hears them (sending's attempts).
    for (const event of result.events) services.signals.emit({ type: "email", event });
    return c.json({ accepted: result.events.length, ignored: result.ignored, ...result.note });
  });
}
