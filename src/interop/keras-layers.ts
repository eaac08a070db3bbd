/**
 * One Keras layer's options read into what rnnkit builds for it, and its weights into rnnkit's
 * (PyTorch's) names and layouts. Every option a layer may have is either mapped, noted as
 * having no effect at inference (dropout, regularizers, initializers), or refused naming the
 * layer, its class and the option. The one place Keras's recurrent options meet rnnkit's is
 * `recurrentOptionsOf`.
 *
 * Weights (Keras on the left, rnnkit on the right; G gates, Keras gate order LSTM i,f,c,o and
 * GRU z,r,h moved to PyTorch's i,f,g,o and r,z,n by moveGateBlocks):
 *
 *   kernel            [I, G·H]  → weight_ih_l0[_reverse] [G·H, I]   (transposed, gates reordered)
 *   recurrent_kernel  [H, G·H]  → weight_hh_l0[_reverse] [G·H, H]
 *   bias              [G·H]     → bias_ih_l0; bias_hh_l0 = 0      (one bias: only the sum counts)
 *   GRU bias (reset_after) [2, G·H] → bias_ih_l0 = row 0 (input), bias_hh_l0 = row 1 (recurrent)
 *   GRU bias (reset_after=False, TF.js) [G·H] → bias_ih_l0; bias_hh_l0 = 0 (exact: in the
 *     reset-before form n = tanh(W_in x + b_in + W_hn(r⊙h) + b_hn) no gate multiplies b_hn,
 *     so only b_in + b_hn counts, as for r and z)
 *
 * Gate activations (recurrent_activation of LSTM / GRU): "sigmoid" → "sigmoid"; "hard_sigmoid"
 * → "hardSigmoid" (clip(0.2x + 0.5, 0, 1)) for TF.js and Keras 2, "hardSigmoid6"
 * (clip(x/6 + 0.5, 0, 1)) for Keras 3, whose hard_sigmoid is relu6(x + 3)/6.
 *   Dense kernel [I, O], bias [O]   → weight [O, I], bias [O]
 *   Embedding embeddings [V, E]     → weight [V, E]
 */
import type { TensorRecord } from "../nn/module.js";
import type { GateActivation, RnnActivation } from "../backend/kernels.js";
import type { CellKind } from "../ops/recurrent.js";
import { moveGateBlocks } from "../io/gate-blocks.js";
import { TFJS_GATE_SOURCE } from "./tfjs-export.js";
import { isObject, nestedLayer, show, type Fail, type KerasDialect, type KerasLayer, type KerasWeight } from "./keras-config.js";
import type { KerasDenseActivation, KerasMergeMode } from "./keras-layers-model.js";

/** What rnnkit builds for a Keras LSTM / GRU / SimpleRNN. */
export interface KerasRecurrentRead {
  cell: CellKind;
  /** SimpleRNN's activation; undefined for LSTM and GRU. */
  nonlinearity: RnnActivation | undefined;
  /** LSTM's and GRU's gate activation; undefined for SimpleRNN. */
  gateActivation: GateActivation | undefined;
  /** GRU: false for the reset-before form (Keras reset_after=False, TF.js); undefined otherwise. */
  resetAfter: boolean | undefined;
  units: number;
  bias: boolean;
  returnSequences: boolean;
  goBackwards: boolean;
}

/** Options with no effect on inference in rnnkit; a non-null value is noted, not refused. */
const NOTED = /_(regularizer|constraint)$/;
/** Options that only describe training or the saved object. */
const IGNORED = new Set([
  "name", "trainable", "dtype", "batch_input_shape", "batch_shape", "input_dim", "input_length", "seed", "unroll", "implementation",
  "kernel_initializer", "recurrent_initializer", "bias_initializer", "embeddings_initializer", "unit_forget_bias",
  "zero_output_for_mask", "build_config", "quantization_config", "lora_rank", "lora_alpha", "input_shape",
]);

/**
 * Refuses any option of `config` that is neither in `known` (read by the caller) nor harmless:
 * `IGNORED`, a regularizer / constraint (noted), or a null / false / 0 value.
 */
