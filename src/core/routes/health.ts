import type { App } from "../app-env.js";

export function registerHealth(app: App): void {
  // Liveness: the process answers.
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  // Readiness: the store answers too; a load balancer should stop sending traffic otherwise.
  app.get("/readyz", async (c) => {
    const { store, logger } = c.get("services");
    let ok = false;
    try {
      ok = await store.ping();
    } catch (err) {
      logger.warn({ err }, "store ping failed");
    }
    return ok
      ? c.json({ status: "ready" })
      : c.json({ error: { code: "unavailable", message: "the store is not reachable" } }, 503);
  });
}
