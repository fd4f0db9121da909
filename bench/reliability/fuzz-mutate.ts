import { deflateSync, gzipSync } from "node:zlib";
import { HOSTILE_NUMBERS, HOSTILE_STRINGS, SPLICES } from "./fuzz-values.js";
import type { Rng } from "./rng.js";

/**
 * Mutations of a valid request's parts: JSON by its structure (values of another type,
 * hostile strings and numbers, keys removed or added, prototype keys, deep nesting, huge
 * arrays), then its bytes (invalid UTF-8, truncation, a BOM), and the body's framing
 * (content types, gzip/deflate, a gzip bomb).
 */

/** A string holding raw JSON text, written out unquoted by serialize() (deep nesting, numbers). */
const RAW_MARK = "\u0001RAW\u0001";
const rawJson = (text: string) => `${RAW_MARK}${text}${RAW_MARK}`;

type Json = unknown;

function hostileValue(rng: Rng): Json {
  switch (rng.int(0, 7)) {
    case 0:
      return rng.pick(HOSTILE_STRINGS);
    case 1:
      return rawJson(rng.pick(HOSTILE_NUMBERS));
    case 2:
      return rng.pick([null, true, false, 0, -1, [], {}, [null], { "": null }]);
    case 3:
      return "x".repeat(rng.pick([1000, 70_000, 300_000, 1_100_000]));
    case 4:
      return Array.from({ length: rng.pick([100, 2000, 20_000]) }, (_, i) => i);
    case 5:
      return nest(rng.pick([50, 500, 5000]), rng.chance(0.5));
    case 6:
      return JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}');
    default:
      return rng.string(rng.int(1, 20), "abcABC012 -_./:@%#?&=+\\\"'<>{}[]|`^~");
  }
}

