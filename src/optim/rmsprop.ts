/**
 * RMSprop: gradients divided by a running root-mean-square, optionally centered and with
 * momentum. PyTorch 1.13's `torch.optim.RMSprop`, single-tensor path.
 */
import type { Floats, Tensor } from "../tensor/tensor.js";
import { Optimizer, checkNonNegative, readOptions, type ParamSource, type ParamState } from "./optimizer.js";

export interface RmspropOptions {
  /** Default 1e-2. */
  lr?: number;
  /** Smoothing constant of the running averages; default 0.99. */
  alpha?: number;
  /** Added OUTSIDE the square root; default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
  /** Default 0. */
  momentum?: number;
  /** Divide by the running standard deviation instead of the RMS; default false. */
  centered?: boolean;
}

export type RmspropHyperParameters = Required<RmspropOptions>;

function readRmsprop(options: Record<string, unknown>): RmspropHyperParameters {
  const h = readOptions("RMSprop", options, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
  for (const k of ["lr", "alpha", "eps", "weightDecay", "momentum"] as const) checkNonNegative("RMSprop", k, h[k]);
  return h;
}

/**
 * RMSprop, per element:
 *   g ← g + wd·p                                           (if weightDecay)
 *   v ← α·v + (1 − α)·g²                                   (v starts at 0)
 *   centered: ḡ ← α·ḡ + (1 − α)·g,  avg = √(v − ḡ²) + eps
 *   else:                            avg = √v + eps         (eps outside the root)
 *   momentum > 0: buf ← momentum·buf + g/avg,  p ← p − lr·buf
 *   else:                                      p ← p − lr·g/avg
 * State: `squareAvg` (v), `gradAvg` (ḡ, centered only), `momentumBuffer` (momentum only).
 *
 * @example const opt = new RMSprop(model, { lr: 1e-3, centered: true });
 */
export class RMSprop extends Optimizer<RmspropHyperParameters> {
  constructor(params: ParamSource, options: RmspropOptions = {}) {
    super("RMSprop", params, options, readRmsprop);
  }

  protected override buffersFor(hp: RmspropHyperParameters): readonly string[] {
    return ["squareAvg", ...(hp.centered ? ["gradAvg"] : []), ...(hp.momentum > 0 ? ["momentumBuffer"] : [])];
  }

  protected override bufferNames(): readonly string[] {
    return ["squareAvg", "gradAvg", "momentumBuffer"];
  }

  protected override update(p: Tensor, grad: Floats, state: ParamState): void {
    const { lr, alpha, eps, weightDecay, momentum, centered } = this.hp;
    const x = p.data;
    const v = this.buffer(p, state, "squareAvg");
    const gAvg = centered ? this.buffer(p, state, "gradAvg") : null;
    const buf = momentum > 0 ? this.buffer(p, state, "momentumBuffer") : null;
    for (let i = 0; i < x.length; i++) {
      let g = grad[i];
      if (weightDecay !== 0) g += weightDecay * x[i];
      v[i] = alpha * v[i] + (1 - alpha) * g * g;
      let avg: number;
      if (gAvg) {
        gAvg[i] = alpha * gAvg[i] + (1 - alpha) * g;
        // v ≥ ḡ² in exact arithmetic; the clamp only keeps round-off from making a NaN.
        avg = Math.sqrt(Math.max(v[i] - gAvg[i] * gAvg[i], 0)) + eps;
      } else {
        avg = Math.sqrt(v[i]) + eps;
      }
      if (buf) {
        buf[i] = momentum * buf[i] + g / avg;
        x[i] -= lr * buf[i];
      } else {
        x[i] -= (lr * g) / avg;
      }
    }
  }
}
