import { describe, expect, it } from "vitest";
import { parseCsv, sniffDelimiter } from "../../src/core/catalog/csv.js";
import { detectFormat, MAX_FEED_ROWS, parseFeed } from "../../src/core/catalog/feed.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const csv = (s: string) => parseFeed(bytes(s), "csv");
const json = (v: unknown) => parseFeed(bytes(JSON.stringify(v)), "json");

describe("CSV records (RFC 4180)", () => {
  it("reads quoted fields with separators, doubled quotes and line breaks; CRLF, LF and CR", () => {
    const { records } = parseCsv('a,b,c\r\n"x, y","say ""hi""","two\nlines"\n1,2,3\r4,5,6', ",", 10);
    expect(records.map((r) => r.fields)).toEqual([
      ["a", "b", "c"],
      ["x, y", 'say "hi"', "two\nlines"],
      ["1", "2", "3"],
      ["4", "5", "6"],
    ]);
    expect(records.map((r) => r.row)).toEqual([1, 2, 3, 4]);
  });

  it("skips blank lines but counts them, keeps empty and trailing empty fields", () => {
    const { records } = parseCsv("a,b\n\n1,\n,2\n", ",", 10);
    expect(records).toEqual([
      { row: 1, fields: ["a", "b"] },
      { row: 3, fields: ["1", ""] },
      { row: 4, fields: ["", "2"] },
    ]);
  });

  it("flags an unterminated quote, takes a stray quote in an unquoted field as text", () => {
    const { records } = parseCsv('a,b\n5" screen,ok\n"open,3\n4,5', ",", 10);
    expect(records[1]).toEqual({ row: 2, fields: ['5" screen', "ok"] });
    expect(records[2]!.error).toMatch(/not closed/);
    expect(records).toHaveLength(3);
  });

  it("stops at the record bound and says so", () => {
    expect(parseCsv("a\n1\n2\n3\n", ",", 2)).toMatchObject({ truncated: true });
    expect(parseCsv("a\n1\n", ",", 2)).toMatchObject({ truncated: false });
  });

  it("sniffs comma, semicolon or tab from the header", () => {
    expect(sniffDelimiter("id,name,price\n")).toBe(",");
    expect(sniffDelimiter("id;name;price\n1;a,b;2")).toBe(";");
    expect(sniffDelimiter('id\t"a,b,c"\tprice')).toBe("\t");
  });
});

