import type { Profile, ProfileWrite } from "../ports/profiles.js";
import type { RecsDelta, RecsStore } from "../ports/recs.js";
import { eventKey } from "../profiles/ecommerce.js";
import type { IngestEvent } from "../segment/event.js";

/** Earlier views in the session a new view is paired with ("viewed together"). */
const CO_VIEWS = 5;
/** Order lines paired with each other ("bought together"): 10 lines → 90 rows at most. */
const ORDER_LINES = 10;

const str = (v: unknown): string | null =>
  typeof v === "string" && v ? v.slice(0, 200) : typeof v === "number" ? String(v) : null;
const idOf = (p: Record<string, unknown>) => str(p.product_id) ?? str(p.sku) ?? str(p.id);

/** The hook ProfileService calls inside each group commit (see ProfileServiceOptions.recs). */
export interface RecsSink {
  noteGroup(events: readonly IngestEvent[], write: ProfileWrite): void;
  erasePerson(profileId: string): void;
}

/**
 * What a group commit teaches the recommender, incrementally (no nightly batch): a product
 * view adds to trending, to the person's viewed list and to "viewed together" with the
 * person's earlier views of this session; an order adds to best sellers, the person's bought
 * list and "bought together" between its lines. Only events the write accepted count (a
 * duplicate or an erased person's event is not in `write.events`).
 */
export function recsDeltaOf(events: readonly IngestEvent[], write: ProfileWrite): RecsDelta {
  const delta: RecsDelta = { pairs: [], popular: [], person: [], merged: write.merged };
  if (!write.events.length) return delta;
  let byMessage: Map<string, IngestEvent> | null = null;
  let profiles: Map<string, Profile> | null = null;
  for (const stored of write.events) {
    if (stored.type !== "track" || !stored.event) continue;
    const k = eventKey(stored.event);
    const view = k === "product viewed" || k === "product clicked";
    if (!view && k !== "order completed") continue;
    byMessage ??= new Map(events.map((e) => [e.messageId, e]));
    const ev = byMessage.get(stored.messageId);
    if (!ev) continue;
    const props = ev.properties;
    const at = stored.at;
    if (view) {
      const id = idOf(props);
      if (!id) continue;
      delta.popular.push({
        kind: "view",
        id,
        w: 1,
        at,
        category: str(props.category),
        brand: str(props.brand),
      });
      delta.person.push({ profileId: stored.profileId, kind: "view", id, at });
      profiles ??= new Map(write.profiles.map((p) => [p.id, p]));
      const views = profiles.get(stored.profileId)?.session?.views ?? [];
      const seen = new Set([id]);
      for (const v of views) {
        if (seen.size > CO_VIEWS) break;
        // Only views before this one: a batch holding both views pairs them once, not twice.
        if (v.at >= at || seen.has(v.productId)) continue;
        seen.add(v.productId);
        delta.pairs.push({ kind: "view", a: id, b: v.productId, w: 1, at });
        delta.pairs.push({ kind: "view", a: v.productId, b: id, w: 1, at });
      }
    } else {
      const lines = Array.isArray(props.products) ? props.products : [];
      const ids: string[] = [];
      for (const l of lines) {
        if (ids.length >= ORDER_LINES) break;
        if (typeof l !== "object" || l === null) continue;
        const line = l as Record<string, unknown>;
        const id = idOf(line);
        if (!id || ids.includes(id)) continue;
        ids.push(id);
        delta.popular.push({
          kind: "buy",
          id,
          w: 1,
          at,
          category: str(line.category),
          brand: str(line.brand),
        });
        delta.person.push({ profileId: stored.profileId, kind: "buy", id, at });
      }
      for (const a of ids)
        for (const b of ids) if (a !== b) delta.pairs.push({ kind: "buy", a, b, w: 1, at });
    }
  }
  return delta;
}

/** The sink a ProfileService writes recommendation signals to, over a RecsStore. */
export function recsSink(store: RecsStore): RecsSink {
  return {
    noteGroup: (events, write) => store.apply(recsDeltaOf(events, write)),
    erasePerson: (id) => store.erasePerson(id),
  };
}
