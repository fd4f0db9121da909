import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { budgetFor, type ServerProcess, spawnServer } from "../helpers/process.js";
import { WRITE_KEY } from "../helpers/sending.js";
import { TEST_API_KEY, TEST_SECRET, tempDir } from "../helpers/server.js";
import { startSmtp, type TestSmtp, waitFor } from "../helpers/smtp.js";

// A real server process killed with SIGKILL while its flows are sending, then started again
// on the same data: every run's email goes out exactly once (the key is the run and step;
// a run interrupted mid-step is taken up again once its lease lapses).
const dataDir = tempDir();
const CAPS = JSON.stringify({
  email: { hour: 1000, day: 1000, week: 1000 },
  perFlow: { email: { day: 1000 } },
});
const PEOPLE = 30;
let smtp: TestSmtp;
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await smtp?.close();
});

const auth = { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" };
const segment = (srv: ServerProcess, body: unknown) =>
  fetch(`${srv.url}/v1/batch`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` },
    body: JSON.stringify(body),
  });
const go = async (srv: ServerProcess, from: number, to: number) => {
  const batch = [];
  for (let i = from; i < to; i++)
    batch.push({ type: "track", userId: `u${i}`, event: "Go", properties: { i } });
  expect((await segment(srv, { batch })).status).toBe(200);
};
const runsOf = async (srv: ServerProcess, i: number) =>
  (
    (await (await fetch(`${srv.url}/v1/profiles/u${i}/runs`, { headers: auth })).json()) as {
      runs?: unknown[];
    }
  ).runs ?? [];

describe("a crash while flows are sending", () => {
  it("resumes every run: no duplicate and no lost email", async () => {
    smtp = await startSmtp();
    const env = {
      OPENTIME_DATA_DIR: dataDir,
      OPENTIME_API_KEY: TEST_API_KEY,
      OPENTIME_SECRET: TEST_SECRET,
      OPENTIME_WRITE_KEY: WRITE_KEY,
      SMTP_URL: smtp.url,
      OPENTIME_MAIL_FROM: "hi@shop.example",
      OPENTIME_SEND_QUIET_HOURS: "off",
      OPENTIME_SEND_CAPS: CAPS,
      OPENTIME_FLOW_LEASE_MS: "1000",
    };
    let srv = await spawnServer(env);
    const batch = [];
    for (let i = 0; i < PEOPLE; i++)
      batch.push({ type: "identify", userId: `u${i}`, traits: { email: `u${i}@x.com` } });
    expect((await segment(srv, { batch })).status).toBe(200);
    const tpl = await fetch(`${srv.url}/v1/templates`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        id: "note",
        name: "Note",
        subject: "Note {{ event.i }}",
        text: "n{{ event.i }}",
      }),
    });
    expect(tpl.status).toBe(201);
    const flow = await fetch(`${srv.url}/v1/flows`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({
        id: "go",
        name: "Go",
        trigger: { type: "event", name: "Go" },
        start: "send",
        steps: [
          { id: "send", type: "send", template: "note", next: "done" },
          { id: "done", type: "exit" },
        ],
      }),
    });
    expect(flow.status).toBe(201);

    await go(srv, 0, 10);
    await waitFor(() => smtp.received.length === 10, budgetFor(1), "10 emails");

    // The provider stops answering; twenty more runs start and send, and the process dies.
    const held = smtp.hold();
    await go(srv, 10, PEOPLE);
    await held;
    await waitFor(async () => (await runsOf(srv, PEOPLE - 1)).length === 1, budgetFor(1), "the last run");
    srv.child.kill("SIGKILL");
    await srv.exited;
    smtp.release();
    smtp.received.splice(10);

    srv = await spawnServer(env);
    await waitFor(() => smtp.received.length >= PEOPLE, budgetFor(2), `${PEOPLE} emails`);
    // Time for a duplicate to show, had there been one: the scheduler runs every 250 ms.
    await new Promise((r) => setTimeout(r, 1500));
    const keys = smtp.received.map((m) => m.header("x-opentime-key")!);
    expect(keys).toHaveLength(PEOPLE);
    expect(new Set(smtp.received.map((m) => m.to[0])).size).toBe(PEOPLE);
    expect(keys.every((k) => /^run_[\w-]+:send$/.test(k))).toBe(true);
    srv.child.kill("SIGTERM");
    expect(await srv.exited).toBe(0);
  }, 120_000);
});
