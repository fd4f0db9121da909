import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startOpenMeteoStandIn } from "../../test/helpers/open-meteo.js";
import { checkIntegrity } from "./integrity.js";
import { type Acks, emptyAcks, startLoad, type TrialNames } from "./kill-load.js";
import { Rng } from "./rng.js";
import { prepare, type RunningServer, startServer } from "./server.js";
import { AUTH, api, serverEnv } from "./world.js";

/**
 * kill -9 during mixed load. Each trial drives the load for a random time, SIGKILLs the
 * server, restarts it on the same data dir, and counts what it had acknowledged that is no
 * longer there, through the API where a user would look (links, blocks, products) and the
 * raw database file where only it can tell (which opens, clicks and Segment events are
 * logged), then checks the file for corruption. The trials share one data dir, so each
 * restart also recovers the history of the ones before.
 */
export interface KillOptions {
  seed: number;
  trials: number;
  fromSource?: boolean;
  /** Load before the kill, drawn uniformly in this range (ms). */
  minLoadMs?: number;
  maxLoadMs?: number;
  log?: (line: string) => void;
}

export interface TrialResult {
  trial: number;
  loadMs: number;
  requests: number;
  restartMs: number;
  acked: { hits: number; events: number; links: number; blocks: number; edits: number; products: number };
  lost: {
    events: string[];
    links: string[];
    blocks: string[];
    edits: string[];
    products: string[];
    hits: { kind: string; recipient: string; msBeforeKill: number }[];
  };
  /** Opens/clicks logged more than once. */
  duplicatedHits: number;
  integrity: string;
  foreignKeyViolations: number;
  mismatches: string[];
}

export interface KillFigures {
  batchMs: number;
  trials: TrialResult[];
  totals: {
    ackedEvents: number;
    lostEvents: number;
    ackedLinksBlocksProducts: number;
    lostLinksBlocksProducts: number;
    ackedHits: number;
    lostHits: number;
    /** The oldest lost hit: how long before the kill it was answered (ms). */
    maxLostHitAgeMs: number | null;
    lostHitsOlderThanWindow: number;
    duplicatedHits: number;
    corruptTrials: number;
  };
}

const BATCH_MS = 50;

