import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export const CLASS_LABEL: Record<string, string> = {
  human: "People",
  apple_mpp: "Apple MPP",
  gmail_proxy: "Gmail proxy",
  yahoo_proxy: "Yahoo proxy",
  scanner: "Link scanners",
  bot: "Bots",
  unknown: "Unknown",
};
// Distinguishable in light and dark, people in the strongest colour.
const COLOURS: Record<string, string> = {
  human: "#2563eb",
  apple_mpp: "#9ca3af",
  gmail_proxy: "#d97706",
  yahoo_proxy: "#7c3aed",
  scanner: "#dc2626",
  bot: "#059669",
  unknown: "#6b7280",
};

/** A time series per traffic class (uPlot), sized to its container. */
export function ClassChart(props: { title: string; times: number[]; byClass: Record<string, number[]> }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const classes = Object.keys(props.byClass).sort((a, b) =>
      a === "human" ? -1 : b === "human" ? 1 : a < b ? -1 : 1,
    );
    const data = [
      props.times.map((t) => t / 1000),
      ...classes.map((c) => props.byClass[c]!),
    ] as uPlot.AlignedData;
    const dark = matchMedia("(prefers-color-scheme: dark)").matches;
    const axis = { stroke: dark ? "#cbd5e1" : "#334155", grid: { stroke: dark ? "#334155" : "#e2e8f0" } };
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 220,
        series: [
          {},
          ...classes.map((c) => ({
            label: CLASS_LABEL[c] ?? c,
            stroke: COLOURS[c] ?? "#64748b",
            width: c === "human" ? 2.5 : 1.5,
            dash: c === "human" ? undefined : [4, 3],
          })),
        ],
        axes: [axis, { ...axis, size: 50 }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      },
      data,
      el,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [props.times, props.byClass]);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} role="img" aria-label={`${props.title}, by traffic class`} />
    </figure>
  );
}
