import type { ProductInput } from "../ports/catalog.js";
import type { FeedFormat } from "../ports/feeds.js";
import { table } from "../util/dict.js";
import { parseCsv, sniffDelimiter } from "./csv.js";
import { productSchema } from "./schema.js";

/** A feed is read whole into memory: 20 MB of CSV is ~100k products, a large shop's catalog. */
export const MAX_FEED_BYTES = 20 * 1024 * 1024;
export const MAX_FEED_ROWS = 100_000;

export interface RejectedRow {
  /** JSON: the 1-based position in the array. CSV: the spreadsheet row (the header is row 1). */
  row: number;
  message: string;
}

export type ParsedFeed =
  | { ok: true; products: ProductInput[]; rejected: RejectedRow[] }
  | { ok: false; message: string };

type Field = keyof ProductInput;

/** Column (CSV) or key (JSON) names, compared without case, spaces, "_" or "-". */
const FIELDS = table<Field>({
  id: "id",
  name: "name",
  url: "url",
  image: "imageUrl",
  imageurl: "imageUrl",
  price: "price",
  currency: "currency",
  compareatprice: "compareAtPrice",
  stock: "stock",
  category: "category",
  brand: "brand",
  tags: "tags",
});
const fieldOf = (name: string): Field | undefined =>
  FIELDS[
    name
      .trim()
      .toLowerCase()
      .replace(/[\s_-]/g, "")
  ];

/**
 * The format of a fetched feed when the operator did not say: the content type, then the
 * URL's extension, then the first character (JSON starts with [ or {).
 */
export function detectFormat(contentType: string, url: string, bytes: Uint8Array): FeedFormat {
  const type = contentType.toLowerCase();
  if (type.includes("json")) return "json";
  if (type.includes("csv") || type.includes("comma-separated")) return "csv";
  let path = "";
  try {
    path = new URL(url).pathname.toLowerCase();
  } catch {}
  if (path.endsWith(".json")) return "json";
  if (path.endsWith(".csv")) return "csv";
  for (const b of bytes.subarray(0, 1024)) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0xef || b === 0xbb || b === 0xbf)
      continue;
    return b === 0x5b || b === 0x7b ? "json" : "csv";
  }
  return "csv";
}

/** Rows checked between two yields to the event loop: ~10 ms of work, so opens keep being served. */
const ROWS_PER_SLICE = 1000;
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * A JSON feed (an array of products, or `{ "products": [...] }`) or a CSV feed (a header
 * row naming the fields) as product inputs. A bad row is set aside with its row number and
 * a message and never stops the good ones; only a feed that cannot be read at all (not
 * JSON, no header, too big) fails as a whole. A repeated id keeps its first row. Checking
 * 100k rows takes a second or more, so it yields to the event loop between slices.
 */
export async function parseFeed(bytes: Uint8Array, format: FeedFormat): Promise<ParsedFeed> {
  if (bytes.length > MAX_FEED_BYTES)
    return { ok: false, message: `the feed is larger than ${MAX_FEED_BYTES} bytes` };
  // Not fatal: a stray Latin-1 byte in one name must not fail the whole feed.
  const text = new TextDecoder("utf-8").decode(bytes);
  const rows = format === "json" ? jsonRows(text) : csvRows(text);
  if (!rows.ok) return rows;
  const products: ProductInput[] = [];
  const rejected: RejectedRow[] = [];
  const firstRow = new Map<string, number>();
  for (let i = 0; i < rows.count; i++) {
    if (i > 0 && i % ROWS_PER_SLICE === 0) await pause();
    const r = rows.at(i);
    const res = "error" in r ? { ok: false as const, message: r.error } : toProduct(r.values);
    if (!res.ok) {
      rejected.push({ row: r.row, message: res.message });
      continue;
    }
    const seen = firstRow.get(res.product.id);
    if (seen !== undefined) {
      rejected.push({ row: r.row, message: `duplicate id ${res.product.id} (first at row ${seen})` });
      continue;
    }
    firstRow.set(res.product.id, r.row);
    products.push(res.product);
  }
  return { ok: true, products, rejected };
}

type Row = { row: number; values: Map<Field, unknown> } | { row: number; error: string };
/** Rows are built one at a time as they are checked: 100k of them at once is needless garbage. */
type Rows = { ok: true; count: number; at(i: number): Row } | { ok: false; message: string };