function checkOptions(config: Record<string, unknown>, known: readonly string[], at: string, fail: Fail, notes: string[]): void {
  for (const [key, v] of Object.entries(config)) {
    if (known.includes(key) || IGNORED.has(key)) continue;
    if (NOTED.test(key)) {
      if (v !== null && v !== undefined) notes.push(`${at}: ${key} ignored (it acts only in Keras's training)`);
      continue;
    }
    if (v === null || v === undefined || v === false || v === 0) continue;
    fail(`${at}: option ${key} ${show(v)} is not supported`);
  }
}

function flag(c: Record<string, unknown>, key: string, fallback: boolean, at: string, fail: Fail): boolean {
  const v = c[key] ?? fallback;
  return typeof v === "boolean" ? v : fail(`${at}: ${key} ${show(v)} must be a boolean`);
}

/** An activation name as Keras 3 (string or `{class_name, config}`) or Keras 2 / TF.js (string) writes it. */
function activationName(v: unknown): unknown {
  if (isObject(v) && typeof v.class_name === "string") return isObject(v.config) && typeof v.config.name === "string" ? v.config.name : v.class_name;
  return v === "hardSigmoid" ? "hard_sigmoid" : v;
}

/** What Keras's "hard_sigmoid" is in the dialect that wrote the file. */
function hardSigmoidOf(dialect: KerasDialect): GateActivation {
  switch (dialect) {
    case "tfjs":
    case "keras2":
      return "hardSigmoid"; // clip(0.2x + 0.5, 0, 1)
    case "keras3":
      return "hardSigmoid6"; // relu6(x + 3) / 6 = clip(x/6 + 0.5, 0, 1)
    default: {
      const unknown: never = dialect;
      return unknown;
    }
  }
}

/**
 * A Keras LSTM / GRU / SimpleRNN config mapped to rnnkit's recurrent options, or a refusal
 * naming `at` (the layer and class) and the option: gate activations other than sigmoid and
 * hard_sigmoid, cell activations rnnkit lacks, stateful and return_state layers. The dialect
 * gives the defaults (TF.js: hard_sigmoid gates, reset-before GRU) and what hard_sigmoid means.
 */
export function recurrentOptionsOf(layer: { className: string; config: Record<string, unknown> }, dialect: KerasDialect, at: string, fail: Fail, notes: string[]): KerasRecurrentRead {
  const c = layer.config;
  const cell: CellKind = layer.className === "LSTM" ? "lstm" : layer.className === "GRU" ? "gru" : layer.className === "SimpleRNN" ? "rnn" : fail(`${at} is not a recurrent layer (LSTM, GRU, SimpleRNN)`);
  const known = ["units", "activation", "recurrent_activation", "use_bias", "return_sequences", "return_state", "go_backwards", "stateful", "dropout", "recurrent_dropout", "reset_after", "time_major"];
  checkOptions(c, known, at, fail, notes);
  const activation = activationName(c.activation ?? "tanh");
  let nonlinearity: RnnActivation | undefined;
  let gateActivation: GateActivation | undefined;
  if (cell === "rnn") {
    if (activation !== "tanh" && activation !== "relu" && activation !== "sigmoid") fail(`${at}: activation ${show(activation)} is not supported; rnnkit's RNN has tanh, relu, sigmoid`);
    nonlinearity = activation as RnnActivation;
  } else {
    if (activation !== "tanh") fail(`${at}: activation ${show(activation)} is not supported; rnnkit's ${cell === "lstm" ? "LSTM" : "GRU"} uses tanh`);
    // TF.js's default gate activation is hard_sigmoid; Keras 2's and 3's is sigmoid.
    const rec = activationName(c.recurrent_activation ?? (dialect === "tfjs" ? "hard_sigmoid" : "sigmoid"));
    if (rec === "sigmoid") gateActivation = "sigmoid";
    else if (rec === "hard_sigmoid") gateActivation = hardSigmoidOf(dialect);
    else fail(`${at}: recurrent_activation ${show(rec)} is not supported; rnnkit's gates use sigmoid or hard_sigmoid`);
  }
  let resetAfter: boolean | undefined;
  if (cell === "gru") {
    // TF.js's GRU has only the reset-before form (it writes reset_after false, or nothing in older files).
    resetAfter = flag(c, "reset_after", dialect !== "tfjs", at, fail);
  } else if (c.reset_after !== undefined) {
    fail(`${at}: option reset_after is for GRU only`);
  }
  const units = c.units;
  if (!Number.isInteger(units) || (units as number) < 1) fail(`${at}: units ${show(units)} must be a positive integer`);
  if (flag(c, "stateful", false, at, fail)) fail(`${at}: stateful true is not supported; rnnkit starts every batch from a zero state`);
  if (flag(c, "return_state", false, at, fail)) fail(`${at}: return_state true is not supported; a layer gives one output here`);
  if (flag(c, "time_major", false, at, fail)) fail(`${at}: time_major true is not supported; Keras models are read batch-first`);
  for (const key of ["dropout", "recurrent_dropout"]) {
    const v = c[key];
    if (typeof v === "number" && v > 0) notes.push(`${at}: ${key} ${v} skipped: dropout is the identity at inference, and rnnkit's layers have none`);
  }
  return {
    cell, nonlinearity, gateActivation, resetAfter, units: units as number, bias: flag(c, "use_bias", true, at, fail),
    returnSequences: flag(c, "return_sequences", false, at, fail), goBackwards: flag(c, "go_backwards", false, at, fail),
  };
}

