import { encodeBody, mutateBytes, mutateJson, mutateToken, percentEncode, serialize } from "./fuzz-mutate.js";
import { instance, type Route, type Schema } from "./fuzz-schema.js";
import { WEBHOOK_AUTH } from "./fuzz-seeds.js";
import { CONTENT_TYPES, HOSTILE_STRINGS } from "./fuzz-values.js";
import { Rng } from "./rng.js";
import type { WireRequest } from "./wire.js";
import { AUTH, type World, WRITE_AUTH } from "./world.js";

/**
 * Fuzz input i of a seed: a route drawn from the OpenAPI document, its path and query filled
 * from the world's ids or mangled, headers (credentials right or wrong, user agents,
 * forwarding, encodings), and for routes with a body a valid seed mutated by its structure
 * and bytes. A function of (seed, i) and the world alone, so `--only i` rebuilds it.
 */
export interface FuzzContext {
  doc: Schema;
  routes: Route[];
  world: World;
  seeds: Record<string, unknown[]>;
  now: number;
}

export interface FuzzInput {
  index: number;
  route: Route;
  req: WireRequest;
}

const ODD_METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
  "TRACE",
  "PROPFIND",
  "get",
  "FOO",
];

const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
  "Mozilla/5.0",
  "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
  "curl/8.5.0",
  "",
  "x".repeat(9000),
];

/** Latin-1 text of a string's UTF-8 bytes: what a raw client puts on the wire. */
const raw = (s: string) => Buffer.from(s, "utf8").toString("latin1");

/** Ids by the collection a path names (…/blocks/{id} → blocks). */
function pools(world: World): Record<string, string[]> {
  const blocks = Object.values(world.blocks);
  return {
    linkId: world.links.map((l) => l.id),
    blockId: [...blocks, "signed"],
    campaignId: [world.campaign, "rel-fuzz"],
    slot: ["cta", "none"],
    blocks,
    products: world.products,
    profiles: ["rel-user-0", "ann@example.com", "anon-1", "nobody"],
    campaigns: [world.campaign, "rel-fuzz"],
    feeds: ["no-such-feed"],
  };
}

function paramValue(ctx: FuzzContext, route: Route, name: string, schema: Schema, rng: Rng): string {
  const p = pools(ctx.world);
  const segments = route.path.split("/");
  const at = segments.findIndex((s) => s.includes(`{${name}}`));
  const pool = p[name] ?? (name === "id" ? p[segments[at - 1] ?? ""] : undefined);
  if (pool?.length && !schema.enum) return rng.pick(pool);
  return String(instance(ctx.doc, schema, rng, ctx.now));
}

function queryValue(
  ctx: FuzzContext,
  name: string,
  schema: Schema,
  rng: Rng,
  u: string | null,
): string | null {
  const { world } = ctx;
  if (name === "u")
    return rng.pick([...world.recipients.map((r) => r.u), "carol@example.com", "r_42", "*|EMAIL|*"]);
  if (name === "us") return world.recipients.find((r) => r.u === u)?.us ?? "0".repeat(64);
  if (name === "o" || name === "s") return new URLSearchParams(world.signedPath.split("?")[1]).get(name);
  if (name === "lat" || name === "lon") return String(rng.pick([52.52, -33.9, 0, 91, -181, 13.4]));
  return String(instance(ctx.doc, schema, rng, ctx.now));
}

function body(ctx: FuzzContext, route: Route, path: string, rng: Rng): unknown {
  const seeds = ctx.seeds[`${route.method} ${path}`] ?? ctx.seeds[`${route.method} ${route.path}`];
  let value =
    seeds?.length && rng.chance(0.75) ? rng.pick(seeds) : instance(ctx.doc, route.body ?? {}, rng, ctx.now);
  const mutations = rng.chance(0.15) ? 0 : rng.int(1, 3);
  for (let i = 0; i < mutations; i++) value = mutateJson(value, rng);
  return value;
}

