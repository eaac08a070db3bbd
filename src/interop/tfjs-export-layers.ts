/**
 * The pieces of a TF.js layers model that every export writes: the weights (collected in
 * manifest order, then one float32 little-endian buffer), a recurrent layer's config and
 * weights (SimpleRNN / LSTM / GRU, in a Bidirectional wrapper when it has two directions), a
 * Dense layer's and an Embedding's. The model's topology around them (Sequential, functional graph) is the
 * caller's (./tfjs-export.ts, ./tfjs-export-graph.ts). Layouts and refusals: ./tfjs-export.ts.
 */
import type { Floats } from "../tensor/tensor.js";
import type { Linear } from "../nn/linear.js";
import type { Embedding } from "../nn/embedding.js";
import type { RecurrentLayerModule } from "../nn/topologies.js";
import { recurrentParamNames, type CellKind } from "../ops/recurrent.js";
import { moveGateBlocks } from "../io/gate-blocks.js";

/**
 * For each TF.js gate block, in TF.js order, the index of the PyTorch (rnnkit) block it is:
 *
 *   cell   PyTorch (rnnkit)   TF.js / Keras   TF.js block k takes PyTorch block
 *   RNN    (one block)        (one block)     [0]
 *   LSTM   i, f, g, o         i, f, c, o      [0, 1, 2, 3]   (the same order; g is Keras's c)
 *   GRU    r, z, n            z, r, h         [1, 0, 2]      (the reset-before GRU only)
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
function transpose2d(x: Floats, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = x[r * C + c];
  return out;
}

/** One entry of a TF.js weights manifest group. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: "float32";
}

/** The weights of a model in manifest order. */
export class TfjsWeights {
  readonly specs: TfjsWeightSpec[] = [];
  readonly #chunks: Floats[] = [];

  add(name: string, shape: number[], data: Floats): void {
    this.specs.push({ name, shape, dtype: "float32" });
    this.#chunks.push(data);
  }

