// The web app (/app) end to end in a real headless Chromium (Debian's, driven by
// playwright-core), against a real server on loopback with a real SQLite file. One browser
// for the whole file; the steps build on each other (sign in, build, send traffic, watch).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppAuth } from "../../src/core/auth/sessions.js";
import { systemClock, webRandom } from "../../src/core/services.js";
import { createScryptHasher } from "../../src/node/auth/scrypt.js";
import { DB_FILE } from "../../src/node/server.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { SqliteUserStore } from "../../src/node/sqlite/user-store.js";
import { runStartMs, SLOWDOWN } from "../helpers/budget.js";
import { startTestServer, type TestServer, UA } from "../helpers/server.js";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const ROOT = join(import.meta.dirname, "..", "..");
const ARTIFACTS = join(ROOT, "test-artifacts", "webapp");
const WRITE_KEY = "wk_webapp_test_0123456789";
const ADMIN = { email: "admin@example.com", password: "correct horse battery" };
const EDITOR = { email: "editor@example.com", password: "editor password 1" };
// Budgets in measured server starts (the machine's load as the run began).
const T = (starts: number) => Math.ceil(Math.max(1000, runStartMs) * starts);

type PW = typeof import("playwright-core");
type Browser = Awaited<ReturnType<PW["chromium"]["launch"]>>;
type Page = Awaited<ReturnType<Browser["newPage"]>>;

