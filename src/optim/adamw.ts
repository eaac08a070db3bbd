/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), PyTorch 1.13's
 * `torch.optim.AdamW`, single-tensor path.
 */
import type { Floats, Tensor } from "../tensor/tensor.js";
import { adamStep, readAdamOptions, type AdamHyperParameters, type AdamOptions } from "./adam.js";
import { Optimizer, type ParamSource, type ParamState } from "./optimizer.js";

/**
 * AdamW, per element, t = the parameter's step:
 *   p ← p · (1 − lr·wd)                       decoupled decay FIRST, with lr (not the bias-corrected step)
 *   then Adam's update with the raw gradient (no L2 term):
 *   m ← β1·m + (1 − β1)·g ;  v ← β2·v + (1 − β2)·g²    (amsgrad: vmax ← max(vmax, v))
 *   p ← p − (lr/(1 − β1^t)) · m / (√v/√(1 − β2^t) + eps)
 * Default weightDecay 1e-2. State: `expAvg`, `expAvgSq`, `maxExpAvgSq` (amsgrad only).
 *
 * @example const opt = new AdamW(model, { lr: 1e-3, weightDecay: 0.1 });
 */
export class AdamW extends Optimizer<AdamHyperParameters> {
  constructor(params: ParamSource, options: AdamOptions = {}) {
    super("AdamW", params, options, (o) => readAdamOptions("AdamW", o, 1e-2));
  }

  protected override buffersFor(hp: AdamHyperParameters): readonly string[] {
    return hp.amsgrad ? ["expAvg", "expAvgSq", "maxExpAvgSq"] : ["expAvg", "expAvgSq"];
  }

  protected override bufferNames(): readonly string[] {
    return ["expAvg", "expAvgSq", "maxExpAvgSq"];
  }

  protected override update(p: Tensor, grad: Floats, state: ParamState): void {
    const { lr, weightDecay } = this.hp;
    if (weightDecay !== 0) {
      const x = p.data;
      const keep = 1 - lr * weightDecay;
      for (let i = 0; i < x.length; i++) x[i] *= keep;
    }
    const buffers = {
      expAvg: this.buffer(p, state, "expAvg"),
      expAvgSq: this.buffer(p, state, "expAvgSq"),
      maxExpAvgSq: this.hp.amsgrad ? this.buffer(p, state, "maxExpAvgSq") : null,
    };
    adamStep(p.data, grad, buffers, state.step, this.hp, 0);
  }
}
