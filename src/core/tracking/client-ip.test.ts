import { describe, expect, it } from "vitest";
import { parseTrustProxy, pickClientIp } from "./client-ip.js";

const pick = (trust: string, xff: string | null, peer = "10.0.0.9") =>
  pickClientIp(parseTrustProxy(trust), xff, () => peer);

describe("pickClientIp", () => {
  it("counts hops from the right, the leftmost when there are fewer entries", () => {
    const xff = "1.1.1.1, 2.2.2.2 ,3.3.3.3";
    expect(pick("1", xff)).toBe("3.3.3.3");
    expect(pick("2", xff)).toBe("2.2.2.2");
    expect(pick("3", xff)).toBe("1.1.1.1");
    expect(pick("9", xff)).toBe("1.1.1.1");
    expect(pick("true", "4.4.4.4")).toBe("4.4.4.4");
  });

  it("skips trusted proxies from the right, only when the peer is one", () => {
    const xff = "1.1.1.1, 2.2.2.2, 10.0.0.7, [fd00::1]";
    expect(pick("10.0.0.0/8, fd00::/8", xff)).toBe("2.2.2.2");
    expect(pick("10.0.0.0/8, fd00::/8", xff, "203.0.113.1")).toBe("203.0.113.1");
    expect(pick("private", "10.1.1.1,10.2.2.2")).toBe("10.1.1.1");
    expect(pick("::ffff:10.0.0.0/104", "5.5.5.5", "::ffff:10.0.0.9")).toBe("5.5.5.5");
  });

  it("gives the peer without a header, and null for an empty or malformed entry", () => {
    expect(pick("true", null)).toBe("10.0.0.9");
    expect(pick("true", "")).toBe("10.0.0.9");
    expect(pick("true", "1.1.1.1, ")).toBeNull();
    expect(pick("2", ",")).toBeNull();
    expect(pick("loopback", "1.1.1.1", "127.0.0.1")).toBe("1.1.1.1");
    expect(pick("false", "1.1.1.1")).toBe("10.0.0.9");
    expect(pick("true", "x".repeat(500))).toHaveLength(64);
  });

  it("refuses what is neither a switch, a count nor a list of ranges", () => {
    for (const v of ["yes", "11", "-1", "1.5", "10.0.0.0/8,", "a.example", "10.0.0.0/40"])
      expect(() => parseTrustProxy(v), v).toThrow();
    expect(parseTrustProxy("0")).toBeNull();
    expect(parseTrustProxy(" TRUE ")).toEqual({ hops: 1 });
  });
});
