import { BLOCK_OPTIONS, KEYS, type World } from "./world.js";

/**
 * Valid request bodies the fuzz mutates, by "METHOD /openapi/path" (or a path with its
 * parameters filled, for bodies that differ by parameter, as webhooks by provider). Routes without seeds
 * here still get bodies drawn from their OpenAPI schema (fuzz-schema.ts), so a new route is
 * fuzzed without an edit; seeds reach deeper (past the validation a schema-drawn body may
 * fail). The fuzz sends each seed once unmutated first and reports any that a route
 * refuses, so a seed that goes stale shows.
 */
export function seedBodies(world: World, now: number): Record<string, unknown[]> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const track = {
    type: "track",
    userId: "rel-user-0",
    event: "Order Completed",
    properties: {
      order_id: "o-1",
      total: 99.5,
      currency: "EUR",
      products: [{ product_id: "rel-sku-1", price: 79.9, quantity: 1, name: "Trail shoe" }],
    },
    timestamp: iso(now - 60_000),
    messageId: "seed-track-1",
    context: { library: { name: "analytics-node", version: "2.1.2" }, ip: "203.0.113.9" },
  };
  const identify = {
    type: "identify",
    userId: "rel-user-1",
    anonymousId: "anon-1",
    traits: {
      email: "bob@example.com",
      first_name: "Bob",
      address: { city: "Berlin" },
      lat: 52.5,
      lon: 13.4,
    },
  };
  return {
    "POST /v1/links": [
      {
        url: "https://shop.example/sale?x=1",
        campaign: "rel-fuzz",
        utm: { source: "email", medium: "opentime" },
      },
      { url: "http://a.example/p" },
    ],
    "POST /v1/emails/wrap": [
      {
        html: '<html><body><a href="https://shop.example/a">A</a> <a href="https://shop.example/unsubscribe">U</a><img src="https://cdn.example/x.png"></body></html>',
        campaign: "rel-fuzz",
        dialect: "mailchimp",
      },
      {
        html: '<a href="http://b.example/?q=1&amp;r=2">B</a>',
        campaign: "rel-fuzz",
        dialect: "klaviyo",
        openPixel: false,
      },
    ],
    "POST /v1/blocks": Object.values(BLOCK_OPTIONS),
    [`PATCH /v1/blocks/${world.blocks.banner}`]: [{ options: { headline: "Changed {{first_name|you}}" } }],
    [`PATCH /v1/blocks/${world.blocks.countdown}`]: [
      { options: { deadline: "2031-01-01T00:00:00Z" } },
      { options: { variants: null } },
    ],
    "POST /v1/sign": [
      { type: "countdown", options: { deadline: "2030-01-01T00:00:00Z", frames: 2 }, format: "png" },
      { type: "countdown", options: { evergreen: { duration: 600, from: "param", param: "t" } } },
    ],
    "PUT /v1/products": [
      {
        products: [
          { id: "rel-sku-1", name: "Trail shoe", price: 69.9, currency: "EUR", compareAtPrice: 99, stock: 3 },
          {
            id: "rel-fuzz-2",
            name: "Cap",
            price: 15,
            currency: "USD",
            tags: ["hat"],
            url: "https://shop.example/cap",
          },
        ],
      },
    ],
    "POST /v1/products/import": [
      // OPENTIME_FETCH_ALLOW is empty here: refused before any fetch (nothing leaves loopback).
      { url: "https://feeds.example/products.csv", format: "csv", every: 60 },
    ],
    "POST /v1/track": [track],
    "POST /v1/identify": [identify],
    "POST /v1/page": [
      { userId: "rel-user-0", name: "Home", properties: { path: "/", url: "https://shop.example/" } },
    ],
    "POST /v1/screen": [{ anonymousId: "anon-2", name: "Cart" }],
    "POST /v1/group": [{ userId: "rel-user-0", groupId: "vip", traits: { name: "VIP" } }],
    "POST /v1/alias": [{ userId: "rel-user-0", previousId: "anon-1" }],
    "POST /v1/batch": [
      { batch: [track, identify, { type: "page", anonymousId: "anon-3", name: "Sale" }], sentAt: iso(now) },
    ],
    "POST /v1/recipients/sign": [{ recipients: ["ann@example.com", "carol@example.com"] }],
    "POST /v1/webhooks/postmark": [
      {
        RecordType: "Click",
        MessageID: "883953f4-6105-42a2-a16a-77a8eac79483",
        Recipient: "ann@example.com",
        OriginalLink: "https://shop.example/x",
        ReceivedAt: iso(now - 60_000),
        Metadata: { rid: "r_42" },
      },
    ],
    "POST /v1/webhooks/brevo": [
      { event: "opened", email: "bob@example.com", date: "2026-01-01 10:00:00", "message-id": "<m1@brevo>" },
    ],
  };
}

/** Credentials a webhook provider accepts here (tokens only: signed providers get none). */
export const WEBHOOK_AUTH = new Map<string, [string, string]>([
  ["postmark", ["X-Opentime-Token", KEYS.postmark]],
  ["brevo", ["Authorization", `Bearer ${KEYS.brevo}`]],
]);
