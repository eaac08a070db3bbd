/**
 * Adam with L2 weight decay and the AMSGrad variant: PyTorch 1.13's `torch.optim.Adam`,
 * single-tensor path. The update rule is exported for AdamW, which differs only in how it
 * decays the weights.
 */
import type { Floats, Tensor } from "../tensor/tensor.js";
import {
  Optimizer,
  checkNonNegative,
  checkUnitInterval,
  readOptions,
  type ParamSource,
  type ParamState,
} from "./optimizer.js";

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  /** Decay rates (β1, β2) of the first and second moment averages; default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Added AFTER the bias correction of √v; default 1e-8. */
  eps?: number;
  /** Adam: L2 penalty added to the gradient, default 0. AdamW: decoupled decay, default 1e-2. */
  weightDecay?: number;
  /** Use the running maximum of v (AMSGrad); default false. */
  amsgrad?: boolean;
}

export type AdamHyperParameters = Required<AdamOptions>;

/** Reads Adam / AdamW options; only the default of weightDecay differs between them. */
export function readAdamOptions(op: string, options: Record<string, unknown>, defaultWeightDecay: number): AdamHyperParameters {
  const h = readOptions(op, options, {
    lr: 1e-3,
    betas: [0.9, 0.999] as readonly [number, number],
    eps: 1e-8,
    weightDecay: defaultWeightDecay,
    amsgrad: false,
  });
  checkNonNegative(op, "lr", h.lr);
  checkNonNegative(op, "eps", h.eps);
  checkNonNegative(op, "weightDecay", h.weightDecay);
  checkUnitInterval(op, "betas[0]", h.betas[0]);
  checkUnitInterval(op, "betas[1]", h.betas[1]);
  return h;
}

/** Adam's per-parameter state buffers, each the size of the parameter. */
export interface AdamBuffers {
  expAvg: Floats;
  expAvgSq: Floats;
  /** Only with amsgrad. */
  maxExpAvgSq: Floats | null;
}

/**
 * The Adam moment update and parameter step on `x`, per element, at parameter step t ≥ 1:
 *   g ← g + l2·x                                        (if l2)
 *   m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
 *   amsgrad: vmax ← max(vmax, v), used for v below
 *   denom = √v / √(1 − β2^t) + eps
 *   x ← x − (lr / (1 − β1^t)) · m / denom
 */
export function adamStep(x: Floats, grad: Floats, buffers: AdamBuffers, t: number, h: AdamHyperParameters, l2: number): void {
  const { lr, betas, eps } = h;
  const [b1, b2] = betas;
  const { expAvg: m, expAvgSq: v, maxExpAvgSq: vMax } = buffers;
  const stepSize = lr / (1 - b1 ** t);
  const bc2Sqrt = Math.sqrt(1 - b2 ** t);
  for (let i = 0; i < x.length; i++) {
    let g = grad[i];
    if (l2 !== 0) g += l2 * x[i];
    m[i] = b1 * m[i] + (1 - b1) * g;
    v[i] = b2 * v[i] + (1 - b2) * g * g;
    let second = v[i];
    if (vMax) {
      if (second > vMax[i]) vMax[i] = second;
      second = vMax[i];
    }
    const denom = Math.sqrt(second) / bc2Sqrt + eps;
    x[i] -= (stepSize * m[i]) / denom;
  }
}

/**
 * Adam (Kingma & Ba) with PyTorch's placement of eps, per element, t = the parameter's step:
 *   g ← g + wd·p                                         (L2: weightDecay enters the gradient)
 *   m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²
 *   (amsgrad: vmax ← max(vmax, v) and vmax replaces v below)
 *   p ← p − lr · m̂ / (√v̂ + eps),  m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t)
 * computed as p − (lr/(1 − β1^t)) · m / (√v/√(1 − β2^t) + eps).
 * State: `expAvg` (m), `expAvgSq` (v), `maxExpAvgSq` (amsgrad only).
 *
 * @example const opt = new Adam(model, { lr: 1e-3, betas: [0.9, 0.98] });
 */
export class Adam extends Optimizer<AdamHyperParameters> {
  constructor(params: ParamSource, options: AdamOptions = {}) {
    super("Adam", params, options, (o) => readAdamOptions("Adam", o, 0));
  }

  protected override buffersFor(hp: AdamHyperParameters): readonly string[] {
    return hp.amsgrad ? ["expAvg", "expAvgSq", "maxExpAvgSq"] : ["expAvg", "expAvgSq"];
  }

  protected override bufferNames(): readonly string[] {
    return ["expAvg", "expAvgSq", "maxExpAvgSq"];
  }

  protected override update(p: Tensor, grad: Floats, state: ParamState): void {
    const buffers = {
      expAvg: this.buffer(p, state, "expAvg"),
      expAvgSq: this.buffer(p, state, "expAvgSq"),
      maxExpAvgSq: this.hp.amsgrad ? this.buffer(p, state, "maxExpAvgSq") : null,
    };
    adamStep(p.data, grad, buffers, state.step, this.hp, this.hp.weightDecay);
  }
}