/** The credentials the route takes (API key, write key, a webhook provider's token). */
function goodAuth(route: Route, target: string): [string, string][] {
  const good: [string, string][] = [];
  if (route.security.includes("bearerAuth")) good.push(["Authorization", AUTH]);
  else if (route.security.includes("segmentWriteKey")) good.push(["Authorization", WRITE_AUTH]);
  const provider = /^\/v1\/webhooks\/([^/?]+)/.exec(target)?.[1];
  const token = provider && WEBHOOK_AUTH.get(provider);
  if (token) good.push(token);
  return good;
}

function authHeaders(route: Route, target: string, rng: Rng): [string, string][] {
  if (rng.chance(0.85)) return goodAuth(route, target);
  return [
    [
      "Authorization",
      rng.pick([
        "",
        "Bearer",
        "Bearer wrong-key",
        `Bearer ${"k".repeat(5000)}`,
        "Basic !!!",
        "Basic Og==",
        `Basic ${Buffer.from("\u00ff\u00fe:").toString("base64")}`,
        raw("Bearer ürün"),
        `${AUTH}, ${AUTH}`,
      ]),
    ],
  ];
}

function extraHeaders(rng: Rng): [string, string][] {
  const out: [string, string][] = [["User-Agent", raw(rng.pick(USER_AGENTS))]];
  if (rng.chance(0.2)) {
    out.push(
      rng.pick<[string, string]>([
        [
          "X-Forwarded-For",
          rng.pick(["203.0.113.9", "1.2.3.4, 10.0.0.1", "not-an-ip", "", "::1".repeat(100)]),
        ],
        ["Accept-Encoding", rng.pick(["gzip", "br", "*", "identity;q=0"])],
        ["Range", "bytes=0-10"],
        ["If-None-Match", rng.pick(['"x"', "*", 'W/"1"'])],
        ["Cookie", "a=1; __proto__=2"],
        ["X-Request-Id", rng.pick(["r1", "x".repeat(200), raw("ürün"), ""])],
        ["Accept", rng.pick(["image/webp", "*/*", "application/json", "text/html"])],
        ["Content-Type", rng.pick(CONTENT_TYPES)],
        ["Expect", "100-continue"],
        ["Connection", rng.pick(["close", "keep-alive", "upgrade"])],
        ["Transfer-Encoding", rng.pick(["chunked", "gzip", "identity"])],
        ["Content-Length", rng.pick(["0", "-1", "abc", "99999999999"])],
        [
          raw(rng.pick(["X-ürün", "X-Empty", "__proto__"])),
          raw(rng.pick(HOSTILE_STRINGS)).replace(/[\r\n]/g, ""),
        ],
      ]),
    );
  }
  return out;
}

