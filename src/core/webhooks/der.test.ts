import { execFileSync } from "node:child_process";
import { generateKeyPairSync, sign, verify, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ecdsaDerToRaw, parseCertificate, pemToDer, readTlv } from "./der.js";

describe("ecdsaDerToRaw", () => {
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });

  it("yields the IEEE P1363 (r||s) form OpenSSL itself verifies, for many real signatures", () => {
    // Across 200 signatures, r or s often has its high bit set (DER prepends 0x00) or a
    // leading zero byte (DER drops it): every one must convert to a verifying r||s.
    for (let i = 0; i < 200; i++) {
      const data = Buffer.from(`message ${i}`);
      const der = sign("sha256", data, { key: pair.privateKey, dsaEncoding: "der" });
      const raw = ecdsaDerToRaw(der)!;
      expect(raw).toHaveLength(64);
      expect(
        verify("sha256", data, { key: pair.publicKey, dsaEncoding: "ieee-p1363" }, raw),
        `signature ${i}`,
      ).toBe(true);
    }
  });

  it("converts a known vector byte for byte", () => {
    // SEQUENCE { INTEGER 0x00 0x80…(32 bytes, high bit), INTEGER 0x01 (short) }
    const r = Buffer.alloc(32, 0x80);
    const der = Buffer.concat([
      Buffer.from([0x30, 0x26, 0x02, 0x21, 0x00]),
      r,
      Buffer.from([0x02, 0x01, 0x01]),
    ]);
    const raw = ecdsaDerToRaw(der)!;
    expect(Buffer.from(raw.subarray(0, 32))).toEqual(r);
    expect(Buffer.from(raw.subarray(32))).toEqual(Buffer.concat([Buffer.alloc(31), Buffer.from([1])]));
  });

  it.each([
    ["empty", []],
    ["not a sequence", [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ["truncated", [0x30, 0x06, 0x02, 0x01, 0x01, 0x02]],
    ["trailing bytes", [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]],
    ["three integers", [0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ["negative r", [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01]],
    ["indefinite length", [0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00]],
    ["r longer than the curve", [0x30, 0x27, 0x02, 0x22, 0x01, ...Array(33).fill(1), 0x02, 0x01, 0x01]],
    ["zero-length integer", [0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01]],
  ])("refuses %s", (_, bytes) => {
    expect(ecdsaDerToRaw(Uint8Array.from(bytes as number[]))).toBeNull();
  });

  it("produces signatures Web Crypto verifies", async () => {
    const spki = pair.publicKey.export({ type: "spki", format: "der" });
    const key = await crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, [
      "verify",
    ]);
    for (let i = 0; i < 50; i++) {
      const data = Buffer.from(`payload ${i}`);
      const der = sign("sha256", data, { key: pair.privateKey, dsaEncoding: "der" });
      const ok = await crypto.subtle.verify(
        { name: "ECDSA", hash: "SHA-256" },
        key,
        ecdsaDerToRaw(der)!,
        data,
      );
      expect(ok, `signature ${i}`).toBe(true);
    }
  });
});

describe("readTlv", () => {
  it("reads long-form lengths and refuses lengths past the buffer", () => {
    const long = Uint8Array.from([0x04, 0x82, 0x01, 0x00, ...Array(256).fill(7)]);
    expect(readTlv(long, 0)).toEqual({ tag: 4, start: 4, end: 260, at: 0 });
    expect(readTlv(long.subarray(0, 200), 0)).toBeNull();
    expect(readTlv(Uint8Array.from([0x04, 0x85, 1, 1, 1, 1, 1]), 0)).toBeNull();
  });
});

describe("parseCertificate", () => {
  const dir = mkdtempSync(join(tmpdir(), "opentime-der-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-keyout",
        join(dir, "k.pem"),
        "-out",
        join(dir, "c.pem"),
        "-days",
        "30",
        "-nodes",
        "-subj",
        "/CN=sns.us-east-1.amazonaws.com",
      ],
      { stdio: "ignore" },
    );
  } catch {
    // openssl missing: the tests below fail with a clear message instead.
  }
  const pem = readFileSync(join(dir, "c.pem"), "utf8");
  rmSync(dir, { recursive: true, force: true });

  it("extracts the same SubjectPublicKeyInfo and validity node:crypto sees", () => {
    const info = parseCertificate(pemToDer(pem)!)!;
    const x509 = new X509Certificate(pem);
    expect(Buffer.from(info.spki)).toEqual(x509.publicKey.export({ type: "spki", format: "der" }));
    expect(info.notBefore).toBe(Date.parse(x509.validFrom));
    expect(info.notAfter).toBe(Date.parse(x509.validTo));
  });

  it("refuses truncated or garbage input, never throwing", () => {
    const der = pemToDer(pem)!;
    for (const cut of [0, 1, 10, 100, der.length - 1])
      expect(parseCertificate(der.subarray(0, cut))).toBeNull();
    expect(parseCertificate(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x01]))).toBeNull();
    const flipped = Uint8Array.from(der);
    flipped[1] = 0x84; // absurd length
    expect(parseCertificate(flipped)).toBeNull();
    expect(pemToDer("no certificate here")).toBeNull();
  });
});
