import { Links } from "./links/links.js";
import type { Clock, Logger, RandomBytes } from "./ports/index.js";
import { silentLogger } from "./ports/index.js";
import { type AppDeps, systemClock, webRandom } from "./services.js";
import { RecentActivity } from "./tracking/recent-activity.js";
import { Tracker } from "./tracking/track.js";
import { createSigner, type Signer } from "./util/signer.js";

export interface Services extends AppDeps {
  clock: Clock;
  random: RandomBytes;
  logger: Logger;
  signer: Signer;
  links: Links;
  tracker: Tracker;
}

/** Built once per app: the services every handler reaches through c.get("services"). */
export function buildServices(deps: AppDeps): Services {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? webRandom;
  const logger = deps.logger ?? silentLogger;
  const signer = createSigner(deps.config.OPENTIME_SECRET);
  const links = new Links(deps.store.links, signer, clock, random);
  const tracker = new Tracker(deps.recorder, new RecentActivity(), clock, deps.metrics);
  return { ...deps, clock, random, logger, signer, links, tracker };
}
