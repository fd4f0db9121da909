import { describe, expect, it } from "vitest";
import type { Profile } from "../../src/core/ports/profiles.js";
import type { SendRecord, TemplateRecord } from "../../src/core/ports/sending.js";
import { emptyProfile } from "../../src/core/profiles/model.js";
import { capFreeAt, chooseChannels, isUnengaged, quietUntil } from "../../src/core/sending/policy.js";
import { DEFAULT_SENDING } from "../../src/core/sending/settings.js";

// The rules on their own, to the second: channel choice, engagement-adapted caps, quiet hours.
const NOW = Date.UTC(2026, 0, 5, 12);
const HOUR = 3_600_000;
const all = new Set(["email", "sms", "push", "webhook"] as const);
const t: TemplateRecord = {
  id: "t",
  version: 1,
  name: "t",
  subject: "s",
  html: "<p/>",
  sms: "s",
  push: { title: "t", body: "b" },
  createdAt: 0,
  updatedAt: 0,
};
const person = (over: Partial<Profile> = {}): Profile =>
  Object.assign(emptyProfile("p_1", 0), {
    emails: ["a@x.com"],
    userId: "u1",
    traits: { phone: "+336", consent: { sms: true, push: true } },
    ...over,
  });
let n = 0;
const sent = (channel: SendRecord["channel"], at: number, events: SendRecord["events"] = {}): SendRecord =>
  ({
    id: `s${++n}`,
    key: `k${n}`,
    channel,
    status: "sent",
    acceptedAt: at,
    createdAt: at,
    flowId: "f",
    priority: 50,
    nextAt: null,
    events,
  }) as SendRecord;

describe("channel choice", () => {
  it("auto: the channel this person answers, among those consented; email for someone new", () => {
    expect(chooseChannels(person(), t, "auto", [], DEFAULT_SENDING, all).usable[0]).toBe("email");
    const history = [
      sent("sms", NOW - HOUR, { clicked: NOW }),
      sent("email", NOW - 2 * HOUR),
      sent("email", NOW - 3 * HOUR),
    ];
    expect(chooseChannels(person(), t, "auto", history, DEFAULT_SENDING, all).usable[0]).toBe("sms");
    // Without SMS consent, SMS is not a candidate whatever they answer.
    const noSms = person({ traits: { phone: "+336" } });
    expect(chooseChannels(noSms, t, "auto", history, DEFAULT_SENDING, all).usable).not.toContain("sms");
  });

  it("moves a channel sent to three times without an answer behind the fallback", () => {
    const history = [1, 2, 3].map((h) => sent("email", NOW - h * HOUR));
    expect(chooseChannels(person(), t, ["email", "sms"], history, DEFAULT_SENDING, all).usable).toEqual([
      "sms",
      "email",
    ]);
  });

  it("names why nothing can carry it: suppressed before no consent before no channel", () => {
    const bounced = person({ suppressions: { "a@x.com": { reason: "hard_bounce", at: 0, source: "x" } } });
    expect(chooseChannels(bounced, t, ["email"], [], DEFAULT_SENDING, all)).toEqual({
      usable: [],
      blocked: "suppressed",
    });
    const refused = person({ consent: { email: { granted: false, at: 0, source: "x" } } });
    expect(chooseChannels(refused, t, ["email"], [], DEFAULT_SENDING, all).blocked).toBe("no_consent");
    expect(chooseChannels(person(), t, ["email"], [], DEFAULT_SENDING, new Set()).blocked).toBe("no_channel");
  });
});

describe("caps that adapt to engagement", () => {
  it("halves every cap for someone who does not answer", () => {
    const history = [1, 2, 3].map((d) => sent("email", NOW - d * 25 * HOUR));
    expect(isUnengaged(person(), "email", history, NOW)).toBe(true);
    // Week cap 10 → 5 for them; daily 3 → 1: one send today is the cap.
    const today = [...history, sent("email", NOW - 2 * HOUR)];
    expect(capFreeAt(today, "email", "f", DEFAULT_SENDING, NOW, true)).toBe(NOW - 2 * HOUR + 24 * HOUR);
    expect(capFreeAt(today, "email", "f", DEFAULT_SENDING, NOW, false)).toBe(NOW);
    // One answer is enough to be engaged again.
    expect(
      isUnengaged(person(), "email", [...history, sent("email", NOW - HOUR, { opened: NOW })], NOW),
    ).toBe(false);
  });
});

describe("quiet hours", () => {
  it("ends them at the local end, across midnight and per channel", () => {
    const s = DEFAULT_SENDING;
    expect(quietUntil(s, "email", "Asia/Tokyo", Date.UTC(2026, 0, 5, 14))).toBe(Date.UTC(2026, 0, 5, 23)); // 23:00 JST → 08:00
    expect(quietUntil(s, "email", "Asia/Tokyo", Date.UTC(2026, 0, 5, 3))).toBe(Date.UTC(2026, 0, 5, 3)); // noon JST
    expect(quietUntil(s, "webhook", "Asia/Tokyo", Date.UTC(2026, 0, 5, 14))).toBe(Date.UTC(2026, 0, 5, 14));
  });
});