export async function runKill(opts: KillOptions): Promise<KillFigures> {
  const log = opts.log ?? (() => {});
  const rng = new Rng(opts.seed, 0x6b11);
  const minLoad = opts.minLoadMs ?? 1000;
  const maxLoad = opts.maxLoadMs ?? 4000;
  prepare(opts.fromSource);
  const weather = await startOpenMeteoStandIn();
  const dataDir = mkdtempSync(join(tmpdir(), "opentime-reliability-kill-"));
  const env = serverEnv(weather.url, { OPENTIME_BATCH_MS: String(BATCH_MS) });
  const dbFile = join(dataDir, "opentime.db");
  const trials: TrialResult[] = [];
  // Everything acknowledged in any trial so far: each restart must still have it all.
  const everEvents = new Set<string>();
  let server = await startServer({ dataDir, env, fromSource: opts.fromSource });
  try {
    for (let t = 0; t < opts.trials; t++) {
      const tag = `k${t}`;
      const names: TrialNames = {
        tag,
        openCampaign: `${tag}-open`,
        linkCampaign: `${tag}-links`,
        clickLinkId: (
          await api(server.url, "POST", "/v1/links", {
            url: `https://shop.example/${tag}`,
            campaign: `${tag}-click`,
          })
        ).id,
        editBlocks: [],
      };
      const acks = emptyAcks();
      for (let b = 0; b < 2; b++) {
        const created = await api(server.url, "POST", "/v1/blocks", {
          type: "banner",
          options: { headline: `${tag} edit start` },
        });
        names.editBlocks.push(created.id);
        acks.blockEdits.set(created.id, {
          version: created.version,
          headline: `${tag} edit start`,
          inFlight: null,
        });
      }
      const loadMs = rng.int(minLoad, maxLoad);
      const load = startLoad(server.url, names, acks);
      await new Promise((r) => setTimeout(r, loadMs));
      const killAt = performance.now();
      await server.kill9();
      const requests = await load.stop();
      const t0 = performance.now();
      server = await startServer({ dataDir, env, fromSource: opts.fromSource });
      const restartMs = Math.round(performance.now() - t0);
      for (const m of acks.events) everEvents.add(m);
      const result = await verify(server, dbFile, names, acks, killAt, everEvents);
      trials.push({ trial: t, loadMs, requests, restartMs, ...result });
      log(
        `  trial ${t + 1}/${opts.trials}: load ${loadMs} ms, ${requests} requests; lost ${result.lost.events.length}/${result.acked.events} events, ` +
          `${result.lost.hits.length}/${result.acked.hits} opens+clicks, ` +
          `${result.lost.links.length + result.lost.blocks.length + result.lost.edits.length + result.lost.products.length} links/blocks/products; ` +
          `integrity ${result.integrity}, ${result.mismatches.length} mismatches`,
      );
    }
    await server.stop();
  } finally {
    await server.kill9();
    await weather.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const all = trials.flatMap((t) => t.lost.hits);
  const maxAge = all.length ? Math.max(...all.map((h) => h.msBeforeKill)) : null;
  const sum = (f: (t: TrialResult) => number) => trials.reduce((a, t) => a + f(t), 0);
  return {
    batchMs: BATCH_MS,
    trials,
    totals: {
      ackedEvents: sum((t) => t.acked.events),
      lostEvents: sum((t) => t.lost.events.length),
      ackedLinksBlocksProducts: sum((t) => t.acked.links + t.acked.blocks + t.acked.edits + t.acked.products),
      lostLinksBlocksProducts: sum(
        (t) => t.lost.links.length + t.lost.blocks.length + t.lost.edits.length + t.lost.products.length,
      ),
      ackedHits: sum((t) => t.acked.hits),
      lostHits: all.length,
      maxLostHitAgeMs: maxAge === null ? null : Math.round(maxAge),
      lostHitsOlderThanWindow: all.filter((h) => h.msBeforeKill > BATCH_MS).length,
      duplicatedHits: sum((t) => t.duplicatedHits),
      corruptTrials: trials.filter(
        (t) => t.integrity !== "ok" || t.foreignKeyViolations > 0 || t.mismatches.length > 0,
      ).length,
    },
  };
}

async function verify(
  server: RunningServer,
  dbFile: string,
  names: TrialNames,
  acks: Acks,
  killAt: number,
  everEvents: Set<string>,
) {
  const headers = { authorization: AUTH };
  const lost: TrialResult["lost"] = { events: [], links: [], blocks: [], edits: [], products: [], hits: [] };
  for (const l of acks.links) {
    const res = await fetch(`${server.url}/c/${l.id}`, { method: "HEAD", redirect: "manual" });
    if (res.status !== 302 || res.headers.get("location") !== l.destination) lost.links.push(l.id);
  }
  for (const id of acks.blocksCreated) {
    if ((await fetch(`${server.url}/v1/blocks/${id}`, { headers })).status !== 200) lost.blocks.push(id);
  }
  for (const [id, edit] of acks.blockEdits) {
    const res = await fetch(`${server.url}/v1/blocks/${id}`, { headers });
    const got = (await res.json()) as { version: number; options: { headline: string } };
    const asAcked = got.version === edit.version && got.options?.headline === edit.headline;
    const inFlight = got.version === edit.version + 1 && got.options?.headline === edit.inFlight;
    if (!asAcked && !inFlight)
      lost.edits.push(
        `${id}: acked v${edit.version} "${edit.headline}", read v${got.version} "${got.options?.headline}"`,
      );
  }
  for (const p of acks.products) {
    const res = await fetch(`${server.url}/v1/products/${p.id}`, { headers });
    const got = res.status === 200 ? ((await res.json()) as { price: number }) : null;
    if (got?.price !== p.price) lost.products.push(p.id);
  }

  // Stats reads write every answered hit (the HEADs above included) and fold the log into
  // the tables derived from it; the restart recovered what the crash left unfolded.
  for (const c of [names.openCampaign, `${names.tag}-click`, names.linkCampaign]) {
    await api(server.url, "GET", `/v1/campaigns/${c}/stats`);
  }
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  let duplicatedHits = 0;
  try {
    const stored = new Set(db.prepare("SELECT message_id FROM profile_events").pluck().all() as string[]);
    for (const m of everEvents) if (!stored.has(m)) lost.events.push(m);
    const logged = new Map<string, number>();
    const rows = db
      .prepare("SELECT kind, recipient FROM events WHERE campaign IN (?, ?)")
      .all(names.openCampaign, `${names.tag}-click`) as { kind: string; recipient: string }[];
    for (const r of rows) {
      const k = `${r.kind} ${r.recipient}`;
      logged.set(k, (logged.get(k) ?? 0) + 1);
    }
    for (const n of logged.values()) if (n > 1) duplicatedHits += n - 1;
    for (const h of acks.hits) {
      if (!logged.has(`${h.kind} ${h.recipient}`))
        lost.hits.push({ kind: h.kind, recipient: h.recipient, msBeforeKill: +(killAt - h.at).toFixed(1) });
    }
  } finally {
    db.close();
  }
  const integrity = checkIntegrity(dbFile);
  return {
    acked: {
      hits: acks.hits.length,
      events: acks.events.length,
      links: acks.links.length,
      blocks: acks.blocksCreated.length,
      edits: acks.blockEdits.size,
      products: acks.products.length,
    },
    lost,
    duplicatedHits,
    ...integrity,
  };
}
