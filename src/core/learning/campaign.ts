/**
 * The flow and step an email was sent by, read from its campaign. The convention (the one
 * place it is defined): a flow's send step uses the campaign `flow:<flowId>:<stepId>`, and
 * an adaptive link in that email carries it as `?c=` (see routes/adaptive-link.ts), so an
 * order credited to the click is credited to the step too. Any other campaign: null.
 */
export const FLOW_CAMPAIGN_PREFIX = "flow:";

export function flowStepOf(campaign: string): { flow: string; step: string } | null {
  if (!campaign.startsWith(FLOW_CAMPAIGN_PREFIX)) return null;
  const rest = campaign.slice(FLOW_CAMPAIGN_PREFIX.length);
  const colon = rest.lastIndexOf(":");
  if (colon <= 0 || colon === rest.length - 1) return null;
  return { flow: rest.slice(0, colon), step: rest.slice(colon + 1) };
}

/** The campaign a flow's step sends with (what flowStepOf reads back). */
export function flowCampaign(flow: string, step: string): string {
  return `${FLOW_CAMPAIGN_PREFIX}${flow}:${step}`;
}
