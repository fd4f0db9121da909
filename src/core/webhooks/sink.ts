import type { Services } from "../build-services.js";
import type { EmailEventSink } from "./types.js";

/**
 * Where verified events go: an injected sink, else the profile service (deduplicates by
 * provider + id, resolves once durable). All are submitted at once so they share one group
 * commit. Null when nothing can apply them.
 */
export function emailEventSinkOf(
  services: Pick<Services, "emailEvents" | "profiles">,
): EmailEventSink | null {
  if (services.emailEvents) return services.emailEvents;
  const profiles = services.profiles;
  if (!profiles) return null;
  return async (events) => {
    await Promise.all(events.map((e) => profiles.applyEmailEvent(e)));
  };
}
