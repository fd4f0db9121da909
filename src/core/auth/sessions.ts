import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import type { Clock, RandomBytes } from "../ports/index.js";
import type { PasswordHasher, Role, SessionRecord, UserRecord, UserStore } from "../ports/users.js";
import { base64url, timingSafeEqual, utf8 } from "../util/encoding.js";
import { SignInLimiter } from "./sign-in-limiter.js";

export const SESSION_COOKIE = "ot_session";
export const CSRF_HEADER = "x-csrf-token";
const SESSION_MS = 7 * 24 * 3600_000;
const SETUP_MS = 24 * 3600_000;

export async function sha256Hex(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(s)));
  let out = "";
  for (const b of d) out += b.toString(16).padStart(2, "0");
  return out;
}

export interface SignedIn {
  user: UserRecord;
  session: SessionRecord;
}

export interface PublicUser {
  id: string;
  email: string;
  role: Role;
}

export const publicUser = (u: UserRecord): PublicUser => ({ id: u.id, email: u.email, role: u.role });

/** Sign-in, sessions and the setup token: the web app's auth, over the UserStore port. */
export class AppAuth {
  readonly limiter = new SignInLimiter();
  // A hash to verify against when the email is unknown, so both answers take as long.
  private dummyHash: Promise<string> | null = null;

  constructor(
    readonly users: UserStore,
    readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly random: RandomBytes,
  ) {}

  token(): string {
    return base64url(this.random(32));
  }

  async addUser(email: string, password: string, role: Role): Promise<UserRecord> {
    const user: UserRecord = {
      id: `usr_${base64url(this.random(9))}`,
      email: email.trim().toLowerCase(),
      role,
      passwordHash: await this.hasher.hash(password),
      createdAt: this.clock.now(),
    };
    if (await this.users.userByEmail(user.email))
      throw new ApiError("conflict", "a user with that email exists");
    await this.users.createUser(user);
    return user;
  }

  /** A setup token for the first admin (only while there is no user); its link is printed at start. */
  async setupToken(): Promise<string | null> {
    if ((await this.users.countUsers()) > 0) return null;
    const token = this.token();
    await this.users.putSetupToken(await sha256Hex(token), this.clock.now() + SETUP_MS);
    return token;
  }

  async signIn(
    email: string,
    password: string,
    ip: string | null,
  ): Promise<{ user: UserRecord; session: SessionRecord & { token: string } }> {
    const now = this.clock.now();
    const e = email.trim().toLowerCase();
    const keys = [`e:${e}`, `ip:${ip ?? "unknown"}`];
    if (!keys.every((k) => this.limiter.allows(k, now))) {
      throw new ApiError("rate_limited", "too many failed sign-ins; try again in 15 minutes");
    }
    const user = await this.users.userByEmail(e);
    this.dummyHash ??= this.hasher.hash("not a password");
    const ok = await this.hasher.verify(password, user?.passwordHash ?? (await this.dummyHash));
    if (!user || !ok) {
      for (const k of keys) this.limiter.fail(k, now);
      throw new ApiError("unauthorized", "wrong email or password");
    }
    this.limiter.clear(`e:${e}`);
    return { user, session: await this.startSession(user) };
  }

  async startSession(user: UserRecord): Promise<SessionRecord & { token: string }> {
    const token = this.token();
    const now = this.clock.now();
    const session: SessionRecord = {
      tokenHash: await sha256Hex(token),
      userId: user.id,
      csrf: this.token(),
      createdAt: now,
      expiresAt: now + SESSION_MS,
    };
    await this.users.createSession(session);
    return { ...session, token };
  }

  async fromCookie(c: Context<AppEnv>): Promise<SignedIn | null> {
    const token = getCookie(c, SESSION_COOKIE);
    if (!token || token.length > 100) return null;
    return this.users.session(await sha256Hex(token), this.clock.now());
  }

  setCookie(c: Context<AppEnv>, token: string, maxAgeMs: number): void {
    setCookie(c, SESSION_COOKIE, token, {
      path: "/",
      httpOnly: true,
      sameSite: "Strict",
      secure: overTls(c),
      maxAge: Math.floor(maxAgeMs / 1000),
    });
  }

  get sessionMs(): number {
    return SESSION_MS;
  }
}

/** Whether the browser reached us over TLS: directly, through a trusted proxy, or per the public URL. */
export function overTls(c: Context<AppEnv>): boolean {
  const s = c.get("services");
  if (s.config.publicUrl.startsWith("https:")) return true;
  if (new URL(c.req.url).protocol === "https:") return true;
  return !!s.trustProxy && (c.req.header("x-forwarded-proto") ?? "").split(",")[0]!.trim() === "https";
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A state-changing request with a session cookie must carry the session's CSRF token and,
 * when the browser says where it came from, come from this origin.
 */
export function checkCsrf(c: Context<AppEnv>, session: SessionRecord): void {
  if (SAFE.has(c.req.method)) return;
  const sent = c.req.header(CSRF_HEADER) ?? "";
  if (!sent || !timingSafeEqual(sent, session.csrf)) {
    throw new ApiError("forbidden", "missing or wrong X-CSRF-Token");
  }
  if (!sameOrigin(c)) throw new ApiError("forbidden", "cross-origin request refused");
}

export function sameOrigin(c: Context<AppEnv>): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = c.req.header("origin");
  if (!origin) return true;
  const own = [new URL(c.req.url).origin, new URL(c.get("services").config.publicUrl).origin];
  const host = c.req.header("host");
  if (host) own.push(`http://${host}`, `https://${host}`);
  return own.includes(origin);
}
