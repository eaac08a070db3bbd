/**
 * The Elman RNN cell (PyTorch's `nn.RNNCell`), one step written with the autodiff ops;
 * its gradients come from the tape. The fused sequence version is src/ops/recurrent.ts.
 */
import type { Tensor } from "../../tensor/tensor.js";
import { add, relu, sigmoid, tanh } from "../../ops/elementwise.js";
import type { RnnActivation } from "../../backend/kernels.js";
import { RecurrentCell, type CellOptions } from "./cell.js";

export interface RNNCellOptions extends CellOptions {
  /** act in the equation below (default tanh). PyTorch offers tanh and relu; sigmoid is an extra. */
  nonlinearity?: RnnActivation;
}

/**
 * h' = act(W_ih x + b_ih + W_hh h + b_hh), with x [B, I], h and h' [B, H],
 * weight_ih [H, I], weight_hh [H, H], bias_ih and bias_hh [H] (G = 1).
 *
 * @example
 * const cell = new RNNCell({ inputSize: 3, hiddenSize: 8, rng: new Rng(0) });
 * let h = cell.initialState(2);
 * for (const x of xs) h = cell.forward(x, h); // x [2, 3] → h [2, 8]
 */
export class RNNCell extends RecurrentCell<Tensor> {
  readonly nonlinearity: RnnActivation;

  constructor(options: RNNCellOptions) {
    super("RNNCell", 1, options, ["nonlinearity"]);
    this.nonlinearity = options.nonlinearity ?? "tanh";
    if (!["tanh", "relu", "sigmoid"].includes(this.nonlinearity)) {
      throw new RangeError(`RNNCell: nonlinearity must be tanh, relu or sigmoid, got ${String(this.nonlinearity)}`);
    }
  }

  forward(x: Tensor, h?: Tensor): Tensor {
    const B = this.batchOf(x);
    h ??= this.initialState(B);
    this.checkState("h", h, B);
    const pre = add(this.inputProjection(x), this.hiddenProjection(h));
    switch (this.nonlinearity) {
      case "tanh":
        return tanh(pre);
      case "relu":
        return relu(pre);
      case "sigmoid":
        return sigmoid(pre);
    }
  }

  initialState(batch: number): Tensor {
    return this.zeroState(batch);
  }
}
