// A minimal, strict DER reader: just enough ASN.1 to (1) turn an ECDSA signature into the
// raw r||s form Web Crypto verifies, and (2) pull the SubjectPublicKeyInfo and validity out
// of an X.509 certificate (SNS signing certificates). It reads definite lengths only,
// checks every length against the buffer, and fails closed (null) on anything unexpected:
// its input comes from the network.
import { fromBase64 } from "./bytes.js";

interface Tlv {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the content. */
  end: number;
  /** Offset of the tag byte (start of the whole element). */
  at: number;
}

const TAG_INTEGER = 0x02;
const TAG_SEQUENCE = 0x30;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;
const TAG_VERSION = 0xa0; // [0] EXPLICIT in TBSCertificate

/** Reads one element at `at`, bounded by `limit`; null when malformed. */
export function readTlv(buf: Uint8Array, at: number, limit = buf.length): Tlv | null {
  if (at + 2 > limit) return null;
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) return null; // multi-byte tags never occur in what we read
  let len = buf[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // 0x80 is the BER indefinite form (not DER); > 4 length bytes would be > 4 GiB.
    if (n === 0 || n > 4 || start + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) return null;
  return { tag, start, end, at };
}

/** The children of a constructed element, in order; null when any is malformed. */
function children(buf: Uint8Array, parent: Tlv): Tlv[] | null {
  const out: Tlv[] = [];
  let at = parent.start;
  while (at < parent.end) {
    const t = readTlv(buf, at, parent.end);
    if (!t) return null;
    out.push(t);
    at = t.end;
  }
  return out;
}

/** A DER INTEGER's magnitude as exactly `size` big-endian bytes; null if negative or too long. */
function unsignedFixed(buf: Uint8Array, t: Tlv, size: number): Uint8Array | null {
  if (t.tag !== TAG_INTEGER || t.end === t.start) return null;
  if (buf[t.start]! & 0x80) return null; // negative: never a valid r or s
  let i = t.start;
  while (i < t.end - 1 && buf[i] === 0) i++;
  const len = t.end - i;
  if (len > size) return null;
  const out = new Uint8Array(size);
  out.set(buf.subarray(i, t.end), size - len);
  return out;
}

/**
 * ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (what SendGrid and OpenSSL emit)
 * → r||s, each left-padded to the curve size (32 bytes for P-256), which is the only form
 * crypto.subtle.verify accepts. Trailing bytes or extra elements are refused.
 */
export function ecdsaDerToRaw(der: Uint8Array, size = 32): Uint8Array<ArrayBuffer> | null {
  const seq = readTlv(der, 0);
  if (!seq || seq.tag !== TAG_SEQUENCE || seq.end !== der.length) return null;
  const parts = children(der, seq);
  if (parts?.length !== 2) return null;
  const r = unsignedFixed(der, parts[0]!, size);
  const s = unsignedFixed(der, parts[1]!, size);
  if (!r || !s) return null;
  const out = new Uint8Array(size * 2);
  out.set(r, 0);
  out.set(s, size);
  return out;
}

/** The DER bytes of the first certificate in a PEM document. */
export function pemToDer(pem: string): Uint8Array<ArrayBuffer> | null {
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  return m ? fromBase64(m[1]!) : null;
}

function parseTime(buf: Uint8Array, t: Tlv): number | null {
  const s = new TextDecoder().decode(buf.subarray(t.start, t.end));
  const utc = t.tag === TAG_UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  const gen = t.tag === TAG_GENERALIZED_TIME ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  const m = utc ?? gen;
  if (!m) return null;
  let year = Number(m[1]);
  // RFC 5280 §4.1.2.5.1: a UTCTime YY >= 50 is 19YY, else 20YY.
  if (utc) year += year >= 50 ? 1900 : 2000;
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

export interface CertificateInfo {
  /** SubjectPublicKeyInfo, DER: what crypto.subtle.importKey("spki", …) takes. */
  spki: Uint8Array<ArrayBuffer>;
  notBefore: number;
  notAfter: number;
}

/**
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
 * TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
 *                               validity, subject, subjectPublicKeyInfo, … }
 * Only positions are read; the certificate's own signature is not checked here: its
 * authenticity comes from fetching it over TLS from an SNS host (see sns.ts).
 */
export function parseCertificate(der: Uint8Array): CertificateInfo | null {
  const cert = readTlv(der, 0);
  if (!cert || cert.tag !== TAG_SEQUENCE || cert.end !== der.length) return null;
  const top = children(der, cert);
  if (top?.length !== 3 || top[0]!.tag !== TAG_SEQUENCE) return null;
  const tbs = children(der, top[0]!);
  if (!tbs) return null;
  const fields = tbs[0]?.tag === TAG_VERSION ? tbs.slice(1) : tbs;
  if (fields.length < 6) return null;
  const [serial, sigAlg, issuer, validity, subject, spki] = fields as [Tlv, Tlv, Tlv, Tlv, Tlv, Tlv];
  if (serial.tag !== TAG_INTEGER) return null;
  for (const t of [sigAlg, issuer, validity, subject, spki]) if (t.tag !== TAG_SEQUENCE) return null;
  const times = children(der, validity);
  if (times?.length !== 2) return null;
  const notBefore = parseTime(der, times[0]!);
  const notAfter = parseTime(der, times[1]!);
  if (notBefore === null || notAfter === null) return null;
  return { spki: der.slice(spki.at, spki.end), notBefore, notAfter };
}
