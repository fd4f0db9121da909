/**
 * What every part runs against: the server's environment (keys, webhook secrets, a local
 * Open-Meteo stand-in for weather) and a small world created through the API as a user would
 * (products, tracked links, one block of each type, a signed image), whose ids the load and
 * the fuzz draw from.
 */
export const KEYS = {
  api: "reliability-api-key-0123456789abcdefgh",
  secret: "reliability-secret-0123456789abcdefghij",
  write: "wk_reliability_0123456789",
  postmark: "postmark-token-0123456789abcdef",
  brevo: "brevo-token-0123456789abcdefgh",
} as const;

export const AUTH = `Bearer ${KEYS.api}`;
export const WRITE_AUTH = `Basic ${Buffer.from(`${KEYS.write}:`).toString("base64")}`;

export function serverEnv(weatherUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OPENTIME_API_KEY: KEYS.api,
    OPENTIME_SECRET: KEYS.secret,
    OPENTIME_WRITE_KEY: KEYS.write,
    OPENTIME_POSTMARK_TOKEN: KEYS.postmark,
    OPENTIME_BREVO_TOKEN: KEYS.brevo,
    OPENTIME_WEATHER_URL: weatherUrl,
    ...extra,
  };
}

export interface WorldLink {
  id: string;
  destination: string;
}

export interface World {
  campaign: string;
  links: WorldLink[];
  /** Stored blocks by type (countdown, evergreen, price, weather, banner). */
  blocks: Record<string, string>;
  products: string[];
  /** A signed countdown image's path and query (/i/signed.gif?o=…&s=…). */
  signedPath: string;
  /** Recipients with a profile, and the `us` proof of each (profile-driven images). */
  recipients: { u: string; us: string }[];
  /** The block slots with a URL, for adaptive links (/c/:blockId/:slot). */
  slots: string[];
}

/** One operator API call; throws unless it answered `expect`. */
export async function api(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  expect = [200, 201],
): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: AUTH, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The path of a URL the server wrote with its public base (http://localhost:PORT/…). */
export const pathOf = (u: string) => {
  const p = new URL(u);
  return p.pathname + p.search;
};

export const BLOCK_OPTIONS: Record<string, { type: string; options: Record<string, unknown> }> = {
  countdown: {
    type: "countdown",
    options: {
      deadline: "2030-12-24T18:00:00+01:00",
      campaign: "rel-world",
      slots: { cta: "https://shop.example/sale" },
      variants: [
        { name: "outlook", when: { device: "outlook" }, options: { frames: 1 } },
        {
          name: "mobile",
          when: { device: ["ios", "android"] },
          options: { width: 320, height: 80 },
          slots: { cta: "https://m.shop.example/sale" },
        },
      ],
    },
  },
  evergreen: { type: "countdown", options: { evergreen: { duration: 3600 }, frames: 5 } },
  price: { type: "price", options: { productId: "rel-sku-1", campaign: "rel-world" } },
  weather: {
    type: "weather",
    options: { location: { lat: 52.52, lon: 13.4, label: "Berlin" }, campaign: "rel-world" },
  },
  banner: {
    type: "banner",
    options: {
      template: "hero",
      headline: "Hi {{first_name|there}}!",
      subline: "New arrivals for {{city|you}}",
      cta: "Shop now",
      slots: { cta: "https://shop.example/new" },
      variants: [{ name: "split-a", split: "ab", weight: 1, options: { cta: "Look" } }],
    },
  },
};

export async function createWorld(url: string): Promise<World> {
  const campaign = "rel-world";
  const products = ["rel-sku-1", "rel-sku-2"];
  await api(url, "PUT", "/v1/products", {
    products: [
      { id: products[0], name: "Trail shoe", price: 79.9, currency: "EUR", compareAtPrice: 99, stock: 4 },
      { id: products[1], name: "Rain jacket", price: 120, currency: "EUR", stock: 0 },
    ],
  });
  const links: WorldLink[] = [];
  for (const dest of ["https://shop.example/", "https://shop.example/sale?x=1", "http://a.example/p"]) {
    const l = await api(url, "POST", "/v1/links", { url: dest, campaign });
    links.push({ id: l.id, destination: l.destination });
  }
  const blocks: Record<string, string> = {};
  for (const [name, body] of Object.entries(BLOCK_OPTIONS)) {
    blocks[name] = (await api(url, "POST", "/v1/blocks", body)).id;
  }
  const signed = await api(url, "POST", "/v1/sign", {
    type: "countdown",
    options: { deadline: "2030-01-01T00:00:00Z", frames: 3 },
  });
  const people = ["ann@example.com", "bob@example.com"];
  const res = await fetch(`${url}/v1/batch`, {
    method: "POST",
    headers: { authorization: WRITE_AUTH, "content-type": "application/json" },
    body: JSON.stringify({
      batch: people.map((email, i) => ({
        type: "identify",
        userId: `rel-user-${i}`,
        traits: { email, first_name: i ? "Bob" : "Ann", city: "Berlin", plan: "pro" },
        messageId: `rel-world-${i}`,
      })),
    }),
  });
  if (res.status !== 200) throw new Error(`world: /v1/batch answered ${res.status}: ${await res.text()}`);
  const proofs = await api(url, "POST", "/v1/recipients/sign", { recipients: people });
  return {
    campaign,
    links,
    blocks,
    products,
    signedPath: pathOf(signed.url),
    recipients: proofs.signatures.map((s: { recipient: string; us: string }) => ({
      u: s.recipient,
      us: s.us,
    })),
    slots: [`${blocks.countdown}/cta`, `${blocks.banner}/cta`],
  };
}
