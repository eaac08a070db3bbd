/**
 * TensorFlow.js layers-model import: a `model.json` + weights (as `model.save` or
 * `tensorflowjs_converter` writes them) read into a trainable rnnkit `SequenceToSequence` or
 * `SequenceToVector`. The inverse of ./tfjs-export.ts, platform-neutral (bytes in; the files
 * are read by `loadLayersModel` in src/node/tfjs-files.ts). It reads the format directly and
 * does not run TF.js; it is not a general Keras loader: only a linear chain of the layers below.
 *
 * What is read (TF.js 4.x layers format, Keras-style snake_case config):
 *
 *   Sequential, or Model (functional) whose layers form one chain input → … → output
 *     InputLayer (or batch_input_shape on the first layer)   [null, T | null, I], batch-first
 *     L recurrent layers, all alike: SimpleRNN (tanh, relu, sigmoid) or LSTM (tanh, sigmoid),
 *       each bare or in Bidirectional (merge_mode "concat"); return_sequences true below the top
 *     Dense or TimeDistributed(Dense): units O, linear, or softmax / sigmoid / tanh / relu
 *     Dropout anywhere, and the layers' own dropout / recurrent_dropout: identity at inference, skipped
 *
 *   → SequenceToSequence (top layer return_sequences true) or SequenceToVector (false),
 *     batchFirst: true, x [B, T, I] → [B, T, O] or [B, O], any B and T.
 *
 * Weights, for each layer k and direction (TF.js on the left, rnnkit / PyTorch on the right):
 *
 *   kernel            [I_k, G·H]  → weight_ih_l{k} [G·H, I_k]  (transposed, gate blocks to PyTorch order)
 *   recurrent_kernel  [H, G·H]    → weight_hh_l{k} [G·H, H]
 *   bias              [G·H]       → bias_ih_l{k};  bias_hh_l{k} = 0 (TF.js has one bias; the sum is what counts)
 *   Dense kernel      [D·H, O]    → head.weight [O, D·H];  Dense bias [O] → head.bias
 *
 * A non-linear Dense activation is kept by wrapping the topology in `TfjsOutputActivation`
 * (same parameters, the activation applied to its output). Everything is checked — structure,
 * every layer, every weight's name, dtype, shape and bytes — before any module is built, and a
 * refusal names the file, the layer (its name and class) or weight, and what is supported.
 */
import type { Tensor } from "../tensor/tensor.js";
import { Rng } from "../tensor/random.js";
import { Module, type StateDict } from "../nn/module.js";
import { SequenceToSequence, SequenceToVector, type SequenceForwardOptions } from "../nn/topologies.js";
import type { CellKind } from "../ops/recurrent.js";
import { relu, sigmoid, tanh } from "../ops/elementwise.js";
import { softmax } from "../ops/softmax.js";
import type { RnnActivation } from "../backend/kernels.js";
import type { ModelSpec } from "../io/model-file.js";
import { TFJS_GATE_SOURCE } from "./tfjs-export.js";
import { moveGateBlocks } from "../io/gate-blocks.js";
import { describeValue } from "../util/check.js";

/** A refusal of `importLayersModel` / `loadLayersModel`; the message names the file and the part. */
export class TfjsImportError extends Error {
  override name = "TfjsImportError";
}

/** The activations a final Dense layer may have. */
export type TfjsOutputActivation = "linear" | "softmax" | "sigmoid" | "tanh" | "relu";

export interface ImportedLayersModel {
  /**
   * The rnnkit model: a SequenceToSequence / SequenceToVector (batchFirst) when the Dense is
   * linear, else a `TfjsOutputActivationModule` around it with the same parameter names.
   */
  model: Module;
  /** The topology's type and constructor options (what `encodeModel` records for it). */
  spec: ModelSpec;
  /** The final Dense layer's activation ("linear": none). */
  outputActivation: TfjsOutputActivation;
  /** What was read but has no effect in rnnkit (dropout, regularizers, …), one line each. */
  notes: string[];
}

/**
 * A topology followed by an elementwise (or, for softmax, last-axis) activation: what a Dense
 * layer with a non-linear activation becomes. Its parameters are the topology's, under the
 * same names (`rnn.…`, `head.…`), so it trains like it; `inner` gives the pre-activation
 * output (train a softmax classifier on `inner`'s logits with crossEntropy). Model files do
 * not record the activation: save `inner` and re-apply it.
 */
