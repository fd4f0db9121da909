import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_EVENT_DEPTH } from "../../src/core/segment/event.js";
import type { TestServer } from "../helpers/server.js";
import { post, startIngestServer } from "./helpers.js";

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

/** `{"a":{"a":…1…}}`, `levels` objects deep, as raw JSON (no recursion to build or send it). */
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;

describe("events nested thousands of levels deep", () => {
  it("reject only that event; the rest of the batch is stored and the answer says which and why", async () => {
    // ~4,000 levels in 20 KB: it overflowed a recursive walk after parsing and the whole
    // batch got a 500, on every retry.
    const body = `{"batch":[
      {"type":"track","userId":"deep-1","event":"Product Viewed","messageId":"deep-ok-1"},
      {"type":"track","userId":"deep-1","event":"Deep","messageId":"deep-bad","properties":{"p":${nested(4000)}}},
      {"type":"identify","userId":"deep-1","messageId":"deep-ok-2","traits":{"plan":"pro"}}]}`;
    const res = await post(s, "/v1/batch", body);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({
      success: true,
      accepted: 2,
      rejected: [
        { index: 1, code: "nesting_too_deep", message: expect.stringContaining(`${MAX_EVENT_DEPTH} levels`) },
      ],
    });
    const p = await profile("deep-1");
    expect(p.counts).toMatchObject({ events: 2, track: 1, identify: 1 });
    expect(p.traits.plan).toBe("pro");

    // At the bound it is an ordinary event (the event object is level 1, properties level 2).
    const ok = await post(
      s,
      "/v1/track",
      `{"userId":"deep-1","event":"Fine","properties":{"p":${nested(MAX_EVENT_DEPTH - 2)}}}`,
    );
    expect(ok.status, await ok.clone().text()).toBe(200);
  });

  it("a single-event route answers 400 naming the reason; the server keeps serving", async () => {
    for (const [path, field] of [
      ["/v1/track", `"event":"E","properties":{"p":${nested(5000)}}`],
      ["/v1/identify", `"traits":{"t":${nested(5000)}}`],
      ["/v1/group", `"groupId":"g","traits":{"t":${nested(5000)}}`],
    ] as const) {
      const res = await post(s, path, `{"userId":"deep-2",${field}}`);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as any).error).toMatchObject({
        code: "bad_request",
        details: { reason: "nesting_too_deep" },
      });
    }
    expect((await post(s, "/v1/track", { userId: "deep-2", event: "After" })).status).toBe(200);
    expect((await profile("deep-2")).counts.events).toBe(1);
  });
});

describe("user strings that are Object.prototype's names", () => {
  it("__proto__, constructor and toString are ordinary product ids, categories, traits, groups and currencies", async () => {
    const names = ["__proto__", "constructor", "toString"];
    const events = names.flatMap((n, i) => [
      `{"type":"track","userId":"proto-1","event":"Product Viewed","properties":{"product_id":"${n}","category":"${n}"}}`,
      `{"type":"track","userId":"proto-1","event":"Product Added","properties":{"product_id":"${n}","price":${i + 1}}}`,
      `{"type":"group","userId":"proto-1","groupId":"${n}","traits":{"name":"${n}"}}`,
      `{"type":"track","userId":"proto-1","event":"Order Completed","properties":{"order_id":"o-${i}","total":10,"currency":"${n}"}}`,
    ]);
    events.push(
      `{"type":"identify","userId":"proto-1","traits":{"__proto__":"a","constructor":"b","toString":"c","plan":"pro"}}`,
      // Event names are looked up in the e-commerce tables: these are not e-commerce events.
      `{"type":"track","userId":"proto-2","event":"constructor","properties":{"product_id":"x"}}`,
      `{"type":"track","userId":"proto-2","event":"__proto__","properties":{"product_id":"x"}}`,
    );
    const res = await post(s, "/v1/batch", `{"batch":[${events.join(",")}]}`);
    expect(res.status, await res.clone().text()).toBe(200);

    const p = await profile("proto-1");
    expect(p.interests.products.map((x: any) => x.id).sort()).toEqual([...names].sort());
    expect(p.interests.categories.map((x: any) => x.id).sort()).toEqual([...names].sort());
    expect(Object.keys(p.groups).sort()).toEqual([...names].sort());
    expect(Object.entries(p.traits).sort()).toEqual([
      ["__proto__", "a"],
      ["constructor", "b"],
      ["plan", "pro"],
      ["toString", "c"],
    ]);
    // 10 per order, three orders, each in its own currency (upper-cased).
    expect(Object.entries(p.purchases.ltv).sort()).toEqual([
      ["CONSTRUC", 10],
      ["TOSTRING", 10],
      ["__PROTO_", 10],
    ]);
    const other = await profile("proto-2");
    expect(other.intent.score).toBe(0);
    expect(other.interests.products).toEqual([]);
    expect(other.counts).toMatchObject({ events: 2, track: 2 });
  });
});
