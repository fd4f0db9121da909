import Database from "better-sqlite3";
import sharp from "sharp";
import { ownFraming, type WireOutcome, type WireRequest } from "./wire.js";

/**
 * What a fuzz answer must never be: a 5xx; no answer, or a connection left unusable after a
 * keep-alive answer; a redirect to a URL the server was never given (a link's destination,
 * a block's slot URL, a slot URL a recipient was shown); on the recipient-facing image
 * routes, anything but a 200 image that decodes as its Content-Type says.
 */
export type FindingKind = "5xx" | "no_answer" | "broken_connection" | "open_redirect" | "bad_image" | "crash";

export interface Finding {
  kind: FindingKind;
  /** Route template, status and what the server said: findings with one signature are one defect. */
  signature: string;
  detail: string;
}

const MAGIC: Record<string, (b: Buffer) => boolean> = {
  "image/gif": (b) =>
    b.subarray(0, 6).toString("latin1") === "GIF89a" || b.subarray(0, 6).toString("latin1") === "GIF87a",
  "image/png": (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  "image/jpeg": (b) => b[0] === 0xff && b[1] === 0xd8,
  "image/webp": (b) =>
    b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP",
};

/** Null if the bytes are a whole image of that type (every frame decoded), else why not. */
export async function imageProblem(contentType: string, body: Buffer): Promise<string | null> {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  const magic = MAGIC[type];
  if (!magic) return `Content-Type ${JSON.stringify(contentType)} is not an image type served here`;
  if (!magic(body)) return `the bytes are not ${type} (starts ${body.subarray(0, 8).toString("hex")})`;
  try {
    const img = sharp(body, { animated: true, failOn: "error" });
    const meta = await img.metadata();
    await img.raw().toBuffer();
    if (!meta.width || !meta.height) return "decoded with no size";
    return null;
  } catch (err) {
    return `does not decode: ${(err as Error).message}`;
  }
}

/**
 * Every URL the server has been given as a redirect target, read from its database file
 * (read-only, beside the running server); re-read when a Location is not found, since it
 * may have been registered a moment ago.
 */
export class RegisteredTargets {
  private known = new Set<string>();
  private db: Database.Database | null = null;

  constructor(private readonly dbFile: string) {}

  private refresh(): void {
    this.db ??= new Database(this.dbFile, { readonly: true, fileMustExist: true });
    for (const u of this.db.prepare("SELECT url FROM links").pluck().all() as string[]) this.known.add(u);
    const collect = (v: unknown, inSlots: boolean) => {
      if (typeof v === "string" && inSlots) this.known.add(v);
      else if (Array.isArray(v)) for (const x of v) collect(x, inSlots);
      else if (v && typeof v === "object")
        for (const [k, x] of Object.entries(v)) collect(x, inSlots || k === "slots");
    };
    for (const o of this.db.prepare("SELECT options FROM blocks").pluck().all() as string[])
      collect(JSON.parse(o), false);
    const shown = this.db
      .prepare("SELECT slots FROM decisions WHERE slots IS NOT NULL")
      .pluck()
      .all() as string[];
    for (const s of shown) collect(JSON.parse(s), true);
  }

  /** Whether `url` is registered (after up to two re-reads, the second after the group-commit window). */
  async has(url: string): Promise<boolean> {
    if (this.known.has(url)) return true;
    this.refresh();
    if (this.known.has(url)) return true;
    await new Promise((r) => setTimeout(r, 300));
    this.refresh();
    return this.known.has(url);
  }

  /** The server is being restarted on the same file: reopen it next time. */
  reopen(): void {
    this.db?.close();
    this.db = null;
  }

  close(): void {
    this.db?.close();
  }
}

const IMAGE_ROUTE = /^\/(i|o)\/[^/?]+(\?|$)/;

/** Findings for one answered (or unanswered) request. */
export async function check(
  routeTemplate: string,
  req: WireRequest,
  out: WireOutcome,
  targets: RegisteredTargets,
): Promise<Finding[]> {
  if (!out.ok) {
    // A request that sets its own framing may leave the server waiting for the body it
    // announced: that is the client's doing.
    if (ownFraming(req)) return [];
    return [
      {
        kind: "no_answer",
        signature: `no_answer ${req.method} ${routeTemplate}: ${out.error}`,
        detail: out.error,
      },
    ];
  }
  const { res } = out;
  const found: Finding[] = [];
  const said = (() => {
    try {
      const e = JSON.parse(res.body.toString("utf8")).error;
      return e ? `${e.code}: ${String(e.message).slice(0, 120)}` : "";
    } catch {
      return res.body.subarray(0, 120).toString("latin1");
    }
  })();
  if (res.status >= 500) {
    found.push({
      kind: "5xx",
      signature: `5xx ${req.method} ${routeTemplate} → ${res.status} ${said}`,
      detail: said,
    });
  }
  if (out.probe === "dropped") {
    found.push({
      kind: "broken_connection",
      signature: `broken_connection ${routeTemplate} after ${res.status}`,
      detail: out.probeDetail ?? "",
    });
  }
  const location = res.headers.get("location");
  // A path on this server (the web app's /app → /app/) sends no one elsewhere.
  const ownPath = location !== undefined && /^\/(?![/\\])/.test(location);
  if (
    res.status >= 300 &&
    res.status < 400 &&
    location !== undefined &&
    !ownPath &&
    !(await targets.has(location))
  ) {
    found.push({
      kind: "open_redirect",
      signature: `open_redirect ${routeTemplate}`,
      detail: `${res.status} to ${JSON.stringify(location)}, which was never registered`,
    });
  }
  // Node's own parser refuses some requests before the app sees them (a 400 with no body
  // type): those are not the image route's answers.
  const fromApp = res.headers.has("content-type") || res.status < 400;
  const path = req.target.split("?")[0]!;
  const type = res.headers.get("content-type") ?? "";
  const imageRoute = (req.method === "GET" || req.method === "HEAD") && IMAGE_ROUTE.test(path) && fromApp;
  if (imageRoute && (res.status !== 200 || !type.startsWith("image/"))) {
    found.push({
      kind: "bad_image",
      signature: `bad_image ${routeTemplate}: ${res.status} ${type}`,
      detail: `an image route answered ${res.status} ${type} ${said}`,
    });
  } else if (req.method === "GET" && res.status === 200 && (imageRoute || type.startsWith("image/"))) {
    const problem = await imageProblem(type, res.body);
    if (problem) {
      found.push({
        kind: "bad_image",
        signature: `bad_image ${routeTemplate}: ${problem.slice(0, 80)}`,
        detail: problem,
      });
    }
  }
  return found;
}
