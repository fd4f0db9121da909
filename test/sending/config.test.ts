import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type ConfigError, parseConfig } from "../../src/core/config.js";
import { routeChannels } from "../../src/core/sending/settings.js";
import { channelsFromConfig, sendingSettingsFromConfig } from "../../src/node/sending/channels.js";
import { runUntilExit } from "../helpers/process.js";
import { TEST_API_KEY, TEST_SECRET, tempDir } from "../helpers/server.js";

const good = { OPENTIME_API_KEY: TEST_API_KEY, OPENTIME_SECRET: TEST_SECRET };
const WHSEC = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
const issues = (env: Record<string, string>) => {
  try {
    parseConfig({ ...good, ...env });
    return [];
  } catch (err) {
    return (err as ConfigError).issues;
  }
};
const dir = tempDir();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("sending configuration", () => {
  it.each([
    [{ OPENTIME_SEND_EMAIL_VIA: "sendgrid" }, "OPENTIME_SEND_EMAIL_VIA: sendgrid is not configured"],
    [
      { OPENTIME_SEND_SMS_VIA: "smtp", SMTP_URL: "smtp://h:25", OPENTIME_MAIL_FROM: "a@b.c" },
      "OPENTIME_SEND_SMS_VIA: smtp carries email only",
    ],
    [{ OPENTIME_MAILGUN_API_KEY: "key-0123456789abcdef" }, "OPENTIME_MAILGUN_DOMAIN: required"],
    [{ OPENTIME_BRAZE_API_KEY: "braze-0123456789abcdef" }, "OPENTIME_BRAZE_URL: required"],
    [{ OPENTIME_WEBHOOK_URL: "https://hooks.example/in" }, "OPENTIME_WEBHOOK_SECRET: required"],
    [{ OPENTIME_WEBHOOK_SECRET: "whsec_c2hvcnQ=" }, "OPENTIME_WEBHOOK_SECRET: must be whsec_"],
    [{ SMTP_URL: "smtp://relay.example:587" }, "OPENTIME_MAIL_FROM: required to send email"],
    [{ OPENTIME_SEND_CAPS: "{email:1}" }, "OPENTIME_SEND_CAPS: must be JSON"],
    [{ OPENTIME_SEND_CAPS: '{"email":{"day":-1}}' }, "OPENTIME_SEND_CAPS.email.day"],
    [{ OPENTIME_SEND_CAPS: '{"fax":{"day":1}}' }, "OPENTIME_SEND_CAPS: Unrecognized key"],
    [{ OPENTIME_SEND_QUIET_HOURS: "late" }, "OPENTIME_SEND_QUIET_HOURS"],
    [{ OPENTIME_SEND_TIMEZONE: "Mars/Olympus" }, "OPENTIME_SEND_TIMEZONE: must be an IANA time zone"],
  ])("refuses %j", (env, message) => {
    expect(issues(env as Record<string, string>).join("\n")).toContain(message);
  });

  it("stops the process at start with the variable named, and never prints a secret", async () => {
    const res = await runUntilExit({
      ...good,
      OPENTIME_DATA_DIR: dir,
      OPENTIME_SENDGRID_API_KEY: "SG.very-secret-value-0123456789",
      OPENTIME_SEND_EMAIL_VIA: "postmark",
    });
    expect(res.code).toBe(78);
    expect(res.stderr).toContain("OPENTIME_SEND_EMAIL_VIA: postmark is not configured");
    expect(res.stderr + res.stdout).not.toContain("very-secret-value");
  });

  it("routes each channel to a configured provider and builds the settings", () => {
    const c = parseConfig({
      ...good,
      SMTP_URL: "smtp://relay.example:587",
      OPENTIME_MAIL_FROM: "hi@shop.example",
      OPENTIME_KLAVIYO_API_KEY: "pk_0123456789abcdef",
      OPENTIME_WEBHOOK_URL: "https://hooks.example/in",
      OPENTIME_WEBHOOK_SECRET: WHSEC,
      OPENTIME_SEND_PUSH_VIA: "klaviyo",
      OPENTIME_SEND_CAPS:
        '{"email":{"day":2},"perFlow":{"sms":{"week":1}},"flows":{"news":{"email":{"week":1}}}}',
      OPENTIME_SEND_QUIET_HOURS: "22:30-07:00",
    });
    const channels = channelsFromConfig(c, { now: () => 0 });
    expect(Object.fromEntries([...channels].map(([k, ch]) => [k, ch.provider]))).toEqual({
      email: "smtp",
      sms: "webhook",
      push: "klaviyo",
      webhook: "webhook",
    });
    const s = sendingSettingsFromConfig(c);
    expect(s.caps.email).toEqual({ hour: 1, day: 2, week: 10 });
    expect(s.flowCaps.sms).toEqual({ day: 1, week: 1 });
    expect(s.byFlow.get("news")).toEqual({ email: { week: 1 } });
    expect(s.quietHours).toEqual({ start: 22 * 60 + 30, end: 7 * 60 });
    expect(routeChannels(new Set(), {})).toEqual(new Map());
    for (const ch of new Set(channels.values())) void ch.close?.();
  });
});
