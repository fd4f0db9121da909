import { describe, expect, it } from "vitest";
import type { Profile } from "../ports/profiles.js";
import { parseEvent } from "../segment/event.js";
import { type Step, seeded, shopperJourney, shuffled } from "../testing/journeys.js";
import { profileKit } from "../testing/profile-kit.js";
import { normaliseMailgun } from "../webhooks/mailgun.js";
import { MAX_REPLAY_EVENTS, rebuild } from "./replay.js";

const T0 = Date.parse("2026-03-02T09:00:00Z");
const ESP_EVENT = { delivered: "delivered", open: "opened", click: "clicked" } as const;

/** Delivers the steps to a fresh profile service, in batches of 1–4 events, as they come. */
async function run(steps: Step[], seed: number) {
  const k = profileKit(T0 + 5 * 3_600_000);
  const rnd = seeded(seed * 31);
  let n = 0;
  for (let i = 0; i < steps.length; ) {
    const step = steps[i]!;
    if (step.kind === "esp") {
      const data = {
        event: ESP_EVENT[step.type],
        id: step.id,
        timestamp: step.at / 1000,
        recipient: step.email,
      };
      await k.service.applyEmailEvent(normaliseMailgun(data, k.now).events[0]!);
      i++;
      continue;
    }
    const batch = [];
    for (
      let size = 1 + Math.floor(rnd() * 4);
      i < steps.length && steps[i]!.kind === "segment" && size > 0;
      size--
    ) {
      const ev = parseEvent((steps[i++] as Extract<Step, { kind: "segment" }>).event, {
        receivedAt: k.now,
        newId: () => `gen-${++n}`,
      });
      if ("code" in ev) throw new Error(ev.message);
      batch.push(ev);
    }
    await k.service.ingest(batch);
  }
  const id = (await k.store.lookup(["u:user-j"])).get("u:user-j")!;
  const stored = (await k.store.get([id])).get(id)!;
  return { k, id, stored };
}

/** The stored document minus what is not the events' doing (the generated id), ids sorted. */
const comparable = (p: Profile) => {
  const { id: _, ...rest } = JSON.parse(JSON.stringify(p)) as Profile;
  for (const list of [rest.userIds, rest.anonymousIds, rest.emails, rest.recipientIds]) list.sort();
  return rest;
};

describe("time order", () => {
  it("every shuffled delivery of a journey stores the document the in-order one stores", async () => {
    const journey = shopperJourney("j", T0);
    const inOrder = comparable((await run(journey, 0)).stored);
    expect(inOrder.cart!.items.map((i) => i.productId)).toEqual(["sku-3"]);
    expect(inOrder.counts).toMatchObject({ sessions: 3, events: 20 });
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
      const { stored } = await run(shuffled(journey, seed), seed);
      expect(comparable(stored), `seed ${seed}`).toEqual(inOrder);
    }
  });

  it("applied as they come in time order, a profile equals its rebuild from the stored events", async () => {
    const { k, id, stored } = await run(shopperJourney("j", T0), 0);
    const events = await k.store.events(id);
    expect(events).toHaveLength(24);
    const rebuilt = structuredClone(stored);
    rebuild(rebuilt, events, []);
    expect(comparable(rebuilt)).toEqual(comparable(stored));
  });

  it("past MAX_REPLAY_EVENTS stored events, a late event is applied on top (counted, never lost)", async () => {
    const k = profileKit(T0 + 3_600_000);
    let n = 0;
    const page = (at: number) => {
      const ev = parseEvent(
        { type: "page", userId: "big", messageId: `big-${++n}`, timestamp: new Date(at).toISOString() },
        { receivedAt: k.now, newId: () => `g-${n}` },
      );
      if ("code" in ev) throw new Error(ev.message);
      return ev;
    };
    const batch = Array.from({ length: MAX_REPLAY_EVENTS + 1 }, (_, i) => page(T0 + 1000 + i));
    await k.service.ingest(batch);
    await k.service.ingest([page(T0)]);
    const p = (await k.service.find("big"))!;
    expect(p.counts.events).toBe(MAX_REPLAY_EVENTS + 2);
    expect(p.createdAt).toBe(T0 + 1000);
  });
});
