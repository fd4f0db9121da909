import type { TemplateContent } from "../ports/sending.js";
import { definitionSchema, type FlowDefinition } from "./definition.js";

/**
 * Built-in flows a marketer enables with one call (POST /v1/builtin-flows/:name) and then
 * edits like any other. Each is a plain definition plus starter templates (created only
 * when absent, so edited templates are never overwritten). Intent picks the message where
 * it matters: high → urgency, medium → comparison, low → education.
 */
export interface Builtin {
  definition: FlowDefinition;
  templates: Record<string, TemplateContent>;
}

const HIGH = { intent: { atLeast: 0.6 } };
const MEDIUM = { intent: { atLeast: 0.3 } };

/** Every built-in's flow data: the shop's address its templates link to (edit the flow to set yours). */
const DATA = { shopUrl: "https://example.com" };

/** An email template with a tracked link back to the shop (the event's url, else `flow.shopUrl`). */
function email(name: string, subject: string, body: string): TemplateContent {
  return {
    name,
    subject,
    html:
      `<html><body><p>Hi {{ person.first_name | default: "there" }},</p><p>${body}</p>` +
      `<p><a href="{{ event.url | default: flow.shopUrl }}">Take a look</a></p></body></html>`,
    text: `Hi {{ person.first_name | default: "there" }}, ${body.replace(/<[^>]+>/g, "")}`,
  };
}

/** A send chosen by the person's intent: three templates, one per level. */
function byIntent(id: string, prefix: string, next: string) {
  return [
    {
      id,
      type: "branch",
      branches: [
        { when: HIGH, next: `${id}-urgency` },
        { when: MEDIUM, next: `${id}-comparison` },
      ],
      otherwise: `${id}-education`,
    },
    { id: `${id}-urgency`, type: "send", template: `${prefix}-urgency`, next },
    { id: `${id}-comparison`, type: "send", template: `${prefix}-comparison`, next },
    { id: `${id}-education`, type: "send", template: `${prefix}-education`, next },
  ];
}

function intentTemplates(prefix: string, what: string): Record<string, TemplateContent> {
  return {
    [`${prefix}-urgency`]: email(
      `${what} (urgency)`,
      `Still thinking? ${what} won't last`,
      "It is selling fast.",
    ),
    [`${prefix}-comparison`]: email(
      `${what} (comparison)`,
      `${what}: how it compares`,
      "Here is how it compares.",
    ),
    [`${prefix}-education`]: email(
      `${what} (education)`,
      `${what}: what to know`,
      "A short guide to choosing.",
    ),
  };
}

