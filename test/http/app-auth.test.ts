import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppAuth } from "../../src/core/auth/sessions.js";
import { systemClock, webRandom } from "../../src/core/services.js";
import { createScryptHasher } from "../../src/node/auth/scrypt.js";
import { DB_FILE } from "../../src/node/server.js";
import { openDatabase } from "../../src/node/sqlite/store.js";
import { SqliteUserStore } from "../../src/node/sqlite/user-store.js";
import { startTestServer, type TestServer, UA } from "../helpers/server.js";

// People's sign-in to the web app, over real HTTP with a real SQLite file.
describe("web app sign-in and sessions", () => {
  let s: TestServer;
  const who = { email: "ann@example.com", password: "a long enough password" };

  const login = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/app/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const signIn = async (headers: Record<string, string> = {}) => {
    const res = await login(who, headers);
    expect(res.status).toBe(200);
    const { csrf } = (await res.json()) as { csrf: string };
    return { cookie: res.headers.get("set-cookie")!, csrf };
  };

  beforeAll(async () => {
    // Real scrypt at a lower cost: the same code, fewer seconds per sign-in under load.
    s = await startTestServer({ OPENTIME_TRUST_PROXY: "loopback" }, undefined, {
      passwords: createScryptHasher(14),
    });
    const db = openDatabase(join(s.dataDir, DB_FILE));
    await new AppAuth(new SqliteUserStore(db), createScryptHasher(14), systemClock, webRandom).addUser(
      who.email,
      who.password,
      "admin",
    );
    db.close();
  });
  afterAll(async () => {
    await s.cleanup();
  });

  it("sets an HttpOnly, SameSite=Strict cookie; Secure when a trusted proxy says https", async () => {
    const plain = await signIn();
    expect(plain.cookie).toMatch(/^ot_session=[\w-]{40,};/);
    expect(plain.cookie).toMatch(/HttpOnly/);
    expect(plain.cookie).toMatch(/SameSite=Strict/);
    expect(plain.cookie).not.toMatch(/Secure/);
    const tls = await signIn({ "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9" });
    expect(tls.cookie).toMatch(/Secure/);
  });

  it("a session reads the API; a change needs its CSRF token", async () => {
    const { cookie, csrf } = await signIn();
    const c = cookie.split(";")[0]!;
    expect((await fetch(`${s.url}/v1/campaigns`, { headers: { cookie: c } })).status).toBe(200);
    const post = (h: Record<string, string>) =>
      fetch(`${s.url}/v1/links`, {
        method: "POST",
        headers: { cookie: c, "content-type": "application/json", ...h },
        body: JSON.stringify({ url: "https://shop.example/" }),
      }).then((r) => r.status);
    expect(await post({})).toBe(403);
    expect(await post({ "x-csrf-token": "x".repeat(43) })).toBe(403);
    expect(await post({ "x-csrf-token": csrf, "sec-fetch-site": "cross-site" })).toBe(403);
    expect(await post({ "x-csrf-token": csrf })).toBe(201);
    // A forged cookie is no session.
    expect((await fetch(`${s.url}/v1/campaigns`, { headers: { cookie: "ot_session=forged" } })).status).toBe(
      401,
    );
  });

  it("signing out everywhere ends every session of the person", async () => {
    const a = await signIn();
    const b = await signIn();
    const out = await fetch(`${s.url}/app/auth/logout`, {
      method: "POST",
      headers: {
        cookie: a.cookie.split(";")[0]!,
        "x-csrf-token": a.csrf,
        "content-type": "application/json",
      },
      body: JSON.stringify({ everywhere: true }),
    });
    expect(out.status).toBe(200);
    for (const x of [a, b]) {
      const me = await fetch(`${s.url}/app/auth/me`, { headers: { cookie: x.cookie.split(";")[0]! } });
      expect(((await me.json()) as { user: unknown }).user).toBeNull();
    }
  });

  it("limits failed sign-ins per email: the right password waits too", async () => {
    const headers = { "x-forwarded-for": "198.51.100.7", "user-agent": UA.curl };
    for (let i = 0; i < 10; i++) {
      expect((await login({ ...who, password: `wrong ${i}` }, headers)).status).toBe(401);
    }
    expect((await login(who, headers)).status).toBe(429);
    // Another address is limited for this account too (the email's own count).
    expect((await login(who, { "x-forwarded-for": "198.51.100.8" })).status).toBe(429);
  });

  it("refuses a cross-origin sign-in", async () => {
    expect((await login(who, { origin: "https://evil.example" })).status).toBe(403);
  });
});