/** A recurrent layer, bare or in Bidirectional, read: options, merge mode and the layer to take weights from. */
export interface RecurrentLayerRead extends KerasRecurrentRead {
  bidirectional: boolean;
  merge: KerasMergeMode;
}

/** LSTM / GRU / SimpleRNN or Bidirectional(one of them), with both directions alike. */
export function readRecurrentLayer(layer: KerasLayer, dialect: KerasDialect, at: string, fail: Fail, notes: string[]): RecurrentLayerRead {
  if (layer.className !== "Bidirectional") return { ...recurrentOptionsOf(layer, dialect, at, fail, notes), bidirectional: false, merge: "concat" };
  checkOptions(layer.config, ["layer", "merge_mode", "backward_layer"], at, fail, notes);
  const inner = nestedLayer(layer.config, "layer", at, fail);
  const innerAt = `${at}, inner ${inner.className}`;
  if (!["LSTM", "GRU", "SimpleRNN"].includes(inner.className)) fail(`${innerAt} is not supported inside Bidirectional; supported: LSTM, GRU, SimpleRNN`);
  const r = recurrentOptionsOf(inner, dialect, innerAt, fail, notes);
  // merge_mode null (Keras: the two outputs as a list) is refused below, not read as the default.
  const merge = "merge_mode" in layer.config ? layer.config.merge_mode : "concat";
  if (merge !== "concat" && merge !== "sum" && merge !== "mul" && merge !== "ave") {
    fail(`${at}: merge_mode ${show(merge)} is not supported; supported: concat, sum, mul, ave`);
  }
  if (r.goBackwards) fail(`${innerAt}: go_backwards true inside Bidirectional is not supported (the forward layer would run backwards)`);
  if (isObject(layer.config.backward_layer)) {
    // Keras 3 writes the backward layer out; it must be the forward one reversed, nothing else.
    const back = nestedLayer(layer.config, "backward_layer", at, fail);
    const b = recurrentOptionsOf(back, dialect, `${at}, backward ${back.className}`, fail, []);
    if (back.className !== inner.className || b.units !== r.units || b.nonlinearity !== r.nonlinearity || b.gateActivation !== r.gateActivation || b.resetAfter !== r.resetAfter || b.bias !== r.bias || b.returnSequences !== r.returnSequences || !b.goBackwards) {
      fail(`${at}: backward_layer differs from the forward layer other than by go_backwards; both directions must be alike`);
    }
  }
  return { ...r, goBackwards: false, bidirectional: true, merge: merge as KerasMergeMode };
}