export class TfjsOutputActivationModule extends Module {
  readonly inner: SequenceToSequence | SequenceToVector;
  readonly activation: Exclude<TfjsOutputActivation, "linear">;

  constructor(inner: SequenceToSequence | SequenceToVector, activation: Exclude<TfjsOutputActivation, "linear">) {
    super();
    this.inner = inner;
    this.activation = activation;
    this.registerModule("rnn", inner.rnn);
    this.registerModule("head", inner.head);
  }

  /** activation(inner.forward(x)): x [B, T, I] → [B, T, O] or [B, O]. */
  forward(x: Tensor, options: SequenceForwardOptions = {}): Tensor {
    const y = this.inner.forward(x, options);
    switch (this.activation) {
      case "softmax":
        return softmax(y, -1);
      case "sigmoid":
        return sigmoid(y);
      case "tanh":
        return tanh(y);
      case "relu":
        return relu(y);
      default: {
        const unknown: never = this.activation;
        throw new Error(`TfjsOutputActivationModule: unknown activation '${unknown as string}'`);
      }
    }
  }
}

const SUPPORTED_LAYERS =
  "InputLayer, SimpleRNN (tanh, relu, sigmoid), LSTM (tanh, recurrent_activation sigmoid), Bidirectional (concat) around them, " +
  "Dense / TimeDistributed(Dense) (linear, softmax, sigmoid, tanh, relu) and Dropout";

/** The GRU refusal. */
export const TFJS_IMPORT_GRU_REFUSAL =
  "TF.js's GRU applies the reset before the recurrent product; rnnkit's GRU applies it after (PyTorch's form), so its weights cannot be mapped";

interface LayerJson {
  className: string;
  name: string;
  config: Record<string, unknown>;
}

/** One recurrent layer as read: everything rnnkit's stack needs to agree on. */
interface RecurrentLayerRead {
  layer: LayerJson; // the outer layer (the Bidirectional wrapper, or the layer itself)
  cell: Exclude<CellKind, "gru">;
  nonlinearity: RnnActivation | undefined;
  units: number;
  bias: boolean;
  bidirectional: boolean;
  returnSequences: boolean;
}

interface DenseRead {
  layer: LayerJson;
  units: number;
  activation: TfjsOutputActivation;
}

interface WeightRead {
  name: string;
  shape: number[];
  /** Byte offset in the concatenated weight data. */
  offset: number;
  used: boolean;
}

