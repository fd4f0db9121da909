import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors.js";

/** Turns zod issues into a short message a person can act on, plus machine-readable details. */
export function zodToApiError(error: z.ZodError, where = "body"): ApiError {
  const issues = error.issues.slice(0, 20).map((i) => ({ path: i.path.join("."), message: i.message }));
  const first = issues[0];
  const message = first
    ? `${where}${first.path ? `.${first.path}` : ""}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`
    : `invalid ${where}`;
  return new ApiError("validation_failed", message, issues);
}

/** Reads a JSON body (size already bounded by the bodyLimit middleware) and validates it. */
export async function readJson<S extends z.ZodTypeAny>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (type && !/^application\/(.+\+)?json\b/i.test(type) && !/^text\/plain\b/i.test(type)) {
    throw new ApiError("unsupported_media_type", "send the body as application/json");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new ApiError("invalid_json", "the body is not valid JSON");
  }
  const res = schema.safeParse(raw);
  if (!res.success) throw zodToApiError(res.error);
  return res.data;
}

export function parseParams<S extends z.ZodTypeAny>(schema: S, value: unknown, where: string): z.infer<S> {
  const res = schema.safeParse(value);
  if (!res.success) throw zodToApiError(res.error, where);
  return res.data;
}
