/**
 * A drawing made like an MNIST digit: LeCun's preprocessing was to fit the ink's bounding
 * box into 20×20 pixels keeping its aspect ratio (anti-aliased), then place it in a 28×28
 * field with its centre of mass at the centre. The view draws on a large canvas; this turns
 * that canvas's ink (one value in [0, 1] per canvas pixel) into the 28×28 pixels the net
 * reads, with strokes as dark as MNIST's. Plain arrays in and out (no DOM), so Node tests it.
 */

/** The MNIST field and the box the ink is fitted into. */
export const FIELD = 28;
export const BOX = 20;
/** Canvas pixels with less ink than this do not count towards the bounding box. */
const INK_THRESHOLD = 0.1;
/** The share of inked pixels (over INK_THRESHOLD of the darkest) drawn lighter than full ink. */
const FULL_INK_QUANTILE = 0.5;

/**
 * The 28×28 digit (row-major, values in [0, 1], the darkest pixel at 1) of `ink`
 * [height, width]; null when nothing was drawn.
 */
export function inkToDigit(ink: ArrayLike<number>, width: number, height: number): Float32Array | null {
  if (ink.length !== width * height) throw new RangeError(`inkToDigit: ${ink.length} values for ${width}×${height}`);
  let x0 = width, x1 = -1, y0 = height, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] < INK_THRESHOLD) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  if (x1 < 0) return null;
  // Fit the box: every canvas pixel adds its ink, times its area in box pixels (s²), to the
  // box pixel it falls in — an area average, which anti-aliases as the scanner's did.
  const s = BOX / Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const box = new Float64Array(BOX * BOX);
  for (let y = y0; y <= y1; y++) {
    const v = Math.min(BOX - 1, Math.floor((y - y0) * s));
    for (let x = x0; x <= x1; x++) {
      const u = Math.min(BOX - 1, Math.floor((x - x0) * s));
      box[v * BOX + u] += ink[y * width + x] * s * s;
    }
  }
  // Place the box so that its centre of mass falls on the field's centre (pixel coordinate 13.5).
  let mass = 0, mx = 0, my = 0;
  for (let v = 0; v < BOX; v++) {
    for (let u = 0; u < BOX; u++) {
      const m = box[v * BOX + u];
      mass += m;
      mx += m * u;
      my += m * v;
    }
  }
  const dx = Math.round((FIELD - 1) / 2 - mx / mass), dy = Math.round((FIELD - 1) / 2 - my / mass);
  const field = new Float64Array(FIELD * FIELD);
  for (let v = 0; v < BOX; v++) {
    for (let u = 0; u < BOX; u++) {
      const X = u + dx, Y = v + dy;
      if (X >= 0 && X < FIELD && Y >= 0 && Y < FIELD) field[Y * FIELD + X] = box[v * BOX + u];
    }
  }
  // A light blur ([1 2 1]/4 each way) softens the edges as MNIST's are. Then the contrast:
  // about half of an MNIST digit's inked pixels are at full ink (its strokes have a solid
  // core), so the median inked pixel becomes 1 and everything darker is clipped to 1.
  const blurred = blur(field, FIELD);
  let max = 0;
  for (const v of blurred) max = Math.max(max, v);
  const inked = Array.from(blurred).filter((v) => v > INK_THRESHOLD * max).sort((a, b) => a - b);
  const full = inked[Math.floor(inked.length * FULL_INK_QUANTILE)];
  const out = new Float32Array(FIELD * FIELD);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, blurred[i] / full);
  return out;
}

/** Convolves an n×n image with [1 2 1]/4 along rows, then columns (zero outside). */
function blur(image: Float64Array, n: number): Float64Array {
  const pass = (src: Float64Array, along: "x" | "y") => {
    const dst = new Float64Array(src.length);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const at = (i: number, j: number) => (i >= 0 && i < n && j >= 0 && j < n ? src[j * n + i] : 0);
        dst[y * n + x] = along === "x"
          ? (at(x - 1, y) + 2 * at(x, y) + at(x + 1, y)) / 4
          : (at(x, y - 1) + 2 * at(x, y) + at(x, y + 1)) / 4;
      }
    }
    return dst;
  };
  return pass(pass(image, "x"), "y");
}
