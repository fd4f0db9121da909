import { z } from "zod";
import type { App } from "../app-env.js";
import { checkCsrf } from "../auth/sessions.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";
import { needAuth } from "./app-auth-shared.js";

const body = z.object({ everywhere: z.boolean().optional() }).strict();

/** POST /app/auth/logout — ends this session, or with `everywhere` every session of the person. */
export function registerAppAuthLogout(app: App): void {
  app.post("/app/auth/logout", async (c) => {
    const auth = needAuth(c);
    const signedIn = await auth.fromCookie(c);
    if (!signedIn) throw new ApiError("unauthorized", "not signed in");
    checkCsrf(c, signedIn.session);
    const { everywhere } = await readJson(c, body);
    if (everywhere) await auth.users.deleteSessionsOf(signedIn.user.id);
    else await auth.users.deleteSession(signedIn.session.tokenHash);
    auth.setCookie(c, "", 0);
    return c.json({ ok: true });
  });
}
