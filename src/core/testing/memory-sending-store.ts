import {
  SEND_STATUSES,
  type SendingStore,
  type SendRecord,
  type SendStatus,
  type TemplateRecord,
} from "../ports/sending.js";

const clone = <T>(v: T): T => structuredClone(v);

/** In-memory SendingStore for core tests. Passes the same contract suite as SQLite. */
export function createMemorySendingStore(): SendingStore {
  // id → versions, oldest first; insertion order = creation order.
  const templates = new Map<string, TemplateRecord[]>();
  const sends = new Map<string, SendRecord>();
  const byKey = new Map<string, string>();

  const newest = (rows: Iterable<SendRecord>, pick: (r: SendRecord) => boolean) => {
    let best: SendRecord | null = null;
    for (const r of rows) if (pick(r) && (!best || r.createdAt >= best.createdAt)) best = r;
    return best ? clone(best) : null;
  };

  return {
    templates: {
      async create(t) {
        if (templates.has(t.id)) throw new Error(`template ${t.id} exists`);
        templates.set(t.id, [clone(t)]);
      },
      async get(id, version) {
        const versions = templates.get(id);
        if (!versions) return null;
        const t = version === undefined ? versions.at(-1) : versions.find((v) => v.version === version);
        return t ? clone(t) : null;
      },
      async list(limit, after) {
        const ids = [...templates.keys()];
        const from = after === undefined ? 0 : ids.indexOf(after) + 1;
        if (after !== undefined && from === 0) return [];
        return ids.slice(from, from + limit).map((id) => clone(templates.get(id)!.at(-1)!));
      },
      async update(id, content, at) {
        const versions = templates.get(id);
        if (!versions) return null;
        const last = versions.at(-1)!;
        const next: TemplateRecord = {
          ...clone(content),
          id,
          version: last.version + 1,
          createdAt: last.createdAt,
          updatedAt: at,
        };
        versions.push(next);
        return clone(next);
      },
      async delete(id) {
        return templates.delete(id);
      },
    },
    sends: {
      async write(batch) {
        // All or nothing: check every insert before applying any write.
        const keys = new Set<string>();
        for (const w of batch) {
          if (!("insert" in w)) continue;
          if (byKey.has(w.insert.key) || keys.has(w.insert.key) || sends.has(w.insert.id))
            throw new Error(`send key ${w.insert.key} exists`);
          keys.add(w.insert.key);
        }
        for (const w of batch) {
          if ("insert" in w) {
            sends.set(w.insert.id, clone(w.insert));
            byKey.set(w.insert.key, w.insert.id);
          } else if ("erase" in w) {
            for (const [id, r] of sends)
              if (r.profileId === w.erase) {
                sends.delete(id);
                byKey.delete(r.key);
              }
          } else {
            const r = sends.get(w.update);
            if (r) Object.assign(r, clone(w.set));
          }
        }
      },
      async get(id) {
        const r = sends.get(id);
        return r ? clone(r) : null;
      },
      async byKey(key) {
        const id = byKey.get(key);
        return id ? clone(sends.get(id)!) : null;
      },
      async byProviderId(providerId) {
        return newest(sends.values(), (r) => r.providerId === providerId);
      },
      async byRecipient(campaign, u) {
        return newest(sends.values(), (r) => r.campaign === campaign && r.u === u && r.status === "sent");
      },
      async ofPerson(profileId, { since, limit, before }) {
        return [...sends.values()]
          .filter(
            (r) =>
              r.profileId === profileId &&
              (since === undefined || r.createdAt >= since) &&
              (before === undefined || r.createdAt < before),
          )
          .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
          .slice(0, limit)
          .map(clone);
      },
      async due(now, limit) {
        return [...sends.values()]
          .filter((r) => r.status === "queued" && (r.nextAt ?? 0) <= now)
          .sort((a, b) => b.priority - a.priority || (a.nextAt ?? 0) - (b.nextAt ?? 0))
          .slice(0, limit)
          .map(clone);
      },
      async dead(limit, before) {
        return [...sends.values()]
          .filter((r) => r.status === "dead" && (before === undefined || r.updatedAt < before))
          .sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : -1))
          .slice(0, limit)
          .map(clone);
      },
      async countByStatus() {
        const out = Object.fromEntries(SEND_STATUSES.map((s) => [s, 0])) as Record<SendStatus, number>;
        for (const r of sends.values()) out[r.status]++;
        return out;
      },
    },
  };
}