  /** Every weight, float32 little-endian, in manifest order. */
  bytes(): Uint8Array {
    const out = new Uint8Array(4 * this.#chunks.reduce((n, c) => n + c.length, 0));
    const view = new DataView(out.buffer);
    let off = 0;
    for (const c of this.#chunks) for (let j = 0; j < c.length; j++, off += 4) view.setFloat32(off, c[j], true);
    return out;
  }
}

/** The GRU refusal, exported so callers and tests can recognize it. */
export const TFJS_GRU_REFUSAL =
  "a GRU (reset applied after the recurrent product, PyTorch's and Keras 3's form) cannot be written as a TF.js layers model: " +
  "TF.js's GRU applies the reset before it (build the GRU with resetAfter: false for that form); export to ONNX instead";

/** Refuses what TF.js's recurrent layers cannot express; `what` names the layer for the message. */
export function checkTfjsRecurrent(what: string, layer: RecurrentLayerModule): void {
  const { cell, gateActivation, resetAfter } = layer.spec;
  if (cell === "gru" && resetAfter !== false) throw new Error(`${what}: ${TFJS_GRU_REFUSAL}`);
  if (gateActivation === "hardSigmoid6") {
    throw new Error(
      `${what} with gateActivation "hardSigmoid6" (Keras 3's clip(x/6 + 0.5, 0, 1)): ` +
        'TF.js has no such activation (its hardSigmoid is clip(0.2·x + 0.5, 0, 1), gateActivation "hardSigmoid"); export to ONNX instead',
    );
  }
}

/** Zeros, for every initializer: loading overwrites every weight anyway, and TF.js's default Orthogonal is slow for large H. */
export const ZEROS = { class_name: "Zeros", config: {} };

export interface RecurrentLayerNames {
  /** The recurrent layer's name (the inner layer's, when wrapped). */
  inner: string;
  /** The Bidirectional wrapper's name (used when the layer has two directions). */
  wrapper: string;
}

/**
 * Layer k of `layer` as a TF.js layer entry ({class_name, config}), its weights added to `w`:
 * kernel [I_k, G·H] = weight_ih_l{k}ᵀ, recurrent_kernel [H, G·H] = weight_hh_l{k}ᵀ, bias [G·H] =
 * bias_ih + bias_hh (one bias is exact: both add before any nonlinearity in RNN and LSTM cells and
 * in the reset-before GRU), gate blocks in TF.js order. Check the layer with checkTfjsRecurrent first.
 */
export function recurrentLayerEntry(
  w: TfjsWeights, layer: RecurrentLayerModule, k: number, names: RecurrentLayerNames,
  options: { returnSequences: boolean; goBackwards?: boolean; merge?: string },
): { class_name: string; config: Record<string, unknown> } {
  const { cell, nonlinearity, inputSize: I, hiddenSize: H, bidirectional, bias, gateActivation } = layer.spec;
  const D = bidirectional ? 2 : 1;
  const G = TFJS_GATE_SOURCE[cell].length;
  const className = cell === "lstm" ? "LSTM" : cell === "gru" ? "GRU" : "SimpleRNN";
  const recurrentActivation = gateActivation === "hardSigmoid" ? "hard_sigmoid" : "sigmoid";
  const config: Record<string, unknown> = {
    name: names.inner, trainable: true, units: H,
    activation: cell === "rnn" ? nonlinearity ?? "tanh" : "tanh",
    ...(cell === "lstm" ? { recurrent_activation: recurrentActivation, unit_forget_bias: false } : {}),
    ...(cell === "gru" ? { recurrent_activation: recurrentActivation, reset_after: false } : {}),
    use_bias: bias,
    kernel_initializer: ZEROS, recurrent_initializer: ZEROS, bias_initializer: ZEROS,
    dropout: 0, recurrent_dropout: 0,
    return_sequences: options.returnSequences, return_state: false, go_backwards: options.goBackwards ?? false, stateful: false, unroll: false,
  };
  const params = new Map<string, Floats>(recurrentParamNames(layer.spec).map((name, j) => [name, layer.weights[j].data]));
  const Ik = k === 0 ? I : D * H;
  for (let d = 0; d < D; d++) {
    const suffix = `l${k}${d === 1 ? "_reverse" : ""}`;
    const scope = D === 1 ? names.inner : `${names.wrapper}/${d === 0 ? "forward" : "backward"}_${names.inner}`;
    w.add(`${scope}/kernel`, [Ik, G * H], transpose2d(toTfjsGateOrder(cell, params.get(`weight_ih_${suffix}`)!, H), G * H, Ik));
    w.add(`${scope}/recurrent_kernel`, [H, G * H], transpose2d(toTfjsGateOrder(cell, params.get(`weight_hh_${suffix}`)!, H), G * H, H));
    if (bias) {
      const bih = params.get(`bias_ih_${suffix}`)!;
      const bhh = params.get(`bias_hh_${suffix}`)!;
      w.add(`${scope}/bias`, [G * H], toTfjsGateOrder(cell, Float32Array.from(bih, (v, j) => v + bhh[j]), H));
    }
  }
  if (D === 1) return { class_name: className, config };
  return { class_name: "Bidirectional", config: { name: names.wrapper, trainable: true, merge_mode: options.merge ?? "concat", layer: { class_name: className, config } } };
}

/** `linear` as a TF.js Dense layer entry with `activation`; kernel [I, O] = weightᵀ and bias [O] added to `w`. */
export function denseLayerEntry(w: TfjsWeights, linear: Linear, name: string, activation: string): { class_name: string; config: Record<string, unknown> } {
  const [O, I] = linear.weight.shape;
  w.add(`${name}/kernel`, [I, O], transpose2d(linear.weight.data, O, I));
  if (linear.bias !== null) w.add(`${name}/bias`, [O], linear.bias.data);
  return {
    class_name: "Dense",
    config: { name, trainable: true, units: O, activation, use_bias: linear.bias !== null, kernel_initializer: ZEROS, bias_initializer: ZEROS },
  };
}

/** `embedding` as a TF.js Embedding layer entry (input_dim V, output_dim E, no mask); its table embeddings [V, E] added to `w`. */
export function embeddingLayerEntry(w: TfjsWeights, embedding: Embedding, name: string): { class_name: string; config: Record<string, unknown> } {
  const { numEmbeddings: V, embeddingDim: E } = embedding;
  w.add(`${name}/embeddings`, [V, E], embedding.weight.data);
  return {
    class_name: "Embedding",
    config: { name, trainable: true, input_dim: V, output_dim: E, embeddings_initializer: ZEROS, mask_zero: false },
  };
}
