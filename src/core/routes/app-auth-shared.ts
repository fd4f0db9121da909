import type { Context } from "hono";
import type { AppEnv } from "../app-env.js";
import type { AppAuth } from "../auth/sessions.js";
import { ApiError } from "../http/errors.js";

export function needAuth(c: Context<AppEnv>): AppAuth {
  const auth = c.get("services").auth;
  if (!auth) throw new ApiError("unavailable", "sign-in is not configured on this server");
  return auth;
}

export const PASSWORD_MIN = 10;
