import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";
import { ErrorBox, Field, TableWrap, when } from "../ui.js";

interface Product {
  id: string;
  name: string;
  price: number;
  currency: string;
  stock: number | null;
  history: { at: string; price: number; currency: string; stock: number | null }[];
}
interface Feed {
  id: string;
  url: string;
  everyMinutes: number;
  lastRunAt: string | number | null;
  lastStatus: string | null;
  lastMessage: string | null;
}

/** A price history as a small SVG line (oldest left). */
function Spark({ points }: { points: number[] }) {
  if (points.length < 2) return null;
  const [min, max] = [Math.min(...points), Math.max(...points)];
  const y = (v: number) => 38 - (max === min ? 18 : ((v - min) / (max - min)) * 36);
  const d = points
    .map((v, i) => `${i ? "L" : "M"}${((i / (points.length - 1)) * 200).toFixed(1)},${y(v).toFixed(1)}`)
    .join("");
  return (
    <svg
      class="spark"
      viewBox="0 0 200 40"
      role="img"
      aria-label={`Price from ${points[0]} to ${points[points.length - 1]}`}
    >
      <path d={d} fill="none" stroke="currentColor" stroke-width="2" />
    </svg>
  );
}

export function CatalogPage(props: { id?: string }) {
  const [q, setQ] = useState(props.id ?? "");
  const [product, setProduct] = useState<Product | null>(null);
  const [feeds, setFeeds] = useState<Feed[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [feedError, setFeedError] = useState<unknown>(null);
  useEffect(() => {
    api<{ feeds: Feed[] }>("/v1/feeds").then((r) => setFeeds(r.feeds), setFeedError);
  }, []);
  useEffect(() => {
    setProduct(null);
    setError(null);
    if (props.id) api<Product>(`/v1/products/${encodeURIComponent(props.id)}`).then(setProduct, setError);
  }, [props.id]);
  return (
    <section>
      <h1>Catalog</h1>
      <form
        class="search"
        aria-label="Find a product"
        onSubmit={(e) => {
          e.preventDefault();
          if (q.trim()) location.hash = `#/catalog/${encodeURIComponent(q.trim())}`;
        }}
      >
        <Field label="Product id" id="product-q">
          <input id="product-q" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </Field>
        <button class="primary" type="submit">
          Find
        </button>
      </form>
      <ErrorBox error={error} />
      {product && (
        <div class="panel">
          <h2>{product.name}</h2>
          <p>
            {product.price} {product.currency} · stock {product.stock ?? "–"}
          </p>
          <Spark points={[...product.history].reverse().map((h) => h.price)} />
        </div>
      )}
      <h2>Feeds</h2>
      <ErrorBox error={feedError} />
      {feeds?.length === 0 && (
        <p class="muted">No scheduled feeds. Add one with POST /v1/products/import and `every`.</p>
      )}
      {feeds && feeds.length > 0 && (
        <TableWrap>
          <table>
            <caption class="sr-only">Scheduled feeds and their last import</caption>
            <thead>
              <tr>
                <th scope="col">Feed</th>
                <th scope="col">Every</th>
                <th scope="col">Last import</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {feeds.map((f) => (
                <tr>
                  <td class="url">{f.url}</td>
                  <td>{f.everyMinutes} min</td>
                  <td>{when(f.lastRunAt)}</td>
                  <td>
                    {f.lastStatus ?? "not yet"}
                    {f.lastMessage ? `: ${f.lastMessage}` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}
