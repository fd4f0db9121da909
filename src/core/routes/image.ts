import type { Context } from "hono";
import type { App, AppEnv } from "../app-env.js";
import type { CachedImage } from "../blocks/byte-cache.js";
import { fallbackImage, IMAGE_EXTS, type ImageExt } from "../blocks/fallback.js";
import { RenderError } from "../blocks/image-service.js";
import { MAX_SIGNED_OPTIONS, SIGNED_PURPOSE, SIGNED_SIG_LEN } from "../blocks/signed-url.js";
import { clientIp, hotHeader } from "../http/middleware.js";
import type { BlockRecord } from "../ports/index.js";
import { openContext, renderStoredOpen } from "../rules/render-open.js";
import { NO_CACHE_HEADERS } from "../tracking/answers.js";
import { normalizeRecipient } from "../tracking/recipient.js";
import { fromBase64url } from "../util/encoding.js";

function send(c: Context<AppEnv>, img: CachedImage, fallbackReason?: string, variant?: string): Response {
  const headers: Record<string, string> = { ...NO_CACHE_HEADERS, "Content-Type": img.contentType };
  if (fallbackReason) headers["X-Opentime-Fallback"] = fallbackReason;
  // Which variant of the block's rules this open was shown (stored blocks only).
  if (variant) headers["X-Opentime-Variant"] = variant;
  if (c.req.method === "HEAD") return c.body(null, 200, headers);
  return c.body(img.bytes as Uint8Array<ArrayBuffer>, 200, headers);
}

function hasRules(block: BlockRecord): boolean {
  return block.options.variants !== undefined || block.options.slots !== undefined;
}

async function handleImage(c: Context<AppEnv>): Promise<Response> {
  const s = c.get("services");
  const file = c.req.param("file")!;
  const dot = file.lastIndexOf(".");
  const id = dot > 0 ? file.slice(0, dot) : file;
  const ext = (dot > 0 ? file.slice(dot + 1).toLowerCase() : "gif") as ImageExt;
  if (!IMAGE_EXTS.includes(ext)) return send(c, fallbackImage("gif"), "unknown_format");
  const recipient = normalizeRecipient(c.req.query("u"));
  const userAgent = hotHeader(c, "user-agent");
  const ip = clientIp(c);
  const req = openContext(s, {
    recipient,
    query: (n: string) => c.req.query(n),
    userAgent,
    now: s.clock.now(),
  });
  // Whatever goes wrong, the answer is a valid image and the reason is in a header and the log.
  try {
    let image: CachedImage;
    let campaign: string;
    // A stand-in the block drew itself (e.g. weather's neutral card when the provider is down).
    let fallback: string | undefined;
    let variant: string | undefined;
    // Human impressions count for the arm shown (blocks with rules, GET only).
    let learnFor: string | null = null;
    if (id === "signed") {
      const o = c.req.query("o") ?? "";
      const sig = c.req.query("s") ?? "";
      if (o.length > MAX_SIGNED_OPTIONS || sig.length !== SIGNED_SIG_LEN)
        throw new RenderError("bad_signature");
      if (!s.images.isVerified(o, sig)) {
        if (!(await s.signer.verify(SIGNED_PURPOSE, o, sig))) throw new RenderError("bad_signature");
        s.images.markVerified(o, sig);
      }
      const decode = () => {
        try {
          return JSON.parse(new TextDecoder().decode(fromBase64url(o) ?? new Uint8Array()));
        } catch {
          throw new RenderError("invalid_options");
        }
      };
      const rendered = await s.images.renderSigned(o, decode, ext, req);
      image = rendered.image;
      campaign = s.images.campaignOf(rendered.block, "signed");
    } else {
      if (!s.images.isVerified(id)) {
        if (!(await s.blockIds.verify(id))) throw new RenderError("unknown_block");
        s.images.markVerified(id);
      }
      const block = await s.images.getBlock(id);
      if (!block) throw new RenderError("unknown_block");
      const shown = await renderStoredOpen(s, block, ext, req, { ip });
      ({ image, campaign, fallback, variant } = shown);
      // What was shown, for adaptive links and per-variant stats (group commit, no wait).
      // A HEAD shows nothing to anyone: counted as an open below, but not a decision. A
      // block without variants or slots always shows the same thing: the event log's open
      // says all there is, so a million-open timer does not write a decision per open.
      if (c.req.method === "GET" && (hasRules(block) || shown.decides)) {
        if (hasRules(block)) learnFor = block.id;
        s.decisions.record({
          kind: "open",
          at: req.now,
          blockId: block.id,
          recipient,
          variant: shown.variant,
          slots: shown.slots,
        });
      }
    }
    // Every open of a live image is an open of its campaign, classified like the pixel's.
    const { class: cls } = s.tracker.hit({
      kind: "open",
      campaign,
      linkId: null,
      recipient,
      method: c.req.method,
      userAgent,
      ip,
    });
    // Machine opens (proxies, MPP, scanners, bots, unknown) never count as impressions.
    if (learnFor !== null && variant && cls === "human")
      s.learner.impression(learnFor, variant, recipient, req.now);
    return send(c, image, fallback, variant);
  } catch (err) {
    const reason = err instanceof RenderError ? err.reason : "render_failed";
    if (!(err instanceof RenderError)) s.logger.error({ err, block: id }, "image render failed");
    else s.logger.debug({ reason, block: id }, "image fallback");
    return send(c, fallbackImage(ext), reason);
  }
}

export function registerImage(app: App): void {
  app.on(["GET", "HEAD"], "/i/:file", handleImage);
}
