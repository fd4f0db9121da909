import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { mailgunSigned } from "../helpers/webhooks.js";

// End to end with no stand-ins: a signed ESP webhook → the real profile service and its
// SQLite store → what an operator reads back from GET /v1/profiles/:id.
const KEY = "key-e2e-0123456789abcdef0123456789";
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ OPENTIME_MAILGUN_SIGNING_KEY: KEY });
});
afterAll(() => s.cleanup());

const post = (data: unknown) =>
  fetch(`${s.url}/v1/webhooks/mailgun`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(mailgunSigned(KEY, data)),
  });

describe("ESP webhooks feed the live profile", () => {
  it("applies events durably before answering, once per provider event id", async () => {
    const open = {
      event: "opened",
      id: "ev-open-1",
      timestamp: 1767261600,
      recipient: "Ann@X.com",
      "user-variables": { rid: "r_42" },
    };
    const bounce = {
      event: "failed",
      severity: "permanent",
      reason: "bounce",
      id: "ev-bounce-1",
      timestamp: 1767261700,
      recipient: "ann@x.com",
    };
    for (const data of [open, bounce]) {
      const res = await post(data);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toEqual({ accepted: 1, ignored: 0 });
    }
    // ESPs retry: the same event under a fresh signature/token is deduplicated downstream.
    expect((await post(open)).status).toBe(200);

    const res = await s.api("/v1/profiles/ann@x.com");
    expect(res.status).toBe(200);
    const p = (await res.json()) as any;
    expect(p.email).toMatchObject({ opens: 1, bounces: 1 });
    expect(JSON.stringify(p.suppressions)).toContain("hard_bounce");
  });
});
