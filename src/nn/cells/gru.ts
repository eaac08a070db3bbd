/**
 * The GRU cell in PyTorch's form (`nn.GRUCell`, gates r, z, n), one step written with
 * the autodiff ops; its gradients come from the tape. Unlike Cho et al. (2014), the
 * reset gate multiplies the recurrent product W_hn h + b_hn, not h before the product;
 * `resetAfter: false` gives Cho et al.'s form instead (Keras reset_after=False, TF.js).
 */
import type { Tensor } from "../../tensor/tensor.js";
import { add, mul, scalarSub, tanh } from "../../ops/elementwise.js";
import { linear } from "../../ops/matmul.js";
import { split } from "../../ops/movement.js";
import type { GateActivation } from "../../backend/kernels.js";
import { checkBoolean } from "../../util/check.js";
import { checkGateActivation, gateOp, RecurrentCell, type GatedCellOptions } from "./cell.js";

export interface GRUCellOptions extends GatedCellOptions {
  /** true (default): n = tanh(gi_n + r⊙(W_hn h + b_hn)); false: n = tanh(gi_n + W_hn(r⊙h) + b_hn). */
  resetAfter?: boolean;
}

/**
 * gi = W_ih x + b_ih,  gh = W_hh h + b_hh          [B, 3H], column blocks r | z | n
 * r = s(gi_r + gh_r)
 * z = s(gi_z + gh_z)
 * n = tanh(gi_n + r ⊙ gh_n)                       (r ⊙ (W_hn h + b_hn): b_hn is inside)
 *   resetAfter false: n = tanh(gi_n + W_hn (r ⊙ h) + b_hn)
 * h' = (1 − z) ⊙ n + z ⊙ h                        (z keeps the old state)
 *
 * s is the gate activation: σ (default), "hardSigmoid" clip(0.2·x + 0.5, 0, 1) or
 * "hardSigmoid6" clip(x/6 + 0.5, 0, 1).
 * weight_ih [3H, I], weight_hh [3H, H], bias_ih and bias_hh [3H].
 *
 * @example
 * const cell = new GRUCell({ inputSize: 3, hiddenSize: 8, rng: new Rng(0) });
 * let h = cell.initialState(2);
 * for (const x of xs) h = cell.forward(x, h); // x [2, 3] → h [2, 8]
 */
export class GRUCell extends RecurrentCell<Tensor> {
  readonly gateActivation: GateActivation;
  readonly resetAfter: boolean;

  constructor(options: GRUCellOptions) {
    super("GRUCell", 3, options, ["gateActivation", "resetAfter"]);
    this.gateActivation = checkGateActivation("GRUCell", options.gateActivation);
    this.resetAfter = checkBoolean("GRUCell", "resetAfter", options.resetAfter, true);
  }

  forward(x: Tensor, h?: Tensor): Tensor {
    const B = this.batchOf(x);
    h ??= this.initialState(B);
    this.checkState("h", h, B);
    const H = this.hiddenSize;
    const s = gateOp(this.gateActivation);
    const [giR, giZ, giN] = split(this.inputProjection(x), -1, H);
    const [ghR, ghZ, ghN] = split(this.hiddenProjection(h), -1, H);
    const r = s(add(giR, ghR));
    const z = s(add(giZ, ghZ));
    let n: Tensor;
    if (this.resetAfter) {
      n = tanh(add(giN, mul(r, ghN)));
    } else {
      // W_hn and b_hn are the n rows of weight_hh / bias_hh, applied to r ⊙ h.
      const [, , wHn] = split(this.weight_hh, 0, H);
      const bHn = this.bias_hh === null ? undefined : split(this.bias_hh, 0, H)[2];
      n = tanh(add(giN, linear(mul(r, h), wHn, bHn)));
    }
    return add(mul(scalarSub(1, z), n), mul(z, h));
  }

  initialState(batch: number): Tensor {
    return this.zeroState(batch);
  }
}
