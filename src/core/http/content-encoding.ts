import { table } from "../util/dict.js";
import { ApiError } from "./errors.js";

/**
 * Request bodies sent compressed (`Content-Encoding: gzip`, as analytics-python's
 * `gzip=True` sends its batches), inflated with the Web-standard DecompressionStream.
 *
 * The size bound is on the inflated bytes and is enforced while inflating: a few KB of
 * gzip can inflate to gigabytes, so reading stops (and the source is cancelled) as soon as
 * the bound is passed, never after. The compressed bytes were bounded before, by the
 * route's body limit.
 */
const FORMATS = table<CompressionFormat>({ gzip: "gzip", "x-gzip": "gzip", deflate: "deflate" });

/** The body as text, inflated when Content-Encoding says so; 413 past `maxBytes` inflated. */
export async function readBodyText(req: Request, maxBytes: number): Promise<string> {
  const encoding = (req.headers.get("content-encoding") ?? "").trim().toLowerCase();
  if (encoding === "" || encoding === "identity") return req.text();
  const format = FORMATS[encoding];
  if (!format) {
    throw new ApiError(
      "unsupported_media_type",
      `Content-Encoding ${encoding.slice(0, 40)} is not supported (send gzip, deflate or no encoding)`,
    );
  }
  if (!req.body) return "";
  let bytes: Uint8Array;
  try {
    bytes = await readBounded(req.body.pipeThrough(new DecompressionStream(format)), maxBytes);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError("bad_request", `the body is not valid ${format} data`, { reason: "bad_encoding" });
  }
  return new TextDecoder().decode(bytes);
}

/** Every byte of `stream`, or a 413 as soon as there are more than `maxBytes` (the rest unread). */
export async function readBounded(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new ApiError("payload_too_large", `the body is larger than ${maxBytes / 1024} KB once inflated`, {
        reason: "inflated_too_large",
      });
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
