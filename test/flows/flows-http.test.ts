import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identify, manualClock, startSendingServer, WRITE_KEY } from "../helpers/sending.js";
import { type TestServer, UA } from "../helpers/server.js";
import { partOf, startSmtp, type TestSmtp, waitFor } from "../helpers/smtp.js";
import { mailgunSigned } from "../helpers/webhooks.js";

// Monday 5 January 2026, 12:00 in Paris: outside the default quiet hours.
const clock = manualClock(Date.UTC(2026, 0, 5, 11, 0));
const MIN = 60_000;
const KEY = "key-flows-0123456789abcdef0123456789ab";
let smtp: TestSmtp;
let s: TestServer;

const track = async (userId: string, event: string, properties: Record<string, unknown> = {}) => {
  const res = await fetch(`${s.url}/v1/track`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` },
    body: JSON.stringify({ userId, event, properties, timestamp: new Date(clock.now()).toISOString() }),
  });
  expect(res.status).toBe(200);
};
const mailsTo = (to: string) => smtp.received.filter((m) => m.to[0] === to);
const runsOf = async (person: string) =>
  ((await (await s.api(`/v1/profiles/${person}/runs`)).json()) as { runs: Record<string, any>[] }).runs;
/** Moves the server's clock; the scheduler (every 250 ms) fires what is due. */
const advance = (ms: number) => clock.advance(ms);

beforeAll(async () => {
  smtp = await startSmtp();
  s = await startSendingServer({ SMTP_URL: smtp.url, OPENTIME_MAILGUN_SIGNING_KEY: KEY }, clock);
  for (const u of ["ann", "bob", "cat", "dan"])
    await identify(s, u, { email: `${u}@x.com`, first_name: u, timezone: "Europe/Paris" });
});
afterAll(async () => {
  await s?.cleanup();
  await smtp?.close();
});

const added = {
  product_id: "sku1",
  name: "Blue Shoe",
  price: 40,
  quantity: 1,
  url: "https://shop.example/p/sku1",
};

describe("flows end to end (HTTP, SQLite, SMTP on loopback)", () => {
  it("refuses a definition that could send without end, with the path and reason", async () => {
    const res = await s.api("/v1/flows", {
      method: "POST",
      json: {
        name: "Loop",
        trigger: { type: "event", name: "x" },
        start: "a",
        steps: [
          { id: "a", type: "send", template: "t", next: "b" },
          { id: "b", type: "branch", branches: [{ when: { random: 50 }, next: "a" }], otherwise: "a" },
        ],
      },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; details: unknown[] } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toMatch(/body\.steps: steps a → b → a form a loop with no wait/);
    const bad = await s.api("/v1/flows", {
      method: "POST",
      json: {
        name: "x",
        trigger: { type: "event", name: "x" },
        start: "a",
        steps: [{ id: "a", type: "wait", duration: {}, next: "a" }],
      },
    });
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /steps\.0\.duration/,
    );
  });

  it("cart abandonment: first email after 30 min, a click ends it, else the live-price reminder after 24 h", async () => {
    const res = await s.api("/v1/builtin-flows/cart_abandonment", { method: "POST" });
    expect(res.status).toBe(201);
    const flow = (await res.json()) as { id: string; version: number; templatesCreated: string[] };
    expect(flow).toMatchObject({ id: "cart_abandonment", version: 1 });
    expect(flow.templatesCreated).toContain("cart-2");

    await track("ann", "Product Added", added);
    await track("bob", "Product Added", added);
    await waitFor(
      async () => (await runsOf("ann@x.com")).length === 1 && (await runsOf("bob@x.com")).length === 1,
    );
    advance(29 * MIN);
    await new Promise((r) => setTimeout(r, 600));
    expect(smtp.received).toHaveLength(0);
    advance(MIN);
    const first = await waitFor(() => mailsTo("ann@x.com")[0], 10_000, "ann's first email");
    await waitFor(() => mailsTo("bob@x.com")[0], 10_000, "bob's first email");
    expect(first.header("x-opentime-key")).toMatch(/^run_[\w-]+:first-(urgency|comparison|education)$/);

    // Bob clicks his email's tracked link: his run takes the answered branch and ends.
    const html = partOf(mailsTo("bob@x.com")[0]!.raw, "text/html")!;
    const href = html.match(/href="(https:\/\/ot\.example\/c\/[^"]+)"/)![1]!.replace(/&amp;/g, "&");
    const click = await fetch(href.replace("https://ot.example", s.url), {
      redirect: "manual",
      headers: { "user-agent": UA.chromeDesktop },
    });
    expect(click.status).toBe(302);
    await waitFor(
      async () => (await runsOf("bob@x.com"))[0]?.status === "exited",
      10_000,
      "bob's run to end",
    );

    advance(24 * 60 * MIN);
    const second = await waitFor(() => mailsTo("ann@x.com")[1], 10_000, "ann's second email");
    expect(second.header("subject")).toBe("Your cart is still waiting");
    expect(partOf(second.raw, "text/html")).toContain("Blue Shoe: 40");
    advance(24 * 60 * MIN);
    await waitFor(() => mailsTo("ann@x.com")[2], 10_000, "ann's last call");
    await waitFor(async () => (await runsOf("ann@x.com"))[0]?.status === "exited");
    expect(mailsTo("bob@x.com")).toHaveLength(1);

    const stats = (await (await s.api("/v1/flows/cart_abandonment/stats")).json()) as {
      flow: Record<string, number>;
      steps: { stepId: string; sent?: number }[];
    };
    expect(stats.flow).toMatchObject({ entered: 2, exited: 2, sent: 4, waiting: 0 });
    expect(stats.steps.find((x) => x.stepId === "second")!.sent).toBe(1);
    const metrics = await (await s.api("/metrics")).text();
    expect(metrics).toMatch(/opentime_flow_steps_total\{outcome="sent"\} 4/);
    const [annRun] = await runsOf("ann@x.com");
    expect(annRun!.steps.map((x: { outcome: string }) => x.outcome)).toContain("timed_out");
  });

  it("a goal ends the run mid-wait; an order after a flow's email counts for it", async () => {
    await track("cat", "Product Added", added);
    await waitFor(async () => (await runsOf("cat@x.com")).length === 1);
    advance(10 * MIN);
    await track("cat", "Order Completed", { order_id: "o1", revenue: 40 });
    await waitFor(async () => (await runsOf("cat@x.com"))[0]?.status === "goal", 10_000, "the goal");
    advance(60 * MIN);
    await new Promise((r) => setTimeout(r, 600));
    expect(mailsTo("cat@x.com")).toHaveLength(0);

    // Ann got the flow's emails within the conversion window: her order counts, with its revenue.
    await track("ann", "Order Completed", { order_id: "o2", revenue: 55 });
    const stats = await waitFor(async () => {
      const b = (await (await s.api("/v1/flows/cart_abandonment/stats")).json()) as {
        flow: Record<string, number>;
      };
      return b.flow.conversions === 1 ? b : undefined;
    });
    expect(stats.flow).toMatchObject({ conversions: 1, revenue: 55, goal: 1 });
  });

  it("a bounce from the ESP webhook stops a send still waiting in the flow", async () => {
    await track("dan", "Product Added", added);
    await waitFor(async () => (await runsOf("dan@x.com")).length === 1);
    const bounce = await fetch(`${s.url}/v1/webhooks/mailgun`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        mailgunSigned(
          KEY,
          {
            event: "failed",
            severity: "permanent",
            reason: "bounce",
            id: "ev-dan",
            timestamp: clock.now() / 1000,
            recipient: "dan@x.com",
          },
          { timestamp: Math.floor(clock.now() / 1000) },
        ),
      ),
    });
    expect(bounce.status).toBe(200);
    advance(30 * MIN);
    const run = await waitFor(async () => {
      const [r] = await runsOf("dan@x.com");
      return r?.steps.some((x: { outcome: string }) => x.outcome === "suppressed") ? r : undefined;
    });
    expect(run.steps.find((x: { outcome: string }) => x.outcome === "suppressed").detail).toBe("suppressed");
    expect(mailsTo("dan@x.com")).toHaveLength(0);
  });

  it("updates are new versions; runs stay on theirs; pause, resume, archive", async () => {
    const def = {
      name: "Welcome",
      trigger: { type: "event", name: "Signed Up" },
      start: "w",
      steps: [
        { id: "w", type: "wait", duration: { days: 1 }, next: "x" },
        { id: "x", type: "exit" },
      ],
    };
    expect((await s.api("/v1/flows", { method: "POST", json: { id: "welcome2", ...def } })).status).toBe(201);
    expect((await s.api("/v1/flows", { method: "POST", json: { id: "welcome2", ...def } })).status).toBe(409);
    const put = await s.api("/v1/flows/welcome2", { method: "PUT", json: { ...def, name: "Welcome v2" } });
    expect(await put.json()).toMatchObject({ version: 2, name: "Welcome v2", status: "active" });
    expect(await (await s.api("/v1/flows/welcome2?version=1")).json()).toMatchObject({
      version: 1,
      name: "Welcome",
    });
    const paused = await s.api("/v1/flows/welcome2/pause", { method: "POST" });
    expect(await paused.json()).toMatchObject({ status: "paused" });
    await track("ann", "Signed Up");
    await new Promise((r) => setTimeout(r, 300));
    expect((await runsOf("ann@x.com")).filter((r) => r.flowId === "welcome2")).toHaveLength(0);
    await s.api("/v1/flows/welcome2/resume", { method: "POST" });
    await track("ann", "Signed Up");
    await waitFor(async () =>
      (await runsOf("ann@x.com")).some((r) => r.flowId === "welcome2" && r.version === 2),
    );
    await s.api("/v1/flows/welcome2/archive", { method: "POST" });
    expect((await runsOf("ann@x.com")).find((r) => r.flowId === "welcome2")!.status).toBe("archived");
    const list = (await (await s.api("/v1/flows")).json()) as { flows: { id: string; status: string }[] };
    expect(list.flows.map((f) => f.id)).toEqual(["cart_abandonment", "welcome2"]);
  });
  it("a price drop of a product the person viewed starts the price-drop flow", async () => {
    await s.api("/v1/builtin-flows/price_drop", { method: "POST" });
    const put = (price: number) =>
      s.api("/v1/products", {
        method: "PUT",
        json: { products: [{ id: "sku9", name: "Red Hat", price, currency: "EUR", stock: 3 }] },
      });
    expect((await put(100)).status).toBe(200);
    await track("dan", "Product Viewed", { product_id: "sku9" });
    await track("bob", "Product Viewed", { product_id: "sku9" });
    await new Promise((r) => setTimeout(r, 300));
    // 5 % is below the built-in's 10 %: nothing; 20 % is a drop worth telling.
    await put(95);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received.filter((m) => m.header("subject")?.includes("Red Hat"))).toHaveLength(0);
    await put(76);
    const mail = await waitFor(() =>
      mailsTo("bob@x.com").find((m) => m.header("subject")?.includes("Red Hat")),
    );
    expect(mail.header("subject")).toBe("Red Hat is now 76 EUR");
    // Dan bounced earlier: suppressed, never mailed.
    expect(mailsTo("dan@x.com")).toHaveLength(0);
  });

  it("win-back: no open, click or visit for 60 days enters the built-in from the sweep", async () => {
    expect((await s.api("/v1/builtin-flows/win_back", { method: "POST" })).status).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received.filter((m) => m.header("subject") === "We miss you")).toHaveLength(0);
    advance(61 * 24 * 60 * MIN);
    await waitFor(async () => (await runsOf("ann")).some((r) => r.flowId === "win_back") || undefined);
    // It waits for the person's best hour, then sends.
    advance(24 * 60 * MIN);
    const mail = await waitFor(() => mailsTo("ann@x.com").find((m) => m.header("subject") === "We miss you"));
    expect(mail).toBeDefined();
  });
});
