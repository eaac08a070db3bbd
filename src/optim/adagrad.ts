/**
 * Adagrad: per-element learning rates shrinking with the accumulated squared gradient.
 * PyTorch 1.13's `torch.optim.Adagrad`, single-tensor path.
 */
import type { Floats, Tensor } from "../tensor/tensor.js";
import { Optimizer, checkNonNegative, readOptions, type ParamSource, type ParamState } from "./optimizer.js";

export interface AdagradOptions {
  /** Default 1e-2. */
  lr?: number;
  /** Default 0: the step size decays as lr / (1 + (t − 1)·lrDecay). */
  lrDecay?: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
  /** Starting value of the accumulator `sum`; default 0. */
  initialAccumulatorValue?: number;
  /** Added OUTSIDE the square root; default 1e-10. */
  eps?: number;
}

export type AdagradHyperParameters = Required<AdagradOptions>;

function readAdagrad(options: Record<string, unknown>): AdagradHyperParameters {
  const h = readOptions("Adagrad", options, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 });
  for (const k of ["lr", "lrDecay", "weightDecay", "initialAccumulatorValue", "eps"] as const) checkNonNegative("Adagrad", k, h[k]);
  return h;
}

/**
 * Adagrad. With t the parameter's step count, per element:
 *   g ← g + wd·p                                 (if weightDecay)
 *   clr = lr / (1 + (t − 1)·lrDecay)
 *   sum ← sum + g²                               (sum starts at initialAccumulatorValue)
 *   p ← p − clr · g / (√sum + eps)               (eps outside the root)
 * State: `sum`.
 *
 * @example const opt = new Adagrad(model.parameters(), { lr: 0.1 });
 */
export class Adagrad extends Optimizer<AdagradHyperParameters> {
  constructor(params: ParamSource, options: AdagradOptions = {}) {
    super("Adagrad", params, options, readAdagrad);
  }

  protected override buffersFor(): readonly string[] {
    return ["sum"];
  }

  protected override bufferNames(): readonly string[] {
    return ["sum"];
  }

  protected override update(p: Tensor, grad: Floats, state: ParamState): void {
    const { lr, lrDecay, weightDecay, initialAccumulatorValue, eps } = this.hp;
    const x = p.data;
    const sum = this.buffer(p, state, "sum", initialAccumulatorValue);
    const clr = lr / (1 + (state.step - 1) * lrDecay);
    for (let i = 0; i < x.length; i++) {
      let g = grad[i];
      if (weightDecay !== 0) g += weightDecay * x[i];
      sum[i] += g * g;
      x[i] -= (clr * g) / (Math.sqrt(sum[i]) + eps);
    }
  }
}
