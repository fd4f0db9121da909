import type { DecisionLog, LastDecision, OpenDecision, VariantCounts } from "../ports/decisions.js";

/** In-memory DecisionLog for core tests. Passes the same contract suite as SQLite. */
export function createMemoryDecisionLog(): DecisionLog & { opens: OpenDecision[] } {
  const opens: OpenDecision[] = [];
  const totals = new Map<string, { opens: number; clicks: number }>(); // block \0 variant
  const uniques = new Map<string, Set<string>>(); // block \0 variant → recipients
  const key = (blockId: string, variant: string) => `${blockId}\u0000${variant}`;
  const totalOf = (k: string) => {
    let t = totals.get(k);
    if (!t) {
      t = { opens: 0, clicks: 0 };
      totals.set(k, t);
    }
    return t;
  };
  return {
    opens,
    async record(batch) {
      for (const e of batch) {
        const k = key(e.blockId, e.variant);
        if (e.kind === "click") {
          totalOf(k).clicks++;
          continue;
        }
        opens.push(structuredClone(e));
        totalOf(k).opens++;
        if (e.recipient) {
          let set = uniques.get(k);
          if (!set) {
            set = new Set();
            uniques.set(k, set);
          }
          set.add(e.recipient);
        }
      }
    },
    async lastFor(blockId, recipient): Promise<LastDecision | null> {
      for (let i = opens.length - 1; i >= 0; i--) {
        const d = opens[i]!;
        if (d.blockId === blockId && d.recipient === recipient)
          return { variant: d.variant, slots: { ...d.slots }, at: d.at };
      }
      return null;
    },
    async countsByVariant(blockId): Promise<VariantCounts[]> {
      const out: VariantCounts[] = [];
      for (const [k, t] of totals) {
        const [b, variant] = k.split("\u0000") as [string, string];
        if (b !== blockId) continue;
        out.push({ variant, opens: t.opens, uniqueRecipients: uniques.get(k)?.size ?? 0, clicks: t.clicks });
      }
      return out.sort((a, b) => (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0));
    },
    async eraseRecipient(recipient) {
      let n = 0;
      for (let i = opens.length - 1; i >= 0; i--) {
        if (opens[i]!.recipient === recipient) {
          opens.splice(i, 1);
          n++;
        }
      }
      for (const set of uniques.values()) if (set.delete(recipient)) n++;
      return n;
    },
    async deleteBlock(blockId) {
      let n = 0;
      for (let i = opens.length - 1; i >= 0; i--) {
        if (opens[i]!.blockId === blockId) {
          opens.splice(i, 1);
          n++;
        }
      }
      for (const k of [...totals.keys()]) if (k.startsWith(`${blockId}\u0000`) && totals.delete(k)) n++;
      for (const k of [...uniques.keys()]) if (k.startsWith(`${blockId}\u0000`) && uniques.delete(k)) n++;
      return n;
    },
  };
}