/** A value nested `depth` deep in arrays or objects (as raw text: too deep for JSON.stringify). */
export function nest(depth: number, objects: boolean): Json {
  return rawJson(
    objects ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}1${"]".repeat(depth)}`,
  );
}

/** `s` with a hostile character sequence inserted at a random place (often the end). */
export function splice(s: string, rng: Rng): string {
  const at = rng.chance(0.3) ? s.length : rng.int(0, s.length);
  return s.slice(0, at) + rng.pick(SPLICES) + s.slice(at);
}

/** The paths (keys from the root) of every value in a JSON tree, bounded. */
function paths(
  v: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  if (out.length > 500) return out;
  out.push(prefix);
  if (Array.isArray(v)) {
    for (const [i, x] of v.slice(0, 20).entries()) paths(x, [...prefix, i], out);
  } else if (v && typeof v === "object")
    for (const k of Object.keys(v)) paths((v as any)[k], [...prefix, k], out);
  return out;
}

function clone(v: Json): Json {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}

const MAX_COPIES_BYTES = 8 * 1024 * 1024;

/** One structural mutation of a JSON value (returns the new root). */
export function mutateJson(root: Json, rng: Rng): Json {
  root = clone(root);
  const all = paths(root);
  const at = rng.pick(all);
  const parentPath = at.slice(0, -1);
  const key = at[at.length - 1];
  const parent = parentPath.reduce((o: any, k) => o?.[k], root) as any;
  const target = at.reduce((o: any, k) => o?.[k], root);
  const set = (v: Json) => {
    if (key === undefined) root = v;
    else parent[key] = v;
  };
  switch (
    rng.weighted({
      replace: 5,
      splice: 4,
      remove: 2,
      addKey: 2,
      duplicate: 1,
      wrap: 1,
      prototype: 1,
      swapType: 2,
    })
  ) {
    case "replace":
      set(hostileValue(rng));
      break;
    case "splice":
      // Into a string that passes validation today, a character that may not: the shape of
      // a real URL or name with one hostile part (a non-Latin-1 letter in a path, a CR LF).
      if (typeof target === "string") set(splice(target, rng));
      else set(hostileValue(rng));
      break;
    case "remove":
      if (key === undefined) root = undefined;
      else if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case "addKey":
      if (target && typeof target === "object" && !Array.isArray(target))
        (target as any)[
          rng.pick(["__proto__x", "extra", "", "a.b", "variants", "slots", "options", "type"])
        ] = hostileValue(rng);
      else set(hostileValue(rng));
      break;
    case "duplicate":
      if (Array.isArray(target) && target.length) {
        // Up to ~8 MB of copies: past the body limits, short of what a string can hold.
        const each = (JSON.stringify(target[0]) ?? "").length + 1;
        const n = Math.min(rng.pick([10, 1000, 5000]), Math.floor(MAX_COPIES_BYTES / each));
        for (let i = 0; i < n; i++) target.push(clone(target[0]));
      } else set([target, target]);
      break;
    case "wrap":
      set(rng.chance(0.5) ? [target] : { value: target });
      break;
    case "prototype":
      if (target && typeof target === "object" && !Array.isArray(target)) {
        const k = rng.pick(["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"]);
        // Set as an own key (JSON.parse does this; an assignment would change the prototype).
        Object.defineProperty(target, k, {
          value: hostileValue(rng),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      } else set("__proto__");
      break;
    default:
      set(
        typeof target === "string"
          ? Number.isNaN(Number(target))
            ? 1
            : Number(target)
          : typeof target === "number"
            ? String(target)
            : Array.isArray(target)
              ? { ...target }
              : target && typeof target === "object"
                ? Object.values(target)
                : rng.pick(["", 0, [], {}]),
      );
  }
  return root;
}

/**
 * JSON text with the raw marks written out as the JSON they hold. A mark a mutation cut in
 * two (a character spliced into a raw value) can pair with the next value's: that match is
 * not one raw value, so it stays the string it is.
 */
export function serialize(v: Json): string {
  const text = JSON.stringify(v) ?? "";
  return text.replace(/"\\u0001RAW\\u0001(.*?)\\u0001RAW\\u0001"/g, (m, raw: string) => {
    try {
      return JSON.parse(`"${raw}"`);
    } catch {
      return m;
    }
  });
}

/** One byte-level mutation of a body. */
export function mutateBytes(body: Buffer, rng: Rng): Buffer {
  const at = body.length ? rng.int(0, body.length - 1) : 0;
  switch (rng.weighted({ invalidUtf8: 4, truncate: 2, bom: 1, flip: 2, trailing: 1, nul: 1 })) {
    case "invalidUtf8": {
      const bad = rng.pick([
        [0xff],
        [0xc3, 0x28],
        [0xed, 0xa0, 0x80],
        [0xf8, 0x88, 0x80, 0x80, 0x80],
        [0xc0, 0xaf],
        [0x80],
      ]);
      // Inside a string where there is one, so the JSON stays JSON around it.
      const quote = body.indexOf(0x22, at);
      const i = quote >= 0 ? quote + 1 : at;
      return Buffer.concat([body.subarray(0, i), Buffer.from(bad), body.subarray(i)]);
    }
    case "truncate":
      return body.subarray(0, at);
    case "bom":
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
    case "flip": {
      const out = Buffer.from(body);
      if (out.length) out[at] = out[at]! ^ (1 << rng.int(0, 7));
      return out;
    }
    case "trailing":
      return Buffer.concat([body, Buffer.from(rng.pick(["}", "]]]", "\u0000", " garbage", "\n{}"]))]);
    default:
      return Buffer.concat([body.subarray(0, at), Buffer.from([0]), body.subarray(at)]);
  }
}

/** 64 MiB of spaces, ~64 KiB compressed (made once). */
let bomb: Buffer | undefined;

/** The body's encoding on the wire: headers to add and the bytes to send. */
export function encodeBody(body: Buffer, rng: Rng): { headers: [string, string][]; body: Buffer } {
  switch (rng.weighted({ identity: 88, gzip: 5, badGzip: 2, bomb: 1, deflate: 2, unknown: 2 })) {
    case "gzip":
      return { headers: [["Content-Encoding", "gzip"]], body: gzipSync(body) };
    case "badGzip":
      return {
        headers: [["Content-Encoding", "gzip"]],
        body: Buffer.concat([gzipSync(body).subarray(0, 12), body]),
      };
    case "bomb":
      bomb ??= gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20));
      return { headers: [["Content-Encoding", "gzip"]], body: bomb };
    case "deflate":
      return { headers: [["Content-Encoding", "deflate"]], body: deflateSync(body) };
    case "unknown":
      return { headers: [["Content-Encoding", rng.pick(["br", "zstd", "x-nope", "gzip, gzip"])]], body };
    default:
      return { headers: [], body };
  }
}

/** encodeURIComponent for any string (a lone surrogate goes as U+FFFD's bytes, not a throw). */
export function percentEncode(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.!~*'()]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** A path or query value mangled: encodings, lengths, traversal, controls. */
export function mutateToken(value: string, rng: Rng): string {
  switch (rng.int(0, 9)) {
    case 0:
      return "";
    case 1:
      return value + rng.pick(["%", "%zz", "%ff", "%00", "%2F..%2F", "%C3%28", "%E2%82"]);
    case 2:
      return percentEncode(rng.pick(HOSTILE_STRINGS));
    case 3:
      return "A".repeat(rng.pick([65, 129, 2000, 9000]));
    case 4:
      return value.slice(0, Math.max(0, value.length - 1)) + rng.pick(["x", "-", "_", "."]);
    case 5:
      return rng.pick(["..", ".", "%2e%2e", "__proto__", "constructor", "null", "undefined", "0", "-1"]);
    case 6:
      return `${value}.${rng.pick(["gif", "png", "jpg", "webp", "svg", "GIF", "gif.gif", ""])}`;
    case 7:
      return value.toUpperCase();
    case 8:
      return rng.string(rng.int(1, 40), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
    default:
      return Buffer.from(rng.pick(HOSTILE_STRINGS), "utf8").toString("latin1");
  }
}