/** A value for a message: strings quoted as JSON, the rest as `describeValue` puts them. */
function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : describeValue(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads a TF.js layers model (see the header) from its model.json content and its weight
 * data (the files of the manifest's `paths`, in order: one array per path, or all of them
 * concatenated) into a trainable rnnkit model. `name` is the model.json's name in messages.
 *
 * @example
 * const { model, notes } = importLayersModel(JSON.parse(modelJsonText), weightsBinBytes);
 * const y = model.forward(x); // x [B, T, I], batch-first like TF.js
 */
export function importLayersModel(modelJson: unknown, weightData: Uint8Array | readonly Uint8Array[], name = "model.json"): ImportedLayersModel {
  const fail = (part: string): never => {
    throw new TfjsImportError(`importLayersModel: ${name}: ${part}`);
  };
  const notes: string[] = [];
  if (!isObject(modelJson)) fail(`must be a JSON object (a TF.js layers model), got ${show(modelJson)}`);
  const root = modelJson as Record<string, unknown>;
  if (root.format !== undefined && root.format !== "layers-model") {
    fail(`format '${String(root.format)}' is not a layers model ("layers-model"); graph models (tf.loadGraphModel) cannot be imported`);
  }

  // ---- structure: the chain of layers ----
  let topology = root.modelTopology;
  if (isObject(topology) && isObject(topology.model_config)) topology = topology.model_config;
  if (!isObject(topology)) fail(`modelTopology must be an object, got ${show(topology)}`);
  const topo = topology as Record<string, unknown>;
  const chain = readChain(topo, fail);

  // ---- layers: read and check every one before building anything ----
  // Assigned in the loop's closure: TypeScript cannot follow that, hence the holder object.
  const found: { inputSize: number | null; dense: DenseRead | null } = { inputSize: null, dense: null };
  const recurrent: RecurrentLayerRead[] = [];
  const where = (l: LayerJson): string => `layer '${l.name}' (${l.className})`;
  const known = ["InputLayer", "Dropout", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "Dense", "TimeDistributed"];
  chain.forEach((layer, index) => {
    if (layer.className === "Embedding") {
      fail(
        `${where(layer)} is not supported: rnnkit has no topology with an embedding before a SequenceToSequence / SequenceToVector ` +
          `head (EncoderDecoder is a different model); feed one-hot or embedded vectors instead. Supported: ${SUPPORTED_LAYERS}`,
      );
    }
    if (!known.includes(layer.className)) fail(`${where(layer)} is not supported; supported: ${SUPPORTED_LAYERS}`);
    const shape = layer.config.batch_input_shape ?? layer.config.batch_shape;
    if (shape !== undefined && shape !== null) {
      if (index > 1 || (index === 1 && chain[0].className === "InputLayer")) fail(`${where(layer)}: batch_input_shape is allowed on the first layer only`);
      if (!Array.isArray(shape) || shape.length !== 3 || !Number.isInteger(shape[2]) || (shape[2] as number) < 1) {
        fail(`${where(layer)}: batch_input_shape ${JSON.stringify(shape)} must be [null, T | null, I] with a positive integer I (a sequence input)`);
      }
      found.inputSize = (shape as number[])[2];
    }
    switch (layer.className) {
      case "InputLayer":
        if (index !== 0) fail(`${where(layer)}: an InputLayer must come first`);
        if (shape === undefined || shape === null) fail(`${where(layer)}: batch_input_shape is missing`);
        return;
      case "Dropout":
        notes.push(`${where(layer)} (rate ${String(layer.config.rate)}) skipped: dropout is the identity at inference`);
        return;
      case "SimpleRNN":
      case "LSTM":
      case "GRU":
      case "Bidirectional": {
        if (found.dense !== null) fail(`${where(layer)} follows the Dense layer '${found.dense.layer.name}'; supported: recurrent layers, then one Dense head`);
        recurrent.push(readRecurrent(layer, where(layer), fail, notes));
        return;
      }
      case "Dense":
      case "TimeDistributed": {
        if (found.dense !== null) fail(`${where(layer)}: a second Dense layer after '${found.dense.layer.name}'; rnnkit's topologies have one Linear head`);
        if (recurrent.length === 0) fail(`${where(layer)} comes before any recurrent layer; supported: ${SUPPORTED_LAYERS}, in that order`);
        found.dense = readDense(layer, where(layer), fail, notes);
        return;
      }
      default:
        return fail(`${where(layer)} is not supported; supported: ${SUPPORTED_LAYERS}`);
    }
  });
  if (found.inputSize === null) fail("no InputLayer and no batch_input_shape on the first layer: the input size I is unknown");
  if (recurrent.length === 0) fail(`no recurrent layer; supported: ${SUPPORTED_LAYERS}`);
  const head = found.dense;
  if (head === null) fail(`the model does not end in a Dense layer; rnnkit's SequenceToSequence / SequenceToVector end in a Linear head`);
  const first = recurrent[0];
  recurrent.forEach((r, k) => {
    for (const key of ["cell", "nonlinearity", "units", "bias", "bidirectional"] as const) {
      if (r[key] !== first[key]) {
        fail(
          `${where(r.layer)}: ${key} ${String(r[key])} differs from layer '${first.layer.name}' (${String(first[key])}); ` +
            "rnnkit's layer stack has one cell, activation, width, bias setting and direction count for all layers",
        );
      }
    }
    if (k < recurrent.length - 1 && !r.returnSequences) fail(`${where(r.layer)}: return_sequences false below another recurrent layer`);
  });
  const top = recurrent[recurrent.length - 1];
  const dh = head as DenseRead;
  if (dh.layer.className === "TimeDistributed" && !top.returnSequences) {
    fail(`${where(dh.layer)}: TimeDistributed needs a sequence, but '${top.layer.name}' has return_sequences false`);
  }

  // ---- weights: manifest, bytes, then every weight a layer needs ----
  const { weights, bytes } = readWeights(root.weightsManifest, weightData, fail);
  const I = found.inputSize as number;
  const { cell, nonlinearity, units: H, bias, bidirectional } = first;
  const L = recurrent.length, D = bidirectional ? 2 : 1, G = TFJS_GATE_SOURCE[cell].length, O = dh.units;
  const take = (owner: LayerJson, direction: "forward_" | "backward_" | null, role: string, shape: number[]): Float32Array => {
    const found = weights.filter((w) => {
      const parts = w.name.replace(/:0$/, "").split("/");
      if (parts[0] !== owner.name || parts[parts.length - 1] !== role) return false;
      return direction === null ? true : parts.length >= 3 && parts[1].startsWith(direction);
    });
    const what = `${where(owner)}${direction === null ? "" : ` ${direction.slice(0, -1)}`} ${role}`;
    if (found.length === 0) fail(`${what}: no weight named '${owner.name}/${direction === null ? "" : `${direction}…/`}${role}' in weightsManifest`);
    if (found.length > 1) fail(`${what}: several weights match (${found.map((w) => `'${w.name}'`).join(", ")})`);
    const w = found[0];
    if (w.shape.length !== shape.length || w.shape.some((n, j) => n !== shape[j])) {
      fail(`${what}: weight '${w.name}' has shape ${JSON.stringify(w.shape)}, expected ${JSON.stringify(shape)}`);
    }
    w.used = true;
    return readFloat32(bytes, w.offset, shape.reduce((a, b) => a * b, 1));
  };
  const dict: StateDict = {};
  recurrent.forEach((r, k) => {
    const Ik = k === 0 ? I : D * H;
    for (let d = 0; d < D; d++) {
      const suffix = `l${k}${d === 1 ? "_reverse" : ""}`;
      const direction = D === 1 ? null : d === 0 ? "forward_" : "backward_";
      const kernel = take(r.layer, direction, "kernel", [Ik, G * H]);
      const recurrentKernel = take(r.layer, direction, "recurrent_kernel", [H, G * H]);
      dict[`rnn.weight_ih_${suffix}`] = { shape: [G * H, Ik], data: fromTfjsGateOrder(cell, transpose2d(kernel, Ik, G * H), H) };
      dict[`rnn.weight_hh_${suffix}`] = { shape: [G * H, H], data: fromTfjsGateOrder(cell, transpose2d(recurrentKernel, H, G * H), H) };
      if (bias) {
        dict[`rnn.bias_ih_${suffix}`] = { shape: [G * H], data: fromTfjsGateOrder(cell, take(r.layer, direction, "bias", [G * H]), H) };
        dict[`rnn.bias_hh_${suffix}`] = { shape: [G * H], data: new Float32Array(G * H) };
      }
    }
  });
  dict["head.weight"] = { shape: [O, D * H], data: transpose2d(take(dh.layer, null, "kernel", [D * H, O]), D * H, O) };
  dict["head.bias"] = { shape: [O], data: take(dh.layer, null, "bias", [O]) };
  const unused = weights.filter((w) => !w.used);
  if (unused.length > 0) fail(`weight '${unused[0].name}' in weightsManifest belongs to no imported layer`);

  // ---- build ----
  const options = {
    cell, ...(nonlinearity === undefined ? {} : { nonlinearity }), inputSize: I, hiddenSize: H, numLayers: L, bidirectional,
    batchFirst: true, bias, outputSize: O, dtype: "float32" as const,
  };
  // The generator only fills weights that loadStateDict overwrites next.
  const topologyModel = top.returnSequences ? new SequenceToSequence({ ...options, rng: new Rng(0) }) : new SequenceToVector({ ...options, rng: new Rng(0) });
  topologyModel.loadStateDict(dict);
  if (bias) notes.push("each recurrent bias was read into bias_ih; bias_hh is zero (TF.js keeps one bias per layer)");
  const model = dh.activation === "linear" ? topologyModel : new TfjsOutputActivationModule(topologyModel, dh.activation);
  return { model, spec: topologyModel.modelSpec(), outputActivation: dh.activation, notes };
}

/** The layers of modelTopology in chain order (a Sequential's list, or a functional Model checked to be one chain). */
function readChain(topo: Record<string, unknown>, fail: (part: string) => never): LayerJson[] {
  const className = topo.class_name;
  if (className !== "Sequential" && className !== "Model" && className !== "Functional") {
    fail(`modelTopology.class_name ${show(className)} is not "Sequential" or "Model"`);
  }
  const config = topo.config;
  const list = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(list) || list.length === 0) fail("modelTopology.config.layers must be a non-empty array");
  const layers = (list as unknown[]).map((l, k): LayerJson => {
    if (!isObject(l) || typeof l.class_name !== "string" || !isObject(l.config)) {
      return fail(`modelTopology.config.layers[${k}] must be { class_name, config }, got ${show(l)}`);
    }
    const name = l.config.name ?? l.name;
    if (typeof name !== "string" || name === "") return fail(`modelTopology.config.layers[${k}] (${l.class_name}) has no name`);
    return { className: l.class_name, name, config: l.config };
  });
  if (className === "Sequential") return layers;
  // Functional: layer k's only input is layer k − 1, and the last layer is the only output.
  const cfg = config as Record<string, unknown>;
  (list as Array<Record<string, unknown>>).forEach((l, k) => {
    const inbound = l.inbound_nodes;
    const want = k === 0 ? null : layers[k - 1].name;
    const ok =
      want === null
        ? inbound === undefined || (Array.isArray(inbound) && inbound.length === 0)
        : Array.isArray(inbound) && inbound.length === 1 && Array.isArray(inbound[0]) && inbound[0].length === 1 &&
          Array.isArray(inbound[0][0]) && inbound[0][0][0] === want;
    if (!ok) {
      fail(
        `modelTopology layer '${layers[k].name}' (${layers[k].className}): inbound_nodes ${JSON.stringify(inbound)} ` +
          `${want === null ? "should be empty (the input)" : `should be the previous layer '${want}' only`}; only a linear chain of layers is supported`,
      );
    }
  });
  const outputs = cfg.output_layers;
  const last = layers[layers.length - 1].name;
  if (!Array.isArray(outputs) || outputs.length !== 1 || !Array.isArray(outputs[0]) || outputs[0][0] !== last) {
    fail(`modelTopology.config.output_layers ${JSON.stringify(outputs)} must be the last layer '${last}' only`);
  }
  return layers;
}

