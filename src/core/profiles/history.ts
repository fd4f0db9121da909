import type { HistoryEntry, StoredEvent, TrackingRow } from "../ports/profiles.js";
import { MAX_HISTORY } from "./model.js";

/**
 * The behaviour history a profile shows (recent first, bounded), built on read from what is
 * stored anyway: the person's accepted events and their opens/clicks in the log.
 *
 * Why not kept in the profile document: 100 entries were ~7 KB of a ~10 KB document, and
 * every event rewrote the whole document (3 overflow pages in SQLite) — most of the bytes a
 * group commit wrote. Without it a document fits one page.
 */
export function historyOf(events: readonly StoredEvent[], tracking: readonly TrackingRow[]): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const e of events) out.push(entryOf(e));
  for (const t of tracking) {
    out.push({
      at: t.at,
      type: "email",
      event: t.kind,
      campaign: t.campaign,
      class: t.class as NonNullable<HistoryEntry["class"]>,
    });
  }
  return out.sort((a, b) => b.at - a.at).slice(0, MAX_HISTORY);
}

/**
 * A person's opens/clicks as they stand: each correction (TrackingRow.corrects) applied to
 * the row it corrects and left out. Rows in log order; a correction whose row is not among
 * them (cut by a limit, pruned) is dropped.
 */
export function withCorrections(rows: readonly TrackingRow[]): TrackingRow[] {
  const out: TrackingRow[] = [];
  const hits = new Map<string, TrackingRow[]>();
  const keyOf = (r: TrackingRow) => `${r.at}\u0000${r.kind}\u0000${r.campaign}\u0000${r.linkId}`;
  for (const { corrects, ...row } of rows) {
    const k = keyOf(row);
    if (corrects) {
      const hit = hits.get(k)?.find((h) => h.class === corrects && h.recipient === row.recipient);
      if (hit) hit.class = row.class;
      continue;
    }
    out.push(row);
    const same = hits.get(k);
    if (same) same.push(row);
    else hits.set(k, [row]);
  }
  return out;
}

function entryOf(e: StoredEvent): HistoryEntry {
  const entry: HistoryEntry = { at: e.at, type: e.type };
  if (e.event) entry.event = e.event;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(e.body) as Record<string, unknown>;
  } catch {
    return entry;
  }
  if (e.type === "email") {
    // An ESP event (EmailEvent as stored): its campaign, and for opens/clicks whether a machine made it.
    if (typeof body.campaign === "string") entry.campaign = body.campaign;
    if (e.event === "open" || e.event === "click") entry.class = body.machine ? "machine" : "human";
    return entry;
  }
  if (e.type === "track") {
    const props = (body.properties ?? {}) as Record<string, unknown>;
    // As applySegment read them when the event was applied.
    const id = props.product_id;
    if (typeof id === "string" && id) entry.productId = id.slice(0, 200);
    else if (typeof id === "number") entry.productId = String(id);
    const v = props.total ?? props.revenue ?? props.value ?? props.price;
    if (typeof v === "number" && Number.isFinite(v)) entry.value = v;
  }
  return entry;
}
