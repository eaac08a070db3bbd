/**
 * Recurrent layer modules `RNN`, `LSTM`, `GRU`: PyTorch's `torch.nn` layers of the
 * same names (parameters `weight_ih_l{k}[_reverse]`, `weight_hh_…`, `bias_ih_…`,
 * `bias_hh_…` in `named_parameters()` order, so state dicts round-trip), computed by
 * the fused op in `src/ops/recurrent.ts`. A layer owns time: sequence order, reverse
 * direction, variable lengths and the final state. No dropout, no projections.
 */
import { Module } from "./module.js";
import { fillPytorchRecurrent } from "./init.js";
import { Tensor, type DType } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";
import type { RnnActivation } from "../backend/kernels.js";
import {
  recurrent,
  recurrentParamNames,
  recurrentParamShapes,
  type CellKind,
  type RecurrentResult,
  type RecurrentSpec,
  type RecurrentState,
} from "../ops/recurrent.js";

/** Options shared by the three layers (PyTorch's constructor arguments, camelCased). */
export interface RecurrentLayerOptions {
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers; layer k ≥ 1 reads the full output of layer k−1. Default 1. */
  numLayers?: number;
  /** A second, reversed direction per layer; outputs are concatenated forward | reverse. Default false. */
  bidirectional?: boolean;
  /** x and output are [B, T, ·] instead of [T, B, ·]; states stay [L·D, B, H]. Default false. */
  batchFirst?: boolean;
  /** Whether to have the two bias vectors. Default true. */
  bias?: boolean;
  /** Draws every parameter from U(−1/√H, 1/√H), in parameter order. */
  rng: Rng;
  dtype?: DType;
}

export interface RNNOptions extends RecurrentLayerOptions {
  /** h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh). Default "tanh". */
  nonlinearity?: RnnActivation;
}

export interface RecurrentForwardOptions {
  /** Valid steps per batch row, each in 1..T, any order (PyTorch's packed sequences). */
  lengths?: readonly number[];
}

/**
 * The three layers: the spec, the parameters and one forward over the fused op. Every
 * layer takes and returns the one `RecurrentState` (h, and c for the LSTM); an LSTM
 * refuses a state without c and an RNN or GRU one with c, naming the layer.
 */
abstract class RecurrentLayer extends Module {
  readonly spec: RecurrentSpec;
  /** Parameters in `recurrentParamNames(spec)` order. */
  readonly weights: readonly Tensor[];

  protected constructor(cell: CellKind, options: RecurrentLayerOptions, nonlinearity?: RnnActivation) {
    super();
    this.spec = {
      cell,
      nonlinearity,
      inputSize: options.inputSize,
      hiddenSize: options.hiddenSize,
      numLayers: options.numLayers ?? 1,
      bidirectional: options.bidirectional ?? false,
      bias: options.bias ?? true,
      batchFirst: options.batchFirst ?? false,
    };
    for (const key of ["inputSize", "hiddenSize", "numLayers"] as const) {
      const v = this.spec[key];
      if (!Number.isInteger(v) || v < 1) throw new Error(`${this.constructor.name}: ${key} must be a positive integer, got ${v}`);
    }
    const shapes = recurrentParamShapes(this.spec);
    const dtype = options.dtype ?? "float32";
    this.weights = recurrentParamNames(this.spec).map((name) =>
      this.registerParameter(name, fillPytorchRecurrent(Tensor.zeros(shapes[name], { dtype }), options.rng, this.spec.hiddenSize)),
    );
  }

  /**
   * x [T, B, I] (or [B, T, I] with batchFirst) from `state` (zeros when omitted) →
   * output [T, B, D·H] (or [B, T, D·H]) and the final state, each part [L·D, B, H].
   */
  forward(x: Tensor, state?: RecurrentState, options: RecurrentForwardOptions = {}): RecurrentResult {
    return recurrent(this.spec, x, this.weights, { state, lengths: options.lengths });
  }
}

/**
 * Elman RNN stack: h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), act ∈ tanh, relu, sigmoid.
 * Its state is { h }.
 * @example
 * const rnn = new RNN({ inputSize: 3, hiddenSize: 8, nonlinearity: "relu", rng: new Rng(0) });
 * const { output, state } = rnn.forward(x); // x [T, B, 3] → output [T, B, 8], state.h [1, B, 8]
 */
export class RNN extends RecurrentLayer {
  constructor(options: RNNOptions) {
    const act = options.nonlinearity ?? "tanh";
    if (act !== "tanh" && act !== "relu" && act !== "sigmoid") {
      throw new Error(`RNN: nonlinearity must be tanh, relu or sigmoid, got '${act as string}'`);
    }
    super("rnn", options, act);
  }
}

/**
 * LSTM stack (gates i|f|g|o), whose state is { h, c }:
 *   c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g),   h_t = σ(o)⊙tanh(c_t)
 * @example
 * const lstm = new LSTM({ inputSize: 1, hiddenSize: 16, numLayers: 2, rng: new Rng(1) });
 * const { output, state } = lstm.forward(x);      // state.h, state.c: [2, B, 16]
 * const next = lstm.forward(x2, state);            // carry the state on
 */
export class LSTM extends RecurrentLayer {
  constructor(options: RecurrentLayerOptions) {
    super("lstm", options);
  }
}

/**
 * GRU stack in PyTorch's form (gates r|z|n, reset applied after the recurrent product),
 * whose state is { h }:
 *   n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)),   h_t = (1−z)⊙n + z⊙h_{t−1}
 * @example
 * const gru = new GRU({ inputSize: 4, hiddenSize: 8, bidirectional: true, batchFirst: true, rng: new Rng(2) });
 * const { output, state } = gru.forward(x, undefined, { lengths: [5, 3] }); // x [2, 5, 4] → output [2, 5, 16]
 */
export class GRU extends RecurrentLayer {
  constructor(options: RecurrentLayerOptions) {
    super("gru", options);
  }
}
