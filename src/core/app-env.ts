import type { Hono } from "hono";
import type { PublicUser } from "./auth/sessions.js";
import type { Services } from "./build-services.js";

/** Hono's typed environment: every handler reaches the services through c.get("services"). */
export interface AppEnv {
  Variables: { services: Services; requestId: string; user: PublicUser | undefined };
}

export type App = Hono<AppEnv>;
