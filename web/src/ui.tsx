import type { ComponentChildren } from "preact";
import { ApiFailure } from "./api.js";

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiFailure ? error : null;
  const details = e?.details ?? [];
  return (
    <div class="error" role="alert">
      <strong>{e ? e.message : String((error as Error)?.message ?? error)}</strong>
      {details.length > 1 && (
        <ul>
          {details.slice(0, 10).map((d) => (
            <li>{typeof d === "string" ? d : `${d.path}: ${d.message}`}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Field(props: {
  label: string;
  id: string;
  hint?: string;
  error?: string;
  children: ComponentChildren;
}) {
  return (
    <div class={`field${props.error ? " invalid" : ""}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && <small id={`${props.id}-hint`}>{props.hint}</small>}
      {props.error && (
        <small class="field-error" id={`${props.id}-err`}>
          {props.error}
        </small>
      )}
    </div>
  );
}

export const fmt = (n: number) => n.toLocaleString();
export const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : "–");
export const when = (t: number | string | null | undefined) =>
  t === null || t === undefined ? "–" : new Date(t).toLocaleString();

/** A table that scrolls sideways on small screens: a focusable region, so keyboards can scroll it. */
export function TableWrap(props: { children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to be scrolled by keyboard (axe scrollable-region-focusable)
    <section class="table-wrap" tabIndex={0} aria-label="Table (scrolls sideways on small screens)">
      {props.children}
    </section>
  );
}
