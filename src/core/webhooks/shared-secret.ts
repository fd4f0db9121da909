// Postmark and Brevo do not sign their webhooks. What they can do is send a credential
// the operator chose: HTTP basic auth (user:pass in the webhook URL) or a fixed header
// (Brevo: `Authorization: Bearer <token>`; Postmark: any custom HttpHeaders entry).
//
// Threat model: the credential is a shared secret sent in clear text inside TLS; anyone
// who sees one request can replay it (neither ESP gives us a signed timestamp), so the
// downstream dedupe by event id is what makes a replay harmless. We compare digests in
// constant time so neither the content nor the length of the secret leaks through timing.
import { secretEquals } from "./bytes.js";

export interface SharedSecretAuth {
  basic?: { user: string; password: string };
  /** Accepted as `Authorization: Bearer <token>` or in `header`. */
  token?: string;
  /** Header carrying the token (lower-case), e.g. `x-opentime-token`. */
  header?: string;
}

export const DEFAULT_TOKEN_HEADER = "x-opentime-token";

function decodeBasic(value: string): { user: string; password: string } | null {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(value.trim()), (c) => c.charCodeAt(0)),
    );
    const i = text.indexOf(":");
    return i < 0 ? null : { user: text.slice(0, i), password: text.slice(i + 1) };
  } catch {
    return null;
  }
}

/** True when the request carries one of the configured credentials. */
export async function checkSharedSecret(headers: Headers, auth: SharedSecretAuth): Promise<boolean> {
  const authorization = headers.get("authorization") ?? "";
  const basic = /^Basic\s+(\S+)$/i.exec(authorization);
  if (auth.basic && basic) {
    const given = decodeBasic(basic[1]!);
    if (!given) return false;
    // Both halves are compared, always, so timing does not say which one was wrong.
    const [u, p] = await Promise.all([
      secretEquals(given.user, auth.basic.user),
      secretEquals(given.password, auth.basic.password),
    ]);
    return u && p;
  }
  if (auth.token) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    const presented = bearer ?? headers.get(auth.header ?? DEFAULT_TOKEN_HEADER);
    if (presented) return secretEquals(presented.trim(), auth.token);
  }
  return false;
}
