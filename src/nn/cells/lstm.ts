/**
 * The LSTM cell (PyTorch's `nn.LSTMCell`, gates i, f, g, o), one step written with
 * the autodiff ops; its gradients come from the tape. The fused sequence version is
 * src/ops/recurrent.ts, tested against this one.
 */
import type { Tensor } from "../../tensor/tensor.js";
import { add, mul, tanh } from "../../ops/elementwise.js";
import { split } from "../../ops/movement.js";
import type { GateActivation } from "../../backend/kernels.js";
import { checkGateActivation, gateOp, RecurrentCell, type GatedCellOptions } from "./cell.js";

/** The LSTM's two states, both [B, H]. */
export interface LstmState {
  h: Tensor;
  c: Tensor;
}

/**
 * gates = W_ih x + b_ih + W_hh h + b_hh            [B, 4H], column blocks i | f | g | o
 * i = s(gates_i)   f = s(gates_f)   g = tanh(gates_g)   o = s(gates_o)
 * c' = f ⊙ c + i ⊙ g
 * h' = o ⊙ tanh(c')
 *
 * s is the gate activation: σ (default), or with `gateActivation` the hard sigmoid
 * clip(0.2·x + 0.5, 0, 1) ("hardSigmoid") or clip(x/6 + 0.5, 0, 1) ("hardSigmoid6").
 * weight_ih [4H, I], weight_hh [4H, H], bias_ih and bias_hh [4H].
 *
 * @example
 * const cell = new LSTMCell({ inputSize: 3, hiddenSize: 8, rng: new Rng(0) });
 * let state = cell.initialState(2);
 * for (const x of xs) state = cell.forward(x, state); // state.h, state.c: [2, 8]
 */
export class LSTMCell extends RecurrentCell<LstmState> {
  readonly gateActivation: GateActivation;

  constructor(options: GatedCellOptions) {
    super("LSTMCell", 4, options, ["gateActivation"]);
    this.gateActivation = checkGateActivation("LSTMCell", options.gateActivation);
  }

  forward(x: Tensor, state?: LstmState): LstmState {
    const B = this.batchOf(x);
    const { h, c } = state ?? this.initialState(B);
    this.checkState("h", h, B);
    this.checkState("c", c, B);
    const gates = add(this.inputProjection(x), this.hiddenProjection(h));
    const [gi, gf, gg, go] = split(gates, -1, this.hiddenSize);
    const s = gateOp(this.gateActivation);
    const i = s(gi);
    const f = s(gf);
    const g = tanh(gg);
    const o = s(go);
    const cNext = add(mul(f, c), mul(i, g));
    const hNext = mul(o, tanh(cNext));
    return { h: hNext, c: cNext };
  }

  initialState(batch: number): LstmState {
    return { h: this.zeroState(batch), c: this.zeroState(batch) };
  }
}
