// Human-or-machine classification of tracked opens and clicks (pure core: Web standards only).
export {
  type Classification,
  classify,
  FAST_CLICK_MS,
  type Hit,
  MANY_LINKS,
  MAX_UA_SCAN,
  TRAFFIC_CLASSES,
  type TrafficClass,
} from "./classify.js";
export { CidrSet, cidrContains, type ParsedCidr, type ParsedIp, parseCidr, parseIp } from "./ip.js";
export * from "./networks.js";
export {
  BURST_WINDOW_MS,
  DEFAULT_MAX_ENTRIES,
  MAX_LINKS_PER_RECIPIENT,
  MAX_STAMPS_PER_LINK,
  RecentActivity,
  type RecentActivityOptions,
} from "./recent-activity.js";
