import type { Rng } from "./rng.js";

/**
 * The routes to fuzz, read from the OpenAPI document the server itself serves (which
 * test/http/openapi.test.ts holds equal to the app's registered routes), and values drawn
 * from its schemas, so a new route or field is fuzzed without an edit here.
 */
export type Schema = Record<string, any>;

export interface Param {
  name: string;
  in: "path" | "query" | "header";
  schema: Schema;
}

export interface Route {
  method: string;
  /** The OpenAPI path, e.g. /i/{blockId}.{ext}. */
  path: string;
  params: Param[];
  /** Request body schema (JSON), when the operation takes one. */
  body: Schema | null;
  security: string[];
}

const METHODS = ["get", "head", "post", "put", "patch", "delete"];

export function routesOf(doc: Schema): Route[] {
  const out: Route[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Schema>)) {
    for (const [m, op] of Object.entries(item)) {
      if (!METHODS.includes(m)) continue;
      // An event stream never ends: it is not a request and its answer.
      if (op.responses?.["200"]?.content?.["text/event-stream"]) continue;
      const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Schema) =>
        p.$ref ? resolve(doc, p) : p,
      );
      const content = op.requestBody?.content as Record<string, { schema: Schema }> | undefined;
      out.push({
        method: m.toUpperCase(),
        path,
        params: params.map((p) => ({ name: p.name, in: p.in, schema: p.schema ?? { type: "string" } })),
        body: content ? (content["application/json"] ?? Object.values(content)[0])!.schema : null,
        security: ((op.security ?? doc.security ?? []) as Record<string, unknown>[]).flatMap(Object.keys),
      });
    }
  }
  return out;
}

export function resolve(doc: Schema, s: Schema): Schema {
  let out = s;
  for (let i = 0; out?.$ref && i < 20; i++) {
    out = (out.$ref as string)
      .slice(2)
      .split("/")
      .reduce((o: Schema, k) => o?.[k], doc);
  }
  return out ?? {};
}

/** Strings tried, in order, against a `pattern`; the first that matches is used. */
const PATTERN_SAMPLES = [
  "rel-world",
  "2030-06-01T10:00:00Z",
  "2030-06-01T10:00",
  "#1d4ed8",
  "#c00000",
  "EUR",
  "52.52",
  "https://shop.example/x",
  "banner-waves.png",
  "cta",
  "t",
  "a".repeat(64),
  "transparent",
];

const DAY = 86_400_000;

/**
 * A value that fits `schema` as far as a schema can say (types, enums, bounds, required
 * fields, formats, patterns by sample): the fuzz's fallback seed and its source of values.
 */
export function instance(doc: Schema, schema: Schema, rng: Rng, now: number, depth = 0): unknown {
  const s = resolve(doc, schema);
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum)) return rng.pick(s.enum);
  if (s.allOf) {
    const merged: Schema = { type: "object", properties: {}, required: [] };
    for (const part of [...s.allOf, { ...s, allOf: undefined }]) {
      const r = resolve(doc, part);
      Object.assign(merged.properties, r.properties ?? {});
      merged.required.push(...(r.required ?? []));
    }
    return instance(doc, merged, rng, now, depth);
  }
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) return instance(doc, rng.pick(alternatives as Schema[]), rng, now, depth);
  const types: string[] = Array.isArray(s.type) ? s.type.filter((t: string) => t !== "null") : [s.type];
  const type = types.length ? rng.pick(types) : s.properties ? "object" : "string";
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = Object.create(null);
      const required = new Set<string>(s.required ?? []);
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
        if (required.has(k) || (depth < 4 && rng.chance(0.4))) out[k] = instance(doc, v, rng, now, depth + 1);
      }
      return { ...out };
    }
    case "array": {
      const n = Math.min(s.maxItems ?? 3, (s.minItems ?? 0) + (depth < 4 ? rng.int(0, 2) : 0));
      return Array.from({ length: n }, () => instance(doc, s.items ?? {}, rng, now, depth + 1));
    }
    case "integer":
    case "number": {
      const lo = s.minimum ?? 0;
      const hi = Math.min(s.maximum ?? lo + 100, lo + 1000);
      const v = lo + rng.next() * (hi - lo);
      return type === "integer" ? Math.round(v) : Math.round(v * 100) / 100;
    }
    case "boolean":
      return rng.chance(0.5);
    default: {
      if (s.format === "date-time") return new Date(now + rng.int(-30, 30) * DAY).toISOString();
      if (s.format === "uri") return `https://shop.example/${rng.string(6)}`;
      if (s.pattern) {
        const re = new RegExp(s.pattern);
        const hit = PATTERN_SAMPLES.find((x) => re.test(x));
        if (hit) return hit;
      }
      const min = s.minLength ?? 1;
      return rng.string(Math.min(s.maxLength ?? 12, min + rng.int(0, 10)));
    }
  }
}
