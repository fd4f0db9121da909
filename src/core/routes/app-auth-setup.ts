import { z } from "zod";
import type { App } from "../app-env.js";
import { publicUser, sameOrigin, sha256Hex } from "../auth/sessions.js";
import { ApiError } from "../http/errors.js";
import { readJson } from "../http/validate.js";
import { needAuth, PASSWORD_MIN } from "./app-auth-shared.js";

const body = z
  .object({
    token: z.string().min(20).max(100),
    email: z.string().email().max(254),
    password: z.string().min(PASSWORD_MIN, `at least ${PASSWORD_MIN} characters`).max(200),
  })
  .strict();

/** POST /app/auth/setup — the first admin, with the one-time link printed at start. */
export function registerAppAuthSetup(app: App): void {
  app.post("/app/auth/setup", async (c) => {
    const auth = needAuth(c);
    if (!sameOrigin(c)) throw new ApiError("forbidden", "cross-origin request refused");
    const { token, email, password } = await readJson(c, body);
    if ((await auth.users.countUsers()) > 0) throw new ApiError("conflict", "setup is done; sign in");
    if (!(await auth.users.takeSetupToken(await sha256Hex(token), c.get("services").clock.now()))) {
      throw new ApiError(
        "forbidden",
        "this setup link is not valid (used or expired); restart opentime for a new one",
      );
    }
    const user = await auth.addUser(email, password, "admin");
    const session = await auth.startSession(user);
    auth.setCookie(c, session.token, auth.sessionMs);
    return c.json({ user: publicUser(user), csrf: session.csrf });
  });
}
