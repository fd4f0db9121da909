import type { PriceCardModel } from "../../src/core/cards/price-model.js";
import type { PriceTheme } from "../../src/core/cards/price-templates.js";

/** Card states the snapshot tests pin down (and bench/cards.ts renders). */
export const THEME: PriceTheme = {
  background: "#ffffff",
  text: "#111827",
  accent: "#d92d20",
  font: "Roboto",
};

// A 48x48 two-tone PNG (blue square on light grey) as a data: URL, built once by sharp and
// committed here so the snapshot does not depend on an encoder's version.
export const SAMPLE_IMAGE =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAADAAAAAwCAYAAABXAvmHAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAjklEQVRoge2YwQ3AMAgDWYbJmN3ygyHoClVVlUa6h//gGGIccs/JiO0CRAPeZ1FIyPtMiiH2mYjtAkQDvsdC1rfQ2xKigeIFBgklQ9xsIbFGi49s+ImNlWjMXOJGGzs9HDTFRTaclMlR36QSQ6xSBFtDMqcfJM0iXvd5iO0CRAPeZ1FIyPtMiiH2PptPcAHPG4d07oRV+gAAAABJRU5ErkJggg==";

export const SAMPLES: Record<string, PriceCardModel> = {
  drop: {
    name: "Trail running shoe — Alpine GTX",
    now: "€79.00",
    was: "€99.00",
    discount: "-20%",
    stockLabel: "Only 3 left",
    soldOut: false,
    image: null,
  },
  soldOut: {
    name: "Merino wool beanie",
    now: "29,90\u00a0€",
    was: null,
    discount: null,
    stockLabel: "Ausverkauft",
    soldOut: true,
    image: null,
  },
  withImage: {
    name: "Ceramic pour-over coffee set",
    now: "$48.00",
    was: "$60.00",
    discount: "-20%",
    stockLabel: null,
    soldOut: false,
    image: SAMPLE_IMAGE,
  },
};

/** A banner block's default colours (banner-block.ts), drawn in Roboto. */
export const BANNER_THEME = {
  background: "#1e293b",
  text: "#ffffff",
  accent: "#f59e0b",
  ctaText: "#111827",
  font: "Roboto",
};