/** What rnnkit builds for a Dense (or TimeDistributed(Dense)). */
export interface DenseRead {
  units: number;
  bias: boolean;
  activation: KerasDenseActivation;
  /** TimeDistributed: its input must be a sequence. */
  timeDistributed: boolean;
}

export function readDenseLayer(layer: KerasLayer, at: string, fail: Fail, notes: string[]): DenseRead {
  let c = layer.config;
  const timeDistributed = layer.className === "TimeDistributed";
  if (timeDistributed) {
    checkOptions(c, ["layer"], at, fail, notes);
    const inner = nestedLayer(c, "layer", at, fail);
    if (inner.className !== "Dense") fail(`${at}: wraps ${inner.className}; supported: TimeDistributed(Dense)`);
    c = inner.config;
  }
  checkOptions(c, ["units", "activation", "use_bias"], at, fail, notes);
  const units = c.units;
  if (!Number.isInteger(units) || (units as number) < 1) fail(`${at}: units ${show(units)} must be a positive integer`);
  const activation = activationName(c.activation ?? "linear");
  if (activation !== "linear" && activation !== "softmax" && activation !== "sigmoid" && activation !== "tanh" && activation !== "relu") {
    fail(`${at}: activation ${show(activation)} is not supported; supported: linear, softmax, sigmoid, tanh, relu`);
  }
  return { units: units as number, bias: flag(c, "use_bias", true, at, fail), activation: activation as KerasDenseActivation, timeDistributed };
}

export interface EmbeddingRead {
  vocabulary: number;
  size: number;
}

export function readEmbeddingLayer(layer: KerasLayer, at: string, fail: Fail, notes: string[]): EmbeddingRead {
  const c = layer.config;
  checkOptions(c, ["input_dim", "output_dim", "mask_zero", "embeddings_regularizer", "activity_regularizer"], at, fail, notes);
  if (c.mask_zero === true) fail(`${at}: mask_zero true is not supported; rnnkit's layers read every step (no masks)`);
  const V = c.input_dim, E = c.output_dim;
  if (!Number.isInteger(V) || (V as number) < 1) fail(`${at}: input_dim ${show(V)} must be a positive integer`);
  if (!Number.isInteger(E) || (E as number) < 1) fail(`${at}: output_dim ${show(E)} must be a positive integer`);
  return { vocabulary: V as number, size: E as number };
}

/** Dropout: identity at inference; any option but its rate and seed is refused. */
export function readDropoutLayer(layer: KerasLayer, at: string, fail: Fail, notes: string[]): void {
  checkOptions(layer.config, ["rate", "noise_shape"], at, fail, notes);
  if (layer.config.noise_shape !== undefined && layer.config.noise_shape !== null) notes.push(`${at}: noise_shape ignored`);
  notes.push(`${at} (rate ${String(layer.config.rate)}) skipped: dropout is the identity at inference`);
}

/** Merge layers other than the recurrent ones: Keras class → rnnkit merge. */
export const MERGE_LAYERS: Record<string, "add" | "subtract" | "multiply" | "average" | "concatenate"> = {
  Add: "add", Subtract: "subtract", Multiply: "multiply", Average: "average", Concatenate: "concatenate",
};

export function readMergeLayer(layer: KerasLayer, at: string, fail: Fail, notes: string[]): void {
  checkOptions(layer.config, ["axis"], at, fail, notes);
  if (layer.className === "Concatenate" && (layer.config.axis ?? -1) !== -1) fail(`${at}: axis ${show(layer.config.axis)} is not supported; only the last axis (-1)`);
  if (layer.className !== "Concatenate" && layer.config.axis !== undefined) fail(`${at}: option axis is not supported`);
}

/** The weights of one layer: take by role name or, for containers that number them, by position. */
export class LayerWeights {
  constructor(
    private readonly all: KerasWeight[],
    private readonly used: Set<KerasWeight>,
    private readonly weightsPart: string,
    private readonly fail: Fail,
  ) {}

