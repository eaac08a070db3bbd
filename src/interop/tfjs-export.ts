/**
 * TensorFlow.js layers-model export: a `SequenceToSequence` or `SequenceToVector` over RNN,
 * LSTM or reset-before GRU layers written as the two artifacts `tf.loadLayersModel` reads,
 * `model.json` and `weights.bin`. The format is written here directly (no TF.js import), so this
 * file stays platform-neutral. It is not an importer, and it does not write PyTorch-form GRUs
 * (see below).
 *
 * What is written (TF.js 4.x layers format, Keras-style snake_case config):
 *
 *   Sequential
 *     InputLayer   batch_input_shape [null, null, I]        dynamic B and T, BATCH-FIRST [B, T, I]
 *     per layer k  SimpleRNN / LSTM / GRU (units H, zero initial state)
 *                  wrapped in Bidirectional (merge_mode "concat": [forward | backward]) when D = 2;
 *                  return_sequences true, except on the top layer of a SequenceToVector
 *     Dense        units O, linear; on [B, T, D·H] TF.js applies it at every step
 *
 * Weights, for each layer k and direction (PyTorch names on the left, rnnkit's wire format):
 *
 *   kernel            [I_k, G·H]  = weight_ih_l{k}ᵀ, gate blocks in TF.js order (`toTfjsGateOrder`)
 *   recurrent_kernel  [H, G·H]    = weight_hh_l{k}ᵀ, same reordering
 *   bias              [G·H]       = bias_ih_l{k} + bias_hh_l{k}   (both add before any nonlinearity
 *                                   in RNN and LSTM cells, and in the reset-before GRU, where no
 *                                   gate multiplies b_hn, so one bias is exact)
 *   Dense kernel      [D·H, O]    = head.weightᵀ;  Dense bias [O] = head.bias
 *
 * LSTM and GRU are written with `recurrent_activation: "sigmoid"`, or "hard_sigmoid" for
 * `gateActivation: "hardSigmoid"` (TF.js's clip(0.2·x + 0.5, 0, 1), its default); Keras 3's
 * "hardSigmoid6" (x/6 + 0.5) has no TF.js activation and is refused. The LSTM gets
 * `unit_forget_bias: false`, the GRU `reset_after: false`.
 * Initializers are written as Zeros: loading overwrites every weight anyway, and TF.js's
 * default Orthogonal initializer is slow for large H.
 *
 * GRU: rnnkit's default GRU applies the reset after the recurrent product (PyTorch's form,
 * Keras's `reset_after=True`); TF.js's GRU applies it before (h̃ = tanh(x W_h + (r ⊙ h) U_h + b_h))
 * and has no reset_after option (tfjs issues #4621, #5728). The two are different functions of
 * the same weights, so only a GRU built with `resetAfter: false` is written (as TF.js's GRU,
 * gates z|r|h); the PyTorch form is refused rather than exported wrongly.
 */
import type { Floats } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import { SequenceToSequence, SequenceToVector } from "../nn/topologies.js";
import { recurrentParamNames, type CellKind } from "../ops/recurrent.js";
import { checkKnownKeys, checkOptionsObject, describeValue } from "../util/check.js";
import { moveGateBlocks } from "../io/gate-blocks.js";

/** The TF.js gates of each cell in TF.js's kernel column order. */
export const TFJS_GATE_NAMES: Readonly<Record<CellKind, readonly string[]>> = {
  rnn: ["h"],
  lstm: ["i", "f", "c", "o"],
  gru: ["z", "r", "h"],
};

/**
 * For each TF.js gate block, in TF.js order, the index of the PyTorch (rnnkit) block it is:
 *
 *   cell   PyTorch (rnnkit)   TF.js / Keras   TF.js block k takes PyTorch block
 *   RNN    (one block)        (one block)     [0]
 *   LSTM   i, f, g, o         i, f, c, o      [0, 1, 2, 3]   (the same order; g is Keras's c)
 *   GRU    r, z, n            z, r, h         [1, 0, 2]      (listed for completeness; export refuses GRU)
 */
export const TFJS_GATE_SOURCE: Readonly<Record<CellKind, readonly number[]>> = {
  rnn: [0],
  lstm: [0, 1, 2, 3],
  gru: [1, 0, 2],
};

/**
 * A PyTorch-ordered weight [G·H, C] or bias [G·H] (C = 1), row-major, with its gate blocks
 * reordered to TF.js's order, as float32. The one place the gate order is converted.
 * @example toTfjsGateOrder("gru", weight_ih_l0.data, H) // row blocks r|z|n → z|r|h
 */
export function toTfjsGateOrder(cell: CellKind, data: Floats | Float32Array, hiddenSize: number): Float32Array {
  return moveGateBlocks(`toTfjsGateOrder (${cell})`, TFJS_GATE_SOURCE[cell], data, hiddenSize, "out");
}

