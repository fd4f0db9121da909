import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { budgetFor, startBudget } from "../helpers/process.js";
import { TEST_API_KEY, TEST_SECRET, tempDir } from "../helpers/server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const START = (
  JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }
).scripts.start;

/** ms from spawning `cmd` until `line` is printed; then the process group is stopped. */
function timeUntil(
  cmd: string,
  args: string[],
  line: string,
  env: Record<string, string> = {},
): Promise<number> {
  const t0 = performance.now();
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // npm runs the server in a shell: stop them all together
  });
  let out = "";
  return new Promise((res, rej) => {
    const stop = () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {}
    };
    const timer = setTimeout(() => {
      stop();
      rej(new Error(`${cmd} ${args.join(" ")}: no "${line}" within ${startBudget() * 4} ms:\n${out}`));
    }, startBudget() * 4);
    const seen = (d: Buffer) => {
      out += d.toString();
      if (!out.includes(line)) return;
      const ms = performance.now() - t0;
      clearTimeout(timer);
      child.once("exit", () => res(ms));
      stop();
    };
    child.stdout!.on("data", seen);
    child.stderr!.on("data", seen);
    child.once("exit", (code) => {
      if (out.includes(line)) return;
      clearTimeout(timer);
      rej(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${out}`));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("npm start", () => {
  it("runs the build made at install: it starts about as fast as the built server itself", {
    timeout: budgetFor(12),
  }, async () => {
    expect(existsSync(resolve(ROOT, "dist/node/main.js")), "dist/ is built by `npm ci` (prepare)").toBe(true);
    const nodeArgs = START.split(" ").slice(1); // the start script's own node command line
    expect(nodeArgs.at(-1)).toBe("dist/node/main.js");
    // npm's own cost of running a script, with the same load on the machine.
    const npmAlone = () => timeUntil("npm", ["--version"], ".");
    const built = () => {
      const dir = tempDir();
      const env = { OPENTIME_DATA_DIR: dir, OPENTIME_API_KEY: TEST_API_KEY, OPENTIME_SECRET: TEST_SECRET };
      return {
        direct: () => timeUntil(process.execPath, nodeArgs, "opentime listening", env),
        npm: () => timeUntil("npm", ["start"], "opentime listening", env),
        done: () => rmSync(dir, { recursive: true, force: true }),
      };
    };
    // Alternating rounds, medians: the load may change between them.
    const direct: number[] = [];
    const viaNpm: number[] = [];
    const npm: number[] = [];
    for (let round = 0; round < 3; round++) {
      const b = built();
      try {
        direct.push(await b.direct());
        npm.push(await npmAlone());
        viaNpm.push(await b.npm());
      } finally {
        b.done();
      }
    }
    const budget = 2 * (median(direct) + median(npm));
    expect(
      median(viaNpm),
      `npm start ${median(viaNpm).toFixed(0)} ms; the built server alone ${median(direct).toFixed(0)} ms, npm alone ${median(npm).toFixed(0)} ms`,
    ).toBeLessThan(budget);
  });
});
