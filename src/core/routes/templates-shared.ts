import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env.js";
import { ApiError } from "../http/errors.js";
import { parseParams } from "../http/validate.js";
import type { SendRecord, TemplateContent, TemplateRecord } from "../ports/sending.js";
import type { Sending } from "../sending/index.js";
import { TemplateError } from "../sending/liquid.js";

/** Template ids: chosen by the operator ("cart-reminder") or generated. */
export const TEMPLATE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const templateId = z
  .string()
  .regex(TEMPLATE_ID, "use 1-64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)");

const templateFields = z
  .object({
    name: z.string().min(1).max(200),
    subject: z.string().max(2000).optional(),
    html: z
      .string()
      .max(900 * 1024)
      .optional(),
    text: z
      .string()
      .max(256 * 1024)
      .optional(),
    sms: z.string().max(2000).optional(),
    push: z
      .object({ title: z.string().min(1).max(500), body: z.string().min(1).max(4000) })
      .strict()
      .optional(),
    from: z.string().min(3).max(320).optional(),
    replyTo: z.string().min(3).max(320).optional(),
    esp: z
      .object({
        klaviyoMetric: z.string().min(1).max(128).optional(),
        brazeCampaignId: z.string().min(1).max(128).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

type Fields = z.infer<typeof templateFields>;
const hasPart = (t: Fields) =>
  t.html !== undefined || t.text !== undefined || t.sms !== undefined || t.push !== undefined;
const partMessage = { message: "a template needs at least one of html, text, sms or push" };
const hasSubject = (t: Fields) => (t.html === undefined && t.text === undefined) || t.subject !== undefined;
const subjectMessage = { message: "an email template (html or text) needs a subject", path: ["subject"] };

/** A template's content as the API takes it (every part Liquid): PUT's body. */
export const templateContent = templateFields.refine(hasPart, partMessage).refine(hasSubject, subjectMessage);
/** POST's body: the content and, optionally, the id to give it. */
export const templateCreate = templateFields
  .extend({ id: templateId.optional() })
  .refine(hasPart, partMessage)
  .refine(hasSubject, subjectMessage);

export function sendingOf(c: Context<AppEnv>): Sending {
  const s = c.get("services").sendingService;
  if (!s) throw new ApiError("unavailable", "sending is not configured on this server");
  return s;
}

export function templateParam(c: Context<AppEnv>): string {
  return parseParams(templateId, c.req.param("id"), "template id");
}

/** Refuses content whose Liquid does not parse (400, naming the part, line and column). */
export function checkTemplate(sending: Sending, t: TemplateContent): void {
  try {
    sending.renderer.check(t);
  } catch (err) {
    if (err instanceof TemplateError)
      throw new ApiError("validation_failed", `${err.part}: ${err.message.slice(err.part.length + 2)}`, {
        part: err.part,
      });
    throw err;
  }
}

export async function findTemplate(sending: Sending, id: string, version?: number): Promise<TemplateRecord> {
  const t = await sending.store.templates.get(id, version);
  if (!t)
    throw new ApiError("not_found", version === undefined ? "no such template" : "no such template version");
  return t;
}

export function templateView(t: TemplateRecord) {
  return {
    ...t,
    createdAt: new Date(t.createdAt).toISOString(),
    updatedAt: new Date(t.updatedAt).toISOString(),
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An attempt as the API shows it: without the rendered message (kept only until sent). */
export function sendView(r: SendRecord) {
  const { message: _message, request, ...rest } = r;
  return {
    ...rest,
    channels: request.channels,
    nextAt: iso(r.nextAt),
    deadline: iso(r.deadline),
    createdAt: iso(r.createdAt),
    acceptedAt: iso(r.acceptedAt),
    sentAt: iso(r.sentAt),
    updatedAt: iso(r.updatedAt),
    events: Object.fromEntries(Object.entries(r.events).map(([k, v]) => [k, iso(v ?? null)])),
  };
}

/** `limit` and `before` (an ISO time or Unix ms) of list routes. */
export const pageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z
      .string()
      .max(40)
      .transform((v, ctx) => {
        const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
        if (!Number.isFinite(ms)) {
          ctx.addIssue({ code: "custom", message: "must be an ISO time or Unix ms" });
          return z.NEVER;
        }
        return ms;
      })
      .optional(),
  })
  .strict();
