import type { CartItem, Profile } from "../ports/profiles.js";
import { table } from "../util/dict.js";
import { addLtv } from "./bounds.js";
import {
  addDecayed,
  bumpInterest,
  ENGAGEMENT_WEIGHT,
  HALF_LIFE,
  MAX_CART_ITEMS,
  MAX_ORDERS,
  MAX_SESSION_VIEWS,
  MAX_WISHLIST,
  pushUnique,
} from "./model.js";

/**
 * Segment E-commerce v2 (spec/ecommerce/v2.md) applied to a profile. Names are matched
 * case-insensitively with `_` as a space, so "order_completed" works as "Order Completed".
 *
 * Purchase intent weights follow the funnel: browsing < product view < cart < checkout.
 * Interest weights: a view 1, a wishlist 2, a cart add 3, a purchase 5.
 */
const INTENT = table({
  "products searched": 0.1,
  "product list viewed": 0.1,
  "product list filtered": 0.1,
  "promotion viewed": 0.02,
  "promotion clicked": 0.1,
  "product clicked": 0.2,
  "product viewed": 0.25,
  "product added to wishlist": 0.3,
  "wishlist product added to cart": 0.8,
  "product added": 0.8,
  "cart viewed": 0.5,
  "checkout started": 1.2,
  "checkout step viewed": 1.2,
  "checkout step completed": 1.2,
  "payment info entered": 1.5,
  "coupon entered": 0.5,
  "coupon applied": 0.5,
});
export const BROWSE_INTENT = 0.05;

const INTEREST = table({
  "product viewed": 1,
  "product clicked": 1,
  "product added to wishlist": 2,
  "product added": 3,
  "wishlist product added to cart": 3,
  "product reviewed": 2,
  "product shared": 2,
});

export const eventKey = (name: string) => name.trim().toLowerCase().replace(/_/g, " ");

const str = (v: unknown): string | undefined =>
  typeof v === "string" && v ? v.slice(0, 200) : typeof v === "number" ? String(v) : undefined;
const num = (v: unknown): number | undefined => {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
};
const products = (props: Record<string, unknown>): Record<string, unknown>[] =>
  Array.isArray(props.products)
    ? (props.products.filter((p) => typeof p === "object" && p !== null) as Record<string, unknown>[])
    : [];

function item(p: Record<string, unknown>): CartItem | null {
  const productId = str(p.product_id) ?? str(p.sku) ?? str(p.id);
  if (!productId) return null;
  return {
    productId,
    sku: str(p.sku),
    name: str(p.name),
    category: str(p.category),
    variant: str(p.variant),
    price: num(p.price),
    quantity: Math.max(1, Math.round(num(p.quantity) ?? 1)),
  };
}

/** What an order is worth: total (with shipping and tax), else revenue, value, or its lines. */
export function orderAmount(props: Record<string, unknown>): number {
  const direct = num(props.total) ?? num(props.revenue) ?? num(props.value);
  if (direct !== undefined) return direct;
  let sum = 0;
  for (const p of products(props)) sum += (num(p.price) ?? 0) * (num(p.quantity) ?? 1);
  return sum;
}

export const currencyOf = (props: Record<string, unknown>) =>
  (str(props.currency) ?? "USD").toUpperCase().slice(0, 8);

function interest(p: Profile, prod: Record<string, unknown>, w: number, at: number): void {
  const id = str(prod.product_id) ?? str(prod.sku);
  if (id) bumpInterest(p.interests.products, id, w, at);
  const cat = str(prod.category);
  if (cat) bumpInterest(p.interests.categories, cat, w, at);
}

function cartOf(p: Profile, props: Record<string, unknown>, at: number) {
  p.cart ??= { items: [], currency: currencyOf(props), updatedAt: at };
  const cartId = str(props.cart_id);
  if (cartId) p.cart.cartId = cartId;
  p.cart.updatedAt = Math.max(p.cart.updatedAt, at);
  return p.cart;
}

function addToCart(p: Profile, props: Record<string, unknown>, at: number): void {
  const it = item(props);
  if (!it) return;
  const cart = cartOf(p, props, at);
  const same = cart.items.find((i) => i.productId === it.productId && i.variant === it.variant);
  if (same) same.quantity += it.quantity;
  else if (cart.items.length < MAX_CART_ITEMS) cart.items.push(it);
}

function removeFromCart(p: Profile, props: Record<string, unknown>, at: number): void {
  const it = item(props);
  if (!it || !p.cart) return;
  const cart = cartOf(p, props, at);
  const i = cart.items.findIndex(
    (x) => x.productId === it.productId && (!it.variant || x.variant === it.variant),
  );
  if (i < 0) return;
  // Without an explicit quantity the line goes (that is what "Product Removed" usually means).
  const q = num(props.quantity);
  if (q === undefined || cart.items[i]!.quantity <= q) cart.items.splice(i, 1);
  else cart.items[i]!.quantity -= Math.round(q);
}

