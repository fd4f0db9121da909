import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTemplate, identify, manualClock, request, startSendingServer } from "../helpers/sending.js";
import type { TestServer } from "../helpers/server.js";
import { partOf, startSmtp, type TestSmtp, waitFor } from "../helpers/smtp.js";

// Every email carries a one-click unsubscribe (RFC 8058, required of bulk senders by Gmail
// and Yahoo): the mailbox provider's POST stops further email to that person; a GET (a link
// scanner, a preview) only shows a page asking.
const clock = manualClock(Date.UTC(2026, 0, 5, 11, 0));
let smtp: TestSmtp;
let s: TestServer;

beforeAll(async () => {
  smtp = await startSmtp();
  s = await startSendingServer({ SMTP_URL: smtp.url }, clock);
  await identify(s, "una", { email: "una@x.com", timezone: "Europe/Paris" });
  await createTemplate(s, {
    id: "cart",
    name: "Cart",
    subject: "Your cart",
    html: '<p>cart</p><p><a href="{{ opentime.unsubscribe_url }}">Unsubscribe</a></p>',
    text: "cart. Unsubscribe: {{ opentime.unsubscribe_url }}",
  });
});
afterAll(async () => {
  await s?.cleanup();
  await smtp?.close();
});

/** The unsubscribe URL's path on the test server (the public URL is https://ot.example). */
const onServer = (url: string) => `${s.url}${new URL(url).pathname}`;

describe("one-click unsubscribe", () => {
  let unsubscribe = "";

  it("each email carries List-Unsubscribe with its one-click POST, and the URL in Liquid", async () => {
    const out = await s.sending!.messenger.send(request({ key: "u1:a", person: "una@x.com" }));
    expect(out.status).toBe("accepted");
    const mail = await waitFor(() => smtp.received.find((m) => m.to[0] === "una@x.com"), 10_000, "the email");
    const header = mail.header("list-unsubscribe") ?? "";
    expect(header).toMatch(/^<https:\/\/ot\.example\/u\/s_[\w-]+\.[\w-]{22}>$/);
    expect(mail.header("list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
    unsubscribe = header.slice(1, -1);
    expect(partOf(mail.raw, "text/plain")).toContain(`Unsubscribe: ${unsubscribe}`);
    expect(partOf(mail.raw, "text/html")).toContain(unsubscribe);
  });

  it("a GET asks and changes nothing; forged or altered tokens are not found", async () => {
    const page = await fetch(onServer(unsubscribe));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<form method="post">');
    const p = (await (await s.api("/v1/profiles/una")).json()) as { suppressions: Record<string, unknown> };
    expect(p.suppressions).toEqual({});

    const altered = `${unsubscribe.slice(0, -1)}${unsubscribe.endsWith("A") ? "B" : "A"}`;
    for (const bad of [
      altered,
      "https://ot.example/u/s_forged1234.abcdefghijklmnopqrstuv",
      "https://ot.example/u/x",
    ]) {
      expect((await fetch(onServer(bad), { method: "POST" })).status).toBe(404);
      expect((await fetch(onServer(bad))).status).toBe(404);
    }
  });

  it("the one-click POST suppresses the address, and later sends to it are skipped", async () => {
    const res = await fetch(onServer(unsubscribe), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("You are unsubscribed");
    const p = (await (await s.api("/v1/profiles/una")).json()) as { suppressions: Record<string, unknown> };
    expect(p.suppressions).toEqual({
      "una@x.com": expect.objectContaining({ reason: "unsubscribe", source: "opentime" }),
    });
    expect(await s.sending!.messenger.send(request({ key: "u2:a", person: "una@x.com" }))).toEqual({
      status: "skipped",
      reason: "suppressed",
    });
    // A second POST (the provider retrying) is harmless.
    expect((await fetch(onServer(unsubscribe), { method: "POST" })).status).toBe(200);
  });
});
