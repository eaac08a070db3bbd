/**
 * The GRU cell in PyTorch's form (`nn.GRUCell`, gates r, z, n), one step written with
 * the autodiff ops; its gradients come from the tape. Unlike Cho et al. (2014), the
 * reset gate multiplies the recurrent product W_hn h + b_hn, not h before the product.
 */
import type { Tensor } from "../../tensor/tensor.js";
import { add, mul, scalarSub, sigmoid, tanh } from "../../ops/elementwise.js";
import { split } from "../../ops/movement.js";
import { RecurrentCell, type CellOptions } from "./cell.js";

/**
 * gi = W_ih x + b_ih,  gh = W_hh h + b_hh          [B, 3H], column blocks r | z | n
 * r = σ(gi_r + gh_r)
 * z = σ(gi_z + gh_z)
 * n = tanh(gi_n + r ⊙ gh_n)                       (r ⊙ (W_hn h + b_hn): b_hn is inside)
 * h' = (1 − z) ⊙ n + z ⊙ h                        (z keeps the old state)
 *
 * weight_ih [3H, I], weight_hh [3H, H], bias_ih and bias_hh [3H].
 *
 * @example
 * const cell = new GRUCell({ inputSize: 3, hiddenSize: 8, rng: new Rng(0) });
 * let h = cell.initialState(2);
 * for (const x of xs) h = cell.forward(x, h); // x [2, 3] → h [2, 8]
 */
export class GRUCell extends RecurrentCell<Tensor> {
  constructor(options: CellOptions) {
    super("GRUCell", 3, options);
  }

  forward(x: Tensor, h?: Tensor): Tensor {
    const B = this.batchOf(x);
    h ??= this.initialState(B);
    this.checkState("h", h, B);
    const H = this.hiddenSize;
    const [giR, giZ, giN] = split(this.inputProjection(x), -1, H);
    const [ghR, ghZ, ghN] = split(this.hiddenProjection(h), -1, H);
    const r = sigmoid(add(giR, ghR));
    const z = sigmoid(add(giZ, ghZ));
    const n = tanh(add(giN, mul(r, ghN)));
    return add(mul(scalarSub(1, z), n), mul(z, h));
  }

  initialState(batch: number): Tensor {
    return this.zeroState(batch);
  }
}
