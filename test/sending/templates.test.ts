import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identify, manualClock, startSendingServer } from "../helpers/sending.js";
import type { TestServer } from "../helpers/server.js";

const clock = manualClock(Date.UTC(2026, 0, 5, 11, 0));
let s: TestServer;
beforeAll(async () => {
  s = await startSendingServer({}, clock);
  await identify(s, "lea", { email: "lea@x.com", first_name: "Léa", city: "Lyon" });
});
afterAll(() => s?.cleanup());

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
const post = (path: string, body: unknown) => s.api(path, { method: "POST", json: body });

describe("/v1/templates", () => {
  it("creates, reads, versions, lists and deletes templates", async () => {
    const created = await json(
      await post("/v1/templates", {
        id: "welcome",
        name: "Welcome",
        subject: "Hi {{ person.first_name }}",
        html: "<p>1</p>",
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: "welcome",
      version: 1,
      name: "Welcome",
      createdAt: "2026-01-05T11:00:00.000Z",
    });
    expect((await json(await post("/v1/templates", { id: "welcome", name: "x", sms: "x" }))).status).toBe(
      409,
    );

    clock.advance(60_000);
    const v2 = await json(
      await s.api("/v1/templates/welcome", {
        method: "PUT",
        json: { name: "Welcome", subject: "Hello", html: "<p>2</p>" },
      }),
    );
    expect(v2.body).toMatchObject({ version: 2, html: "<p>2</p>", updatedAt: "2026-01-05T11:01:00.000Z" });
    expect((await json(await s.api("/v1/templates/welcome"))).body.version).toBe(2);
    expect((await json(await s.api("/v1/templates/welcome?version=1"))).body.html).toBe("<p>1</p>");
    expect((await s.api("/v1/templates/welcome?version=9")).status).toBe(404);

    const generated = await json(
      await post("/v1/templates", { name: "SMS only", sms: "Hi {{ person.first_name }}" }),
    );
    expect(generated.body.id).toMatch(/^tpl_[\w-]{12}$/);
    const page1 = await json(await s.api("/v1/templates?limit=1"));
    expect(page1.body.templates.map((t: any) => t.id)).toEqual(["welcome"]);
    const page2 = await json(await s.api(`/v1/templates?limit=1&after=${page1.body.next}`));
    expect(page2.body.templates.map((t: any) => t.id)).toEqual([generated.body.id]);

    expect((await s.api(`/v1/templates/${generated.body.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await s.api(`/v1/templates/${generated.body.id}`)).status).toBe(404);
    expect((await s.api(`/v1/templates/${generated.body.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("refuses what would fail at send time: bad Liquid, unknown filters, file tags, no content", async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: "x", subject: "Hi {{ person.first_name ", html: "<p/>" }, /^subject: /],
      [
        { name: "x", subject: "s", html: "{{ 'a' | no_such_filter }}" },
        /^html: undefined filter: no_such_filter/,
      ],
      [
        { name: "x", subject: "s", html: "{% include 'header' %}" },
        /^html: \{% include %\} is not supported/,
      ],
      [{ name: "x" }, /needs at least one of html, text, sms or push/],
      [{ name: "x", html: "<p/>" }, /needs a subject/],
      [{ name: "x", sms: "s", extra: 1 }, /Unrecognized key/],
      [{ id: "../etc", name: "x", sms: "s" }, /^body\.id: /],
    ];
    for (const [body, message] of cases) {
      const res = await json(await post("/v1/templates", body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
      expect(res.body.error.message).toMatch(message);
    }
  });

  it("previews a template for a person, with data, fallbacks and the missing variable named", async () => {
    await post("/v1/templates", {
      id: "drop",
      name: "Price drop",
      subject: "{{ product.name }} is now {{ product.price }} in {{ person.city | default: 'your city' }}",
      html: '<p>Hi {{ person.first_name | default: "there" }}</p><a href="{{ product.url }}">See it</a>',
    });
    const product = { name: "Blue Shoe", price: 59, url: "https://shop.example/p/1" };
    const res = await json(
      await post("/v1/templates/drop/preview", { person: "lea@x.com", data: { product } }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ template: "drop", version: 1, subject: "Blue Shoe is now 59 in Lyon" });
    expect(res.body.html).toMatch(
      /<a href="https:\/\/ot\.example\/c\/[\w-]+\?u=lea%40x\.com&amp;us=[0-9a-f]{64}">See it<\/a>/,
    );
    expect(res.body.html).toContain('<img src="https://ot.example/o/preview.gif?u=lea%40x.com&amp;us=');

    const raw = await json(
      await post("/v1/templates/drop/preview", { person: "lea@x.com", data: { product }, wrap: false }),
    );
    expect(raw.body.html).toBe('<p>Hi Léa</p><a href="https://shop.example/p/1">See it</a>');

    const missing = await json(await post("/v1/templates/drop/preview", { person: "lea@x.com", data: {} }));
    expect(missing.status).toBe(422);
    expect(missing.body.error.message).toMatch(/^subject: undefined variable: product/);
    expect((await post("/v1/templates/drop/preview", { person: "nobody@x.com" })).status).toBe(404);
    expect((await post("/v1/templates/nope/preview", { person: "lea@x.com" })).status).toBe(404);
  });

  it("answers 401 without the operator key", async () => {
    expect((await fetch(`${s.url}/v1/templates`)).status).toBe(401);
    expect((await fetch(`${s.url}/v1/dead-letters`)).status).toBe(401);
  });
});

describe("/v1/sends", () => {
  it("validates a send request and answers what was decided", async () => {
    const bad = await json(await post("/v1/sends", { key: "k", person: "lea@x.com", template: "drop" }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/campaign/);
    // No channel is configured on this server: skipped, and recorded on the person.
    const out = await json(
      await post("/v1/sends", { key: "k1", person: "lea@x.com", template: "welcome", campaign: "welcome-1" }),
    );
    expect(out).toEqual({ status: 202, body: { status: "skipped", reason: "no_channel" } });
    const sends = await json(await s.api("/v1/profiles/lea@x.com/sends"));
    expect(sends.body.sends).toMatchObject([
      { key: "k1", status: "skipped", reason: "no_channel", flowId: "api" },
    ]);
    expect((await s.api("/v1/sends/nope")).status).toBe(400);
    expect((await s.api("/v1/sends/s_unknown0000")).status).toBe(404);
    expect((await s.api("/v1/profiles/nobody@x.com/sends")).status).toBe(404);
    const metrics = await (await s.api("/metrics")).text();
    expect(metrics).toContain('opentime_send_decisions_total{outcome="skipped",reason="no_channel"} 1');
    expect(metrics).toContain("opentime_send_queue 0");
  });

  it("erases a person's attempts with the person", async () => {
    expect(await s.sending!.store.sends.byKey("k1")).not.toBeNull();
    expect((await s.api("/v1/profiles/lea@x.com", { method: "DELETE" })).status).toBe(200);
    expect(await s.sending!.store.sends.byKey("k1")).toBeNull();
  });
});
