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
import { GATE_ACTIVATIONS, type GateActivation, type RnnActivation } from "../backend/kernels.js";
import {
  checkBoolean, checkDType, checkInteger, checkKnownKeys, checkOneOf, checkOptionsObject, checkRng, checkTensorLike, describeValue,
} from "../util/check.js";
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

export interface LSTMOptions extends RecurrentLayerOptions {
  /**
   * The activation of the gates i, f, o: "sigmoid" (default), "hardSigmoid" clip(0.2·x + 0.5, 0, 1)
   * (TF.js, tf.keras 2) or "hardSigmoid6" clip(x/6 + 0.5, 0, 1) (Keras 3).
   */
  gateActivation?: GateActivation;
}

export interface GRUOptions extends RecurrentLayerOptions {
  /** The activation of the gates r, z, as for the LSTM. Default "sigmoid". */
  gateActivation?: GateActivation;
  /**
   * true (default, PyTorch): n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)); false: the reset
   * before the product, n = tanh(W_in x + b_in + W_hn(r⊙h) + b_hn) (Keras reset_after=False,
   * TF.js's GRU, ONNX linear_before_reset=0). Same parameters either way.
   */
  resetAfter?: boolean;
}

export interface RecurrentForwardOptions {
  /** Valid steps per batch row, each in 1..T, any order (PyTorch's packed sequences). */
  lengths?: readonly number[];
}

/** The constructor options every layer knows (RNN adds nonlinearity). */
const LAYER_KEYS = ["inputSize", "hiddenSize", "numLayers", "bidirectional", "batchFirst", "bias", "rng", "dtype"] as const;

/**
 * What the fused op cannot say clearly itself: a forward argument that is not a tensor,
 * a state that is not { h, c? } of tensors, lengths that are not an array, and an input
 * with no steps or no rows (T = 0 or B = 0), which PyTorch refuses too.
 */
export function checkRecurrentInput(
  who: string, spec: RecurrentSpec, x: unknown, state: unknown, options: unknown,
): void {
  const layout = spec.batchFirst ? "[B, T, I]" : "[T, B, I]";
  checkTensorLike(`${who}.forward`, "x", x, ` ${layout}`);
  const shape = (x as Tensor).shape;
  if (shape.length === 3) {
    const [T, B] = spec.batchFirst ? [shape[1], shape[0]] : [shape[0], shape[1]];
    if (T === 0) throw new RangeError(`${who}.forward: x [${shape.join(", ")}] ${layout} has no time steps (T = 0); a sequence needs at least one step`);
    if (B === 0) throw new RangeError(`${who}.forward: x [${shape.join(", ")}] ${layout} has no batch rows (B = 0); give at least one sequence`);
  }
  if (state !== undefined) {
    if (typeof state !== "object" || state === null) {
      throw new TypeError(`${who}.forward: state must be { h${spec.cell === "lstm" ? ", c" : ""} } of tensors [L·D, B, H], got ${describeValue(state)}`);
    }
    const { h, c } = state as { h?: unknown; c?: unknown };
    checkTensorLike(`${who}.forward`, "state.h", h, " [L·D, B, H]");
    if (c !== undefined) checkTensorLike(`${who}.forward`, "state.c", c, " [L·D, B, H]");
  }
  const o = checkOptionsObject(`${who}.forward`, options ?? {}, "options");
  checkKnownKeys(`${who}.forward`, o, ["lengths"]);
  if (o.lengths !== undefined && !Array.isArray(o.lengths) && !ArrayBuffer.isView(o.lengths)) {
    throw new TypeError(`${who}.forward: lengths must be an array of integers (one per batch row), got ${describeValue(o.lengths)}`);
  }
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
    const who = this.constructor.name;
    const o = checkOptionsObject(who, options);
    const keys: readonly string[] =
      cell === "rnn" ? [...LAYER_KEYS, "nonlinearity"] : cell === "lstm" ? [...LAYER_KEYS, "gateActivation"] : [...LAYER_KEYS, "gateActivation", "resetAfter"];
    checkKnownKeys(who, o, keys, {
      nonlinearity: `it applies to RNN only; the ${who}'s gates take gateActivation instead`,
      gateActivation: "it applies to LSTM and GRU gates only; an RNN has none (use nonlinearity)",
      resetAfter: "it applies to GRU only",
    });
    const gateActivation = cell === "rnn" ? undefined : checkOneOf(who, "gateActivation", o.gateActivation, GATE_ACTIVATIONS, "sigmoid");
    const resetAfter = cell === "gru" ? checkBoolean(who, "resetAfter", o.resetAfter, true) : undefined;
    this.spec = {
      cell,
      nonlinearity,
      inputSize: checkInteger(who, "inputSize", o.inputSize),
      hiddenSize: checkInteger(who, "hiddenSize", o.hiddenSize),
      numLayers: o.numLayers === undefined ? 1 : checkInteger(who, "numLayers", o.numLayers),
      bidirectional: checkBoolean(who, "bidirectional", o.bidirectional, false),
      bias: checkBoolean(who, "bias", o.bias, true),
      batchFirst: checkBoolean(who, "batchFirst", o.batchFirst, false),
      ...(gateActivation !== undefined && gateActivation !== "sigmoid" ? { gateActivation } : {}),
      ...(resetAfter === false ? { resetAfter } : {}),
    };
    const rng = checkRng(who, options.rng);
    const dtype = checkDType(who, o.dtype);
    const shapes = recurrentParamShapes(this.spec);
    this.weights = recurrentParamNames(this.spec).map((name) =>
      this.registerParameter(name, fillPytorchRecurrent(Tensor.zeros(shapes[name], { dtype }), rng, this.spec.hiddenSize)),
    );
  }

  /**
   * x [T, B, I] (or [B, T, I] with batchFirst) from `state` (zeros when omitted) →
   * output [T, B, D·H] (or [B, T, D·H]) and the final state, each part [L·D, B, H].
   */
  forward(x: Tensor, state?: RecurrentState, options: RecurrentForwardOptions = {}): RecurrentResult {
    checkRecurrentInput(this.constructor.name, this.spec, x, state, options);
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
    const act = checkOneOf("RNN", "nonlinearity", checkOptionsObject("RNN", options).nonlinearity, ["tanh", "relu", "sigmoid"], "tanh");
    super("rnn", options, act);
  }
}

