/**
 * Gradient clipping over several parameters at once: PyTorch 1.13's `clip_grad_norm_`
 * (one total norm across all gradients, every gradient scaled by the same coefficient) and
 * `clip_grad_value_`. Parameters whose grad is null are ignored. Gradients are changed in place.
 */
import { paramsOf, type ParamSource } from "./optimizer.js";

/** A p-norm order p > 0, or "inf" (Infinity is accepted too) for the max-norm. */
export type NormType = number | "inf";

/** Added to the total norm before dividing, as in PyTorch; it keeps zero gradients finite. */
export const CLIP_NORM_EPS = 1e-6;

function checkNormType(normType: NormType): number {
  const p = normType === "inf" ? Infinity : normType;
  if (typeof p !== "number" || !(p > 0)) throw new RangeError(`norm type must be a number > 0 or "inf", got ${String(normType)}`);
  return p;
}

/**
 * The norm of all gradients together, as if concatenated into one vector:
 *   ‖g‖_p = (Σ over tensors and elements |g|^p)^(1/p),   ‖g‖_inf = max |g|.
 * 0 when no parameter has a gradient.
 */
export function gradNorm(params: ParamSource, normType: NormType = 2): number {
  const p = checkNormType(normType);
  let acc = 0;
  for (const t of paramsOf(params)) {
    const g = t.grad;
    if (g === null) continue;
    for (let i = 0; i < g.length; i++) {
      const a = Math.abs(g[i]);
      if (p === Infinity) {
        // `!(a <= acc)` lets a NaN through, so a NaN gradient gives a NaN norm as in PyTorch.
        if (!(a <= acc)) acc = a;
      } else {
        acc += p === 2 ? a * a : p === 1 ? a : a ** p;
      }
    }
  }
  return p === Infinity || p === 1 ? acc : p === 2 ? Math.sqrt(acc) : acc ** (1 / p);
}

/** The factor `clipGradNorm` scales by: min(maxNorm / (totalNorm + 1e-6), 1). */
export function clipCoefficient(totalNorm: number, maxNorm: number): number {
  return Math.min(maxNorm / (totalNorm + CLIP_NORM_EPS), 1);
}

/**
 * Scales every gradient by coef = min(maxNorm / (total + 1e-6), 1), where total is the norm of
 * all gradients together (`gradNorm`). Returns total, the norm BEFORE clipping. Because of the
 * 1e-6 the norm after clipping is slightly below maxNorm. All-zero gradients give total 0 and
 * coef 1. A non-finite gradient gives a non-finite total, and the gradients are scaled by the
 * resulting coefficient (0 for an infinite total, NaN for a NaN one), as PyTorch does by default.
 *
 * @example
 * loss.backward();
 * const norm = clipGradNorm(model, 1.0); // log it: a spike means an exploding gradient
 * opt.step();
 */
export function clipGradNorm(params: ParamSource, maxNorm: number, normType: NormType = 2): number {
  if (!(maxNorm >= 0)) throw new RangeError(`clipGradNorm: maxNorm must be ≥ 0, got ${maxNorm}`);
  const list = paramsOf(params);
  const total = gradNorm(list, normType);
  const coef = clipCoefficient(total, maxNorm);
  // Multiplying by exactly 1 changes nothing, so the common unclipped case skips the pass.
  if (coef !== 1) {
    for (const t of list) {
      const g = t.grad;
      if (g === null) continue;
      for (let i = 0; i < g.length; i++) g[i] *= coef;
    }
  }
  return total;
}

/**
 * Clamps every gradient element to [−clipValue, clipValue].
 *
 * @example clipGradValue(model, 5);
 */
export function clipGradValue(params: ParamSource, clipValue: number): void {
  if (!(clipValue >= 0)) throw new RangeError(`clipGradValue: clipValue must be ≥ 0, got ${clipValue}`);
  for (const t of paramsOf(params)) {
    const g = t.grad;
    if (g === null) continue;
    for (let i = 0; i < g.length; i++) {
      if (g[i] > clipValue) g[i] = clipValue;
      else if (g[i] < -clipValue) g[i] = -clipValue;
    }
  }
}
