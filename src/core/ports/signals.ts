// What happened, as the parts that act on it (flows, sending's attempt records) hear it.
// Emitters: ingestion (after its commit), the tracker (opens and clicks), ESP webhooks,
// catalog writes. A listener must be quick and must not throw: emitters do not wait.
import type { TrafficClass } from "../tracking/classify.js";
import type { CatalogChange } from "./catalog.js";
import type { EmailEvent } from "./profiles.js";

export type Signal =
  /** A Segment event stored for a person (after its commit). */
  | {
      type: "event";
      profileId: string;
      /** track: the event name; identify/page/screen/group/alias: the call's type. */
      name: string;
      kind: "track" | "identify" | "page" | "screen" | "group" | "alias";
      properties: Readonly<Record<string, unknown>>;
      at: number;
      messageId: string;
    }
  /** An open or click of one of opentime's own URLs, classified. */
  | {
      type: "open" | "click";
      recipient: string;
      campaign: string;
      linkId: string | null;
      class: TrafficClass;
      at: number;
    }
  /** A verified ESP webhook event. */
  | { type: "email"; event: EmailEvent }
  /** A catalog change that a person watching the product may care about. */
  | {
      type: "catalog";
      productId: string;
      change: "price_drop" | "back_in_stock";
      before: { price: number; stock: number | null };
      after: CatalogChange["after"];
      at: number;
    };

export interface Signals {
  emit(signal: Signal): void;
  /** Returns a function that stops listening. */
  on(listener: (signal: Signal) => void): () => void;
}
