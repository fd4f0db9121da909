import type { WeatherCondition } from "../ports/weather.js";

/**
 * Condition icons drawn with plain SVG shapes and embedded as data: URLs: no image files to
 * ship or license, no fetch at render time, and they stay crisp at 2x. The strings are
 * built once at load; a 100x100 viewBox scales to whatever size a template asks for.
 */
export type IconName = WeatherCondition | "neutral";

const SUN = "#f59e0b";
const DROP = "#3b82f6";

function sun(cx: number, cy: number, r: number): string {
  let rays = "";
  for (let i = 0; i < 8; i++) {
    const a = (i * Math.PI) / 4;
    const [x1, y1] = [cx + Math.cos(a) * (r + 7), cy + Math.sin(a) * (r + 7)];
    const [x2, y2] = [cx + Math.cos(a) * (r + 16), cy + Math.sin(a) * (r + 16)];
    rays += `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}"/>`;
  }
  return (
    `<g stroke="${SUN}" stroke-width="6" stroke-linecap="round">${rays}</g>` +
    `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${SUN}"/>`
  );
}

/** A cloud with a flat base at y = top + 40, about 64 wide. */
function cloud(top: number, fill: string): string {
  return (
    `<g fill="${fill}">` +
    `<circle cx="34" cy="${top + 24}" r="16"/><circle cx="54" cy="${top + 16}" r="22"/>` +
    `<circle cx="72" cy="${top + 26}" r="14"/><rect x="34" y="${top + 20}" width="38" height="20" rx="2"/>` +
    `<circle cx="30" cy="${top + 28}" r="12"/><circle cx="76" cy="${top + 30}" r="10"/>` +
    "</g>"
  );
}

function lines(segs: [number, number, number, number][], color: string, width: number): string {
  const l = segs.map(([a, b, c, d]) => `<line x1="${a}" y1="${b}" x2="${c}" y2="${d}"/>`).join("");
  return `<g stroke="${color}" stroke-width="${width}" stroke-linecap="round">${l}</g>`;
}

function flake(cx: number, cy: number): string {
  const r = 6;
  return lines(
    [
      [cx - r, cy, cx + r, cy],
      [cx - r / 2, cy - r * 0.87, cx + r / 2, cy + r * 0.87],
      [cx - r / 2, cy + r * 0.87, cx + r / 2, cy - r * 0.87],
    ],
    "#60a5fa",
    3,
  );
}

const SHAPES: Record<IconName, string> = {
  clear: sun(50, 50, 20),
  cloudy: `<g opacity="0.9">${sun(64, 34, 12)}</g>${cloud(34, "#94a3b8")}`,
  fog:
    cloud(14, "#a3aab5") +
    lines(
      [
        [18, 66, 82, 66],
        [26, 78, 74, 78],
        [18, 90, 70, 90],
      ],
      "#a3aab5",
      6,
    ),
  drizzle:
    cloud(14, "#94a3b8") +
    lines(
      [
        [36, 66, 34, 72],
        [52, 66, 50, 72],
        [68, 66, 66, 72],
        [44, 80, 42, 86],
        [60, 80, 58, 86],
      ],
      DROP,
      5,
    ),
  rain:
    cloud(12, "#64748b") +
    lines(
      [
        [34, 64, 28, 80],
        [48, 64, 42, 80],
        [62, 64, 56, 80],
        [76, 64, 70, 80],
        [41, 82, 37, 92],
        [55, 82, 51, 92],
        [69, 82, 65, 92],
      ],
      DROP,
      5,
    ),
  snow: cloud(12, "#94a3b8") + flake(34, 72) + flake(54, 78) + flake(74, 72) + flake(44, 90) + flake(64, 90),
  thunderstorm: `${cloud(10, "#475569")}<polygon points="54,52 38,76 50,76 44,96 66,68 54,68 60,52" fill="#facc15"/>`,
  // "Whatever the weather": an umbrella, distinct from every condition.
  neutral:
    `<path d="M12 54 A38 38 0 0 1 88 54 Q75 46 62 54 Q50 46 38 54 Q25 46 12 54 Z" fill="#14b8a6"/>` +
    `<path d="M50 20 V84 Q50 92 42 92 Q35 92 35 85" fill="none" stroke="#334155" stroke-width="5" stroke-linecap="round"/>`,
};

const URLS = Object.fromEntries(
  Object.entries(SHAPES).map(([k, body]) => [
    k,
    `data:image/svg+xml;base64,${btoa(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">${body}</svg>`)}`,
  ]),
) as Record<IconName, string>;

export function weatherIcon(name: IconName): string {
  return URLS[name];
}
