import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestServer } from "../helpers/server.js";
import { post, startIngestServer } from "./helpers.js";

let s: TestServer;
beforeAll(async () => {
  s = await startIngestServer();
});
afterAll(async () => {
  await s.cleanup();
});

const shoe = {
  product_id: "507f1f77",
  sku: "G-32",
  category: "Shoes",
  name: "Runner",
  brand: "Gamma",
  variant: "red",
  price: 80,
  quantity: 1,
  currency: "usd",
  position: 3,
  url: "https://shop.example/p/507f1f77",
  image_url: "https://shop.example/i.png",
};
const hat = { product_id: "hat-1", sku: "H-1", category: "Hats", name: "Cap", price: 20, quantity: 2 };

/** The E-commerce v2 funnel of spec/ecommerce/v2.md, in order, with its documented properties. */
const FUNNEL: [string, object][] = [
  ["Products Searched", { query: "running shoes" }],
  ["Product List Viewed", { list_id: "hot", category: "Shoes", products: [shoe, hat] }],
  [
    "Product List Filtered",
    { list_id: "hot", category: "Shoes", filters: [{ type: "size", value: "42" }], products: [shoe] },
  ],
  [
    "Promotion Viewed",
    { promotion_id: "promo_1", creative: "top_banner", name: "75% sale", position: "home_top" },
  ],
  [
    "Promotion Clicked",
    { promotion_id: "promo_1", creative: "top_banner", name: "75% sale", position: "home_top" },
  ],
  ["Product Clicked", shoe],
  ["Product Viewed", shoe],
  ["Product Added to Wishlist", { wishlist_id: "w1", wishlist_name: "Later", ...hat }],
  ["Wishlist Product Added to Cart", { wishlist_id: "w1", cart_id: "cart-1", ...hat }],
  ["Product Removed from Wishlist", { wishlist_id: "w1", ...hat }],
  ["Product Added", { cart_id: "cart-1", ...shoe }],
  ["Product Added", { cart_id: "cart-1", ...shoe }],
  ["Product Removed", { cart_id: "cart-1", ...shoe }],
  ["Cart Viewed", { cart_id: "cart-1", products: [shoe, hat] }],
  ["Coupon Entered", { order_id: "ord-1", cart_id: "cart-1", coupon_id: "SAVE" }],
  ["Coupon Applied", { order_id: "ord-1", cart_id: "cart-1", coupon_id: "SAVE", discount: 5 }],
  [
    "Checkout Started",
    {
      order_id: "ord-1",
      value: 120,
      revenue: 120,
      shipping: 3,
      tax: 2,
      discount: 5,
      coupon: "SAVE",
      currency: "USD",
      products: [shoe, hat],
    },
  ],
  [
    "Checkout Step Viewed",
    { checkout_id: "chk-1", step: 2, shipping_method: "Fedex", payment_method: "Visa" },
  ],
  [
    "Checkout Step Completed",
    { checkout_id: "chk-1", step: 2, shipping_method: "Fedex", payment_method: "Visa" },
  ],
  ["Payment Info Entered", { checkout_id: "chk-1", order_id: "ord-1", step: 3, payment_method: "Visa" }],
  [
    "Order Completed",
    {
      checkout_id: "chk-1",
      order_id: "ord-1",
      affiliation: "Shop",
      subtotal: 115,
      total: 120,
      revenue: 115,
      shipping: 3,
      tax: 2,
      discount: 5,
      coupon: "SAVE",
      currency: "USD",
      products: [shoe, hat],
    },
  ],
  ["Order Completed", { order_id: "ord-2", total: 40, currency: "USD", products: [hat] }],
  ["Order Updated", { order_id: "ord-2", total: 60, currency: "USD", products: [hat] }],
  ["Order Refunded", { order_id: "ord-1", total: 20, currency: "USD" }],
  ["Order Completed", { order_id: "ord-3", total: 30, currency: "USD" }],
  ["Order Cancelled", { order_id: "ord-3", total: 30, currency: "USD" }],
  ["Product Shared", { share_via: "email", ...shoe }],
  ["Product Reviewed", { product_id: "507f1f77", review_id: "r1", review_body: "Great", rating: "5" }],
];

describe("E-commerce v2 events reach the profile", () => {
  it("accepts every spec event with its properties and builds cart, orders, LTV, interests and intent", async () => {
    const t0 = Date.now() - FUNNEL.length * 1000;
    const res = await post(s, "/v1/batch", {
      batch: FUNNEL.map(([event, properties], i) => ({
        type: "track",
        userId: "shopper",
        event,
        properties,
        messageId: `ec-${i}`,
        timestamp: new Date(t0 + i * 1000).toISOString(),
      })),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ success: true });
    const p = (await (await s.api("/v1/profiles/shopper")).json()) as any;
    expect(p.counts.track).toBe(FUNNEL.length);
    expect(p.history.length).toBe(FUNNEL.length);
    expect(p.history[0].event).toBe("Product Reviewed"); // recent first
    expect(p.history.map((h: any) => h.event)).toEqual(FUNNEL.map(([e]) => e).reverse());
    // Orders: ord-1 120 − 20 refunded, ord-2 updated 40 → 60, ord-3 cancelled.
    expect(p.purchases.count).toBe(3);
    expect(p.purchases.ltv.USD).toBe(160);
    expect(p.purchases.orders.map((o: any) => [o.orderId, o.status, o.amount])).toEqual([
      ["ord-3", "cancelled", 0],
      ["ord-2", "updated", 60],
      ["ord-1", "completed", 100],
    ]);
    // The order emptied the cart; the wishlist lost its hat again.
    expect(p.cart).toBeNull();
    expect(p.wishlist).toEqual([]);
    expect(p.intent.score).toBe(0); // satisfied by the last purchase
    expect(p.interests.products[0].id).toBe("507f1f77");
    expect(p.interests.categories.map((c: any) => c.id)).toEqual(["Shoes", "Hats"]);
    expect(p.engagement.score).toBeGreaterThan(0);
    expect(p.session.active).toBe(true);
    expect(p.session.views.map((v: any) => v.productId)).toEqual(["507f1f77", "507f1f77"]);
  });

  it("keeps a live cart between Product Added / Removed / Cart Viewed, with intent rising", async () => {
    const send = (event: string, properties: object) =>
      post(s, "/v1/track", { userId: "carter", event, properties });
    await send("Product Viewed", shoe);
    const viewIntent = ((await (await s.api("/v1/profiles/carter")).json()) as any).intent.score;
    await send("Product Added", { cart_id: "c9", ...shoe, quantity: 2 });
    await send("Product Added", { cart_id: "c9", ...hat });
    await send("Product Removed", { cart_id: "c9", ...shoe, quantity: 1 });
    const p = (await (await s.api("/v1/profiles/carter")).json()) as any;
    expect(p.cart.cartId).toBe("c9");
    expect(p.cart.items.map((i: any) => [i.productId, i.quantity])).toEqual([
      ["507f1f77", 1],
      ["hat-1", 2],
    ]);
    expect(p.cart.value).toBe(120);
    expect(p.intent.score).toBeGreaterThan(viewIntent);
  });
});