/** A SimpleRNN / LSTM, bare or in Bidirectional; refuses GRU and every setting rnnkit cannot express. */
function readRecurrent(layer: LayerJson, where: string, fail: (part: string) => never, notes: string[]): RecurrentLayerRead {
  let inner = layer;
  let bidirectional = false;
  if (layer.className === "Bidirectional") {
    const wrapped = layer.config.layer;
    if (!isObject(wrapped) || typeof wrapped.class_name !== "string" || !isObject(wrapped.config)) {
      return fail(`${where}: config.layer must be { class_name, config }, got ${show(wrapped)}`);
    }
    if (layer.config.merge_mode !== "concat") {
      fail(`${where}: merge_mode ${show(layer.config.merge_mode)} is not supported; rnnkit concatenates the directions ("concat")`);
    }
    inner = { className: wrapped.class_name, name: String(wrapped.config.name ?? "layer"), config: wrapped.config };
    bidirectional = true;
  }
  const c = inner.config;
  const at = bidirectional ? `${where}, inner ${inner.className}` : where;
  switch (inner.className) {
    case "GRU":
      return fail(`${at}: ${TFJS_IMPORT_GRU_REFUSAL}; supported: ${SUPPORTED_LAYERS}`);
    case "SimpleRNN":
    case "LSTM":
      break;
    default:
      return fail(`${at} is not supported inside Bidirectional; supported: SimpleRNN, LSTM`);
  }
  const cell = inner.className === "LSTM" ? "lstm" : "rnn";
  const activation = c.activation ?? "tanh";
  let nonlinearity: RnnActivation | undefined;
  if (cell === "lstm") {
    if (activation !== "tanh") fail(`${at}: activation ${show(activation)} is not supported; rnnkit's LSTM uses tanh`);
    const rec = c.recurrent_activation ?? "hard_sigmoid";
    if (rec === "hard_sigmoid" || rec === "hardSigmoid") {
      fail(
        `${at}: recurrent_activation hard_sigmoid, TF.js's default, is not supported yet by rnnkit's LSTM; ` +
          "re-create the model with recurrentActivation: 'sigmoid'",
      );
    }
    if (rec !== "sigmoid") fail(`${at}: recurrent_activation ${show(rec)} is not supported; rnnkit's LSTM uses sigmoid`);
  } else {
    if (activation !== "tanh" && activation !== "relu" && activation !== "sigmoid") {
      fail(`${at}: activation ${show(activation)} is not supported; rnnkit's RNN has tanh, relu, sigmoid`);
    }
    nonlinearity = activation;
  }
  const units = c.units;
  if (!Number.isInteger(units) || (units as number) < 1) fail(`${at}: units ${show(units)} must be a positive integer`);
  const flag = (key: string, fallback: boolean): boolean => {
    const v = c[key] ?? fallback;
    if (typeof v !== "boolean") return fail(`${at}: ${key} ${show(v)} must be a boolean`);
    return v;
  };
  if (flag("stateful", false)) fail(`${at}: stateful true is not supported; rnnkit starts every batch from a zero state (pass state explicitly)`);
  if (flag("return_state", false)) fail(`${at}: return_state true is not supported in a chain of layers`);
  if (flag("go_backwards", false)) {
    fail(`${at}: go_backwards true is not supported (it reverses the output too); use Bidirectional, or reverse the input yourself`);
  }
  for (const key of ["dropout", "recurrent_dropout"]) {
    const v = c[key];
    if (typeof v === "number" && v > 0) notes.push(`${at}: ${key} ${v} skipped: dropout is the identity at inference, and rnnkit's layers have none`);
  }
  notePenalties(c, at, notes, ["kernel", "recurrent", "bias", "activity"]);
  return {
    layer, cell, nonlinearity, units: units as number, bias: flag("use_bias", true), bidirectional, returnSequences: flag("return_sequences", false),
  };
}