function completeOrder(p: Profile, props: Record<string, unknown>, at: number): void {
  const orderId = str(props.order_id) ?? str(props.checkout_id);
  // The same order reported twice (two tags, a retry with a new messageId) counts once.
  if (orderId && p.purchases.orders.some((o) => o.orderId === orderId)) return;
  const amount = orderAmount(props);
  const currency = currencyOf(props);
  const lines = products(props);
  p.purchases.count++;
  addLtv(p, currency, amount);
  p.purchases.lastAt = Math.max(p.purchases.lastAt ?? 0, at);
  p.purchases.orders.unshift({
    orderId: orderId ?? `order-${at}`,
    at,
    amount,
    currency,
    products: lines.length,
    status: "completed",
  });
  p.purchases.orders.sort((a, b) => b.at - a.at);
  if (p.purchases.orders.length > MAX_ORDERS) p.purchases.orders.length = MAX_ORDERS;
  for (const l of lines) interest(p, l, 5, at);
  addDecayed(p.engagement, ENGAGEMENT_WEIGHT.purchase, at, HALF_LIFE.engagement);
  // The purchase satisfies the intent and empties the cart (only if the cart is older).
  p.intent = { v: 0, t: Math.max(p.intent.t, at) };
  if (p.cart && p.cart.updatedAt <= at) p.cart = null;
}

function changeOrder(
  p: Profile,
  props: Record<string, unknown>,
  status: "updated" | "refunded" | "cancelled",
): void {
  const orderId = str(props.order_id);
  const order = orderId ? p.purchases.orders.find((o) => o.orderId === orderId) : undefined;
  if (!order || order.status === "refunded" || order.status === "cancelled") return;
  if (status === "updated") {
    const amount = orderAmount(props);
    addLtv(p, order.currency, amount - order.amount);
    order.amount = amount;
    order.status = "updated";
    return;
  }
  // A partial refund names its amount; otherwise the whole order goes back.
  const back =
    status === "refunded"
      ? Math.min(order.amount, num(props.total) ?? num(props.value) ?? order.amount)
      : order.amount;
  addLtv(p, order.currency, -back);
  order.amount -= back;
  if (order.amount <= 0 || status === "cancelled") order.status = status;
}

/** Applies one track event's commerce meaning; returns the product id it is about, if any. */
export function applyCommerce(
  p: Profile,
  name: string,
  props: Record<string, unknown>,
  at: number,
): string | undefined {
  const k = eventKey(name);
  const w = INTENT[k];
  if (w !== undefined) addDecayed(p.intent, w, at, HALF_LIFE.intent);
  const iw = INTEREST[k];
  if (iw !== undefined) interest(p, props, iw, at);
  switch (k) {
    case "product list viewed":
    case "product list filtered": {
      const cat = str(props.category);
      if (cat) bumpInterest(p.interests.categories, cat, 0.5, at);
      break;
    }
    case "product viewed":
    case "product clicked": {
      const it = item(props);
      if (it && p.session && at >= p.session.startedAt) {
        p.session.views.unshift({
          productId: it.productId,
          name: it.name,
          category: it.category,
          price: it.price,
          at,
        });
        if (p.session.views.length > MAX_SESSION_VIEWS) p.session.views.length = MAX_SESSION_VIEWS;
      }
      break;
    }
    case "product added":
    case "wishlist product added to cart":
      addToCart(p, props, at);
      break;
    case "product removed":
      removeFromCart(p, props, at);
      break;
    case "cart viewed": {
      // The cart as the shop shows it is the truth: replace ours when products are listed.
      const lines = products(props)
        .map(item)
        .filter((x): x is CartItem => x !== null);
      if (lines.length) cartOf(p, props, at).items = lines.slice(0, MAX_CART_ITEMS);
      break;
    }
    case "product added to wishlist": {
      const id = str(props.product_id);
      if (id) pushUnique(p.wishlist, id, MAX_WISHLIST);
      break;
    }
    case "product removed from wishlist": {
      const id = str(props.product_id);
      if (id) p.wishlist = p.wishlist.filter((x) => x !== id);
      break;
    }
    case "order completed":
      completeOrder(p, props, at);
      break;
    case "order updated":
      changeOrder(p, props, "updated");
      break;
    case "order refunded":
      changeOrder(p, props, "refunded");
      break;
    case "order cancelled":
      changeOrder(p, props, "cancelled");
      break;
  }
  return str(props.product_id);
}
