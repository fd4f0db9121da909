export { countdownCacheKey } from "./cache-key.js";
export type { RgbaImage } from "./expired.js";
export type { GlyphMask, GlyphRasterizer } from "./glyphs.js";
export { allUnitLabels, unitLabel } from "./locales.js";
export {
  COUNTDOWN_LAYOUTS,
  COUNTDOWN_LOCALES,
  COUNTDOWN_UNITS,
  type CountdownLayout,
  type CountdownLocale,
  type CountdownOptions,
  type CountdownOptionsInput,
  type CountdownUnit,
  countdownOptionsSchema,
  parseCountdownOptions,
} from "./options.js";
export {
  type CountdownDeps,
  frameBudgetIssue,
  renderCountdownFrameRgba,
  renderCountdownGif,
} from "./render.js";
export { breakdown, localToEpochMs, remainingSeconds, resolveDeadline } from "./time.js";
