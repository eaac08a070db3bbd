/**
 * TensorFlow.js layers-model export: a `SequenceToSequence` or `SequenceToVector` over RNN,
 * LSTM or reset-before GRU layers (with its Dense activation when wrapped in a
 * `TfjsOutputActivationModule`) written as the two artifacts `tf.loadLayersModel` reads,
 * `model.json` and `weights.bin`; a `KerasLayersModel` as a functional model
 * (./tfjs-export-graph.ts). The format is written here directly (no TF.js import), so these
 * files stay platform-neutral; the layers' configs and weights are in ./tfjs-export-layers.ts.
 * It is not an importer, and it does not write PyTorch-form GRUs (see below).
 *
 * What is written (TF.js 4.x layers format, Keras-style snake_case config):
 *
 *   Sequential
 *     InputLayer   batch_input_shape [null, null, I]        dynamic B and T, BATCH-FIRST [B, T, I]
 *                  (int32 token ids [null, null] for a model with a token input, then
 *     Embedding    input_dim V, output_dim E, mask_zero false; weight embeddings [V, E] = embedding.weight)
 *     per layer k  SimpleRNN / LSTM / GRU (units H, zero initial state)
 *                  wrapped in Bidirectional (merge_mode "concat": [forward | backward]) when D = 2;
 *                  return_sequences true, except on the top layer of a SequenceToVector
 *     Dense        units O, linear (or the wrapper's activation); on [B, T, D·H] TF.js
 *                  applies it at every step
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
import type { Module } from "../nn/module.js";
import type { CellKind } from "../ops/recurrent.js";
import { SequenceToSequence, SequenceToVector } from "../nn/topologies.js";
import { checkKnownKeys, checkOptionsObject, describeValue } from "../util/check.js";
import { TfjsOutputActivationModule } from "./output-activation.js";
import { KerasLayersModel } from "./keras-layers-model.js";
import { TfjsWeights, checkTfjsRecurrent, denseLayerEntry, embeddingLayerEntry, recurrentLayerEntry, type TfjsWeightSpec } from "./tfjs-export-layers.js";
import { kerasGraphTopology } from "./tfjs-export-graph.js";

export { TFJS_GATE_SOURCE, TFJS_GRU_REFUSAL, toTfjsGateOrder, type TfjsWeightSpec } from "./tfjs-export-layers.js";

/** The TF.js gates of each cell in TF.js's kernel column order. */
export const TFJS_GATE_NAMES: Readonly<Record<CellKind, readonly string[]>> = {
  rnn: ["h"],
  lstm: ["i", "f", "c", "o"],
  gru: ["z", "r", "h"],
};

export interface ExportLayersModelOptions {
  /** The weights file's name as model.json's manifest records it (relative to model.json). Default "weights.bin". */
  weightsFile?: string;
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
const SUPPORTED =
  "SequenceToSequence or SequenceToVector over RNN (tanh, relu, sigmoid), LSTM or GRU (resetAfter: false) layers, " +
  "such a model with a Dense activation (TfjsOutputActivationModule), or a KerasLayersModel of those layers";

/**
 * Writes `model` as a TF.js layers model (see the header for the layout). The exported model is
 * batch-first, [B, T, I] (or int32 token ids [B, T] with an embedding) → [B, T, O]
 * (SequenceToSequence) or [B, O] (SequenceToVector), with
 * dynamic B and T, whatever the model's own `batchFirst`: a time-major rnnkit model exports the
 * same weights, and its callers transpose their inputs. The state starts at zero and every
 * step is valid (no lengths / masking).
 *
 * A TfjsOutputActivationModule is its topology with the activation on the Dense; a
 * KerasLayersModel is its own batch-first graph (input [B, T, I], or int32 ids [B, T]).
 *
 * Refuses, naming the module: other modules (bare layers, VectorToSequence, EncoderDecoder,
 * custom subclasses), reset-after (PyTorch-form) GRU layers — every GRU of a KerasLayersModel,
 * named by its node —, gateActivation "hardSigmoid6", float64 parameters.
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
  const activated = model instanceof TfjsOutputActivationModule ? model : null;
  const topo = activated?.inner ?? model;
  const topoCtor = (topo as object | null)?.constructor;
  const isTopology = topoCtor === SequenceToSequence || topoCtor === SequenceToVector;
  if (!isTopology && ctor !== KerasLayersModel) {
    const name = typeof ctor === "function" && ctor.name !== "" ? ctor.name : describeValue(model);
    throw new TypeError(`${who}: cannot export ${name}; supported: ${SUPPORTED} (exactly these classes, not subclasses)`);
  }
  for (const [name, p] of model.namedParameters()) {
    if (!(p.data instanceof Float32Array)) {
      const kind = (ctor as { name: string }).name;
      throw new TypeError(`${who}: ${kind} parameter '${name}' is float64; TF.js layers models hold float32 weights: build the model with dtype "float32"`);
    }
  }
  const w = new TfjsWeights();
  const modelTopology = model instanceof KerasLayersModel
    ? kerasGraphTopology(w, model)
    : sequentialTopology(w, topo as SequenceToSequence | SequenceToVector, activated?.activation ?? "linear");
  return {
    modelJson: { format: "layers-model", generatedBy: "rnnkit", convertedBy: null, modelTopology, weightsManifest: [{ paths: [weightsFile], weights: w.specs }] },
    weightData: w.bytes(),
    weightsFile,
  };
}

/** A topology (and its Dense activation) as a Sequential: InputLayer, the stack's layers, the head. */
function sequentialTopology(w: TfjsWeights, topo: SequenceToSequence | SequenceToVector, activation: string): Record<string, unknown> {
  const kind = topo instanceof SequenceToSequence ? "SequenceToSequence" : "SequenceToVector";
  const { cell, inputSize: I, numLayers: L } = topo.rnn.spec;
  checkTfjsRecurrent(`exportLayersModel: ${kind} over a ${cell === "lstm" ? "LSTM" : cell === "gru" ? "GRU" : "RNN"}`, topo.rnn);
  const input = topo.embedding === null
    ? { name: "input", batch_input_shape: [null, null, I], dtype: "float32", sparse: false }
    : { name: "input", batch_input_shape: [null, null], dtype: "int32", sparse: false };
  const layers: unknown[] = [{ class_name: "InputLayer", config: input }];
  if (topo.embedding !== null) layers.push(embeddingLayerEntry(w, topo.embedding, "embedding"));
  for (let k = 0; k < L; k++) {
    const names = { inner: `${cell === "rnn" ? "simple_rnn" : cell}_l${k}`, wrapper: `bidirectional_l${k}` };
    layers.push(recurrentLayerEntry(w, topo.rnn, k, names, { returnSequences: kind === "SequenceToSequence" || k < L - 1 }));
  }
  layers.push(denseLayerEntry(w, topo.head, "head", activation));
  return {
    class_name: "Sequential",
    config: { name: kind === "SequenceToSequence" ? "sequence_to_sequence" : "sequence_to_vector", layers },
    keras_version: "tfjs-layers 4.22.0",
    backend: "tensor_flow.js",
  };
}
