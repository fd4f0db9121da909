import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../lib.js";
import type { FuzzFigures } from "./fuzz.js";
import type { KillFigures } from "./kill.js";
import type { SoakFigures } from "./soak.js";

/**
 * The figures of a run as one table (each row a figure, what it claims and what was
 * measured), every finding with its reproduction, and the whole result as JSON in
 * bench/results/reliability.json.
 */
export interface Results {
  at: string;
  seed: number;
  kill?: KillFigures;
  fuzz?: FuzzFigures;
  soak?: SoakFigures;
}

interface Row {
  part: string;
  figure: string;
  measured: string | number;
  claim: string;
}

export function rows(r: Results): Row[] {
  const out: Row[] = [];
  const add = (part: string, figure: string, measured: string | number, claim = "") =>
    out.push({ part, figure, measured, claim });
  if (r.kill) {
    const t = r.kill.totals;
    add("kill -9", "trials", r.kill.trials.length);
    add("kill -9", "Segment events acknowledged / lost", `${t.ackedEvents} / ${t.lostEvents}`, "0 lost");
    add(
      "kill -9",
      "links, blocks, edits, products acknowledged / lost",
      `${t.ackedLinksBlocksProducts} / ${t.lostLinksBlocksProducts}`,
      "0 lost",
    );
    add(
      "kill -9",
      "opens+clicks answered / lost",
      `${t.ackedHits} / ${t.lostHits}`,
      `lost ≤ the last ${r.kill.batchMs} ms window`,
    );
    // Read when the harness got the answer, no earlier than the server sent it: a lower bound.
    add(
      "kill -9",
      "oldest lost hit, ms before the kill (at least)",
      t.maxLostHitAgeMs ?? "-",
      `≤ ${r.kill.batchMs}`,
    );
    add("kill -9", "lost hits older than the window", t.lostHitsOlderThanWindow, "0");
    add("kill -9", "hits logged twice", t.duplicatedHits, "0");
    add("kill -9", "trials with corruption", t.corruptTrials, "0");
    add(
      "kill -9",
      "restart, ms (median)",
      r.kill.trials.map((x) => x.restartMs).sort((a, b) => a - b)[Math.floor(r.kill.trials.length / 2)] ??
        "-",
    );
  }
  if (r.fuzz) {
    const f = r.fuzz;
    add(
      "fuzz",
      "inputs (routes reached / documented)",
      `${f.inputs} (${f.routesHit} / ${f.routes})`,
      "≥ 10,000, every route",
    );
    add("fuzz", "requests (with follow-ups)", f.requests);
    add("fuzz", "crashes", f.counts.crash, "0");
    add("fuzz", "5xx answers", f.counts["5xx"], "0");
    add(
      "fuzz",
      "redirects off registered targets (of checked)",
      `${f.counts.open_redirect} (${f.checked.redirects})`,
      "0",
    );
    add(
      "fuzz",
      "images not decoding / not images (of decoded)",
      `${f.counts.bad_image} (${f.checked.images})`,
      "0",
    );
    add(
      "fuzz",
      "no answer / connection left broken",
      `${f.counts.no_answer} / ${f.counts.broken_connection}`,
      "0 / 0",
    );
    add(
      "fuzz",
      "RSS before → after → idle 5 s, MB",
      `${f.rssBeforeMb} → ${f.rssAfterMb} → ${f.rssSettledMb}`,
    );
    add("fuzz", "seconds", f.seconds);
  }
  if (r.soak) {
    const s = r.soak;
    add("soak", "max rate (burst), req/s", s.maxRps);
    add("soak", "soak rate, req/s × seconds", `${s.targetRps} × ${s.seconds}`, "half the max");
    add("soak", "requests / errors", `${s.requests} / ${s.errors}`, "0 errors");
    add(
      "soak",
      "p99 first → last slice, ms",
      `${s.slices[0]?.p99} → ${s.slices[4]?.p99} (×${s.p99Drift})`,
      "no drift",
    );
    add("soak", "RSS start → end (peak), MB", `${s.rssStartMb} → ${s.rssEndMb} (${s.rssPeakMb})`, "bounded");
  }
  return out;
}

export function printResults(r: Results, log: (s: string) => void = console.log): void {
  if (r.fuzz) {
    if (r.fuzz.seedsRefused.length) {
      log("\nSeed bodies refused (stale seeds, fuzz-seeds.ts):");
      for (const s of r.fuzz.seedsRefused) log(`  ${s}`);
    }
    if (r.fuzz.findings.length) {
      log(
        `\nFuzz findings (seed ${r.fuzz.seed}; replay one with --only INPUT; reproductions assume PORT 8080):`,
      );
      for (const f of r.fuzz.findings) {
        log(`\n[${f.kind}] ×${f.count} ${f.signature}`);
        log(`  input ${f.input ?? "(a seed)"}: ${f.request}`);
        if (f.detail) log(`  ${f.detail.slice(0, 1500)}`);
        log(
          `  reproduce: ${f.reproduction.length > 600 ? `${f.reproduction.slice(0, 300)}… (${f.reproduction.length} characters: whole in bench/results/reliability.json, or --only ${f.input})` : f.reproduction}`,
        );
      }
    }
  }
  if (r.kill) {
    const bad = r.kill.trials.filter(
      (t) => t.mismatches.length || t.integrity !== "ok" || t.lost.events.length,
    );
    for (const t of bad)
      log(
        `\nkill trial ${t.trial}: ${JSON.stringify({ integrity: t.integrity, mismatches: t.mismatches, lostEvents: t.lost.events.slice(0, 20) })}`,
      );
  }
  log(`\nReliability figures (${r.at}, seed ${r.seed}):`);
  console.table(rows(r));
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "reliability.json"), `${JSON.stringify(r, null, 2)}\n`);
}
