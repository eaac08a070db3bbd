/**
 * State maps for the long-time-lag view: a titled heatmap of H units (rows) × p steps
 * (columns) with its colour range and a step axis under it, and the figure-level colour
 * key. Only draws; the states come from the lab.
 */
import { drawHeatmap, heatmapCanvas } from "../../ui/heatmap.js";
import { el } from "../../ui/view.js";

/** The largest |v| over some arrays (at least a tiny positive number, so a blank map stays white). */
export function largest(...arrays: ArrayLike<number>[]): number {
  let m = 1e-6;
  for (const a of arrays) for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** A number of 2–3 significant digits for a colour range. */
function short(v: number): string {
  return v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2);
}

export class StateMap {
  readonly #canvas: HTMLCanvasElement;
  readonly #range: HTMLElement;
  readonly #axis: HTMLElement;

  /** A map titled `title` in `parent`. */
  constructor(parent: HTMLElement, title: string) {
    this.#canvas = heatmapCanvas(title);
    this.#range = el("span", { class: "lag-map-range" });
    this.#axis = el("div", { class: "lag-map-axis" });
    parent.append(el("div", { class: "lag-map" },
      el("div", { class: "lag-map-title" }, el("span", {}, title), this.#range),
      this.#canvas,
      this.#axis));
  }

  /** Draws `values` [H, p] (unit-major) at full colour for |v| ≥ range. */
  draw(values: Float32Array, H: number, p: number, range: number): void {
    // Rows of a few pixels at least, whatever H: the maps are short and wide.
    this.#canvas.style.height = `${Math.round(Math.max(44, Math.min(150, 14 * H)))}px`;
    drawHeatmap(this.#canvas, values, H, p, { range });
    this.#range.textContent = `colour range ±${short(range)}`;
    if (this.#axis.dataset.p !== String(p)) {
      this.#axis.dataset.p = String(p);
      this.#axis.replaceChildren(el("span", {}, "step 0: x or y"), el("span", {}, `units 1–${H} top to bottom · step →`), el("span", {}, `step ${p - 1}: a${sub(p - 1)}`));
    }
  }
}

/** n in Unicode subscript digits (a₄₉). */
export function sub(n: number): string {
  return String(n).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[Number(d)]);
}

/** The colour key: blue for negative, white for zero, red for positive. */
export function colourKey(): HTMLElement {
  return el("div", { class: "lag-key" },
    el("span", {}, "−range"), el("span", { class: "lag-key-bar" }), el("span", {}, "+range"));
}
