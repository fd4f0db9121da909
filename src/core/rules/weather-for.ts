import { resolvePlace } from "../weather/location.js";
import type { WeatherService } from "../weather/service.js";
import type { WeatherFor } from "./engine.js";

/**
 * `weather` conditions read the weather where the open happens: the place from the image
 * URL (`?lat=&lon=`), else the recipient's profile (the same resolution weather cards use,
 * without a block's own location), through the same cached, time-budgeted service.
 */
export function weatherForRules(weather: WeatherService): WeatherFor {
  return async function weatherForOpen(open) {
    const place = await resolvePlace(open, {});
    if (!place) return null;
    return (await weather.forLocation(place.lat, place.lon))?.condition ?? null;
  };
}
