// Every call the app makes goes to the server's own API with the session cookie; changes
// carry the session's CSRF token.
let csrf = "";
export const setCsrf = (t: string) => {
  csrf = t;
};

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { path: string; message: string }[] | string[] = [],
  ) {
    super(message);
  }
}

let onUnauthorized = () => {};
export const whenSignedOut = (f: () => void) => {
  onUnauthorized = f;
};

export async function api<T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const method = init.method ?? "GET";
  const headers: Record<string, string> = {};
  if (method !== "GET") headers["x-csrf-token"] = csrf;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
    credentials: "same-origin",
  });
  if (res.status === 204) return null as T;
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const e = body?.error ?? {};
    if (res.status === 401 && !path.startsWith("/app/auth/")) onUnauthorized();
    throw new ApiFailure(res.status, e.code ?? "error", e.message ?? `HTTP ${res.status}`, e.details ?? []);
  }
  return body as T;
}

export interface User {
  id: string;
  email: string;
  role: "admin" | "editor";
}

export interface Block {
  id: string;
  type: string;
  options: Record<string, unknown>;
  version: number;
  url: string;
  createdAt: string;
  updatedAt: string;
}

export interface KindStats {
  total: number;
  unique: number;
  byClass: Record<string, number>;
  uniqueByClass: Record<string, number>;
}

export interface CampaignStats {
  campaign: string;
  opens: KindStats;
  clicks: KindStats;
}

export interface Series {
  from: number;
  to: number;
  interval: number;
  times: number[];
  opens: { total: number[]; byClass: Record<string, number[]> };
  clicks: { total: number[]; byClass: Record<string, number[]> };
}

export function download(name: string, text: string, type = "application/json") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
