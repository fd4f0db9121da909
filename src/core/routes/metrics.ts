import type { App } from "../app-env.js";

export function registerMetrics(app: App): void {
  app.get("/metrics", (c) => {
    const { metrics } = c.get("services");
    return c.body(metrics.render(), 200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
  });
}
