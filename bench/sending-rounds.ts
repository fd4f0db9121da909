// The sending bench's measured process (bench/sending.ts bundles it and runs it with plain
// node): rounds of the bare nodemailer loop and of opentime's Messenger, alternated, each
// through the same pool to the same SMTP sink. Prints one JSON line per round.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { Links } from "../src/core/links/links.js";
import { Metrics } from "../src/core/metrics.js";
import { silentLogger } from "../src/core/ports/index.js";
import { RecipientProof } from "../src/core/profiles/recipient-proof.js";
import { ProfileService } from "../src/core/profiles/service.js";
import { parseEvent } from "../src/core/segment/event.js";
import { createSending } from "../src/core/sending/index.js";
import { DEFAULT_SENDING } from "../src/core/sending/settings.js";
import { createMemorySignals } from "../src/core/signals/memory-signals.js";
import { createSigner } from "../src/core/util/signer.js";
import { createSmtpChannel } from "../src/node/sending/smtp-channel.js";
import { createThreadedSendingStore } from "../src/node/sending/threaded-sending-store.js";
import { createSqliteProfileStore } from "../src/node/sqlite/profile-store.js";
import { createSqliteStore } from "../src/node/sqlite/store.js";

const [smtpUrl, nArg, roundsArg, poolArg, concArg] = process.argv.slice(2);
const N = Number(nArg);
const ROUNDS = Number(roundsArg);
const POOL = Number(poolArg);
const CONCURRENCY = Number(concArg);
const SECRET = "bench-secret-0123456789abcdefghijklmn";
const FROM = "Shop <hi@shop.example>";

// A realistic email: ~6 KB of HTML, ten links, the person's name and the cart's items.
const LINKS = Array.from({ length: 10 }, (_, i) => `https://shop.example/p/${i}?ref=email`);
const HTML = `<!doctype html><html><body style="font-family:sans-serif">
<h1>Hi {{ person.first_name | default: "there" }}, your cart is waiting</h1>
{% for item in cart.items %}<p>{{ item.name }}: {{ item.price }} EUR</p>{% endfor %}
${LINKS.map((u, i) => `<table><tr><td><a href="${u}">Product ${i}</a></td><td>${"lorem ipsum dolor sit amet ".repeat(18)}</td></tr></table>`).join("\n")}
<img src="https://ot.example/i/blk_price.png" alt="">
</body></html>`;
const cart = {
  items: [
    { name: "Blue Shoe", price: 59 },
    { name: "Red Sock", price: 9 },
  ],
};

function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** Runs `n` jobs, `concurrency` at a time. */
async function pool(n: number, concurrency: number, job: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await job(next++);
    }),
  );
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "opentime-bench-sending-"));
  const file = join(dir, "bench.db");
  const store = createSqliteStore(file);
  const clock = { now: () => Date.now() };
  let seq = 0;
  const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
  const profiles = new ProfileService({
    store: createSqliteProfileStore(store.db),
    secret: SECRET,
    clock,
    random,
  });
  // The people, as Segment identify calls make them (one per send: no cap is in the way).
  const people = N * ROUNDS;
  for (let i = 0; i < people; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(people, i + 1000); j++) {
      const e = parseEvent(
        {
          type: "identify",
          userId: `u${j}`,
          traits: { email: `p${j}@bench.example`, first_name: `P${j}` },
          messageId: `m${j}`,
        },
        { receivedAt: Date.now(), newId: () => `g${++seq}` },
      );
      if ("code" in e) throw new Error(e.message);
      batch.push(e);
    }
    await profiles.ingest(batch);
  }
  const signer = createSigner(SECRET);
  const channel = createSmtpChannel({ url: smtpUrl!, from: FROM, pool: POOL, timeoutMs: 30_000 });
  const sending = createSending(
    {
      store: createThreadedSendingStore(store.db, file),
      channels: new Map([["email", channel]]),
      settings: { ...DEFAULT_SENDING, quietHours: null },
      maxInFlight: CONCURRENCY,
    },
    {
      profiles,
      links: new Links(store.links, signer, clock, random),
      proof: new RecipientProof(signer),
      signer,
      publicUrl: () => "https://ot.example",
      signals: createMemorySignals(),
      metrics: new Metrics(),
      clock,
      random,
      logger: silentLogger,
    },
  );
  await sending.store.templates.create({
    id: "cart",
    name: "Cart",
    subject: "{{ person.first_name }}, your cart",
    html: HTML,
    version: 1,
    createdAt: 0,
    updatedAt: 0,
  });
  // The bare loop sends what opentime would: the same email, rendered once, the same headers.
  const rendered = await sending.renderer.render({
    template: (await sending.store.templates.get("cart"))!,
    profile: (await profiles.find("p0@bench.example"))!,
    u: "p0@bench.example",
    campaign: "bench",
    sendId: "s_bare",
    data: { cart },
  });
  const bare = nodemailer.createTransport({
    url: smtpUrl!,
    pool: true,
    maxConnections: POOL,
    maxMessages: Number.POSITIVE_INFINITY,
  });

  let person = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of ["bare", "opentime"] as const) {
      const t0 = performance.now();
      const c0 = cpuMs();
      if (side === "bare") {
        await pool(N, CONCURRENCY, (i) =>
          bare.sendMail({
            from: FROM,
            to: `p${i}@bench.example`,
            subject: rendered.subject,
            html: rendered.html,
            messageId: `<s_bare${round}x${i}.opentime@shop.example>`,
          }),
        );
      } else {
        const first = person;
        person += N;
        await pool(N, CONCURRENCY, async (i) => {
          const out = await sending.messenger.send({
            key: `run${first + i}:send`,
            person: `p${first + i}@bench.example`,
            template: "cart",
            channels: ["email"],
            priority: 50,
            data: { cart },
            source: { flowId: "cart", flowVersion: 1, runId: `run${first + i}`, stepId: "send" },
            campaign: "bench",
          });
          if (out.status !== "accepted") throw new Error(`send: ${JSON.stringify(out)}`);
        });
        await sending.messenger.outbox.idle();
      }
      const ms = performance.now() - t0;
      const cpu = cpuMs() - c0;
      process.stdout.write(
        `${JSON.stringify({ round, side, sends: N, sendsPerS: Math.round((N / ms) * 1000), cpuUsPerSend: +((cpu * 1000) / N).toFixed(1) })}\n`,
      );
    }
  }
  const counts = await sending.store.sends.countByStatus();
  process.stdout.write(`${JSON.stringify({ counts })}\n`);
  await sending.close();
  bare.close();
  await profiles.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

// The stores' group-commit timers are unref'd: keep the process up until the rounds end.
const alive = setInterval(() => {}, 1_000);
await main();
clearInterval(alive);
process.exit(0);
