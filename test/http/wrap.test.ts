import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, UA } from "../helpers/server.js";

const ROOT = resolve(import.meta.dirname, "../..");
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ OPENTIME_PUBLIC_URL: "https://ot.example.com" });
});
afterAll(async () => {
  await s.cleanup();
});

const wrap = (json: unknown) => s.api("/v1/emails/wrap", { method: "POST", json });

describe("POST /v1/emails/wrap", () => {
  it("turns a Mailchimp newsletter into tracked HTML whose links redirect to the originals", async () => {
    const html = readFileSync(resolve(ROOT, "test/fixtures/emails/mailchimp-newsletter.html"), "utf8");
    const res = await wrap({ html, campaign: "news-1", dialect: "mailchimp", utm: { source: "newsletter" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      html: string;
      links: { id: string; url: string; count: number }[];
      skipped: unknown[];
    };
    expect(body.links.length).toBeGreaterThan(3);
    expect(body.html).toContain('src="https://ot.example.com/o/news-1.gif?u=*|URL:EMAIL|*"');
    expect(body.html).toContain("*|UNSUB|*"); // the unsubscribe link is left alone
    for (const link of body.links) {
      expect(body.html).toContain(`https://ot.example.com/c/${link.id}?u=*|URL:EMAIL|*`);
      const hit = await fetch(`${s.url}/c/${link.id}?u=ann%40x.com`, {
        redirect: "manual",
        headers: { "user-agent": UA.chromeDesktop },
      });
      expect(hit.status).toBe(302);
      const dest = new URL(hit.headers.get("location")!);
      expect(dest.searchParams.get("utm_source")).toBeTruthy();
      expect(new URL(link.url).href.split("?")[0]).toBe(dest.href.split("?")[0]);
    }
    const stats = (await (await s.api("/v1/campaigns/news-1/stats")).json()) as any;
    expect(stats.clicks.total).toBe(body.links.length);
    // Wrapped again (a resend, an edit): the same links, not new ones.
    const again = (await (
      await wrap({ html, campaign: "news-1", dialect: "mailchimp", utm: { source: "newsletter" } })
    ).json()) as typeof body;
    expect(again.links.map((l) => l.id)).toEqual(body.links.map((l) => l.id));
  });

  it.each([
    ["hubspot-newsletter", "hubspot"],
    ["sendgrid-design-editor", "sendgrid"],
  ])(
    "tracks content links that mention preferences or opting out, and says why each link is left alone (%s)",
    async (name, dialect) => {
      const html = readFileSync(resolve(ROOT, `test/fixtures/emails/${name}.html`), "utf8");
      const expected = JSON.parse(
        readFileSync(resolve(ROOT, `test/fixtures/emails/${name}.expected.json`), "utf8"),
      );
      const res = await wrap({ html, campaign: `content-${dialect}`, dialect });
      const body = (await res.json()) as {
        links: { id: string; url: string; count: number }[];
        skipped: { url: string; reason: string; detail?: string }[];
      };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.links.map((l) => [l.url, l.count])).toEqual(expected.wrapped);
      expect(body.skipped.map((k) => [k.reason, k.url, ...(k.detail ? [k.detail] : [])])).toEqual(
        expected.skipped,
      );
      for (const k of body.skipped) if (k.reason === "unsubscribe") expect(k.detail, k.url).toBeTruthy();
      const gift = body.links.find((l) => l.url.includes("/collections/preferences-gift-set"))!;
      const hit = await fetch(`${s.url}/c/${gift.id}?u=ann%40x.com`, {
        redirect: "manual",
        headers: { "user-agent": UA.chromeDesktop },
      });
      expect(hit.headers.get("location")).toBe(gift.url);
    },
  );

  it("answers clear 400s for unknown dialects, bad campaigns and too many links; 401 without the key", async () => {
    const bad = await wrap({ html: "<p>x</p>", campaign: "c", dialect: "outlook" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toContain("dialect");
    expect((await wrap({ html: "<p>x</p>", campaign: "bad id!", dialect: "none" })).status).toBe(400);
    const many = Array.from({ length: 2001 }, (_, i) => `<a href="https://x.example/${i}">${i}</a>`).join("");
    const tooMany = await wrap({ html: many, campaign: "c", dialect: "none" });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as any).error.details.reason).toBe("too_many_links");
    const noKey = await fetch(`${s.url}/v1/emails/wrap`, { method: "POST", body: "{}" });
    expect(noKey.status).toBe(401);
  });
});
