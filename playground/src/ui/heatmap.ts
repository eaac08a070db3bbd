/**
 * Heatmaps on a canvas: a rows × cols grid of values, one cell per value, in a diverging
 * blue–white–red map (negative, zero, positive) or a sequential white–black one. Drawn
 * into an ImageData at one pixel per cell and scaled by CSS (image-rendering: pixelated),
 * so even a 128 × 200 grid costs a fraction of a millisecond.
 */

export interface HeatmapOptions {
  /** Value drawn at full colour: |v| ≥ range is saturated. Default: the largest |v|. */
  range?: number;
  /** "diverging" (signed values, default) or "sequential" (0..range, white to black). */
  scale?: "diverging" | "sequential";
}

/** The colour of v in [-1, 1] (diverging) or [0, 1] (sequential), as [r, g, b]. */
export function colour(v: number, scale: "diverging" | "sequential"): [number, number, number] {
  if (scale === "sequential") {
    const g = Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
    return [g, g, g];
  }
  const a = Math.min(1, Math.abs(v));
  return v >= 0
    ? [255, Math.round(255 * (1 - 0.85 * a)), Math.round(255 * (1 - 0.85 * a))]
    : [Math.round(255 * (1 - 0.85 * a)), Math.round(255 * (1 - 0.6 * a)), 255];
}

/** Draws `values` (row-major, rows × cols) into `canvas`, one canvas pixel per value. */
export function drawHeatmap(canvas: HTMLCanvasElement, values: ArrayLike<number>, rows: number, cols: number, options: HeatmapOptions = {}): void {
  if (values.length !== rows * cols) throw new RangeError(`drawHeatmap: ${values.length} values for ${rows} × ${cols}`);
  const scale = options.scale ?? "diverging";
  let range = options.range ?? 0;
  if (options.range === undefined) for (let i = 0; i < values.length; i++) range = Math.max(range, Math.abs(values[i]));
  if (!(range > 0)) range = 1;
  if (canvas.width !== cols || canvas.height !== rows) {
    canvas.width = cols;
    canvas.height = rows;
  }
  const ctx = canvas.getContext("2d");
  if (ctx === null) return;
  const image = ctx.createImageData(cols, rows);
  for (let i = 0; i < values.length; i++) {
    const [r, g, b] = colour(values[i] / range, scale);
    image.data[4 * i] = r;
    image.data[4 * i + 1] = g;
    image.data[4 * i + 2] = b;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** A canvas styled for heatmaps (pixelated scaling to the width of its box). */
export function heatmapCanvas(label: string): HTMLCanvasElement {
  const c = document.createElement("canvas");
  c.className = "heatmap";
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", label);
  return c;
}
