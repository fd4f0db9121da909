import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../helpers/server.js";
import {
  basic,
  OTHER_WRITE_KEY,
  post,
  postOnce,
  SegmentStyleClient,
  startIngestServer,
  WRITE_KEY,
} from "./helpers.js";

let s: TestServer;
beforeAll(async () => {
  s = await startIngestServer();
});
afterAll(async () => {
  await s.cleanup();
});

const profile = async (id: string) => {
  const res = await s.api(`/v1/profiles/${encodeURIComponent(id)}`);
  expect(res.status, `GET /v1/profiles/${id}`).toBe(200);
  return (await res.json()) as any;
};
const errorOf = async (res: Response) => ((await res.json()) as any).error;

describe("Segment-compatible ingestion", () => {
  it("an unmodified Segment-style client (analytics-node wire format) works end to end", async () => {
    const client = new SegmentStyleClient(WRITE_KEY, s.url);
    client.identify({ userId: "seg-1", traits: { email: "Seg@Example.com", plan: "pro" } });
    client.track({
      userId: "seg-1",
      event: "Product Viewed",
      properties: { product_id: "sku-1", category: "Shoes", price: 80 },
    });
    client.page({ userId: "seg-1", name: "Checkout" });
    client.screen({ userId: "seg-1", name: "Home" });
    client.group({ userId: "seg-1", groupId: "acme", traits: { name: "Acme" } });
    client.alias({ userId: "seg-1", previousId: "anon-seg" });
    const res = await client.closeAndFlush();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    // The profile is updated as part of the 200: no waiting.
    const p = await profile("seg@example.com");
    expect(p.userId).toBe("seg-1");
    expect(p.traits).toMatchObject({ plan: "pro" });
    expect(p.groups.acme.traits).toEqual({ name: "Acme" });
    expect(p.counts).toMatchObject({
      events: 6,
      identify: 1,
      track: 1,
      page: 1,
      screen: 1,
      group: 1,
      alias: 1,
    });
    expect(p.identities.anonymousIds).toEqual(["anon-seg"]);
    expect(p.interests.products[0].id).toBe("sku-1");
  });

  it("every single-event route answers { success: true } and accepts the write key in the body", async () => {
    const cases: [string, object][] = [
      ["/v1/track", { userId: "r1", event: "Signed Up" }],
      ["/v1/identify", { userId: "r1", traits: { name: "R" } }],
      ["/v1/page", { userId: "r1", name: "Home" }],
      ["/v1/screen", { anonymousId: "r1-anon", name: "Home" }],
      ["/v1/group", { userId: "r1", groupId: "g1" }],
      ["/v1/alias", { userId: "r1", previousId: "r1-anon" }],
    ];
    for (const [path, body] of cases) {
      const res = await post(s, path, { ...body, writeKey: OTHER_WRITE_KEY }, null);
      expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
      expect(await res.json()).toEqual({ success: true });
    }
    const p = await profile("r1");
    expect(p.counts.events).toBe(6);
    expect(p.identities.anonymousIds).toEqual(["r1-anon"]);
    // The write key is never stored with the events.
    const exp = (await (await s.api("/v1/profiles/r1/export")).json()) as any;
    expect(JSON.stringify(exp)).not.toContain(OTHER_WRITE_KEY);
  });

  it("refuses missing and wrong write keys, and the operator key is not a write key", async () => {
    const body = { userId: "x", event: "E" };
    for (const auth of [
      undefined,
      basic("wrong-key"),
      `Bearer ${WRITE_KEY}`,
      "Basic !!!",
      `Bearer test-api-key-0123456789abcdefghijkl`,
    ]) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (auth) headers.authorization = auth;
      const res = await fetch(`${s.url}/v1/track`, { method: "POST", headers, body: JSON.stringify(body) });
      expect(res.status, String(auth)).toBe(401);
      expect((await errorOf(res)).code).toBe("unauthorized");
    }
  });

  it("operator routes still need the bearer key; a write key does not open them", async () => {
    for (const [method, path] of [
      ["GET", "/v1/profiles/x"],
      ["DELETE", "/v1/profiles/x"],
      ["GET", "/v1/profiles/x/export"],
      ["POST", "/v1/links"],
      ["GET", "/v1/campaigns/c/stats"],
      ["POST", "/v1/track/"],
      ["POST", "/v1/batch/x"],
    ] as const) {
      for (const headers of [{}, { authorization: basic(WRITE_KEY) }] as Record<string, string>[]) {
        const res = await fetch(`${s.url}${path}`, { method, headers });
        expect(res.status, `${method} ${path}`).toBe(401);
      }
    }
  });

  it("answers bad input with clear 4xx JSON errors", async () => {
    const bad: [string, unknown, number, string][] = [
      ["/v1/track", "{not json", 400, "invalid_json"],
      ["/v1/track", [1, 2], 400, "validation_failed"],
      ["/v1/track", { event: "E" }, 400, "validation_failed"], // no user id
      ["/v1/track", { userId: "u" }, 400, "validation_failed"], // no event
      ["/v1/track", { userId: { id: 1 }, event: "E" }, 400, "validation_failed"],
      ["/v1/track", { userId: "u", event: "E", properties: [1] }, 400, "validation_failed"],
      ["/v1/track", { userId: "u", event: "E", timestamp: "yesterday" }, 400, "validation_failed"],
      ["/v1/alias", { userId: "u" }, 400, "validation_failed"],
      ["/v1/group", { userId: "u" }, 400, "validation_failed"],
      ["/v1/batch", { batch: "nope" }, 400, "validation_failed"],
      ["/v1/batch", { batch: [] }, 400, "validation_failed"],
      ["/v1/batch", { batch: [{ type: "explode", userId: "u" }] }, 400, "validation_failed"],
    ];
    for (const [path, body, status, code] of bad) {
      const res = await post(s, path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      const err = await errorOf(res);
      expect(err.code).toBe(code);
      expect(err.message.length).toBeGreaterThan(5);
    }
  });

  it("limits: 32 KB per event and 500 KB per batch → 400 (Segment clients do not retry a 400)", async () => {
    const big = "x".repeat(33 * 1024);
    let once = await postOnce(s, "/v1/track", { userId: "u", event: "E", properties: { big } });
    expect(once.status).toBe(400);
    expect(once.json.error.message).toContain("32 KB");
    once = await postOnce(s, "/v1/batch", {
      batch: Array.from({ length: 20 }, () => ({
        type: "track",
        userId: "u",
        event: "E",
        properties: { s: "y".repeat(30_000) },
      })),
    });
    expect(once.status).toBe(400);
    expect(once.json.error.message).toContain("500 KB");
    // Inside a batch under 500 KB, one oversize event is rejected by index; the rest go in.
    const res = await post(s, "/v1/batch", {
      batch: [
        { type: "track", userId: "lim", event: "Ok" },
        { type: "track", userId: "lim", event: "E", properties: { big } },
      ],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      success: true,
      accepted: 1,
      rejected: [{ index: 1, code: "event_too_large", message: expect.stringContaining("32 KB") }],
    });
  });

  it("a batch with bad events accepts the good ones and reports the bad ones by index", async () => {
    const res = await post(s, "/v1/batch", {
      batch: [
        { type: "track", userId: "mix", event: "Product Viewed", messageId: "mix-1" },
        { type: "track", userId: "mix" },
        { type: "unknown", userId: "mix" },
        { type: "page", userId: "mix", timestamp: "1999-01-01T00:00:00Z" },
        { type: "identify", userId: "mix", traits: { a: 1 } },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r: any) => [r.index, r.code])).toEqual([
      [1, "validation_failed"],
      [2, "validation_failed"],
      [3, "timestamp_out_of_range"],
    ]);
    expect((await profile("mix")).counts.events).toBe(2);
  });

  it("corrects client clock skew: timestamp = receivedAt − (sentAt − originalTimestamp)", async () => {
    // The client's clock is 2 hours fast; the event happened 5 s before it was sent.
    const skew = 2 * 3_600_000;
    const sentAt = Date.now() + skew;
    const res = await post(s, "/v1/batch", {
      sentAt: new Date(sentAt).toISOString(),
      batch: [
        {
          type: "track",
          userId: "skew",
          event: "Product Viewed",
          timestamp: new Date(sentAt - 5000).toISOString(),
          messageId: "skew-1",
        },
      ],
    });
    expect(res.status).toBe(200);
    const exp = (await (await s.api("/v1/profiles/skew/export")).json()) as any;
    const ev = exp.events[0];
    expect(Math.abs(ev.at - (ev.receivedAt - 5000))).toBeLessThan(5);
    expect(ev.body.originalTimestamp).toBe(new Date(sentAt - 5000).toISOString());
  });

  it("rejects timestamps absurdly far off, even after correction", async () => {
    const future = await post(s, "/v1/track", { userId: "t", event: "E", timestamp: "2999-01-01T00:00:00Z" });
    expect(future.status).toBe(400);
    expect((await errorOf(future)).message).toMatch(/future/);
    const past = await post(s, "/v1/track", {
      userId: "t",
      event: "E",
      timestamp: "1970-01-01T00:00:00Z",
      sentAt: "1970-01-01T00:00:00Z",
    });
    expect(past.status).toBe(200); // a client whose clock says 1970 is corrected by sentAt
  });

  it("deduplicates by messageId, durably", async () => {
    const ev = {
      userId: "dupe",
      event: "Order Completed",
      messageId: "order-msg-1",
      properties: { order_id: "o-1", total: 10 },
    };
    for (let i = 0; i < 3; i++) expect((await post(s, "/v1/track", ev)).status).toBe(200);
    await post(s, "/v1/batch", {
      batch: [
        { ...ev, type: "track" },
        { ...ev, type: "track" },
      ],
    });
    const p = await profile("dupe");
    expect(p.counts.events).toBe(1);
    expect(p.purchases.ltv.USD).toBe(10);
  });
});
