import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, UA } from "../helpers/server.js";
import { post, startIngestServer } from "./helpers.js";

let s: TestServer;
beforeAll(async () => {
  s = await startIngestServer();
});
afterAll(async () => {
  await s.cleanup();
});

describe("opens and clicks from /o and /c reach the profile", () => {
  it("human signals move engagement and the send-time histogram; machine ones are counted apart", async () => {
    await post(s, "/v1/identify", { userId: "oc-1", traits: { email: "oc@example.com" } });
    const link = (await (
      await s.api("/v1/links", { method: "POST", json: { url: "https://shop.example/x", campaign: "oc" } })
    ).json()) as any;
    await fetch(`${s.url}/o/oc.gif?u=OC%40example.com`, { headers: { "user-agent": UA.iphoneSafari } });
    await fetch(`${s.url}/o/oc.gif?u=oc%40example.com`, { headers: { "user-agent": UA.gmailProxy } });
    await new Promise((r) => setTimeout(r, 1500)); // a human reads before clicking
    const click = await fetch(`${link.url}?u=oc%40example.com`, {
      redirect: "manual",
      headers: { "user-agent": UA.chromeDesktop },
    });
    expect(click.status).toBe(302);
    const p = (await (await s.api("/v1/profiles/oc-1")).json()) as any;
    expect(p.email).toMatchObject({
      opens: 1,
      clicks: 1,
      machineOpens: 1,
      machineByClass: { gmail_proxy: 1 },
    });
    expect(p.email.lastOpenAt).toBeGreaterThan(0);
    expect(p.email.lastClickAt).toBeGreaterThanOrEqual(p.email.lastOpenAt);
    expect(p.email.hours.reduce((a: number, b: number) => a + b, 0)).toBe(2);
    // The hour of the human hits (two hours when the test runs across an hour's end).
    const hitHours = [p.email.lastOpenAt, p.email.lastClickAt].map((t: number) => new Date(t).getUTCHours());
    expect(hitHours).toContain(p.email.bestHourUtc);
    expect(p.email.hours[p.email.bestHourUtc]).toBe(Math.max(...p.email.hours));
    expect(p.engagement.score).toBe(4); // open 1 + click 3
    expect(p.history.filter((h: any) => h.type === "email").map((h: any) => [h.event, h.class])).toEqual([
      ["click", "human"],
      ["open", "gmail_proxy"],
      ["open", "human"],
    ]);
  });

  it("an ESP id in u finds the user whose id it is; an unknown one gets its own profile", async () => {
    await post(s, "/v1/track", { userId: "cust-77", event: "Signed Up" });
    await fetch(`${s.url}/o/ids.gif?u=cust-77`, { headers: { "user-agent": UA.iphoneSafari } });
    await fetch(`${s.url}/o/ids.gif?u=sub-123`, { headers: { "user-agent": UA.iphoneSafari } });
    const known = (await (await s.api("/v1/profiles/cust-77")).json()) as any;
    expect(known.email.opens).toBe(1);
    const esp = (await (await s.api("/v1/profiles/sub-123")).json()) as any;
    expect(esp.identities.recipientIds).toEqual(["sub-123"]);
    expect(esp.userId).toBeNull();
  });
});
