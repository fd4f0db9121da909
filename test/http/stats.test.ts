import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, UA } from "../helpers/server.js";

let s: TestServer;
beforeAll(async () => {
  // Behind a trusted proxy, so the tests can speak from the networks the classifier knows.
  s = await startTestServer({ OPENTIME_TRUST_PROXY: "true" });
});
afterAll(async () => {
  await s.cleanup();
});

const hit = (path: string, ua: string | null, ip: string, method = "GET") =>
  fetch(`${s.url}${path}`, {
    method,
    redirect: "manual",
    headers: { "x-forwarded-for": ip, ...(ua === null ? {} : { "user-agent": ua }) },
  });

async function links(campaign: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await s.api("/v1/links", {
      method: "POST",
      json: { url: `https://shop.example/p/${i}`, campaign },
    });
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

async function stats(campaign: string) {
  return (await (await s.api(`/v1/campaigns/${campaign}/stats`)).json()) as any;
}

describe("classification of machine traffic, through real HTTP", () => {
  it.each([
    ["human", UA.chromeDesktop, "203.0.113.10"],
    ["gmail_proxy", UA.gmailProxy, "66.249.84.1"],
    ["yahoo_proxy", UA.yahooProxy, "98.136.1.1"],
    ["apple_mpp", UA.appleMpp, "17.58.1.1"],
    ["bot", UA.curl, "203.0.113.11"],
    ["unknown", null, "203.0.113.12"],
  ])("an open from %s traffic is counted as that class", async (cls, ua, ip) => {
    const campaign = `open-${cls}`;
    await hit(`/o/${campaign}.gif?u=r1`, ua, ip);
    const st = await stats(campaign);
    expect(st.opens.byClass).toEqual({ [cls]: 1 });
  });

  it("counts HEAD requests, scanner user agents and security-vendor networks as scanners", async () => {
    const [id] = await links("scan", 1);
    await hit(`/c/${id}?u=r1`, UA.chromeDesktop, "203.0.113.20", "HEAD");
    await hit(`/c/${id}?u=r2`, UA.headless, "203.0.113.21");
    await hit(`/c/${id}?u=r3`, UA.chromeDesktop, "40.94.1.1"); // Microsoft EOP / Safe Links
    const st = await stats("scan");
    expect(st.clicks.byClass).toEqual({ scanner: 3 });
  });

  it("counts a click within seconds of the open, and every link hit at once, as a scanner", async () => {
    const ids = await links("fast", 4);
    await hit("/o/fast.gif?u=r1", UA.chromeDesktop, "203.0.113.30");
    await hit(`/c/${ids[0]}?u=r1`, UA.chromeDesktop, "203.0.113.30");
    // Another recipient clicks all four links in the same instant.
    await Promise.all(ids.map((id) => hit(`/c/${id}?u=r2`, UA.chromeDesktop, "203.0.113.31")));
    const st = await stats("fast");
    expect(st.clicks.total).toBe(5);
    // r1's click 0-2 s after its open is one soft signal: still human. r2's third and fourth
    // links inside 2 s are decisive; its first two, taken for a person's when answered, are
    // corrected then.
    expect(st.clicks.byClass).toEqual({ human: 1, scanner: 4 });
    expect(st.clicks.uniqueByClass).toEqual({ human: 1, scanner: 1 });
  });

  it("reports a burst of mixed traffic exactly", async () => {
    const ids = await links("burst", 3);
    const jobs: Promise<Response>[] = [];
    for (let i = 0; i < 60; i++) jobs.push(hit(`/o/burst.gif?u=h${i}`, UA.iphoneSafari, "203.0.113.40"));
    for (let i = 0; i < 40; i++) jobs.push(hit(`/o/burst.gif?u=h${i}`, UA.gmailProxy, "66.249.84.2"));
    for (let i = 0; i < 25; i++) jobs.push(hit(`/o/burst.gif?u=m${i}`, UA.appleMpp, "17.58.2.2"));
    for (let i = 0; i < 30; i++)
      jobs.push(hit(`/c/${ids[i % 3]}?u=h${i}`, UA.chromeDesktop, "203.0.113.41", "HEAD"));
    for (let i = 0; i < 10; i++) jobs.push(hit(`/o/burst.gif`, UA.curl, "203.0.113.42"));
    const res = await Promise.all(jobs);
    expect(res.every((r) => r.status === 200 || r.status === 302)).toBe(true);
    const st = await stats("burst");
    expect(st.opens.total).toBe(135);
    expect(st.opens.byClass).toEqual({ human: 60, gmail_proxy: 40, apple_mpp: 25, bot: 10 });
    // h0..h59 and m0..m24 are the distinct recipients; bots sent no u.
    expect(st.opens.unique).toBe(85);
    expect(st.clicks.total).toBe(30);
    expect(st.clicks.byClass).toEqual({ scanner: 30 });
    expect(st.clicks.unique).toBe(30);
  });

  it("validates the campaign id and requires the key", async () => {
    const bad = await s.api(`/v1/campaigns/${encodeURIComponent("a b")}/stats`);
    expect(bad.status).toBe(400);
    const noKey = await fetch(`${s.url}/v1/campaigns/x/stats`);
    expect(noKey.status).toBe(401);
  });
});