/** Dense or TimeDistributed(Dense): the head. */
function readDense(layer: LayerJson, where: string, fail: (part: string) => never, notes: string[]): DenseRead {
  let c = layer.config;
  if (layer.className === "TimeDistributed") {
    const wrapped = c.layer;
    if (!isObject(wrapped) || wrapped.class_name !== "Dense" || !isObject(wrapped.config)) {
      const cls = isObject(wrapped) ? wrapped.class_name : undefined;
      return fail(`${where}: wraps ${show(cls)}; supported: TimeDistributed(Dense)`);
    }
    c = wrapped.config;
  }
  const units = c.units;
  if (!Number.isInteger(units) || (units as number) < 1) fail(`${where}: units ${show(units)} must be a positive integer`);
  if ((c.use_bias ?? true) !== true) {
    fail(`${where}: use_bias false is not supported; rnnkit's topologies have a Linear head with a bias (re-create the Dense with useBias: true)`);
  }
  const activation = c.activation ?? "linear";
  if (activation !== "linear" && activation !== "softmax" && activation !== "sigmoid" && activation !== "tanh" && activation !== "relu") {
    fail(`${where}: activation ${show(activation)} is not supported; supported: linear, softmax, sigmoid, tanh, relu`);
  }
  if (activation !== "linear") notes.push(`${where}: activation ${activation as string} applied by TfjsOutputActivationModule around the topology`);
  notePenalties(c, where, notes, ["kernel", "bias", "activity"]);
  return { layer, units: units as number, activation: activation as TfjsOutputActivation };
}

