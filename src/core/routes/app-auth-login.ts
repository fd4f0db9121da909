import { z } from "zod";
import type { App } from "../app-env.js";
import { publicUser, sameOrigin } from "../auth/sessions.js";
import { ApiError } from "../http/errors.js";
import { clientIp } from "../http/middleware.js";
import { readJson } from "../http/validate.js";
import { needAuth } from "./app-auth-shared.js";

const body = z.object({ email: z.string().min(3).max(254), password: z.string().min(1).max(200) }).strict();

/** POST /app/auth/login — a person signs in (rate-limited); the session is an HttpOnly cookie. */
export function registerAppAuthLogin(app: App): void {
  app.post("/app/auth/login", async (c) => {
    const auth = needAuth(c);
    if (!sameOrigin(c)) throw new ApiError("forbidden", "cross-origin request refused");
    const { email, password } = await readJson(c, body);
    const { user, session } = await auth.signIn(email, password, clientIp(c));
    auth.setCookie(c, session.token, auth.sessionMs);
    return c.json({ user: publicUser(user), csrf: session.csrf });
  });
}
