// The named choices of block options, with no other code: the options' schemas and the web
// app's builder (bundled for the browser) both read them here.
export const COUNTDOWN_LOCALES = ["en", "de", "fr", "es", "it", "nl", "pt", "ja"] as const;
export const COUNTDOWN_LAYOUTS = ["boxes", "compact", "inline"] as const;
export const BANNER_TEMPLATES = ["hero", "split", "strip"] as const;
export const PRICE_TEMPLATES = ["classic", "compact", "tile"] as const;
export const WEATHER_TEMPLATES = ["card", "banner", "minimal"] as const;