/** The path with its parameters filled, valid or mangled. */
function target(ctx: FuzzContext, route: Route, rng: Rng): { path: string; query: [string, string][] } {
  let path = route.path;
  for (const p of route.params.filter((x) => x.in === "path")) {
    let v = paramValue(ctx, route, p.name, p.schema, rng);
    if (rng.chance(0.2)) v = mutateToken(v, rng);
    path = path.replace(`{${p.name}}`, v.includes("%") || /[^\x21-\x7e]/.test(v) ? v : percentEncode(v));
  }
  if (rng.chance(0.04))
    path = rng.pick([
      `${path}/`,
      `/${path}`,
      path.replace(/\//g, "//"),
      `${path}/..`,
      `${path};x=1`,
      path.toUpperCase(),
    ]);
  const query: [string, string][] = [];
  let u: string | null = null;
  if (path.startsWith("/i/signed")) {
    for (const n of ["o", "s"]) query.push([n, queryValue(ctx, n, {}, rng, null)!]);
  }
  for (const p of route.params.filter((x) => x.in === "query")) {
    if (query.some(([n]) => n === p.name) || !rng.chance(0.6)) continue;
    let v = queryValue(ctx, p.name, p.schema, rng, u);
    if (v === null) continue;
    if (p.name === "u") u = v;
    if (rng.chance(0.15)) v = mutateToken(v, rng);
    query.push([p.name, v]);
  }
  if (rng.chance(0.1))
    query.push([rng.pick(["u", "x", "__proto__", "t", "variant", ""]), mutateToken("v", rng)]);
  return { path, query };
}

const encodeQuery = (q: [string, string][]) =>
  q.map(([k, v]) => `${k}=${v.includes("%") || /[^\x21-\x7e]/.test(v) ? v : percentEncode(v)}`).join("&");

export function buildInput(ctx: FuzzContext, seed: number, index: number): FuzzInput {
  const rng = Rng.forInput(seed, index);
  // The first inputs go to each documented route in turn (a random pick of a few hundred
  // can miss one of sixty), then at random.
  const picked = rng.pick(ctx.routes);
  const route = index < ctx.routes.length ? ctx.routes[index]! : picked;
  const method = rng.chance(0.9) ? route.method : rng.pick(ODD_METHODS);
  const { path, query } = target(ctx, route, rng);
  const qs = encodeQuery(query);
  const t = qs ? `${path}?${qs}` : path;
  const headers: [string, string][] = [...authHeaders(route, t, rng), ...extraHeaders(rng)];
  let bytes: Buffer | undefined;
  if (route.body || rng.chance(0.05)) {
    bytes = Buffer.from(serializeBounded(body(ctx, route, path, rng)), "utf8");
    if (rng.chance(0.15)) bytes = mutateBytes(bytes, rng);
    if (!headers.some(([n]) => /^content-type$/i.test(n))) {
      headers.push(["Content-Type", rng.chance(0.85) ? "application/json" : raw(rng.pick(CONTENT_TYPES))]);
    }
    const enc = encodeBody(bytes, rng);
    headers.push(...enc.headers);
    bytes = enc.body;
  }
  // Spaces and line breaks would end the request line early; they go percent-encoded.
  const safeTarget = t.replace(/[ \r\n]/g, (c) => percentEncode(c));
  return { index, route, req: { method, target: safeTarget, headers, body: bytes } };
}

/** The body's text, or a stand-in when mutations made it longer than a string can be. */
function serializeBounded(v: unknown): string {
  try {
    return serialize(v);
  } catch (err) {
    if (err instanceof RangeError) return '"(a body too long to build)"';
    throw err;
  }
}

/** A template's pattern: /v1/webhooks/{provider} matches /v1/webhooks/postmark. */
const templateRe = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`);

/**
 * Each seed body unmutated, with good credentials: a check that the seeds still pass. A seed
 * naming no documented route is returned with `route: null` (stale).
 */
export function seedInputs(ctx: FuzzContext): { key: string; route: Route | null; req: WireRequest }[] {
  const rng = new Rng(0);
  return Object.entries(ctx.seeds).flatMap(([key, bodies]) => {
    const [method, path] = key.split(" ") as [string, string];
    const route = ctx.routes.find((r) => r.method === method && templateRe(r.path).test(path)) ?? null;
    let target = path;
    for (const p of route?.params.filter((x) => x.in === "path") ?? []) {
      target = target.replace(
        `{${p.name}}`,
        encodeURIComponent(paramValue(ctx, route!, p.name, p.schema, rng)),
      );
    }
    return bodies.map((b) => ({
      key,
      route,
      req: {
        method,
        target,
        headers: [...(route ? goodAuth(route, target) : []), ["Content-Type", "application/json"]] as [
          string,
          string,
        ][],
        body: Buffer.from(JSON.stringify(b)),
      },
    }));
  });
}

/** Paths on this server named in a JSON answer (a new link's /c/ URL, a block's /i/ URL…). */
export function followUps(body: Buffer, publicBase: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === "string" && v.startsWith(`${publicBase}/`)) out.push(v.slice(publicBase.length));
    else if (Array.isArray(v)) v.slice(0, 10).forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  try {
    walk(JSON.parse(body.toString("utf8")));
  } catch {
    // Not JSON after all: nothing to follow.
  }
  return [...new Set(out)];
}