/** x [R, C] row-major → xᵀ [C, R]. */
function transpose2d(x: Float32Array, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = x[r * C + c];
  return out;
}

export interface ExportLayersModelOptions {
  /** The weights file's name as model.json's manifest records it (relative to model.json). Default "weights.bin". */
  weightsFile?: string;
}

/** One entry of a TF.js weights manifest group. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: "float32";
}

/** The model.json of a TF.js layers model as this exporter writes it. */
export interface TfjsModelJson {
  format: "layers-model";
  generatedBy: string;
  convertedBy: null;
  /** Keras-style model config: { class_name: "Sequential", config: { name, layers }, keras_version, backend }. */
  modelTopology: Record<string, unknown>;
  weightsManifest: Array<{ paths: string[]; weights: TfjsWeightSpec[] }>;
}

export interface ExportedLayersModel {
  /** The content of model.json (serialize with JSON.stringify). */
  modelJson: TfjsModelJson;
  /** The content of the weights file: every weight in manifest order, float32 little-endian. */
  weightData: Uint8Array;
  /** The weights file's name, as the manifest's `paths` records it. */
  weightsFile: string;
}

/** The names a supported model's layers may have, for messages. */
const SUPPORTED = "SequenceToSequence or SequenceToVector over RNN (tanh, relu, sigmoid), LSTM or GRU (resetAfter: false) layers";

/** The GRU refusal, exported so callers and tests can recognize it. */
export const TFJS_GRU_REFUSAL =
  "a GRU (reset applied after the recurrent product, PyTorch's and Keras 3's form) cannot be written as a TF.js layers model: " +
  "TF.js's GRU applies the reset before it (build the GRU with resetAfter: false for that form); export to ONNX instead";

/** Zeros, for every initializer (see the header). */
const ZEROS = { class_name: "Zeros", config: {} };

/**
 * Writes `model` as a TF.js layers model (see the header for the layout). The exported model is
 * batch-first, [B, T, I] → [B, T, O] (SequenceToSequence) or [B, O] (SequenceToVector), with
 * dynamic B and T, whatever the model's own `batchFirst`: a time-major rnnkit model exports the
 * same weights, and its callers transpose their inputs. The state starts at zero and every
 * step is valid (no lengths / masking).
 *
 * Refuses, naming the module: other modules (bare layers, VectorToSequence, EncoderDecoder,
 * custom subclasses), reset-after (PyTorch-form) GRU layers, gateActivation "hardSigmoid6",
 * float64 parameters.
 *
 * @example
 * const model = new SequenceToVector({ cell: "lstm", inputSize: 3, hiddenSize: 8, outputSize: 2, rng: new Rng(0) });
 * const { modelJson, weightData, weightsFile } = exportLayersModel(model);
 * // write JSON.stringify(modelJson) to model.json and weightData to weightsFile, side by side
 */
