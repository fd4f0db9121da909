import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { parseParams } from "../http/validate.js";
import type { Profiles } from "./service.js";

/** A user id, email, anonymous id, ESP id or profile id: bounded like every stored id. */
const profileRef = z.string().min(1).max(320);

export function profileParam(c: Context<AppEnv>): string {
  return parseParams(profileRef, c.req.param("id"), "profile id");
}

export function profilesOf(c: Context<AppEnv>): Profiles {
  const { profiles } = c.get("services");
  if (!profiles) throw new ApiError("unavailable", "profiles are not configured on this server");
  return profiles;
}

export const noSuchProfile = () => new ApiError("not_found", "no profile for that id");
