import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../config.js";
import { webhookSettingsFromConfig } from "./settings.js";

const base = { OPENTIME_API_KEY: "k".repeat(24), OPENTIME_SECRET: "s".repeat(24) };
const settings = (env: Record<string, string>) => webhookSettingsFromConfig(parseConfig({ ...base, ...env }));

describe("webhook settings from the environment", () => {
  it("enables nothing by default", () => {
    expect(Object.values(settings({})).filter(Boolean)).toEqual([]);
  });

  it("enables each provider by its secret", () => {
    const s = settings({
      OPENTIME_MAILGUN_SIGNING_KEY: "key-0123456789abcdef",
      OPENTIME_SES_TOPIC_ARNS:
        "arn:aws:sns:us-east-1:123456789012:a, arn:aws-cn:sns:cn-north-1:123456789012:b.fifo",
      OPENTIME_BREVO_TOKEN: "brevo-0123456789abcdef",
      OPENTIME_POSTMARK_USER: "pm",
      OPENTIME_POSTMARK_PASSWORD: "pm-password-0123456789",
    });
    expect(s.mailgun).toEqual({ signingKey: "key-0123456789abcdef" });
    expect(s.ses?.topicArns).toEqual([
      "arn:aws:sns:us-east-1:123456789012:a",
      "arn:aws-cn:sns:cn-north-1:123456789012:b.fifo",
    ]);
    expect(s.ses).not.toHaveProperty("policy"); // the SNS URL policy never comes from env
    expect(s.brevo?.token).toBe("brevo-0123456789abcdef");
    expect(s.postmark?.basic).toEqual({ user: "pm", password: "pm-password-0123456789" });
  });

  it.each([
    ["OPENTIME_SES_TOPIC_ARNS", "not-an-arn"],
    ["OPENTIME_MAILGUN_SIGNING_KEY", "short"],
    ["OPENTIME_SENDGRID_PUBLIC_KEY", "not base64 !!"],
    ["OPENTIME_BREVO_TOKEN", "short"],
  ])("refuses a bad %s, naming it", (name, value) => {
    expect(() => settings({ [name]: value })).toThrow(new RegExp(name));
  });

  it("refuses a basic-auth user without a password", () => {
    expect(() => settings({ OPENTIME_POSTMARK_USER: "pm" })).toThrow(ConfigError);
    expect(() => settings({ OPENTIME_BREVO_PASSWORD: "brevo-password-0123" })).toThrow(/OPENTIME_BREVO_USER/);
  });
});
