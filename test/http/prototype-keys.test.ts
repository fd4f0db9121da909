import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

// Operator inputs whose strings index lookup tables: "__proto__" and "constructor" must be
// ordinary unknown names (a clear answer), never Object.prototype's members.
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.cleanup());

const raw = (path: string, body: string) =>
  s.api(path, { method: "POST", headers: { "content-type": "application/json" }, body });

describe("Object.prototype's names in operator input", () => {
  it("a link with the scheme constructor: is skipped as an unsupported scheme", async () => {
    const res = await s.api("/v1/emails/wrap", {
      method: "POST",
      json: {
        campaign: "proto",
        dialect: "none",
        html: '<html><body><a href="constructor:x">a</a><a href="valueof:y">b</a></body></html>',
      },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.skipped).toEqual([
      { url: "constructor:x", reason: "unsupported_scheme" },
      { url: "valueof:y", reason: "unsupported_scheme" },
    ]);
  });

  it("a banner layout styling __proto__ or constructor is a 400 naming the property, not a 500", async () => {
    for (const prop of ["__proto__", "constructor"]) {
      const res = await raw(
        "/v1/blocks",
        `{"type":"banner","options":{"headline":"Hi","layout":{"type":"div","style":{"${prop}":1},"children":"x"}}}`,
      );
      expect(res.status, await res.clone().text()).toBe(400);
      expect(((await res.json()) as any).error.message).toContain(
        `style.${prop}: not an allowed style property`,
      );
    }
  });
});