/** Regularizers and constraints only act in TF.js's training: noted, not kept. */
function notePenalties(c: Record<string, unknown>, at: string, notes: string[], prefixes: string[]): void {
  for (const p of prefixes) {
    for (const kind of ["regularizer", "constraint"]) {
      const v = c[`${p}_${kind}`];
      if (v !== undefined && v !== null) notes.push(`${at}: ${p}_${kind} ignored (it acts only in TF.js's training)`);
    }
  }
}

/** The manifest's weights with their byte offsets, and the weight data checked against it. */
function readWeights(
  manifest: unknown, weightData: Uint8Array | readonly Uint8Array[], fail: (part: string) => never,
): { weights: WeightRead[]; bytes: Uint8Array } {
  if (!Array.isArray(manifest) || manifest.length === 0) fail(`weightsManifest must be a non-empty array, got ${show(manifest)}`);
  const groups = manifest as unknown[];
  const weights: WeightRead[] = [];
  const groupBytes: number[] = [];
  const paths: string[] = [];
  let offset = 0;
  groups.forEach((g, gi) => {
    if (!isObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) fail(`weightsManifest[${gi}] must be { paths, weights }`);
    const group = g as { paths: unknown[]; weights: unknown[] };
    group.paths.forEach((p, pi) => {
      if (typeof p !== "string" || p === "") fail(`weightsManifest[${gi}].paths[${pi}] must be a file name, got ${show(p)}`);
      paths.push(p as string);
    });
    let size = 0;
    group.weights.forEach((w, wi) => {
      const at = `weightsManifest[${gi}].weights[${wi}]`;
      if (!isObject(w) || typeof w.name !== "string" || !Array.isArray(w.shape)) return fail(`${at} must be { name, shape, dtype }, got ${show(w)}`);
      if (!w.shape.every((n) => Number.isInteger(n) && (n as number) >= 0)) fail(`${at} '${w.name}': shape ${JSON.stringify(w.shape)} is not a list of sizes`);
      if (w.dtype !== "float32") fail(`${at} '${w.name}': dtype ${show(w.dtype)} is not supported; float32 only`);
      if (w.quantization !== undefined && w.quantization !== null) {
        fail(`${at} '${w.name}': quantized weights are not supported; convert without quantization`);
      }
      weights.push({ name: w.name, shape: w.shape as number[], offset, used: false });
      const n = 4 * (w.shape as number[]).reduce((a, b) => a * b, 1);
      offset += n;
      size += n;
    });
    groupBytes.push(size);
  });
  const seen = new Set<string>();
  for (const w of weights) {
    if (seen.has(w.name)) fail(`weightsManifest: weight '${w.name}' is listed twice`);
    seen.add(w.name);
  }
  const shards: readonly Uint8Array[] = weightData instanceof Uint8Array ? [weightData] : weightData;
  if (!Array.isArray(shards) || !shards.every((s) => s instanceof Uint8Array)) fail("the weight data must be a Uint8Array or an array of them");
  if (!(weightData instanceof Uint8Array) && shards.length !== paths.length) {
    fail(`${shards.length} weight files given, but weightsManifest lists ${paths.length} (${paths.join(", ")})`);
  }
  let total = 0;
  for (const s of shards) total += s.length;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const s of shards) {
    bytes.set(s, at);
    at += s.length;
  }
  if (total < offset) {
    const w = weights.find((v) => v.offset + 4 * v.shape.reduce((a, b) => a * b, 1) > total) as WeightRead;
    fail(
      `weight '${w.name}' ${JSON.stringify(w.shape)} needs bytes ${w.offset}..${w.offset + 4 * w.shape.reduce((a, b) => a * b, 1)} ` +
        `but the weight data (${paths.join(", ")}) holds ${total} bytes; the manifest declares ${offset}`,
    );
  }
  if (total > offset) fail(`the weight data (${paths.join(", ")}) holds ${total} bytes, ${total - offset} more than the ${offset} the manifest declares`);
  if (!(weightData instanceof Uint8Array)) {
    // Shards are per path; a group's weights span its own paths exactly.
    let p = 0;
    groups.forEach((g, gi) => {
      const n = (g as { paths: unknown[] }).paths.length;
      const got = shards.slice(p, p + n).reduce((a, s) => a + s.length, 0);
      if (got !== groupBytes[gi]) fail(`weightsManifest[${gi}] declares ${groupBytes[gi]} bytes, its files hold ${got}`);
      p += n;
    });
  }
  return { weights, bytes };
}

/** count float32 little-endian values from bytes at offset. */
function readFloat32(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let j = 0; j < count; j++) out[j] = view.getFloat32(offset + 4 * j, true);
  return out;
}

/** x [R, C] row-major → xᵀ [C, R]. */
function transpose2d(x: Float32Array, R: number, C: number): Float32Array {
  const out = new Float32Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = x[r * C + c];
  return out;
}

/**
 * A TF.js-ordered weight [G·H, C] or bias [G·H] back to PyTorch's (rnnkit's) gate order: the
 * inverse of `toTfjsGateOrder` (TF.js block k goes to PyTorch block TFJS_GATE_SOURCE[k]).
 */
export function fromTfjsGateOrder(cell: CellKind, data: Float32Array, hiddenSize: number): Float32Array {
  return moveGateBlocks(`fromTfjsGateOrder (${cell})`, TFJS_GATE_SOURCE[cell], data, hiddenSize, "in");
}
