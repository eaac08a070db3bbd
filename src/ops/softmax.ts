/**
 * Softmax and log-softmax over one axis (default: the last), max-subtracted so that
 * logits of size ~100 (or 1000) neither overflow nor lose the small probabilities.
 *
 *   softmax:     y_k = exp(x_k − m) / Σ_j exp(x_j − m),          m = max_j x_j
 *                ∂L/∂x_k += y_k (g_k − Σ_j g_j y_j)
 *   logSoftmax:  y_k = x_k − m − log Σ_j exp(x_j − m)
 *                ∂L/∂x_k += g_k − exp(y_k) Σ_j g_j
 *
 * Not here: cross-entropy (loss.ts builds on logSoftmax's formula).
 */
import { record, gradOf } from "../autograd/tape.js";
import { normalizeAxis } from "../tensor/shape.js";
import { allocFloats, Tensor, type Floats } from "../tensor/tensor.js";

/**
 * Calls `fn(base, stride, n)` for every lane along `axis`: the lane's elements are
 * data[base + k·stride] for k < n.
 */
function forEachLane(shape: readonly number[], axis: number, fn: (base: number, stride: number, n: number) => void): void {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const n = shape[axis];
  if (n === 0) return;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) fn(o * n * inner + i, inner, n);
  }
}

/** max over a lane, and Σ exp(x − max) in float64. */
function laneStats(X: Floats, base: number, stride: number, n: number): { max: number; sumExp: number } {
  let max = -Infinity;
  for (let k = 0; k < n; k++) max = Math.max(max, X[base + k * stride]);
  let sumExp = 0;
  for (let k = 0; k < n; k++) sumExp += Math.exp(X[base + k * stride] - max);
  return { max, sumExp };
}

/** exp(x) / Σ exp(x) along `axis` (default −1). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const ax = normalizeAxis("softmax", axis, x.rank);
  const X = x.data;
  const out = new Tensor(allocFloats(x.dtype, X.length), x.shape);
  const Y = out.data;
  forEachLane(x.shape, ax, (base, stride, n) => {
    const { max, sumExp } = laneStats(X, base, stride, n);
    for (let k = 0; k < n; k++) Y[base + k * stride] = Math.exp(X[base + k * stride] - max) / sumExp;
  });
  record("softmax", [x], [out], ([g]) => {
    const dx = gradOf(x);
    if (!dx) return;
    forEachLane(x.shape, ax, (base, stride, n) => {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += g[base + k * stride] * Y[base + k * stride];
      for (let k = 0; k < n; k++) {
        const j = base + k * stride;
        dx[j] += Y[j] * (g[j] - dot);
      }
    });
  });
  return out;
}

/** x − log Σ exp(x) along `axis` (default −1): log-probabilities, finite even for logits ~ ±1000. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const ax = normalizeAxis("logSoftmax", axis, x.rank);
  const X = x.data;
  const out = new Tensor(allocFloats(x.dtype, X.length), x.shape);
  const Y = out.data;
  forEachLane(x.shape, ax, (base, stride, n) => {
    const { max, sumExp } = laneStats(X, base, stride, n);
    const logZ = max + Math.log(sumExp);
    for (let k = 0; k < n; k++) Y[base + k * stride] = X[base + k * stride] - logZ;
  });
  record("logSoftmax", [x], [out], ([g]) => {
    const dx = gradOf(x);
    if (!dx) return;
    forEachLane(x.shape, ax, (base, stride, n) => {
      let gSum = 0;
      for (let k = 0; k < n; k++) gSum += g[base + k * stride];
      for (let k = 0; k < n; k++) {
        const j = base + k * stride;
        dx[j] += g[j] - Math.exp(Y[j]) * gSum;
      }
    });
  });
  return out;
}
