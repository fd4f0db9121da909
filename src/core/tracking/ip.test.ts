import { describe, expect, it } from "vitest";
import { CidrSet, cidrContains, parseCidr, parseIp } from "./ip.js";

describe("parseIp", () => {
  it("parses IPv4 to a uint32", () => {
    expect(parseIp("0.0.0.0")).toEqual({ version: 4, v4: 0 });
    expect(parseIp("255.255.255.255")).toEqual({ version: 4, v4: 0xffffffff });
    expect(parseIp("17.58.1.2")).toEqual({ version: 4, v4: 17 * 2 ** 24 + 58 * 2 ** 16 + 1 * 256 + 2 });
    expect(parseIp(" 10.0.0.1 ")).toEqual({ version: 4, v4: 0x0a000001 });
  });

  it("rejects malformed IPv4", () => {
    for (const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "1.2.3.-4",
      "01.2.3.4",
      "1..2.3",
      "1.2.3.4.",
      ".1.2.3",
      "1.2.3.4a",
      "1.2.3.1000",
      "a.b.c.d",
      "1 .2.3.4",
    ]) {
      expect(parseIp(bad), bad).toBeNull();
    }
  });

  it("parses IPv6 in full, compressed, bracketed and zoned forms", () => {
    expect(parseIp("2001:db8::1")).toEqual({ version: 6, words: [0x20010db8, 0, 0, 1] });
    expect(parseIp("2001:0db8:0000:0000:0000:0000:0000:0001")).toEqual(parseIp("2001:db8::1"));
    expect(parseIp("::")).toEqual({ version: 6, words: [0, 0, 0, 0] });
    expect(parseIp("::1")).toEqual({ version: 6, words: [0, 0, 0, 1] });
    expect(parseIp("fe80::")).toEqual({ version: 6, words: [0xfe800000, 0, 0, 0] });
    expect(parseIp("[2A01:111:F400::25]")).toEqual({ version: 6, words: [0x2a010111, 0xf4000000, 0, 0x25] });
    expect(parseIp("fe80::1%eth0")).toEqual({ version: 6, words: [0xfe800000, 0, 0, 1] });
    expect(parseIp("1:2:3:4:5:6:7:8")).toEqual({
      version: 6,
      words: [0x00010002, 0x00030004, 0x00050006, 0x00070008],
    });
    expect(parseIp("64:ff9b::1.2.3.4")).toEqual({ version: 6, words: [0x0064ff9b, 0, 0, 0x01020304] });
  });

  it("folds IPv4-mapped IPv6 to IPv4 (dotted and hex spellings)", () => {
    expect(parseIp("::ffff:17.1.2.3")).toEqual(parseIp("17.1.2.3"));
    expect(parseIp("::FFFF:40.94.29.84")).toEqual(parseIp("40.94.29.84"));
    expect(parseIp("::ffff:1102:0304")).toEqual(parseIp("17.2.3.4"));
    expect(parseIp("0:0:0:0:0:ffff:1.2.3.4")).toEqual(parseIp("1.2.3.4"));
  });

  it("rejects malformed IPv6", () => {
    for (const bad of [
      ":",
      ":::",
      "1::2::3",
      "12345::1",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8::",
      ":1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:",
      "g::1",
      "::ffff:1.2.3",
      "::ffff:1.2.3.4:5",
      "1:2:3:4:5:6:7:1.2.3.4",
      "[::1",
      "[::1]:443",
    ]) {
      expect(parseIp(bad), bad).toBeNull();
    }
  });

  it("never throws on garbage", () => {
    const junk: unknown[] = [
      null,
      undefined,
      42,
      {},
      [],
      "x".repeat(10_000),
      "1.2.3.4, 5.6.7.8",
      "💥",
      "\u0000",
      "::ffff:999.1.1.1",
      "%",
      "[]",
      "1.2.3.4/24",
    ];
    for (const j of junk) expect(() => parseIp(j)).not.toThrow();
    for (const j of junk) expect(parseIp(j)).toBeNull();
  });
});