describe.skipIf(!CHROMIUM)("the web app in Chromium", () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  let axeSource = "";
  let blockId = "";
  const campaign = "xmas-webapp";

  /** Runs a step; on failure keeps a screenshot of the page under test-artifacts/. */
  const step = (name: string, starts: number, fn: () => Promise<void>) =>
    it(
      name,
      async () => {
        try {
          await fn();
        } catch (err) {
          mkdirSync(ARTIFACTS, { recursive: true });
          await page
            ?.screenshot({
              path: join(ARTIFACTS, `${name.replace(/[^a-z0-9]+/gi, "-")}.png`),
              fullPage: true,
            })
            .catch(() => {});
          throw err;
        }
      },
      T(starts),
    );

  /** axe-core in the page: no serious or critical violation. */
  const axe = async (what: string) => {
    await page.evaluate(axeSource);
    const res = (await page.evaluate(async () => {
      const r = await (globalThis as any).axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v: any) => ({
        id: v.id,
        impact: v.impact,
        nodes: v.nodes.length,
        help: v.help,
      }));
    })) as { id: string; impact: string; nodes: number; help: string }[];
    const bad = res.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(bad, `${what}: ${JSON.stringify(bad)}`).toEqual([]);
  };

  const go = async (hash: string, waitFor: string) => {
    await page.goto(`${s.url}/app/${hash}`);
    await page.waitForSelector(waitFor, { timeout: T(4) });
  };

  beforeAll(async () => {
    if (!existsSync(join(ROOT, "dist", "app", "index.html"))) {
      execFileSync(process.execPath, [join(ROOT, "web", "build.mjs")], { stdio: "ignore" });
    }
    // Real scrypt at a lower cost: the same code, fewer seconds per sign-in under load.
    s = await startTestServer({ OPENTIME_WRITE_KEY: WRITE_KEY }, undefined, {
      passwords: createScryptHasher(14),
    });
    axeSource = readFileSync(join(ROOT, "node_modules", "axe-core", "axe.min.js"), "utf8");
    const { chromium } = (await import("playwright-core")) as PW;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
    page = await context.newPage();
  }, T(24));

  afterAll(async () => {
    await browser?.close();
    await s?.cleanup();
  });

  step("a wrong password is refused, and the sign-in page passes axe", 8, async () => {
    expect(s.setupUrl).toMatch(/\/app\/#\/setup\/[\w-]{30,}$/);
    await go("", "#email");
    await page.fill("#email", EDITOR.email);
    await page.fill("#password", "not the password");
    await page.click("button[type=submit]");
    await expect(page.waitForSelector("[role=alert]", { timeout: T(4) })).resolves.toBeTruthy();
    expect(await page.textContent("[role=alert]")).toContain("wrong email or password");
    await axe("sign-in");
  });

  step("the first-run link creates the admin, who lands on the empty state", 8, async () => {
    await page.goto(s.setupUrl!.replace(/^http:\/\/[^/]+/, s.url));
    await page.waitForSelector("#email");
    await page.fill("#email", ADMIN.email);
    await page.fill("#password", ADMIN.password);
    await page.click("button[type=submit]");
    await page.waitForSelector("text=Create your first timer", { timeout: T(4) });
    await axe("blocks (empty)");
    // The link works once.
    const again = await fetch(`${s.url}/app/auth/setup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        token: s.setupUrl!.split("/").pop(),
        email: "x@example.com",
        password: "0123456789ab",
      }),
    });
    expect(again.status).toBe(409);
  });

  step("sign out, then sign in with the right password", 8, async () => {
    await page.click(".account summary");
    await page.click("text=Sign out everywhere");
    await page.waitForSelector("#email");
    await page.fill("#email", ADMIN.email);
    await page.fill("#password", ADMIN.password);
    await page.click("button[type=submit]");
    await page.waitForSelector("text=Create your first timer", { timeout: T(4) });
    // First paint of a fresh load on loopback: under a second at rest (scaled by the load).
    await page.goto(`${s.url}/app/#/blocks`);
    await page.waitForSelector("h1");
    const fcp = await page.evaluate(
      () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN,
    );
    expect(fcp).toBeLessThan(1000 * SLOWDOWN);
  });

  step("build a countdown: the API's errors by the field, then its preview image", 12, async () => {
    await page.click("text=Create your first timer");
    await page.waitForSelector("#opt-deadline-local");
    await page.fill("#opt-width", "5");
    await page.fill("#opt-campaign", campaign);
    await page.click("text=Save and preview");
    await page.waitForSelector("#opt-width-err", { timeout: T(4) });
    expect(await page.getAttribute("#opt-width", "aria-invalid")).toBe("true");
    await axe("builder with errors");
    await page.fill("#opt-width", "600");
    await page.click("text=Save and preview");
    const img = await page.waitForSelector("#preview-img", { timeout: T(8) });
    await page.waitForFunction(
      () => {
        const i = document.getElementById("preview-img") as HTMLImageElement | null;
        return !!i && i.complete && i.naturalWidth > 0;
      },
      undefined,
      { timeout: T(4) },
    );
    expect(await img.evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(600);
    blockId = page.url().split("/").pop()!;
    expect(blockId.length).toBeGreaterThan(10);
    await axe("builder with preview");
  });

  step("copy the snippet: the API's image URL with the ESP's merge tag", 6, async () => {
    const block = (await (await s.api(`/v1/blocks/${blockId}`)).json()) as { url: string };
    await page.selectOption("#sn-dialect", "klaviyo");
    await page.fill("#sn-dest", "https://shop.example/sale");
    await page.waitForFunction(
      () => (document.getElementById("snippet") as HTMLTextAreaElement).value.startsWith("<a "),
      undefined,
      {
        timeout: T(4),
      },
    );
    await page.click("text=Copy snippet");
    await page.waitForSelector("text=Copied to the clipboard");
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain(`src="${block.url}?u={{ person.email|urlencode }}"`);
    const href = /href="([^"]+)"/.exec(copied)![1]!;
    // The link is a real tracked link to the destination.
    const res = await fetch(href.replace("{{ person.email|urlencode }}", "ann%40example.com"), {
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://shop.example/sale");
  });

  step("wrap an email: tracked and skipped links, with why", 8, async () => {
    await go("#/wrap", "#wr-html");
    await page.fill("#wr-campaign", campaign);
    await page.selectOption("#wr-dialect", "mailchimp");
    await page.fill(
      "#wr-html",
      '<p><a href="https://shop.example/a">A</a> <a href="https://shop.example/b">B</a> <a href="mailto:x@example.com">mail</a> <a href="*|UNSUB|*">unsubscribe</a></p>',
    );
    await page.click("text=Wrap links");
    await page.waitForSelector("#wrap-result", { timeout: T(4) });
    expect(await page.locator("#tracked-links tbody tr").count()).toBe(2);
    expect(await page.locator("#skipped-links tbody tr").count()).toBeGreaterThanOrEqual(1);
    await axe("wrapper");
  });

  step("a campaign's charts after traffic: people apart from machines, then a live event", 16, async () => {
    const hit = (u: string, ua: string) =>
      fetch(`${s.url}/i/${blockId}.gif?u=${encodeURIComponent(u)}`, { headers: { "user-agent": ua } }).then(
        (r) => r.arrayBuffer(),
      );
    await hit("ann@example.com", UA.chromeDesktop);
    await hit("bob@example.com", UA.iphoneSafari);
    await hit("cat@example.com", UA.appleMpp);
    await hit("dan@example.com", UA.gmailProxy);
    await hit("eve@example.com", UA.curl);
    await go(`#/campaigns/${campaign}`, "#stat-human-opens");
    await page.waitForFunction(
      () => document.querySelector("#stat-machine-opens .card-value")?.textContent === "3",
      undefined,
      { timeout: T(4) },
    );
    expect(await page.textContent("#stat-human-opens .card-value")).toBe("2");
    expect(await page.locator("#class-table tr[data-class=apple_mpp]").count()).toBe(1);
    expect(await page.locator("#class-table tr[data-class=gmail_proxy]").count()).toBe(1);
    await page.waitForSelector(".uplot", { timeout: T(4) });
    expect(await page.locator(".uplot").count()).toBe(2);
    await page.waitForSelector(".live.live", { timeout: T(4) });
    await axe("campaign");
    // A new open arrives without a reload (SSE).
    await hit("fay@example.com", UA.chromeDesktop);
    await page.waitForFunction(
      () => document.getElementById("live-news")?.textContent?.includes("1 open"),
      undefined,
      { timeout: T(6) },
    );
    // Uniques are folded from the log in the background (every 2 s): they follow, still live.
    await page.waitForFunction(
      () => document.querySelector("#stat-human-opens .card-value")?.textContent === "3",
      undefined,
      { timeout: T(6) },
    );
    await go("#/campaigns", "table");
    await axe("campaign list");
  });

  step("search a person and see their timeline", 10, async () => {
    const seg = (path: string, body: unknown) =>
      fetch(`${s.url}/v1/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` },
        body: JSON.stringify(body),
      }).then((r) => expect(r.status).toBe(200));
    await seg("identify", { userId: "u-ann", traits: { email: "ann@example.com", first_name: "Ann" } });
    await seg("track", {
      userId: "u-ann",
      event: "Order Completed",
      properties: { total: 42, currency: "EUR" },
    });
    await go("#/people", "#person-q");
    await page.fill("#person-q", "ann@example.com");
    await page.click("form[aria-label='Find a person'] button");
    await page.waitForSelector("#timeline", { timeout: T(4) });
    const text = await page.textContent("#timeline");
    expect(text).toContain("Order Completed");
    expect(text).toContain("email open");
    expect(await page.locator("#erase-confirm").count()).toBe(1);
    await axe("person");
    await go("#/catalog", "#product-q");
    await axe("catalog");
  });

  step("a change without the CSRF token, or from another origin, is refused", 6, async () => {
    const body = JSON.stringify({ type: "countdown", options: { deadline: "2030-01-01T00:00:00Z" } });
    const inPage = await page.evaluate(
      (b) =>
        fetch("/v1/blocks", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: b,
        }).then((r) => r.status),
      body,
    );
    expect(inPage).toBe(403);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "ot_session")!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe("Strict");
    const me = (await (
      await fetch(`${s.url}/app/auth/me`, { headers: { cookie: `ot_session=${session.value}` } })
    ).json()) as {
      csrf: string;
    };
    const post = (origin: string) =>
      fetch(`${s.url}/v1/blocks`, {
        method: "POST",
        headers: {
          cookie: `ot_session=${session.value}`,
          "x-csrf-token": me.csrf,
          origin,
          "content-type": "application/json",
        },
        body,
      }).then((r) => r.status);
    expect(await post("https://evil.example")).toBe(403);
    expect(await post(s.url)).toBe(201);
  });

  step("phone width and dark mode: nothing wider than the screen, axe still clean", 10, async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: "dark" });
    for (const [hash, sel] of [
      [`#/blocks/${blockId}`, "#preview-img"],
      [`#/campaigns/${campaign}`, ".uplot"],
      ["#/people/ann%40example.com", "#timeline"],
    ] as const) {
      await go(hash, sel);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(wide, hash).toBeLessThanOrEqual(390);
      await axe(`${hash} (phone, dark)`);
    }
  });

  step("an editor signs in but may not erase people; the API key still works", 6, async () => {
    // Added as `opentime user add` does (the same store on the same file).
    const db = openDatabase(join(s.dataDir, DB_FILE));
    await new AppAuth(new SqliteUserStore(db), createScryptHasher(14), systemClock, webRandom).addUser(
      EDITOR.email,
      EDITOR.password,
      "editor",
    );
    db.close();
    const login = await fetch(`${s.url}/app/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(EDITOR),
    });
    expect(login.status).toBe(200);
    const { csrf } = (await login.json()) as { csrf: string };
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const asEditor = (method: string, path: string) =>
      fetch(`${s.url}${path}`, { method, headers: { cookie, "x-csrf-token": csrf } }).then((r) => r.status);
    expect(await asEditor("GET", "/v1/profiles/ann%40example.com")).toBe(200);
    expect(await asEditor("DELETE", "/v1/profiles/ann%40example.com")).toBe(403);
    expect(await asEditor("GET", "/v1/recipients/key")).toBe(403);
    expect((await s.api("/v1/blocks")).status).toBe(200);
    expect((await fetch(`${s.url}/v1/blocks`)).status).toBe(401);
  });
});