export function exportLayersModel(model: Module, options: ExportLayersModelOptions = {}): ExportedLayersModel {
  const who = "exportLayersModel";
  checkKnownKeys(who, checkOptionsObject(who, options), ["weightsFile"]);
  const weightsFile = options.weightsFile ?? "weights.bin";
  if (typeof weightsFile !== "string" || weightsFile === "" || /[/\\]/.test(weightsFile)) {
    throw new TypeError(`${who}: options.weightsFile must be a plain file name (no directory), got ${describeValue(weightsFile)}`);
  }
  const ctor = (model as object | null)?.constructor;
  if (ctor !== SequenceToSequence && ctor !== SequenceToVector) {
    const name = typeof ctor === "function" && ctor.name !== "" ? ctor.name : describeValue(model);
    throw new TypeError(`${who}: cannot export ${name}; supported: ${SUPPORTED} (exactly these classes, not subclasses)`);
  }
  const topo = model as SequenceToSequence | SequenceToVector;
  const kind = ctor === SequenceToSequence ? "SequenceToSequence" : "SequenceToVector";
  const { cell, nonlinearity, inputSize: I, hiddenSize: H, numLayers: L, bidirectional, bias, gateActivation, resetAfter } = topo.rnn.spec;
  if (cell === "gru" && resetAfter !== false) throw new Error(`${who}: ${kind} over a GRU: ${TFJS_GRU_REFUSAL}`);
  if (gateActivation === "hardSigmoid6") {
    throw new Error(
      `${who}: ${kind} over a ${cell === "lstm" ? "LSTM" : "GRU"} with gateActivation "hardSigmoid6" (Keras 3's clip(x/6 + 0.5, 0, 1)): ` +
        'TF.js has no such activation (its hardSigmoid is clip(0.2·x + 0.5, 0, 1), gateActivation "hardSigmoid"); export to ONNX instead',
    );
  }
  const recurrentActivation = gateActivation === "hardSigmoid" ? "hard_sigmoid" : "sigmoid";
  for (const [name, p] of topo.namedParameters()) {
    if (!(p.data instanceof Float32Array)) {
      throw new TypeError(`${who}: ${kind} parameter '${name}' is float64; TF.js layers models hold float32 weights: build the model with dtype "float32"`);
    }
  }

  const params = new Map<string, Float32Array>();
  recurrentParamNames(topo.rnn.spec).forEach((name, k) => params.set(name, topo.rnn.weights[k].data as Float32Array));
  const specs: TfjsWeightSpec[] = [];
  const chunks: Float32Array[] = [];
  const addWeight = (name: string, shape: number[], data: Float32Array): void => {
    specs.push({ name, shape, dtype: "float32" });
    chunks.push(data);
  };

  const D = bidirectional ? 2 : 1;
  const G = TFJS_GATE_SOURCE[cell].length;
  const className = cell === "lstm" ? "LSTM" : cell === "gru" ? "GRU" : "SimpleRNN";
  const layers: unknown[] = [
    { class_name: "InputLayer", config: { name: "input", batch_input_shape: [null, null, I], dtype: "float32", sparse: false } },
  ];
  for (let k = 0; k < L; k++) {
    const inner = `${cell === "rnn" ? "simple_rnn" : cell}_l${k}`;
    const wrapper = `bidirectional_l${k}`;
    const returnSequences = kind === "SequenceToSequence" || k < L - 1;
    const config: Record<string, unknown> = {
      name: inner, trainable: true, units: H,
      activation: cell === "rnn" ? nonlinearity ?? "tanh" : "tanh",
      ...(cell === "lstm" ? { recurrent_activation: recurrentActivation, unit_forget_bias: false } : {}),
      ...(cell === "gru" ? { recurrent_activation: recurrentActivation, reset_after: false } : {}),
      use_bias: bias,
      kernel_initializer: ZEROS, recurrent_initializer: ZEROS, bias_initializer: ZEROS,
      dropout: 0, recurrent_dropout: 0,
      return_sequences: returnSequences, return_state: false, go_backwards: false, stateful: false, unroll: false,
    };
    layers.push(
      D === 1
        ? { class_name: className, config }
        : { class_name: "Bidirectional", config: { name: wrapper, trainable: true, merge_mode: "concat", layer: { class_name: className, config } } },
    );
    const Ik = k === 0 ? I : D * H;
    for (let d = 0; d < D; d++) {
      const suffix = `l${k}${d === 1 ? "_reverse" : ""}`;
      const scope = D === 1 ? inner : `${wrapper}/${d === 0 ? "forward" : "backward"}_${inner}`;
      const wih = toTfjsGateOrder(cell, params.get(`weight_ih_${suffix}`) as Float32Array, H);
      const whh = toTfjsGateOrder(cell, params.get(`weight_hh_${suffix}`) as Float32Array, H);
      addWeight(`${scope}/kernel`, [Ik, G * H], transpose2d(wih, G * H, Ik));
      addWeight(`${scope}/recurrent_kernel`, [H, G * H], transpose2d(whh, G * H, H));
      if (bias) {
        const bih = params.get(`bias_ih_${suffix}`) as Float32Array;
        const bhh = params.get(`bias_hh_${suffix}`) as Float32Array;
        addWeight(`${scope}/bias`, [G * H], toTfjsGateOrder(cell, bih.map((v, j) => v + bhh[j]), H));
      }
    }
  }
  const O = topo.head.weight.shape[0];
  const headBias = topo.head.bias !== null;
  layers.push({
    class_name: "Dense",
    config: {
      name: "head", trainable: true, units: O, activation: "linear", use_bias: headBias,
      kernel_initializer: ZEROS, bias_initializer: ZEROS,
    },
  });
  addWeight("head/kernel", [D * H, O], transpose2d(topo.head.weight.data as Float32Array, O, D * H));
  if (topo.head.bias !== null) addWeight("head/bias", [O], topo.head.bias.data as Float32Array);

  let bytes = 0;
  for (const c of chunks) bytes += 4 * c.length;
  const weightData = new Uint8Array(bytes);
  const view = new DataView(weightData.buffer);
  let off = 0;
  for (const c of chunks) {
    for (let j = 0; j < c.length; j++, off += 4) view.setFloat32(off, c[j], true);
  }
  return {
    modelJson: {
      format: "layers-model",
      generatedBy: "rnnkit",
      convertedBy: null,
      modelTopology: {
        class_name: "Sequential",
        config: { name: kind === "SequenceToSequence" ? "sequence_to_sequence" : "sequence_to_vector", layers },
        keras_version: "tfjs-layers 4.22.0",
        backend: "tensor_flow.js",
      },
      weightsManifest: [{ paths: [weightsFile], weights: specs }],
    },
    weightData,
    weightsFile,
  };
}
