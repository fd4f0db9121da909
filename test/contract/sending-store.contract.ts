import { describe, expect, it } from "vitest";
import type { SendingStore, SendRecord, TemplateRecord } from "../../src/core/ports/sending.js";

/** One contract every SendingStore adapter passes: the in-memory fake and SQLite. */
export function sendingStoreContract(
  name: string,
  open: () => Promise<{ store: SendingStore; reopen?: () => Promise<SendingStore> }>,
) {
  const template = (over: Partial<TemplateRecord> = {}): TemplateRecord => ({
    id: "t1",
    name: "Cart reminder",
    version: 1,
    subject: "You left {{ cart.items[0].name }}",
    html: "<p>Hi {{ person.first_name | default: 'there' }}</p>",
    createdAt: 1000,
    updatedAt: 1000,
    ...over,
  });
  const send = (over: Partial<SendRecord> = {}): SendRecord => ({
    id: "s1",
    key: "run1:step1",
    profileId: "p_1",
    person: "ann@x.com",
    status: "queued",
    reason: null,
    channel: "email",
    provider: "smtp",
    providerId: null,
    u: "ann@x.com",
    template: "t1",
    templateVersion: 1,
    campaign: "flow1-step1",
    flowId: "flow1",
    stepId: "step1",
    runId: "run1",
    priority: 50,
    deadline: null,
    request: { channels: ["email"], data: { cart: { total: 42 } }, flowVersion: 1 },
    message: null,
    tries: 0,
    nextAt: 1000,
    createdAt: 1000,
    acceptedAt: 1000,
    sentAt: null,
    updatedAt: 1000,
    events: {},
    ...over,
  });

  describe(`SendingStore contract: ${name}`, () => {
    it("keeps every template version and reads the latest or the one asked for", async () => {
      const { store } = await open();
      await store.templates.create(template());
      const v2 = await store.templates.update("t1", { name: "Cart reminder", subject: "v2" }, 2000);
      expect(v2).toMatchObject({ id: "t1", version: 2, subject: "v2", createdAt: 1000, updatedAt: 2000 });
      expect(v2!.html).toBeUndefined();
      expect(await store.templates.get("t1")).toEqual(v2);
      expect(await store.templates.get("t1", 1)).toEqual(template());
      expect(await store.templates.get("t1", 3)).toBeNull();
      expect(await store.templates.update("nope", { name: "x" }, 1)).toBeNull();
    });

    it("lists latest versions in creation order, a page at a time, and deletes every version", async () => {
      const { store } = await open();
      for (const id of ["a", "b", "c"]) await store.templates.create(template({ id }));
      await store.templates.update("a", { name: "A2" }, 5000);
      expect((await store.templates.list(2)).map((t) => [t.id, t.version])).toEqual([
        ["a", 2],
        ["b", 1],
      ]);
      expect((await store.templates.list(2, "b")).map((t) => t.id)).toEqual(["c"]);
      expect(await store.templates.delete("b")).toBe(true);
      expect(await store.templates.delete("b")).toBe(false);
      expect(await store.templates.get("b", 1)).toBeNull();
      expect((await store.templates.list(10)).map((t) => t.id)).toEqual(["a", "c"]);
    });

    it("stores an attempt once per key: a second insert of the key fails and writes nothing", async () => {
      const { store } = await open();
      await store.sends.write([{ insert: send() }]);
      await expect(
        store.sends.write([{ update: "s1", set: { status: "dead" } }, { insert: send({ id: "s2" }) }]),
      ).rejects.toThrow();
      expect((await store.sends.byKey("run1:step1"))!.status).toBe("queued");
      expect(await store.sends.get("s2")).toBeNull();
    });

    it("applies updates in order and keeps the rendered message until it is cleared", async () => {
      const { store } = await open();
      const message = {
        sendId: "s1",
        key: "run1:step1",
        channel: "email" as const,
        to: { profileId: "p_1", email: "ann@x.com", u: "ann@x.com" },
        campaign: "flow1-step1",
        template: { id: "t1", version: 1, name: "Cart reminder" },
        subject: "Hi",
        html: "<p>Hi</p>",
        data: {},
      };
      await store.sends.write([{ insert: send({ message }) }]);
      expect((await store.sends.get("s1"))!.message).toEqual(message);
      await store.sends.write([
        { update: "s1", set: { tries: 1, reason: "timeout", nextAt: 5000 } },
        {
          update: "s1",
          set: { status: "sent", providerId: "m-1", message: null, sentAt: 6000, updatedAt: 6000 },
        },
      ]);
      const r = (await store.sends.get("s1"))!;
      expect(r).toMatchObject({
        status: "sent",
        tries: 1,
        reason: "timeout",
        providerId: "m-1",
        sentAt: 6000,
      });
      expect(r.message).toBeNull();
      expect(r.request).toEqual(send().request);
      expect(await store.sends.byProviderId("m-1")).toMatchObject({ id: "s1" });
      expect(await store.sends.byProviderId("m-2")).toBeNull();
      expect(await store.sends.byRecipient("flow1-step1", "ann@x.com")).toMatchObject({ id: "s1" });
      await store.sends.write([{ update: "s1", set: { events: { delivered: 7000, opened: 8000 } } }]);
      expect((await store.sends.get("s1"))!.events).toEqual({ delivered: 7000, opened: 8000 });
    });

    it("lists a person's attempts newest first, since a time and before one", async () => {
      const { store } = await open();
      await store.sends.write([
        { insert: send({ id: "a", key: "k1", createdAt: 1000 }) },
        { insert: send({ id: "b", key: "k2", createdAt: 2000 }) },
        { insert: send({ id: "c", key: "k3", createdAt: 3000 }) },
        { insert: send({ id: "d", key: "k4", createdAt: 2500, profileId: "p_2" }) },
      ]);
      const ids = async (o: { since?: number; limit: number; before?: number }) =>
        (await store.sends.ofPerson("p_1", o)).map((r) => r.id);
      expect(await ids({ limit: 10 })).toEqual(["c", "b", "a"]);
      expect(await ids({ since: 2000, limit: 10 })).toEqual(["c", "b"]);
      expect(await ids({ limit: 1, before: 3000 })).toEqual(["b"]);
    });

    it("hands out due queued attempts by priority, then by due time", async () => {
      const { store } = await open();
      await store.sends.write([
        { insert: send({ id: "low", key: "k1", priority: 10, nextAt: 100 }) },
        { insert: send({ id: "high", key: "k2", priority: 90, nextAt: 900 }) },
        { insert: send({ id: "later", key: "k3", priority: 99, nextAt: 5000 }) },
        { insert: send({ id: "mid", key: "k4", priority: 10, nextAt: 50 }) },
        { insert: send({ id: "done", key: "k5", status: "sent", nextAt: 10 }) },
      ]);
      expect((await store.sends.due(1000, 10)).map((r) => r.id)).toEqual(["high", "mid", "low"]);
      expect((await store.sends.due(1000, 1)).map((r) => r.id)).toEqual(["high"]);
    });

    it("lists dead letters newest first and counts attempts by status", async () => {
      const { store } = await open();
      await store.sends.write([
        { insert: send({ id: "a", key: "k1", status: "dead", updatedAt: 1000 }) },
        { insert: send({ id: "b", key: "k2", status: "dead", updatedAt: 3000 }) },
        { insert: send({ id: "c", key: "k3", status: "skipped" }) },
        { insert: send({ id: "d", key: "k4" }) },
      ]);
      expect((await store.sends.dead(10)).map((r) => r.id)).toEqual(["b", "a"]);
      expect((await store.sends.dead(10, 3000)).map((r) => r.id)).toEqual(["a"]);
      expect(await store.sends.countByStatus()).toEqual({
        deferred: 0,
        skipped: 1,
        queued: 1,
        sent: 0,
        dead: 2,
      });
    });

    it("erases every attempt of a profile, and only theirs", async () => {
      const { store } = await open();
      await store.sends.write([
        { insert: send({ id: "a", key: "k1" }) },
        { insert: send({ id: "b", key: "k2", profileId: "p_2" }) },
      ]);
      await store.sends.write([{ erase: "p_1" }]);
      expect(await store.sends.get("a")).toBeNull();
      expect(await store.sends.byKey("k1")).toBeNull();
      expect(await store.sends.get("b")).not.toBeNull();
    });

    it("keeps what was written across a reopen", async () => {
      const { store, reopen } = await open();
      if (!reopen) return;
      await store.templates.create(template());
      await store.sends.write([{ insert: send() }]);
      const again = await reopen();
      expect(await again.templates.get("t1")).toEqual(template());
      expect(await again.sends.byKey("run1:step1")).toEqual(send());
    });
  });
}
