import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { manualClock, startSendingServer } from "../helpers/sending.js";
import { tempDir } from "../helpers/server.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const flowsDir = (files: Record<string, unknown>) => {
  const dir = tempDir("opentime-flows-");
  dirs.push(dir);
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files))
    writeFileSync(join(dir, name), typeof body === "string" ? body : JSON.stringify(body));
  return dir;
};
const welcome = {
  name: "Welcome",
  trigger: { type: "event", name: "Signed Up" },
  start: "w",
  steps: [
    { id: "w", type: "wait", duration: { days: 1 }, next: "x" },
    { id: "x", type: "exit" },
  ],
};

describe("OPENTIME_FLOWS_DIR (flows as code)", () => {
  it("loads each <id>.json at start; a changed file is the next version, an unchanged one is left", async () => {
    const clock = manualClock(Date.UTC(2026, 0, 5, 11, 0));
    const dir = flowsDir({ "welcome.json": welcome, "notes.txt": "ignored" });
    let s = await startSendingServer({ OPENTIME_FLOWS_DIR: dir }, clock);
    expect(await (await s.api("/v1/flows/welcome")).json()).toMatchObject({ version: 1, name: "Welcome" });
    const dataDir = s.dataDir;
    dirs.push(dataDir);
    await s.close();
    writeFileSync(join(dir, "welcome.json"), JSON.stringify({ ...welcome, name: "Welcome 2" }));
    s = await startSendingServer({ OPENTIME_FLOWS_DIR: dir, OPENTIME_DATA_DIR: dataDir }, clock);
    expect(await (await s.api("/v1/flows/welcome")).json()).toMatchObject({ version: 2, name: "Welcome 2" });
    await s.close();
    s = await startSendingServer({ OPENTIME_FLOWS_DIR: dir, OPENTIME_DATA_DIR: dataDir }, clock);
    expect(await (await s.api("/v1/flows/welcome")).json()).toMatchObject({ version: 2 });
    await s.cleanup();
  });

  it("refuses to start on an invalid file, naming it, the path and the reason", async () => {
    const dir = flowsDir({ "bad.json": { ...welcome, start: "nope" } });
    await expect(startSendingServer({ OPENTIME_FLOWS_DIR: dir }, manualClock(0))).rejects.toThrow(
      /bad\.json: start: no step nope/,
    );
  });
});
