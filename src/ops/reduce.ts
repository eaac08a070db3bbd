/**
 * Reductions: sum and mean over some axes (or all), with keepDims. Sums accumulate
 * in float64 whatever the dtype, so a float32 loss over many elements does not drift.
 *
 * Rules: y = Σ_axes x  ⇒  ∂L/∂x += g broadcast back over the reduced axes;
 *        y = mean      ⇒  the same, divided by the number of reduced elements.
 * Not here: max/argmax (softmax.ts subtracts the max internally, without a gradient op).
 */
import { record, gradOf } from "../autograd/tape.js";
import { normalizeAxis, shapeToString, ShapeError, sizeOf } from "../tensor/shape.js";
import { allocFloats, Tensor } from "../tensor/tensor.js";
import { broadcastIndex } from "./elementwise.js";

/** Axes to reduce: one axis, a list, or undefined for all of them. Negative axes count from the end. */
export type Axes = number | readonly number[] | undefined;

interface ReducePlan {
  /** Shape of the result. */
  shape: number[];
  /** For each input element, the flat index of the result element it adds into. */
  target: Int32Array;
  /** Number of input elements per result element. */
  count: number;
}

function plan(op: string, x: Tensor, axes: Axes, keepDims: boolean): ReducePlan {
  const rank = x.rank;
  const list = axes === undefined ? [...x.shape.keys()] : typeof axes === "number" ? [axes] : [...axes];
  const reduced = new Set<number>();
  for (const a of list) {
    const ax = normalizeAxis(op, a, rank);
    if (reduced.has(ax)) throw new ShapeError(`${op}: axis ${a} given twice for x ${shapeToString(x.shape)}`);
    reduced.add(ax);
  }
  // The result with every reduced axis kept as size 1: each input element broadcasts from it.
  const kept = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const shape = keepDims ? kept : x.shape.filter((_, i) => !reduced.has(i));
  let count = 1;
  for (const ax of reduced) count *= x.shape[ax];
  return { shape, target: broadcastIndex(x.shape, kept), count };
}

function reduce(op: "sum" | "mean", x: Tensor, axes: Axes, keepDims: boolean): Tensor {
  const { shape, target, count } = plan(op, x, axes, keepDims);
  const X = x.data;
  const acc = new Float64Array(sizeOf(shape));
  for (let i = 0; i < X.length; i++) acc[target[i]] += X[i];
  const factor = op === "mean" ? 1 / count : 1;
  const out = new Tensor(allocFloats(x.dtype, acc.length), shape);
  for (let o = 0; o < acc.length; o++) out.data[o] = acc[o] * factor;
  record(op, [x], [out], ([g]) => {
    const dx = gradOf(x);
    if (dx) for (let i = 0; i < dx.length; i++) dx[i] += g[target[i]] * factor;
  });
  return out;
}

/**
 * Σ of x over `axes` (all axes when undefined).
 * @example sum(x [B, T, H], [0, 1]) → [H];  sum(x, -1, true) → [B, T, 1];  sum(x) → []
 */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduce("sum", x, axes, keepDims);
}

/** Mean of x over `axes` (all axes when undefined); NaN for an empty reduction, as NumPy. */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduce("mean", x, axes, keepDims);
}