describe("parseCidr", () => {
  it("masks host bits and computes the IPv4 range", () => {
    expect(parseCidr("10.1.2.3/8")).toMatchObject({
      version: 4,
      start: 0x0a000000,
      end: 0x0affffff,
      prefix: 8,
    });
    expect(parseCidr("0.0.0.0/0")).toMatchObject({ start: 0, end: 0xffffffff });
    expect(parseCidr("13.107.6.152/31")).toMatchObject({ end: parseCidr("13.107.6.153")!.start });
    expect(parseCidr("1.2.3.4")).toMatchObject({ start: 0x01020304, end: 0x01020304, prefix: 32 });
  });

  it("accepts IPv6 and mapped-IPv4 CIDRs", () => {
    expect(parseCidr("2a01:111:f400::/48")).toMatchObject({ version: 6, prefix: 48 });
    expect(parseCidr("::ffff:1.2.3.0/120")).toMatchObject({ version: 4, start: 0x01020300, end: 0x010203ff });
  });

  it("rejects bad prefixes", () => {
    for (const bad of ["1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/a", "::/129", "x/8", "1.2.3.4/8/8"]) {
      expect(parseCidr(bad), bad).toBeNull();
    }
  });
});

describe("CidrSet", () => {
  const set = new CidrSet([
    "17.0.0.0/8",
    "40.92.0.0/15",
    "40.94.0.0/16",
    "13.107.6.152/31",
    "2a01:111:f400::/48",
  ]);

  it("matches IPv4 at the edges of each block", () => {
    expect(set.has("17.0.0.0")).toBe(true);
    expect(set.has("17.255.255.255")).toBe(true);
    expect(set.has("16.255.255.255")).toBe(false);
    expect(set.has("18.0.0.0")).toBe(false);
    expect(set.has("40.93.255.255")).toBe(true);
    expect(set.has("40.94.29.84")).toBe(true);
    expect(set.has("40.95.0.0")).toBe(false);
    expect(set.has("13.107.6.152")).toBe(true);
    expect(set.has("13.107.6.153")).toBe(true);
    expect(set.has("13.107.6.154")).toBe(false);
    expect(set.has("1.1.1.1")).toBe(false);
    expect(set.has("255.255.255.255")).toBe(false);
  });

  it("matches mapped IPv4 and IPv6", () => {
    expect(set.has("::ffff:17.253.1.1")).toBe(true);
    expect(set.has("::ffff:18.0.0.1")).toBe(false);
    expect(set.has("2a01:111:f400:7e00::25")).toBe(true);
    expect(set.has("2a01:111:f401::1")).toBe(false);
    // An IPv4 block never matches a non-mapped IPv6 address with the same low bits.
    expect(set.has("::17.0.0.1")).toBe(false);
  });

  it("accepts a pre-parsed address so callers parse once", () => {
    const p = parseIp("40.107.1.1");
    expect(new CidrSet(["40.107.0.0/16"]).has(p)).toBe(true);
    expect(set.has(null)).toBe(false);
    expect(set.has(undefined)).toBe(false);
  });

  it("merges overlapping and adjacent IPv4 blocks", () => {
    const merged = new CidrSet(["10.0.0.0/9", "10.128.0.0/9", "10.1.0.0/16", "192.168.0.0/16"]);
    expect(merged.size).toBe(2);
    expect(merged.has("10.200.1.1")).toBe(true);
    expect(merged.has("11.0.0.0")).toBe(false);
  });

  it("handles whole-space and empty sets", () => {
    expect(new CidrSet(["0.0.0.0/0"]).has("203.0.113.9")).toBe(true);
    expect(new CidrSet(["::/0"]).has("2001:db8::1")).toBe(true);
    expect(new CidrSet([]).has("1.2.3.4")).toBe(false);
  });

  it("fails loudly on a malformed list entry, but never on a malformed address", () => {
    expect(() => new CidrSet(["17.0.0.0/8", "not-a-cidr"])).toThrow(TypeError);
    for (const junk of ["", "garbage", "999.1.1.1", "::g", "x".repeat(10_000)]) {
      expect(() => set.has(junk)).not.toThrow();
      expect(set.has(junk)).toBe(false);
    }
  });

  it("cidrContains is a one-off convenience", () => {
    expect(cidrContains("66.249.80.0/20", "66.249.93.10")).toBe(true);
    expect(cidrContains("66.249.80.0/20", "66.249.96.1")).toBe(false);
  });
});
