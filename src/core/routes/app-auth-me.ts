import type { App } from "../app-env.js";
import { publicUser } from "../auth/sessions.js";
import { needAuth } from "./app-auth-shared.js";

/**
 * GET /app/auth/me — who is signed in and the session's CSRF token (for X-CSRF-Token), or
 * `user: null` with whether the first user is still to be set up.
 */
export function registerAppAuthMe(app: App): void {
  app.get("/app/auth/me", async (c) => {
    const auth = needAuth(c);
    c.header("Cache-Control", "no-store");
    const signedIn = await auth.fromCookie(c);
    if (!signedIn) return c.json({ user: null, setup: (await auth.users.countUsers()) === 0 });
    return c.json({ user: publicUser(signedIn.user), csrf: signedIn.session.csrf });
  });
}
