import type { Role } from "../ports/users.js";

/**
 * What only an admin may do with a session (the API key may do everything): delete people,
 * see secrets (the recipient-proof key), manage users. The one list the API middleware and
 * the app's menus derive from (the app asks /app/auth/me, which carries the role).
 */
const ADMIN_ONLY: readonly { method: string; prefix: string }[] = [
  { method: "DELETE", prefix: "/v1/profiles/" },
  { method: "*", prefix: "/v1/recipients/key" },
  { method: "*", prefix: "/metrics" },
];

export function allowed(role: Role, method: string, path: string): boolean {
  if (role === "admin") return true;
  return !ADMIN_ONLY.some((r) => (r.method === "*" || r.method === method) && path.startsWith(r.prefix));
}