const RAW: Record<string, { definition: unknown; templates: Record<string, TemplateContent> }> = {
  cart_abandonment: {
    definition: {
      name: "Cart abandonment",
      trigger: { type: "event", name: "Product Added" },
      reentry: { everyDays: 1 },
      goal: { event: "Order Completed" },
      priority: 80,
      start: "wait-30m",
      steps: [
        { id: "wait-30m", type: "wait", duration: { minutes: 30 }, next: "still-carted" },
        {
          id: "still-carted",
          type: "branch",
          branches: [{ when: { cart: "not_empty" }, next: "first" }],
          otherwise: "done",
        },
        ...byIntent("first", "cart-1", "wait-24h"),
        {
          id: "wait-24h",
          type: "wait_for",
          event: "$click",
          timeout: { hours: 24 },
          next: "done",
          timeoutNext: "second",
        },
        // The cart's live prices: templates read `profile.cart` at the moment of sending.
        { id: "second", type: "send", template: "cart-2", next: "wait-sms" },
        { id: "wait-sms", type: "wait", duration: { hours: 24 }, next: "other-channel" },
        // SMS or push for the people who answer there (the Messenger's channel choice).
        { id: "other-channel", type: "send", template: "cart-3", channels: "auto", next: "done" },
        { id: "done", type: "exit" },
      ],
    },
    templates: {
      ...intentTemplates("cart-1", "Your cart"),
      "cart-2": {
        name: "Cart reminder with live prices",
        subject: "Your cart is still waiting",
        html:
          "<html><body><p>Your cart:</p><ul>{% for i in profile.cart.items %}<li>{{ i.name }}: {{ i.price }} {{ profile.cart.currency }}</li>{% endfor %}</ul>" +
          '<p><a href="{{ flow.shopUrl }}/cart">Back to your cart</a></p></body></html>',
        text: "Your cart is still waiting.",
      },
      "cart-3": {
        name: "Cart last call",
        subject: "Last call for your cart",
        text: "Last call for your cart.",
        sms: "Your cart is still waiting: {{ flow.shopUrl }}/cart",
        push: { title: "Your cart", body: "Still waiting for you" },
      },
    },
  },
  browse_abandonment: {
    definition: {
      name: "Browse abandonment",
      trigger: { type: "event", name: "Product Viewed" },
      reentry: { everyDays: 3 },
      goal: { event: "Product Added" },
      start: "wait",
      steps: [
        { id: "wait", type: "wait", duration: { hours: 2 }, next: "pick" },
        ...byIntent("pick", "browse", "done"),
        { id: "done", type: "exit" },
      ],
    },
    templates: intentTemplates("browse", "What you looked at"),
  },
  click_follow_up: {
    definition: {
      name: "Click follow-up",
      trigger: { type: "open", machines: false },
      reentry: { everyDays: 7 },
      start: "wait-click",
      steps: [
        {
          id: "wait-click",
          type: "wait_for",
          event: "$click",
          timeout: { hours: 24 },
          next: "deeper",
          timeoutNext: "alternative",
        },
        { id: "deeper", type: "send", template: "follow-deeper", next: "done" },
        { id: "alternative", type: "send", template: "follow-alternative", next: "done" },
        { id: "done", type: "exit" },
      ],
    },
    templates: {
      "follow-deeper": email(
        "More on what you clicked",
        "More on what caught your eye",
        "More on what you clicked.",
      ),
      "follow-alternative": email(
        "Something else",
        "Something different for you",
        "Maybe this suits you better.",
      ),
    },
  },
  post_purchase: {
    definition: {
      name: "Post-purchase cross-sell",
      trigger: { type: "event", name: "Order Completed" },
      start: "wait",
      steps: [
        { id: "wait", type: "wait", duration: { days: 7 }, next: "cross-sell" },
        { id: "cross-sell", type: "send", template: "cross-sell", next: "done" },
        { id: "done", type: "exit" },
      ],
    },
    templates: {
      "cross-sell": email("Cross-sell", "Goes well with your order", "These go well with your order."),
    },
  },
  win_back: {
    definition: {
      name: "Win-back",
      trigger: { type: "inactivity", days: 60 },
      reentry: { everyDays: 90 },
      goal: { when: { engagement: ["high", "medium"] } },
      start: "best-hour",
      steps: [
        { id: "best-hour", type: "wait_best_hour", next: "miss-you" },
        { id: "miss-you", type: "send", template: "win-back", next: "done" },
        { id: "done", type: "exit" },
      ],
    },
    templates: { "win-back": email("Win-back", "We miss you", "It has been a while.") },
  },
  price_drop: {
    definition: {
      name: "Price drop",
      trigger: { type: "catalog", change: "price_drop", minPercent: 10 },
      reentry: { everyDays: 7 },
      start: "tell",
      steps: [
        { id: "tell", type: "send", template: "price-drop", next: "done" },
        { id: "done", type: "exit" },
      ],
    },
    templates: {
      "price-drop": email(
        "Price drop",
        "{{ product.name | default: 'An item you liked' }} is now {{ product.price }} {{ product.currency }}",
        "The price dropped from {{ product.before.price }} to {{ product.price }}.",
      ),
    },
  },
  back_in_stock: {
    definition: {
      name: "Back in stock",
      trigger: { type: "catalog", change: "back_in_stock" },
      reentry: { everyDays: 7 },
      start: "tell",
      steps: [
        { id: "tell", type: "send", template: "back-in-stock", next: "done" },
        { id: "done", type: "exit" },
      ],
    },
    templates: {
      "back-in-stock": email("Back in stock", "It is back in stock", "An item you liked is back."),
    },
  },
  welcome: {
    definition: {
      name: "Welcome series",
      trigger: { type: "event", name: "Signed Up" },
      reentry: "once",
      start: "hello",
      steps: [
        { id: "hello", type: "send", template: "welcome-1", next: "wait-2d" },
        { id: "wait-2d", type: "wait", duration: { days: 2 }, next: "bought" },
        {
          id: "bought",
          type: "branch",
          branches: [{ when: { purchased: true }, next: "done" }],
          otherwise: "tips",
        },
        { id: "tips", type: "send", template: "welcome-2", next: "wait-4d" },
        { id: "wait-4d", type: "wait", duration: { days: 4 }, next: "offer" },
        { id: "offer", type: "send", template: "welcome-3", next: "done" },
        { id: "done", type: "exit" },
      ],
    },
    templates: {
      "welcome-1": email("Welcome 1", "Welcome!", "Welcome aboard."),
      "welcome-2": email("Welcome 2", "Getting the most out of us", "A few tips to start."),
      "welcome-3": email("Welcome 3", "A little something for you", "Here is an offer."),
    },
  },
};

export const BUILTIN_NAMES = Object.keys(RAW);

/** A built-in by name, its definition checked like any other (a broken built-in fails its test). */
export function builtin(name: string): Builtin | null {
  if (!Object.hasOwn(RAW, name)) return null;
  const raw = RAW[name]!;
  const def = { data: DATA, ...(raw.definition as object) };
  return { definition: definitionSchema.parse(def), templates: raw.templates };
}
