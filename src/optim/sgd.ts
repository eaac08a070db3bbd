/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
 * weight decay: PyTorch 1.13's `torch.optim.SGD`, single-tensor path.
 */
import type { Floats, Tensor } from "../tensor/tensor.js";
import { Optimizer, checkNonNegative, readOptions, type ParamSource, type ParamState } from "./optimizer.js";

export interface SgdOptions {
  /** Learning rate (required, as in PyTorch). */
  lr: number;
  /** Default 0 (plain SGD). */
  momentum?: number;
  /** Default 0; not applied on the first step. */
  dampening?: number;
  /** Default false; needs momentum > 0 and dampening 0. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
}

export type SgdHyperParameters = Required<SgdOptions>;

function readSgd(options: Record<string, unknown>): SgdHyperParameters {
  if (options.lr === undefined) throw new Error("SGD: lr is required");
  const h = readOptions("SGD", options, { lr: 0, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
  checkNonNegative("SGD", "lr", h.lr);
  checkNonNegative("SGD", "momentum", h.momentum);
  checkNonNegative("SGD", "weightDecay", h.weightDecay);
  if (!Number.isFinite(h.dampening)) throw new RangeError(`SGD: dampening must be finite, got ${h.dampening}`);
  if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
    throw new RangeError(`SGD: nesterov needs momentum > 0 and dampening 0 (got momentum ${h.momentum}, dampening ${h.dampening})`);
  }
  return h;
}

/**
 * SGD. With t the parameter's step count, per element:
 *   g ← g + wd·p                                         (if weightDecay)
 *   buf ← g                                              at t = 1 (no dampening on the first step)
 *   buf ← momentum·buf + (1 − dampening)·g              at t > 1 (if momentum)
 *   g ← nesterov ? g + momentum·buf : buf                (if momentum)
 *   p ← p − lr·g
 * State: `momentumBuffer` (only with momentum).
 *
 * @example
 * const opt = new SGD(model, { lr: 0.1, momentum: 0.9 });
 * loss.backward(); opt.step(); opt.zeroGrad();
 */
export class SGD extends Optimizer<SgdHyperParameters> {
  constructor(params: ParamSource, options: SgdOptions) {
    super("SGD", params, options, readSgd);
  }

  protected override buffersFor(hp: SgdHyperParameters): readonly string[] {
    return hp.momentum !== 0 ? ["momentumBuffer"] : [];
  }

  protected override bufferNames(): readonly string[] {
    return ["momentumBuffer"];
  }

  protected override update(p: Tensor, grad: Floats, state: ParamState): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = this.hp;
    const x = p.data;
    const first = state.buffers.momentumBuffer === undefined;
    const buf = momentum !== 0 ? this.buffer(p, state, "momentumBuffer") : null;
    for (let i = 0; i < x.length; i++) {
      let g = grad[i];
      if (weightDecay !== 0) g += weightDecay * x[i];
      if (buf) {
        buf[i] = first ? g : momentum * buf[i] + (1 - dampening) * g;
        // Read back the stored value so a float32 update uses the buffer it leaves behind.
        g = nesterov ? g + momentum * buf[i] : buf[i];
      }
      x[i] -= lr * g;
    }
  }
}
