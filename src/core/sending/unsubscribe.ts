import type { OutboundMessage } from "../ports/sending.js";
import type { Signer } from "../util/signer.js";

// One-click unsubscribe (RFC 8058; Gmail and Yahoo require it of bulk senders): every email
// carries a URL naming its send attempt, signed, so the unsubscribe finds the person and the
// campaign without an address in the URL.

const PURPOSE = "unsubscribe";
const SIG_LENGTH = 22;
/** Send attempt ids (s_ + base64url): anything else is refused before a signature is checked. */
const SEND_ID = /^s_[A-Za-z0-9_-]{8,40}$/;

export async function unsubscribeToken(signer: Signer, sendId: string): Promise<string> {
  return `${sendId}.${await signer.sign(PURPOSE, sendId, SIG_LENGTH)}`;
}

/** The send attempt a token names, or null when it is not one opentime signed. */
export async function sendOfToken(signer: Signer, token: string): Promise<string | null> {
  const dot = token.lastIndexOf(".");
  if (dot < 0) return null;
  const sendId = token.slice(0, dot);
  if (!SEND_ID.test(sendId)) return null;
  return (await signer.verify(PURPOSE, sendId, token.slice(dot + 1))) ? sendId : null;
}

export const unsubscribeUrl = (publicUrl: string, token: string) => `${publicUrl}/u/${token}`;

/**
 * The headers every email channel adds (the one list SMTP, SendGrid, Postmark and Mailgun
 * derive theirs from). The POST header tells mailbox providers a one-click POST is enough.
 */
export function listUnsubscribeHeaders(m: Pick<OutboundMessage, "unsubscribeUrl">): [string, string][] {
  if (!m.unsubscribeUrl) return [];
  return [
    ["List-Unsubscribe", `<${m.unsubscribeUrl}>`],
    ["List-Unsubscribe-Post", "List-Unsubscribe=One-Click"],
  ];
}
