import type { Role } from "../ports/users.js";

/**
 * What only an admin may do with a session (the API key may do everything): delete or
 * export people, see secrets (the recipient-proof key, metrics). The one list the API
 * middleware checks; the app hides what its role cannot do (from /app/auth/me's role).
 */
const ADMIN_ONLY: readonly { method: string; path: RegExp }[] = [
  { method: "DELETE", path: /^\/v1\/profiles\// },
  { method: "GET", path: /^\/v1\/profiles\/[^/]+\/export$/ },
  { method: "*", path: /^\/v1\/recipients\/key$/ },
  { method: "*", path: /^\/metrics$/ },
];

export function allowed(role: Role, method: string, path: string): boolean {
  if (role === "admin") return true;
  return !ADMIN_ONLY.some((r) => (r.method === "*" || r.method === method) && r.path.test(path));
}
