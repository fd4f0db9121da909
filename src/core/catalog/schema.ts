import { z } from "zod";
import type { PricePoint, ProductRecord } from "../ports/catalog.js";

/** Product ids are SKUs: URL-safe without escaping, so they sit in paths and block options as they are. */
export const PRODUCT_ID_RE = /^[A-Za-z0-9._:~-]{1,128}$/;
export const productId = z.string().regex(PRODUCT_ID_RE, "use 1-128 of A-Z a-z 0-9 . _ : ~ -");

/** One bulk call is one transaction; 1,000 products keep it (and the 1 MB body) short. */
export const MAX_PRODUCTS_PER_CALL = 1000;
/** A data: image must fit in the body with its siblings; remote URLs are short. */
const MAX_IMAGE_URL = 256 * 1024;

const money = z.number().finite().nonnegative().max(1e9);
const webOrDataImage = z
  .string()
  .max(MAX_IMAGE_URL)
  .refine(
    (u) => /^https?:\/\/\S+$/i.test(u) || /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(u),
    "must be an http(s) URL or a base64 data:image URL",
  );

/** A short label; blank means none. */
const label = z
  .string()
  .trim()
  .max(200)
  .nullable()
  .optional()
  .transform((v) => (v === "" ? null : v));

export const productSchema = z
  .object({
    id: productId,
    name: z.string().trim().min(1).max(200),
    price: money,
    currency: z.string().regex(/^[A-Z]{3}$/, "use an ISO 4217 code such as EUR"),
    compareAtPrice: money.nullable().optional(),
    stock: z.number().int().nonnegative().max(1e9).nullable().optional(),
    imageUrl: webOrDataImage.nullable().optional(),
    url: z
      .string()
      .max(4096)
      .regex(/^https?:\/\/\S+$/i, "must be an absolute http(s) URL")
      .nullable()
      .optional(),
    category: label,
    brand: label,
    // Bounded: tags are kept in the product row and compared on every upsert.
    tags: z.array(z.string().trim().min(1).max(100)).max(50).nullable().optional(),
  })
  .strict();

export const productsBody = z
  .object({
    products: z.array(productSchema).min(1).max(MAX_PRODUCTS_PER_CALL),
  })
  .strict()
  .superRefine((b, ctx) => {
    // Two rows for one id in one call would make the result depend on order: refuse.
    const seen = new Set<string>();
    b.products.forEach((p, i) => {
      if (seen.has(p.id))
        ctx.addIssue({ code: "custom", path: ["products", i, "id"], message: "duplicate id" });
      seen.add(p.id);
    });
  });

/** The JSON a client sees for a product, with its price/stock history (newest first). */
export function productView(p: ProductRecord, history: readonly PricePoint[]) {
  const iso = (t: number) => new Date(t).toISOString();
  return {
    ...p,
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
    priceSince: iso(p.priceSince),
    history: history.map((h) => ({ ...h, at: iso(h.at) })),
  };
}
