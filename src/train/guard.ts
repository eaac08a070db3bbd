/**
 * Divergence guard: training stops at the first NaN or Inf in the loss or in a
 * gradient, with an error naming the step and the parameter, before the optimizer
 * touches the weights (so no checkpoint is ever written from a diverged state).
 */
import type { Tensor } from "../tensor/tensor.js";

export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    readonly where: string,
    readonly value: number,
  ) {
    super(`training diverged at step ${step}: ${where} is ${value}; nothing was saved from this step`);
    this.name = "NonFiniteError";
  }
}

export function checkFiniteLoss(step: number, loss: number): void {
  if (!Number.isFinite(loss)) throw new NonFiniteError(step, "the loss", loss);
}

/** Throws on the first parameter whose gradient holds NaN or ±Inf. */
export function checkFiniteGradients(step: number, named: ReadonlyArray<readonly [string, Tensor]>): void {
  for (const [name, t] of named) {
    const g = t.grad;
    if (g === null) continue;
    for (let i = 0; i < g.length; i++) {
      // v − v is 0 for finite v and NaN for NaN and ±Inf: one test catches both.
      if (g[i] - g[i] !== 0) throw new NonFiniteError(step, `the gradient of ${name} (element ${i})`, g[i]);
    }
  }
}

/** Throws on the first parameter holding NaN or ±Inf (checked before a checkpoint is written). */
export function checkFiniteParameters(step: number, named: ReadonlyArray<readonly [string, Tensor]>): void {
  for (const [name, t] of named) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) if (d[i] - d[i] !== 0) throw new NonFiniteError(step, `parameter ${name} (element ${i})`, d[i]);
  }
}
