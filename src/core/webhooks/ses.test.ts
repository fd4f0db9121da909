import { describe, expect, it } from "vitest";
import { normaliseSes } from "./ses.js";

// SES event JSON (the SNS Message) in the shapes of AWS's published examples.
const mail = {
  messageId: "m-1",
  timestamp: "2026-01-01T09:00:00.000Z",
  destination: ["a@x.com", "b@x.com"],
  tags: { "ses:configuration-set": ["ConfigSet"], campaign: ["bf-2026"], rid: ["r_42"] },
};
const at = (iso: string) => Date.parse(iso);

describe("normaliseSes", () => {
  it.each([
    [
      "a permanent bounce, one event per bounced recipient",
      {
        eventType: "Bounce",
        bounce: {
          bounceType: "Permanent",
          bounceSubType: "General",
          bouncedRecipients: [{ emailAddress: "a@x.com" }, { emailAddress: "b@x.com" }],
          timestamp: "2026-01-01T09:01:00.000Z",
        },
        mail,
      },
      [
        {
          provider: "ses",
          type: "bounce",
          bounce: "hard",
          email: "a@x.com",
          at: at("2026-01-01T09:01:00.000Z"),
          id: "sns-1:0",
          campaign: "bf-2026",
          recipientId: "r_42",
        },
        { type: "bounce", bounce: "hard", email: "b@x.com", id: "sns-1:1" },
      ],
    ],
    [
      "a transient bounce (identity notification: notificationType)",
      {
        notificationType: "Bounce",
        bounce: { bounceType: "Transient", bouncedRecipients: [{ emailAddress: "a@x.com" }] },
        mail,
      },
      [{ type: "bounce", bounce: "soft", at: at("2026-01-01T09:00:00.000Z") }],
    ],
    [
      "an undetermined bounce",
      {
        eventType: "Bounce",
        bounce: { bounceType: "Undetermined", bouncedRecipients: [{ emailAddress: "a@x.com" }] },
        mail,
      },
      [{ bounce: "soft" }],
    ],
    [
      "a complaint",
      {
        eventType: "Complaint",
        complaint: { complainedRecipients: [{ emailAddress: "b@x.com" }], complaintFeedbackType: "abuse" },
        mail,
      },
      [{ type: "complaint", email: "b@x.com" }],
    ],
    [
      "a delivery",
      {
        eventType: "Delivery",
        delivery: { recipients: ["a@x.com"], timestamp: "2026-01-01T09:00:05.000Z" },
        mail,
      },
      [{ type: "delivered", at: at("2026-01-01T09:00:05.000Z") }],
    ],
    [
      "an open",
      {
        eventType: "Open",
        open: { ipAddress: "192.0.2.1", timestamp: "2026-01-01T09:05:00.000Z", userAgent: "Mozilla/5.0" },
        mail: { ...mail, destination: ["a@x.com"] },
      },
      [{ type: "open", email: "a@x.com" }],
    ],
    [
      "a click",
      {
        eventType: "Click",
        click: { link: "https://shop/x", timestamp: "2026-01-01T09:06:00.000Z" },
        mail: { ...mail, destination: ["a@x.com"] },
      },
      [{ type: "click", url: "https://shop/x" }],
    ],
    [
      "a reject",
      { eventType: "Reject", reject: { reason: "Bad content" }, mail: { ...mail, destination: ["a@x.com"] } },
      [{ type: "dropped" }],
    ],
    [
      "a delivery delay",
      {
        eventType: "DeliveryDelay",
        deliveryDelay: { delayType: "MailboxFull", delayedRecipients: [{ emailAddress: "a@x.com" }] },
        mail,
      },
      [{ type: "deferred" }],
    ],
    [
      "an unsubscribe-all",
      {
        eventType: "Subscription",
        subscription: { newTopicPreferences: { unsubscribeAll: true } },
        mail: { ...mail, destination: ["a@x.com"] },
      },
      [{ type: "unsubscribe" }],
    ],
  ])("%s", (_, message, expected) => {
    const { events, ignored } = normaliseSes(message as Record<string, unknown>, "sns-1", 0);
    expect(events).toMatchObject(expected);
    expect(events).toHaveLength(expected.length);
    expect(ignored).toBe(0);
  });

  it.each([
    ["Send", { eventType: "Send", send: {}, mail }],
    ["Rendering Failure", { eventType: "Rendering Failure", failure: {}, mail }],
    [
      "a retracted complaint",
      {
        eventType: "Complaint",
        complaint: { complaintFeedbackType: "not-spam", complainedRecipients: [{ emailAddress: "a@x.com" }] },
        mail,
      },
    ],
    [
      "a subscription change that is not an unsubscribe",
      { eventType: "Subscription", subscription: { newTopicPreferences: { unsubscribeAll: false } }, mail },
    ],
    ["a future event type", { eventType: "Hologram", mail }],
    ["an event without any address", { eventType: "Open", open: {}, mail: { messageId: "x" } }],
  ])("ignores %s (counted)", (_, message) => {
    expect(normaliseSes(message as Record<string, unknown>, "sns-1", 0)).toEqual({ events: [], ignored: 1 });
  });
});