describe("catalog feeds", () => {
  it("maps CSV columns case-insensitively to product fields, with | or , separated tags", async () => {
    const feed = await csv(
      [
        "ID,Name,Image_URL,Price,Currency,Compare At Price,Stock,Category,Brand,Tags,URL,colour",
        'sku-1,"Trail shoe, GTX",https://cdn.example/1.png,79.90,eur,99,3,Shoes,Alp,trail|water proof,https://shop.example/1,red',
        ["sku-2", "Beanie", "", "29.9 EUR", "", "", "", "", "", '"warm, wool"', "", ""].join(","),
      ].join("\n"),
    );
    expect(feed).toEqual({
      ok: true,
      rejected: [],
      products: [
        {
          id: "sku-1",
          name: "Trail shoe, GTX",
          imageUrl: "https://cdn.example/1.png",
          price: 79.9,
          currency: "EUR",
          compareAtPrice: 99,
          stock: 3,
          category: "Shoes",
          brand: "Alp",
          tags: ["trail", "water proof"],
          url: "https://shop.example/1",
        },
        { id: "sku-2", name: "Beanie", price: 29.9, currency: "EUR", tags: ["warm", "wool"] },
      ],
    });
  });

  it("reports bad rows by spreadsheet row number and keeps the good ones", async () => {
    const feed = await csv(
      [
        "id,name,price,currency,stock",
        "ok-1,Good,10,EUR,1",
        "bad id,Name,10,EUR,1",
        "ok-2,Good,ten,EUR,1",
        "ok-3,Good,10,EUR",
        "ok-4,Good,10,EUR,1.5",
        "ok-5,Good,10 USD,EUR,1",
        "ok-1,Again,12,EUR,1",
        "ok-6,Good,10,EUR,",
      ].join("\r\n"),
    );
    if (!feed.ok) throw new Error(feed.message);
    expect(feed.products.map((p) => p.id)).toEqual(["ok-1", "ok-6"]);
    expect(feed.products[1]!.stock).toBeUndefined();
    expect(feed.rejected.map((r) => r.row)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(feed.rejected[0]!.message).toMatch(/^id: /);
    expect(feed.rejected[1]!.message).toMatch(/price: not a price/);
    expect(feed.rejected[2]!.message).toMatch(/4 fields, the header has 5/);
    expect(feed.rejected[3]!.message).toMatch(/^stock: /);
    expect(feed.rejected[4]!.message).toMatch(/in USD, but the currency is EUR/);
    expect(feed.rejected[5]!.message).toBe("duplicate id ok-1 (first at row 2)");
  });

  it("reads European Excel exports (semicolons) and a UTF-8 BOM", async () => {
    const feed = await csv("\ufeffid;name;price;currency\nsku-1;Bär, groß;12.5;EUR\n");
    expect(feed).toMatchObject({ ok: true, products: [{ id: "sku-1", name: "Bär, groß", price: 12.5 }] });
  });

  it("fails a CSV feed as a whole only when it cannot be read at all", async () => {
    expect(await csv("")).toEqual({ ok: false, message: "the feed is empty" });
    expect(await csv("sku,title,cost\n1,a,2")).toMatchObject({
      ok: false,
      message: /no id, name, price column/,
    });
    const many = `id,name,price,currency\n${"x,y,1,EUR\n".repeat(MAX_FEED_ROWS + 1)}`;
    expect(await csv(many)).toMatchObject({ ok: false, message: /more than 100000 rows/ });
  });

  it("reads a JSON array or { products }, with any key spelling, numbers as text, and bad items by position", async () => {
    const items = [
      {
        id: 1,
        name: "One",
        price: "9.99",
        currency: "USD",
        image_url: null,
        compare_at_price: 12,
        tags: ["a"],
      },
      { ID: "two", NAME: "Two", Price: 5, currency: "USD", imageUrl: "data:image/png;base64,AAAA", extra: 1 },
      "not an object",
      { id: "four", name: "", price: 1, currency: "USD" },
    ];
    const a = await json(items);
    const b = await json({ products: items });
    expect(a).toEqual(b);
    if (!a.ok) throw new Error(a.message);
    expect(a.products).toEqual([
      { id: "1", name: "One", price: 9.99, currency: "USD", compareAtPrice: 12, tags: ["a"] },
      { id: "two", name: "Two", price: 5, currency: "USD", imageUrl: "data:image/png;base64,AAAA" },
    ]);
    expect(a.rejected).toEqual([
      { row: 3, message: "not an object" },
      { row: 4, message: expect.stringMatching(/^name: /) },
    ]);
  });

  it("fails a JSON feed that is not JSON or not a list", async () => {
    expect(await parseFeed(bytes("{nope"), "json")).toEqual({
      ok: false,
      message: "the feed is not valid JSON",
    });
    expect(await json({ items: [] })).toMatchObject({ ok: false, message: /array of products/ });
    expect(await json(null)).toMatchObject({ ok: false });
  });

  it("detects the format from the content type, then the extension, then the first byte", () => {
    const b = bytes("  [1]");
    expect(detectFormat("application/json; charset=utf-8", "https://x/feed", b)).toBe("json");
    expect(detectFormat("text/csv", "https://x/feed.json", b)).toBe("csv");
    expect(detectFormat("text/plain", "https://x/feed.json?x=1", bytes("id"))).toBe("json");
    expect(detectFormat("", "https://x/export.CSV", b)).toBe("csv");
    expect(detectFormat("application/octet-stream", "https://x/feed", b)).toBe("json");
    expect(detectFormat("", "https://x/feed", bytes("id,name"))).toBe("csv");
  });
});