  /**
   * The weight `role` (the `index`-th of its layer and direction when the container numbers
   * them) of `layer`, checked to have `shape`. `where` names the layer in messages.
   */
  take(layer: string, where: string, direction: "forward" | "backward" | null, role: string, index: number, shape: number[]): Float32Array {
    const found = this.all.filter((w) => w.layer === layer && w.direction === direction && (w.role === null ? w.index === index : w.role === role));
    const what = `${where}${direction === null ? "" : ` ${direction}`} ${role}`;
    if (found.length === 0) {
      const hint = direction === null ? `${layer}/…/${role}` : `${layer}/${direction}_…/${role}`;
      this.fail(`${what}: no weight '${hint}' in ${this.weightsPart}`);
    }
    if (found.length > 1) this.fail(`${what}: several weights match (${found.map((w) => `'${w.path}'`).join(", ")})`);
    const w = found[0];
    if (w.shape.length !== shape.length || w.shape.some((n, j) => n !== shape[j])) {
      this.fail(`${what}: weight '${w.path}' has shape ${JSON.stringify(w.shape)}, expected ${JSON.stringify(shape)}`);
    }
    this.used.add(w);
    return w.data;
  }
}

/** x [R, C] row-major → xᵀ [C, R]. */
export function transpose2d(x: Float32Array, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = x[r * C + c];
  return out;
}

/**
 * A Keras-ordered weight [G·H, C] or bias [G·H] back to PyTorch's (rnnkit's) gate order: the
 * inverse of `toTfjsGateOrder` (Keras block k goes to PyTorch block TFJS_GATE_SOURCE[k]).
 */
export function fromTfjsGateOrder(cell: CellKind, data: Float32Array, hiddenSize: number): Float32Array {
  return moveGateBlocks(`fromTfjsGateOrder (${cell})`, TFJS_GATE_SOURCE[cell], data, hiddenSize, "in");
}

/**
 * One recurrent layer's weights (both directions) in rnnkit's names `weight_ih_l0[_reverse]`, …
 * under `prefix`, for a layer of input width I.
 */
export function recurrentWeights(
  r: RecurrentLayerRead, layer: KerasLayer, where: string, I: number, weights: LayerWeights, prefix: string, suffixLayer = 0,
): Record<string, TensorRecord> {
  const H = r.units, G = TFJS_GATE_SOURCE[r.cell].length;
  const out: Record<string, TensorRecord> = {};
  const dirs: Array<"forward" | "backward" | null> = r.bidirectional ? ["forward", "backward"] : [null];
  dirs.forEach((direction, d) => {
    const suffix = `l${suffixLayer}${d === 1 ? "_reverse" : ""}`;
    const kernel = weights.take(layer.name, where, direction, "kernel", 0, [I, G * H]);
    const recurrentKernel = weights.take(layer.name, where, direction, "recurrent_kernel", 1, [H, G * H]);
    out[`${prefix}weight_ih_${suffix}`] = { shape: [G * H, I], data: fromTfjsGateOrder(r.cell, transpose2d(kernel, I, G * H), H) };
    out[`${prefix}weight_hh_${suffix}`] = { shape: [G * H, H], data: fromTfjsGateOrder(r.cell, transpose2d(recurrentKernel, H, G * H), H) };
    if (r.bias) {
      if (r.cell === "gru" && r.resetAfter !== false) {
        // reset_after: row 0 is the input bias, row 1 the recurrent bias, each in z,r,h order.
        const b = weights.take(layer.name, where, direction, "bias", 2, [2, G * H]);
        out[`${prefix}bias_ih_${suffix}`] = { shape: [G * H], data: fromTfjsGateOrder("gru", b.slice(0, G * H), H) };
        out[`${prefix}bias_hh_${suffix}`] = { shape: [G * H], data: fromTfjsGateOrder("gru", b.slice(G * H), H) };
      } else {
        // One bias (RNN, LSTM, reset-before GRU): it all adds outside any gate product (header).
        out[`${prefix}bias_ih_${suffix}`] = { shape: [G * H], data: fromTfjsGateOrder(r.cell, weights.take(layer.name, where, direction, "bias", 2, [G * H]), H) };
        out[`${prefix}bias_hh_${suffix}`] = { shape: [G * H], data: new Float32Array(G * H) };
      }
    }
  });
  return out;
}
