import type { Channel } from "../../ports/sending.js";
import { callProvider, type HttpChannelOptions, messageProperties, missing } from "./http.js";

/**
 * "Trigger the ESP": a Braze API-triggered campaign (POST /campaigns/trigger/send) for
 * one recipient, by external id when the person has a user id, else by email. Braze takes
 * no idempotency key here; it rides in trigger_properties for the campaign to see.
 */
export function createBrazeChannel(o: HttpChannelOptions & { apiKey: string; campaignId?: string }): Channel {
  const url = `${o.baseUrl.replace(/\/+$/, "")}/campaigns/trigger/send`;
  return {
    provider: "braze",
    async send(m) {
      const campaignId = m.esp?.brazeCampaignId ?? o.campaignId;
      if (!campaignId) return missing("braze", m, "Braze campaign id (template esp.brazeCampaignId)");
      const who = m.to.userId
        ? { external_user_id: m.to.userId }
        : m.to.email
          ? { email: m.to.email, prioritization: ["identified", "most_recently_updated"] }
          : null;
      if (!who) return missing("braze", m, "user id or email");
      const body = {
        campaign_id: campaignId,
        recipients: [{ ...who, trigger_properties: messageProperties(m) }],
      };
      return callProvider(
        o,
        "braze",
        url,
        {
          method: "POST",
          headers: { authorization: `Bearer ${o.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        },
        async (res) => {
          const j = (await res.json()) as { dispatch_id?: unknown };
          return typeof j.dispatch_id === "string" ? j.dispatch_id : null;
        },
      );
    },
  };
}
