import { afterAll, beforeAll, describe, expect, it } from "vitest";
import doc from "../../docs/openapi.json" with { type: "json" };
import { createApp } from "../../src/core/app.js";
import { Metrics } from "../../src/core/metrics.js";
import { createMemoryStore } from "../../src/core/testing/memory-store.js";
import { createRecorder } from "../../src/core/tracking/recorder.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * Hono routes whose single `:file` segment holds an id and an extension together: OpenAPI
 * path templates can split that (`{blockId}.{ext}`), Hono's router cannot, so the document
 * names the parts a client fills in and this table ties them back to the registered pattern.
 */
const DOCUMENTED_AS: Record<string, string> = {
  "/i/:file": "/i/{blockId}.{ext}",
  "/o/:file": "/o/{campaignId}.gif",
};
// The preview is one literal route per format (preview.png, preview.gif…), documented once.
const documentedAs = (path: string) =>
  DOCUMENTED_AS[path] ??
  (/^\/v1\/blocks\/:id\/preview\.\w+$/.test(path) ? "/v1/blocks/{id}/preview.{ext}" : undefined);

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function registeredPairs(): Set<string> {
  const store = createMemoryStore();
  const app = createApp({
    config: {
      OPENTIME_API_KEY: "k".repeat(32),
      OPENTIME_SECRET: "s".repeat(32),
      publicUrl: "http://localhost",
    },
    store,
    recorder: createRecorder({ events: store.events }),
    metrics: new Metrics(),
  });
  const pairs = new Set<string>();
  for (const r of app.routes) {
    // app.use(...) middleware is registered as ALL; routes with their own middleware
    // (Segment body limits) appear twice with the same method and path: the set dedupes.
    if (r.method === "ALL") continue;
    const path = documentedAs(r.path) ?? r.path.replace(/:(\w+)/g, "{$1}");
    pairs.add(`${r.method.toUpperCase()} ${path}`);
  }
  return pairs;
}

function documentedPairs(): Set<string> {
  const pairs = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const m of Object.keys(item)) if (METHODS.includes(m)) pairs.add(`${m.toUpperCase()} ${path}`);
  }
  return pairs;
}

describe("GET /openapi.json", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.cleanup();
  });

  it("serves the OpenAPI 3.1 document without a key", async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as typeof doc;
    expect(body.openapi).toMatch(/^3\.1\.\d+$/);
    expect(body).toEqual(doc);
  });

  it("documents every registered route and method, and nothing else", () => {
    const registered = registeredPairs();
    const documented = documentedPairs();
    expect([...registered].filter((p) => !documented.has(p)).sort(), "registered but not documented").toEqual(
      [],
    );
    expect([...documented].filter((p) => !registered.has(p)).sort(), "documented but not registered").toEqual(
      [],
    );
    expect(registered.size).toBeGreaterThan(20);
  });

  it("documents the error codes of src/core/http/errors.ts", async () => {
    const { ERROR_STATUS } = await import("../../src/core/http/errors.js");
    const codes = doc.components.schemas.Error.properties.error.properties.code.enum;
    expect([...codes].sort()).toEqual(Object.keys(ERROR_STATUS).sort());
  });
});