function jsonRows(text: string): Rows {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, message: "the feed is not valid JSON" };
  }
  const list = Array.isArray(doc) ? doc : (doc as { products?: unknown } | null)?.products;
  if (!Array.isArray(list))
    return { ok: false, message: 'a JSON feed is an array of products or { "products": [...] }' };
  if (list.length > MAX_FEED_ROWS)
    return { ok: false, message: `the feed has more than ${MAX_FEED_ROWS} rows` };
  return {
    ok: true,
    count: list.length,
    at(i): Row {
      const item: unknown = list[i];
      if (typeof item !== "object" || item === null || Array.isArray(item))
        return { row: i + 1, error: "not an object" };
      const values = new Map<Field, unknown>();
      for (const [k, v] of Object.entries(item)) {
        const f = fieldOf(k);
        if (f && !values.has(f) && v !== null && v !== "") values.set(f, v);
      }
      return { row: i + 1, values };
    },
  };
}

function csvRows(text: string): Rows {
  const { records, truncated } = parseCsv(text, sniffDelimiter(text), MAX_FEED_ROWS + 1);
  if (truncated) return { ok: false, message: `the feed has more than ${MAX_FEED_ROWS} rows` };
  const header = records[0];
  if (!header) return { ok: false, message: "the feed is empty" };
  const columns = header.fields.map(fieldOf);
  const missing = (["id", "name", "price"] as const).filter((f) => !columns.includes(f));
  if (missing.length > 0)
    return {
      ok: false,
      message: `the CSV header has no ${missing.join(", ")} column (it has: ${header.fields.slice(0, 20).join(", ")})`,
    };
  return {
    ok: true,
    count: records.length - 1,
    at(i): Row {
      const rec = records[i + 1]!;
      if (rec.error) return { row: rec.row, error: rec.error };
      if (rec.fields.length !== columns.length)
        return { row: rec.row, error: `${rec.fields.length} fields, the header has ${columns.length}` };
      const values = new Map<Field, unknown>();
      rec.fields.forEach((v, c) => {
        const f = columns[c];
        if (f && !values.has(f) && v.trim() !== "") values.set(f, v);
      });
      return { row: rec.row, values };
    },
  };
}

const PRICE_RE = /^\s*([A-Za-z]{3})?\s*(\d+(?:\.\d+)?)\s*([A-Za-z]{3})?\s*$/;

/** A price as a number, or text: "79.90", "79.90 EUR" (Google Merchant style), "EUR 79.90". */
function money(v: unknown, field: string): { value: number; currency?: string } | string {
  if (typeof v === "number") return { value: v };
  const m = typeof v === "string" ? PRICE_RE.exec(v) : null;
  if (!m || (m[1] && m[3])) return `${field}: not a price (use 79.90, optionally with a currency: 79.90 EUR)`;
  const code = m[1] ?? m[3];
  return code ? { value: Number(m[2]), currency: code.toUpperCase() } : { value: Number(m[2]) };
}

function toProduct(
  values: Map<Field, unknown>,
): { ok: true; product: ProductInput } | { ok: false; message: string } {
  const out: Record<string, unknown> = {};
  for (const [f, v] of values) {
    if (f === "tags") out.tags = Array.isArray(v) ? v : splitTags(String(v));
    else if (f === "stock") out.stock = typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
    else if (f !== "price" && f !== "compareAtPrice")
      out[f] = typeof v === "number" && f === "id" ? String(v) : v;
  }
  if (typeof out.currency === "string") out.currency = out.currency.trim().toUpperCase();
  for (const f of ["price", "compareAtPrice"] as const) {
    if (!values.has(f)) continue;
    const m = money(values.get(f), f);
    if (typeof m === "string") return { ok: false, message: m };
    out[f] = m.value;
    if (!m.currency) continue;
    if (out.currency === undefined) out.currency = m.currency;
    else if (out.currency !== m.currency)
      return { ok: false, message: `${f}: in ${m.currency}, but the currency is ${String(out.currency)}` };
  }
  const res = productSchema.safeParse(out);
  if (res.success) return { ok: true, product: res.data };
  const issues = res.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "row"}: ${i.message}`);
  return { ok: false, message: issues.join("; ") };
}

/** Tags in one cell: "|" separates them when present (tags may then hold commas), else ",". */
function splitTags(cell: string): string[] {
  return cell
    .split(cell.includes("|") ? "|" : ",")
    .map((t) => t.trim())
    .filter(Boolean);
}
