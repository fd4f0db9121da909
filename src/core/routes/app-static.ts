import type { Context } from "hono";
import type { App, AppEnv } from "../app-env.js";
import { ApiError } from "../http/errors.js";

// Everything the app loads comes from here: no inline script, no other origin.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

function serve(c: Context<AppEnv>, path: string): Response {
  const asset = c.get("services").appAssets?.get(path);
  if (!asset) throw new ApiError("not_found", "no such file");
  return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, {
    "Content-Type": asset.type,
    "Cache-Control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
  });
}

/** GET /app — the web app's page (client-side routes after #) and its built assets. */
export function registerAppStatic(app: App): void {
  app.get("/app", (c) => c.redirect("/app/", 302));
  app.get("/app/", (c) => serve(c, "index.html"));
  app.get("/app/assets/:file", (c) => serve(c, `assets/${c.req.param("file")}`));
}
