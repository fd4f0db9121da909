import { describe, expect, it } from "vitest";
import { ReplayCache } from "./mailgun.js";
import { checkSharedSecret } from "./shared-secret.js";
import { SNS_URL_POLICY, type SnsEnvelope, snsUrl, stringToSign } from "./sns.js";

describe("snsUrl with the production policy", () => {
  it.each([
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem",
    "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem",
  ])("accepts %s", (url) => {
    expect(snsUrl(url, SNS_URL_POLICY, "certificate")?.href).toBe(url);
  });

  it.each([
    ["plain http", "http://sns.us-east-1.amazonaws.com/x.pem"],
    ["a look-alike suffix", "https://sns.us-east-1.amazonaws.com.evil.example/x.pem"],
    ["a look-alike prefix", "https://evilsns.us-east-1.amazonaws.com/x.pem"],
    ["another AWS service", "https://s3.us-east-1.amazonaws.com/x.pem"],
    ["a nested subdomain", "https://a.sns.us-east-1.amazonaws.com/x.pem"],
    ["user info", "https://sns.us-east-1.amazonaws.com@evil.example/x.pem"],
    ["credentials", "https://u:p@sns.us-east-1.amazonaws.com/x.pem"],
    ["a non-.pem path", "https://sns.us-east-1.amazonaws.com/x.pem.txt"],
    ["a query", "https://sns.us-east-1.amazonaws.com/x.pem?a=b"],
    ["loopback", "https://127.0.0.1/x.pem"],
    ["garbage", "::::"],
  ])("refuses %s", (_, url) => {
    expect(snsUrl(url, SNS_URL_POLICY, "certificate")).toBeNull();
  });

  it("lets a SubscribeURL carry a query but not leave the SNS hosts", () => {
    const ok =
      "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:t&Token=abc";
    expect(snsUrl(ok, SNS_URL_POLICY, "subscribe")).not.toBeNull();
    expect(snsUrl("https://example.com/?Action=ConfirmSubscription", SNS_URL_POLICY, "subscribe")).toBeNull();
  });
});

describe("stringToSign", () => {
  it("signs Subject only when present, in byte order of the names", () => {
    const env = {
      Type: "Notification",
      MessageId: "m",
      TopicArn: "t",
      Message: "hi",
      Timestamp: "ts",
    } as SnsEnvelope;
    expect(stringToSign(env)).toBe(
      "Message\nhi\nMessageId\nm\nTimestamp\nts\nTopicArn\nt\nType\nNotification\n",
    );
    expect(stringToSign({ ...env, Subject: "s" })).toContain("MessageId\nm\nSubject\ns\nTimestamp");
  });
});

describe("ReplayCache", () => {
  it("accepts a token once, forgets it after the window, and stays bounded", () => {
    const c = new ReplayCache(3, 1000);
    expect(c.reserve("a", 0)).toBe(true);
    expect(c.reserve("a", 10)).toBe(false);
    expect(c.reserve("a", 2000)).toBe(true); // expired, taken again
    for (const t of ["b", "c", "d", "e"]) c.reserve(t, 2001);
    expect(c.size).toBe(3);
    c.release("e");
    expect(c.reserve("e", 2002)).toBe(true);
  });
});

describe("checkSharedSecret", () => {
  const h = (v: Record<string, string>) => new Headers(v);
  const auth = { basic: { user: "u", password: "secret-password-1" }, token: "tok-0123456789abcdef" };
  it("accepts exactly the configured credentials", async () => {
    const b = (u: string, p: string) => ({ authorization: `Basic ${btoa(`${u}:${p}`)}` });
    expect(await checkSharedSecret(h(b("u", "secret-password-1")), auth)).toBe(true);
    expect(await checkSharedSecret(h(b("u", "secret-password-")), auth)).toBe(false);
    expect(await checkSharedSecret(h(b("", "")), auth)).toBe(false);
    expect(await checkSharedSecret(h({ authorization: "Bearer tok-0123456789abcdef" }), auth)).toBe(true);
    expect(await checkSharedSecret(h({ "x-opentime-token": "tok-0123456789abcdef" }), auth)).toBe(true);
    expect(await checkSharedSecret(h({ "x-opentime-token": "" }), auth)).toBe(false);
    expect(await checkSharedSecret(h({}), auth)).toBe(false);
    expect(await checkSharedSecret(h({ authorization: "Bearer x" }), {})).toBe(false);
  });
});
