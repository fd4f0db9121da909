import type { Channel } from "../../ports/sending.js";
import { callProvider, type HttpChannelOptions, messageProperties } from "./http.js";

/**
 * "Trigger the ESP": a Klaviyo Create Event (POST /api/events, JSON:API) whose metric
 * starts the team's Klaviyo flow, which sends. The idempotency key is the event's
 * unique_id, so Klaviyo itself drops a repeat. 202 means accepted for processing.
 */
export function createKlaviyoChannel(o: HttpChannelOptions & { apiKey: string; revision: string }): Channel {
  const url = `${o.baseUrl.replace(/\/+$/, "")}/api/events`;
  return {
    provider: "klaviyo",
    async send(m) {
      const profile: Record<string, string> = {};
      if (m.to.email) profile.email = m.to.email;
      if (m.to.phone) profile.phone_number = m.to.phone;
      profile.external_id = m.to.userId ?? m.to.profileId;
      const body = {
        data: {
          type: "event",
          attributes: {
            properties: messageProperties(m),
            time: new Date().toISOString(),
            unique_id: m.key,
            metric: {
              data: { type: "metric", attributes: { name: m.esp?.klaviyoMetric ?? m.template.name } },
            },
            profile: { data: { type: "profile", attributes: profile } },
          },
        },
      };
      return callProvider(
        o,
        "klaviyo",
        url,
        {
          method: "POST",
          headers: {
            authorization: `Klaviyo-API-Key ${o.apiKey}`,
            revision: o.revision,
            accept: "application/vnd.api+json",
            "content-type": "application/vnd.api+json",
          },
          body: JSON.stringify(body),
        },
        // 202 has no body: the event's unique_id is the handle.
        async () => m.key,
      );
    },
  };
}
