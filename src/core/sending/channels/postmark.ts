import type { Channel } from "../../ports/sending.js";
import { listUnsubscribeHeaders } from "../unsubscribe.js";
import { callProvider, type HttpChannelOptions, missing } from "./http.js";

/**
 * Postmark (POST /email with X-Postmark-Server-Token). Its own open and link tracking is
 * off (opentime's is in the HTML); the attempt id rides in Metadata, which comes back on
 * every webhook, and the idempotency key in a header.
 */
export function createPostmarkChannel(
  o: HttpChannelOptions & { serverToken: string; from: string; messageStream: string },
): Channel {
  const url = `${o.baseUrl.replace(/\/+$/, "")}/email`;
  return {
    provider: "postmark",
    async send(m) {
      if (!m.to.email) return missing("postmark", m, "email address");
      if (!m.subject || (!m.html && !m.text)) return missing("postmark", m, "subject and body");
      const body = {
        From: m.from ?? o.from,
        To: m.to.email,
        ...(m.replyTo ? { ReplyTo: m.replyTo } : {}),
        Subject: m.subject,
        ...(m.html ? { HtmlBody: m.html } : {}),
        ...(m.text ? { TextBody: m.text } : {}),
        MessageStream: o.messageStream,
        // Tags are at most 1,000 characters; campaigns are at most 128.
        Tag: m.campaign,
        Metadata: { opentime_send: m.sendId },
        TrackOpens: false,
        TrackLinks: "None",
        Headers: [
          { Name: "X-Opentime-Key", Value: m.key },
          ...listUnsubscribeHeaders(m).map(([Name, Value]) => ({ Name, Value })),
        ],
      };
      return callProvider(
        o,
        "postmark",
        url,
        {
          method: "POST",
          headers: {
            "x-postmark-server-token": o.serverToken,
            accept: "application/json",
            "content-type": "application/json",
          },
          body: JSON.stringify(body),
        },
        async (res) => {
          const j = (await res.json()) as { MessageID?: unknown };
          return typeof j.MessageID === "string" ? j.MessageID : null;
        },
      );
    },
  };
}
