import type { Context } from "hono";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import type { SourceStore } from "../ports/live.js";

const ID_RE = /^src_[A-Za-z0-9_-]{1,64}$/;

export function sourceStoreOf(c: Context<AppEnv>): SourceStore {
  const store = c.get("services").sources;
  if (!store) throw new ApiError("unavailable", "data sources are not available on this server");
  return store;
}

/** The :id of a source route, checked before any store read. */
export function sourceParam(c: Context<AppEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!ID_RE.test(id)) throw new ApiError("not_found", "no such source");
  return id;
}
