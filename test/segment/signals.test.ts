import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Signal } from "../../src/core/ports/signals.js";
import { createMemorySignals } from "../../src/core/signals/memory-signals.js";
import { startTestServer, type TestServer, UA } from "../helpers/server.js";
import { post, WRITE_KEY } from "./helpers.js";

const heard: Signal[] = [];
let s: TestServer;
beforeAll(async () => {
  const signals = createMemorySignals();
  signals.on((sig) => heard.push(sig));
  s = await startTestServer({ OPENTIME_WRITE_KEY: WRITE_KEY }, undefined, { signals });
});
afterAll(async () => {
  await s.cleanup();
});

describe("what flows hear: signals from ingestion and from opens and clicks", () => {
  it("each stored Segment event is heard once, after its commit, with the profile it went to", async () => {
    heard.length = 0;
    const batch = {
      batch: [
        { type: "identify", userId: "sig-1", traits: { email: "sig@example.com" }, messageId: "sig-m1" },
        {
          type: "track",
          userId: "sig-1",
          event: "Product Viewed",
          properties: { product_id: "p1" },
          messageId: "sig-m2",
        },
        { type: "track", anonymousId: "anon-sig", event: "Cart Viewed", properties: {}, messageId: "sig-m3" },
        {
          type: "track",
          userId: "sig-1",
          event: "Product Viewed",
          properties: { product_id: "p1" },
          messageId: "sig-m2",
        },
      ],
    };
    expect((await post(s, "/v1/batch", batch)).status).toBe(200);
    const events = heard.filter((h) => h.type === "event") as Extract<Signal, { type: "event" }>[];
    expect(events.map((e) => [e.kind, e.name, e.messageId])).toEqual([
      ["identify", "identify", "sig-m1"],
      ["track", "Product Viewed", "sig-m2"],
      ["track", "Cart Viewed", "sig-m3"],
    ]);
    expect(events[0]!.properties).toEqual({ email: "sig@example.com" });
    expect(events[1]!.properties).toEqual({ product_id: "p1" });
    const profile = (await (await s.api("/v1/profiles/sig-1")).json()) as { id: string };
    expect(events[0]!.profileId).toBe(profile.id);
    expect(events[1]!.profileId).toBe(profile.id);
    expect(events[2]!.profileId).not.toBe(profile.id);
    // Sent again (an SDK's retry): stored once, so heard once.
    heard.length = 0;
    expect((await post(s, "/v1/batch", batch)).status).toBe(200);
    expect(heard.filter((h) => h.type === "event")).toEqual([]);
  });

  it("an alias in the same batch moves the earlier event to the surviving profile", async () => {
    heard.length = 0;
    const batch = {
      batch: [
        {
          type: "track",
          anonymousId: "anon-merge",
          event: "Product Viewed",
          properties: {},
          messageId: "mg-1",
        },
        { type: "identify", userId: "merge-user", anonymousId: "anon-merge", traits: {}, messageId: "mg-2" },
      ],
    };
    expect((await post(s, "/v1/batch", batch)).status).toBe(200);
    const profile = (await (await s.api("/v1/profiles/merge-user")).json()) as { id: string };
    const ids = heard.filter((h) => h.type === "event").map((h) => (h as { profileId: string }).profileId);
    expect(ids).toEqual([profile.id, profile.id]);
  });

  it("opens and clicks with a recipient are heard with their class", async () => {
    heard.length = 0;
    const link = (await (
      await s.api("/v1/links", { method: "POST", json: { url: "https://shop.example/s", campaign: "sig" } })
    ).json()) as { url: string; id: string };
    await fetch(`${s.url}/o/sig.gif?u=r1`, { headers: { "user-agent": UA.gmailProxy } });
    await fetch(`${link.url}?u=r1`, { redirect: "manual", headers: { "user-agent": UA.chromeDesktop } });
    await fetch(`${s.url}/o/sig.gif`, { headers: { "user-agent": UA.iphoneSafari } }); // no recipient
    const hits = heard.filter((h) => h.type === "open" || h.type === "click");
    expect(hits).toEqual([
      expect.objectContaining({ type: "open", recipient: "r1", campaign: "sig", class: "gmail_proxy" }),
      expect.objectContaining({ type: "click", recipient: "r1", campaign: "sig", linkId: link.id }),
    ]);
  });
});
