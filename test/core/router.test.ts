import { describe, expect, it } from "vitest";
import { createApp } from "../../src/core/app.js";
import { Metrics } from "../../src/core/metrics.js";
import { createMemoryStore } from "../../src/core/testing/memory-store.js";
import { createRecorder } from "../../src/core/tracking/recorder.js";

describe("routing", () => {
  // Hono's SmartRouter uses RegExpRouter only if every route suits it; one pattern inside a
  // segment, or a literal registered after a parameter at the same place, silently moves the
  // whole app (the /c and /o hot paths included) onto the slower TrieRouter.
  it("every route suits RegExpRouter, so the app dispatches through it", async () => {
    const store = createMemoryStore();
    const app = createApp({
      config: { OPENTIME_API_KEY: "k".repeat(32), OPENTIME_SECRET: "s".repeat(32), publicUrl: "http://x" },
      store,
      recorder: createRecorder({ events: store.events }),
      metrics: new Metrics(),
    });
    expect((await app.request("/healthz")).status).toBe(200);
    expect(app.router.name).toBe("SmartRouter + RegExpRouter");
  });
});
