import { AUTH, WRITE_AUTH } from "./world.js";

/**
 * The mixed load of a kill trial and what the server acknowledged under it: clicks and opens
 * answered, Segment events answered 200 (single calls and /v1/batch), links registered,
 * blocks created and edited, products upserted. Each worker runs requests one after another
 * until stopped; a request the process died under was never acknowledged and is not counted.
 * `performance.now()` at the answer is kept for opens and clicks, to tell how long before
 * the kill a lost one was answered.
 */
export interface Acks {
  hits: { kind: "open" | "click"; recipient: string; at: number }[];
  events: string[];
  links: { id: string; destination: string }[];
  blocksCreated: string[];
  /** Per edited block: the last edit answered, and the one in flight when the load stopped. */
  blockEdits: Map<string, { version: number; headline: string; inFlight: string | null }>;
  products: { id: string; price: number }[];
}

export interface TrialNames {
  /** Prefix of everything this trial creates, e.g. "k3". */
  tag: string;
  openCampaign: string;
  linkCampaign: string;
  clickLinkId: string;
  /** Banner blocks the editors own, one each. */
  editBlocks: string[];
}

const UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/** Worker counts per kind of request. */
export const WORKERS = { clicks: 6, opens: 6, batch: 3, track: 1, links: 1, blocks: 1, products: 1 } as const;

const json = (auth: string) => ({ authorization: auth, "content-type": "application/json" });

export function emptyAcks(): Acks {
  return { hits: [], events: [], links: [], blocksCreated: [], blockEdits: new Map(), products: [] };
}

/** Starts the workers; `stop()` ends them and resolves once every one has returned. */
export function startLoad(url: string, names: TrialNames, acks: Acks): { stop(): Promise<number> } {
  let running = true;
  let requests = 0;
  const { tag } = names;
  const loop = async (step: (n: number) => Promise<void>) => {
    for (let n = 0; running; n++) {
      try {
        await step(n);
        requests++;
      } catch {
        // Refused or reset: the server is gone (or going); nothing was acknowledged.
        if (!running) return;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < WORKERS.clicks; w++) {
    workers.push(
      loop(async (n) => {
        const recipient = `${tag}-c${w}-${n}@example.com`;
        const res = await fetch(`${url}/c/${names.clickLinkId}?u=${encodeURIComponent(recipient)}`, {
          redirect: "manual",
          headers: { "user-agent": UA },
        });
        if (res.status === 302) acks.hits.push({ kind: "click", recipient, at: performance.now() });
        await res.arrayBuffer();
      }),
    );
  }
  for (let w = 0; w < WORKERS.opens; w++) {
    workers.push(
      loop(async (n) => {
        const recipient = `${tag}-o${w}-${n}@example.com`;
        const res = await fetch(`${url}/o/${names.openCampaign}.gif?u=${encodeURIComponent(recipient)}`, {
          headers: { "user-agent": UA },
        });
        if (res.status === 200) acks.hits.push({ kind: "open", recipient, at: performance.now() });
        await res.arrayBuffer();
      }),
    );
  }
  for (let w = 0; w < WORKERS.batch; w++) {
    workers.push(
      loop(async (n) => {
        const batch = Array.from({ length: 20 }, (_, i) => ({
          type: i % 5 === 0 ? "identify" : "track",
          userId: `${tag}-u${w}-${(n * 20 + i) % 37}`,
          ...(i % 5 === 0
            ? { traits: { email: `${tag}-u${w}-${(n * 20 + i) % 37}@example.com` } }
            : { event: "Product Viewed", properties: { product_id: `sku-${i}`, price: 10 + i } }),
          messageId: `${tag}-b${w}-${n}-${i}`,
        }));
        const res = await fetch(`${url}/v1/batch`, {
          method: "POST",
          headers: json(WRITE_AUTH),
          body: JSON.stringify({ batch }),
        });
        if (res.status === 200) acks.events.push(...batch.map((e) => e.messageId));
        await res.arrayBuffer();
      }),
    );
  }
  for (let w = 0; w < WORKERS.track; w++) {
    workers.push(
      loop(async (n) => {
        const messageId = `${tag}-t${w}-${n}`;
        const res = await fetch(`${url}/v1/track`, {
          method: "POST",
          headers: json(WRITE_AUTH),
          body: JSON.stringify({
            userId: `${tag}-t${w}-${n % 11}`,
            event: "Product Added",
            properties: { product_id: "sku-1", price: 20, quantity: 1 },
            messageId,
          }),
        });
        if (res.status === 200) acks.events.push(messageId);
        await res.arrayBuffer();
      }),
    );
  }
  for (let w = 0; w < WORKERS.links; w++) {
    workers.push(
      loop(async (n) => {
        const res = await fetch(`${url}/v1/links`, {
          method: "POST",
          headers: json(AUTH),
          body: JSON.stringify({
            url: `https://shop.example/${tag}/${w}/${n}`,
            campaign: names.linkCampaign,
          }),
        });
        const body = (await res.json()) as { id: string; destination: string };
        if (res.status === 201) acks.links.push({ id: body.id, destination: body.destination });
      }),
    );
  }
  for (let w = 0; w < WORKERS.blocks; w++) {
    workers.push(
      loop(async (n) => {
        const res = await fetch(`${url}/v1/blocks`, {
          method: "POST",
          headers: json(AUTH),
          body: JSON.stringify({ type: "banner", options: { headline: `${tag} new ${n}` } }),
        });
        const body = (await res.json()) as { id: string };
        if (res.status === 201) acks.blocksCreated.push(body.id);
      }),
    );
  }
  for (const blockId of names.editBlocks) {
    workers.push(
      loop(async (n) => {
        const headline = `${tag} edit ${n}`;
        const edit = acks.blockEdits.get(blockId)!;
        // The first edit sent since the last answer is the one the kill may have applied;
        // those after it were refused (nothing listening).
        edit.inFlight ??= headline;
        const res = await fetch(`${url}/v1/blocks/${blockId}`, {
          method: "PATCH",
          headers: json(AUTH),
          body: JSON.stringify({ options: { headline } }),
        });
        const body = (await res.json()) as { version: number };
        edit.inFlight = null;
        if (res.status === 200) Object.assign(edit, { version: body.version, headline });
      }),
    );
  }
  for (let w = 0; w < WORKERS.products; w++) {
    workers.push(
      loop(async (n) => {
        const id = `${tag}-p${w}-${n}`;
        const price = 1 + (n % 500);
        const res = await fetch(`${url}/v1/products`, {
          method: "PUT",
          headers: json(AUTH),
          body: JSON.stringify({
            products: [{ id, name: `Product ${n}`, price, currency: "EUR", stock: n }],
          }),
        });
        if (res.status === 200) acks.products.push({ id, price });
        await res.arrayBuffer();
      }),
    );
  }
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return requests;
    },
  };
}
