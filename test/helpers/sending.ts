import type { SendRequest } from "../../src/core/ports/messaging.js";
import { startTestServer, type TestServer, tempDir } from "./server.js";

export const WRITE_KEY = "wk_sending_test_0123456789";
export const PUBLIC_URL = "https://ot.example";

/** A clock tests move by hand (the server's and the Messenger's time). */
export function manualClock(start: number) {
  let t = start;
  return {
    now: () => t,
    set(ms: number) {
      t = ms;
    },
    advance(ms: number) {
      t += ms;
    },
  };
}

/** A real server whose clock is `clock`, with the env given (providers, caps…). */
export async function startSendingServer(
  env: Record<string, string>,
  clock: { now(): number },
): Promise<TestServer> {
  return startTestServer(
    {
      OPENTIME_WRITE_KEY: WRITE_KEY,
      OPENTIME_PUBLIC_URL: PUBLIC_URL,
      OPENTIME_MAIL_FROM: "Shop <hi@shop.example>",
      ...env,
    },
    tempDir(),
    { clock },
  );
}

/** A person as a site's Segment identify call makes them. */
export async function identify(
  s: TestServer,
  userId: string,
  traits: Record<string, unknown>,
): Promise<void> {
  const res = await fetch(`${s.url}/v1/identify`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` },
    body: JSON.stringify({ userId, traits }),
  });
  if (res.status !== 200) throw new Error(`identify: ${res.status} ${await res.text()}`);
}

export async function createTemplate(s: TestServer, body: Record<string, unknown>): Promise<void> {
  const res = await s.api("/v1/templates", { method: "POST", json: body });
  if (res.status !== 201) throw new Error(`template: ${res.status} ${await res.text()}`);
}

/** A request as a flow's send step makes it. */
export function request(over: Partial<SendRequest> & { key: string; person: string }): SendRequest {
  const flowId = over.source?.flowId ?? "cart";
  return {
    template: "cart",
    channels: ["email"],
    priority: 50,
    data: {},
    campaign: `${flowId}-send`,
    ...over,
    source: { flowId, flowVersion: 1, runId: over.key.split(":")[0]!, stepId: "send", ...over.source },
  };
}