/**
 * LSTM stack (gates i|f|g|o), whose state is { h, c }:
 *   c_t = s(f)⊙c_{t−1} + s(i)⊙tanh(g),   h_t = s(o)⊙tanh(c_t)
 * with s = σ, or a hard sigmoid with `gateActivation`.
 * @example
 * const lstm = new LSTM({ inputSize: 1, hiddenSize: 16, numLayers: 2, rng: new Rng(1) });
 * const { output, state } = lstm.forward(x);      // state.h, state.c: [2, B, 16]
 * const next = lstm.forward(x2, state);            // carry the state on
 * const hard = new LSTM({ inputSize: 1, hiddenSize: 16, gateActivation: "hardSigmoid", rng: new Rng(1) }); // TF.js's default
 */
export class LSTM extends RecurrentLayer {
  constructor(options: LSTMOptions) {
    super("lstm", options);
  }
}

/**
 * GRU stack in PyTorch's form (gates r|z|n, reset applied after the recurrent product),
 * whose state is { h }:
 *   n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)),   h_t = (1−z)⊙n + z⊙h_{t−1}
 * With `resetAfter: false`, n = tanh(W_in x + b_in + W_hn(r⊙h) + b_hn) (TF.js, Keras
 * reset_after=False); `gateActivation` picks s for r and z as for the LSTM.
 * @example
 * const gru = new GRU({ inputSize: 4, hiddenSize: 8, bidirectional: true, batchFirst: true, rng: new Rng(2) });
 * const { output, state } = gru.forward(x, undefined, { lengths: [5, 3] }); // x [2, 5, 4] → output [2, 5, 16]
 * const tfjsLike = new GRU({ inputSize: 4, hiddenSize: 8, gateActivation: "hardSigmoid", resetAfter: false, rng: new Rng(2) });
 */
export class GRU extends RecurrentLayer {
  constructor(options: GRUOptions) {
    super("gru", options);
  }
}
