import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type ServerProcess, spawnServer } from "../helpers/process.js";
import { WRITE_KEY } from "../helpers/sending.js";
import { TEST_API_KEY, TEST_SECRET, tempDir } from "../helpers/server.js";
import { startSmtp, type TestSmtp, waitFor } from "../helpers/smtp.js";

// A real server process killed with SIGKILL in the middle of sending, then started again on
// the same data: every accepted send goes out, none twice (the SMTP server standing in for
// the provider keeps only the messages it acknowledged).
const dataDir = tempDir();
const CAPS = JSON.stringify({
  email: { hour: 1000, day: 1000, week: 1000 },
  perFlow: { email: { day: 1000 } },
});
let smtp: TestSmtp;
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await smtp?.close();
});

const auth = { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" };
async function api(srv: ServerProcess, path: string, body?: unknown) {
  const res = await fetch(`${srv.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: auth,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
const statuses = async (srv: ServerProcess) =>
  (await api(srv, "/v1/profiles/zoe@x.com/sends?limit=500")).body.sends as { key: string; status: string }[];
const send = (srv: ServerProcess, i: number) =>
  api(srv, "/v1/sends", {
    key: `k${i}`,
    person: "zoe@x.com",
    template: "note",
    campaign: "crash-test",
    data: { i },
  });

describe("a crash in the middle of sending", () => {
  it("resumes every accepted send at start: no duplicate, no lost send", async () => {
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
    };
    let srv = await spawnServer(env);
    const who = await fetch(`${srv.url}/v1/identify`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` },
      body: JSON.stringify({ userId: "zoe", traits: { email: "zoe@x.com" } }),
    });
    expect(who.status).toBe(200);
    expect(
      (
        await api(srv, "/v1/templates", {
          id: "note",
          name: "Note",
          subject: "Note {{ i }}",
          text: "n{{ i }}",
        })
      ).status,
    ).toBe(201);

    // Ten go out and are recorded as sent.
    for (let i = 0; i < 10; i++) expect((await send(srv, i)).body.status).toBe("accepted");
    await waitFor(
      async () => (await statuses(srv)).filter((r) => r.status === "sent").length === 10,
      15_000,
      "10 sent",
    );

    // Then the provider stops answering: thirty more are accepted, some reach it and wait for
    // its reply, the rest wait in the queue. The process is killed there.
    const held = smtp.hold();
    for (let i = 10; i < 40; i++) expect((await send(srv, i)).body.status).toBe("accepted");
    await held;
    srv.child.kill("SIGKILL");
    await srv.exited;
    // The provider never acknowledged what it held: those messages are not delivered.
    smtp.release();
    smtp.received.splice(10);
    expect(smtp.received).toHaveLength(10);

    srv = await spawnServer(env);
    await waitFor(
      async () => (await statuses(srv)).filter((r) => r.status === "sent").length === 40,
      30_000,
      "40 sent",
    );
    const ids = smtp.received.map((m) => m.header("message-id"));
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    expect(new Set(smtp.received.map((m) => m.header("x-opentime-key")))).toEqual(
      new Set(Array.from({ length: 40 }, (_, i) => `k${i}`)),
    );
    // A repeat of any key after the restart sends nothing more.
    expect((await send(srv, 3)).body.status).toBe("accepted");
    srv.child.kill("SIGTERM");
    expect(await srv.exited).toBe(0);
    expect(smtp.received).toHaveLength(40);
  }, 120_000);
});
