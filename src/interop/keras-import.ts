/**
 * The one Keras-topology importer: a model config (any dialect, ./keras-config.ts) and its
 * weights, as every container (TF.js model.json, `.keras`, `.h5`) hands them over, into a
 * trainable rnnkit module. Platform-neutral and synchronous; the containers are read by
 * ./keras-files.ts and ./tfjs-import.ts.
 *
 *   a chain  input → (Embedding, when the input is token ids) → L alike recurrent layers
 *            (concat if bidirectional, no go_backwards, return_sequences below the top) →
 *            Dense with a bias, Dropout anywhere
 *     → SequenceToSequence / SequenceToVector (batchFirst; with vocabSize + embeddingSize
 *       and `embedding.weight` for the Embedding), in TfjsOutputActivationModule
 *       when the Dense has a non-linear activation: what ONNX / TF.js export can write
 *   any other graph of the supported layers (one input, one output)
 *     → KerasLayersModel (./keras-layers-model.ts), a registered model type
 *
 * Everything is read and checked — every layer and option, every width along every edge,
 * every weight's shape, and that no weight is left over — before any module is built.
 */
import { Rng } from "../tensor/random.js";
import type { Module, StateDict } from "../nn/module.js";
import { SequenceToSequence, SequenceToVector } from "../nn/topologies.js";
import type { ModelSpec } from "../io/model-file.js";
import { batchShapeOf, isObject, readKerasGraph, type Fail, type KerasDialect, type KerasLayer, type KerasSource, type KerasWeight } from "./keras-config.js";
import {
  LayerWeights, MERGE_LAYERS, readDenseLayer, readDropoutLayer, readEmbeddingLayer, readMergeLayer, readRecurrentLayer, recurrentWeights, transpose2d,
} from "./keras-layers.js";
import { KerasLayersModel, type KerasInputSpec, type KerasLayersOptions, type KerasNodeSpec } from "./keras-layers-model.js";
import { TfjsOutputActivationModule, type TfjsOutputActivation } from "./output-activation.js";

/** The layers read, for messages. */
export const SUPPORTED_KERAS_LAYERS =
  "InputLayer, LSTM (tanh, recurrent_activation sigmoid or hard_sigmoid), GRU (the same, reset_after true or false), SimpleRNN (tanh, relu, sigmoid), " +
  "Bidirectional around them (merge_mode concat, sum, mul, ave), Embedding, Dense / TimeDistributed(Dense) " +
  "(linear, softmax, sigmoid, tanh, relu), Dropout, Add, Subtract, Multiply, Average, Concatenate";

export interface ImportedKerasModel {
  /**
   * SequenceToSequence / SequenceToVector (batchFirst) for a chain with a linear Dense, a
   * TfjsOutputActivationModule around one for a chain with another Dense activation, or a
   * KerasLayersModel for any other graph.
   */
  model: Module;
  /** The type and options an rnnkit model file records for it. */
  spec: ModelSpec;
  /**
   * The activation applied outside what `spec` records: the Dense's activation of a chain
   * (TfjsOutputActivationModule), "linear" otherwise (KerasLayersModel keeps its activations).
   */
  outputActivation: TfjsOutputActivation;
  /** What was read but has no effect in rnnkit (dropout, regularizers, …), one line each. */
  notes: string[];
  /** Which Keras wrote the file (it decides what hard_sigmoid and GRU's defaults mean). */
  dialect: KerasDialect;
}

/** What flows along an edge of the graph while reading it. */
interface Edge {
  /** The node (or input) whose value it is. */
  ref: string;
  kind: "tokens" | "sequence" | "vector";
  width: number;
}

/**
 * Reads `source` (see the header) into a module; `fail` throws the caller's error with the
 * file's name, and is given the part and what was expected.
 */
export function importKerasSource(source: KerasSource, fail: Fail): ImportedKerasModel {
  const graph = readKerasGraph(source.config, fail);
  if (graph.inputs.length !== 1) fail(`the model has ${graph.inputs.length} inputs (${graph.inputs.join(", ")}); one input is supported`);
  if (graph.outputs.length !== 1) fail(`the model has ${graph.outputs.length} outputs (${graph.outputs.join(", ")}); one output is supported`);
  const reader = new GraphReader(source, graph.inputs, fail);
  for (const layer of graph.layers) reader.read(layer);
  const { input, nodes, dict, notes } = reader;
  const out = reader.edges.get(graph.outputs[0]) as Edge;
  if (input === null) return fail("no InputLayer: the input is unknown");
  if (nodes.length === 0 || out.kind === "tokens") fail(`the model's output '${graph.outputs[0]}' is its input; there is nothing to import`);
  const unused = source.weights.filter((w) => !reader.used.has(w) && !reader.dropouts.has(w.layer));
  if (unused.length > 0) fail(`weight '${unused[0].path}' in ${source.weightsPart} belongs to no imported layer`);
  const options: KerasLayersOptions = { input, nodes, output: out.ref };

  const chain = asChain(options);
  if (chain !== null) return { ...buildChain(chain, dict), notes, dialect: source.dialect };
  const model = new KerasLayersModel(options, new Rng(0));
  model.loadStateDict(dict);
  return { model, spec: model.modelSpec(), outputActivation: "linear", notes, dialect: source.dialect };
}

/**
 * Reads the graph's layers one by one (producers first) into KerasLayersModel nodes and their
 * weights in rnnkit's names, following the kind and width of every edge. Builds nothing.
 */
class GraphReader {
  readonly edges = new Map<string, Edge>();
  readonly nodes: KerasNodeSpec[] = [];
  readonly dict: StateDict = {};
  readonly notes: string[];
  readonly used = new Set<KerasWeight>();
  /** Dropout layers: any weights they have (none in the files seen) are not left-over weights. */
  readonly dropouts = new Set<string>();
  input: KerasInputSpec | null = null;
  readonly #weights: LayerWeights;
  readonly #moduleNames = new Set<string>();

  constructor(private readonly source: KerasSource, private readonly inputs: string[], private readonly fail: Fail) {
    this.notes = [...(source.notes ?? [])];
    this.#weights = new LayerWeights(source.weights, this.used, source.weightsPart, fail);
  }

  /** A unique sub-module name for a Keras layer name (letters, digits, _). */
  #moduleName(keras: string): string {
    let base = keras.replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z_]/.test(base)) base = `l_${base}`;
    base = base.slice(0, 120);
    let name = base;
    for (let k = 1; this.#moduleNames.has(name); k++) name = `${base}_${k}`;
    this.#moduleNames.add(name);
    return name;
  }

  read(layer: KerasLayer): void {
    const at = `layer '${layer.name}' (${layer.className})`;
    const policy = dtypePolicyName(layer.config.dtype);
    if (layer.className !== "InputLayer" && policy !== null && policy !== "float32") {
      this.notes.push(`${at}: dtype policy ${policy}: rnnkit computes in float32, so outputs differ from Keras's by that policy's round-off`);
    }
    const inbound = layer.inbound.map((p) => this.edges.get(p) as Edge);
    let out: Edge;
    switch (layer.className) {
      case "InputLayer":
        out = this.#input(layer, at);
        break;
      case "LSTM":
      case "GRU":
      case "SimpleRNN":
      case "Bidirectional":
        out = this.#recurrent(layer, at, this.#sequenceIn(layer, at, inbound, "recurrent layers read sequences"));
        break;
      case "Dense":
      case "TimeDistributed":
        out = this.#dense(layer, at, inbound);
        break;
      case "Embedding":
        out = this.#embedding(layer, at, this.#single(at, inbound));
        break;
      case "Dropout":
        readDropoutLayer(layer, at, this.fail, this.notes);
        this.dropouts.add(layer.name);
        out = this.#single(at, inbound);
        break;
      default:
        out = this.#merge(layer, at, inbound);
    }
    this.edges.set(layer.name, out);
  }

  #single(at: string, inbound: Edge[]): Edge {
    if (inbound.length !== 1) this.fail(`${at} reads ${inbound.length} tensors; it takes one`);
    return inbound[0];
  }

  #sequenceIn(layer: KerasLayer, at: string, inbound: Edge[], why: string): Edge {
    const x = this.#single(at, inbound);
    if (x.kind !== "sequence") {
      this.fail(`${at} needs a sequence [B, T, F] as input, but '${layer.inbound[0]}' gives ${x.kind === "tokens" ? "token ids [B, T] (add an Embedding)" : "a vector [B, F] (return_sequences false?)"}; ${why}`);
    }
    return x;
  }

  #input(layer: KerasLayer, at: string): Edge {
    if (!this.inputs.includes(layer.name)) this.fail(`${at} is not among the model's input_layers`);
    const shape = batchShapeOf(layer.config);
    const dtype = typeof layer.config.dtype === "string" ? layer.config.dtype : "float32";
    if (Array.isArray(shape) && shape.length === 3 && Number.isInteger(shape[2]) && (shape[2] as number) >= 1 && !/int/.test(dtype)) {
      this.input = { name: this.#moduleName(layer.name), kind: "sequence", size: shape[2] as number };
      return { ref: this.input.name, kind: "sequence", width: this.input.size };
    }
    if (Array.isArray(shape) && shape.length === 2) {
      this.input = { name: this.#moduleName(layer.name), kind: "tokens" };
      return { ref: this.input.name, kind: "tokens", width: 0 };
    }
    return this.fail(`${at}: input shape ${JSON.stringify(shape)} (${dtype}) is not supported; expected [null, T | null, I] float features or [null, T | null] token ids`);
  }

  #recurrent(layer: KerasLayer, at: string, x: Edge): Edge {
    const r = readRecurrentLayer(layer, this.source.dialect, at, this.fail, this.notes);
    const name = this.#moduleName(layer.name);
    Object.assign(this.dict, recurrentWeights(r, layer, at, x.width, this.#weights, `${name}.`));
    this.nodes.push({
      op: "recurrent", name, input: x.ref, cell: r.cell, ...(r.nonlinearity === undefined ? {} : { nonlinearity: r.nonlinearity }),
      // Written only when not the default, so graphs of sigmoid, reset-after layers keep their options.
      ...(r.gateActivation === undefined || r.gateActivation === "sigmoid" ? {} : { gateActivation: r.gateActivation }),
      ...(r.resetAfter === false ? { resetAfter: false } : {}),
      inputSize: x.width, hiddenSize: r.units, bias: r.bias, bidirectional: r.bidirectional, merge: r.merge,
      returnSequences: r.returnSequences, goBackwards: r.goBackwards,
    });
    return { ref: name, kind: r.returnSequences ? "sequence" : "vector", width: r.bidirectional && r.merge === "concat" ? 2 * r.units : r.units };
  }

  #dense(layer: KerasLayer, at: string, inbound: Edge[]): Edge {
    const d = readDenseLayer(layer, at, this.fail, this.notes);
    const x = d.timeDistributed ? this.#sequenceIn(layer, at, inbound, "TimeDistributed applies its layer at every step") : this.#single(at, inbound);
    if (x.kind === "tokens") this.fail(`${at} reads token ids from '${layer.inbound[0]}'; add an Embedding first`);
    const name = this.#moduleName(layer.name);
    const kernel = this.#weights.take(layer.name, at, null, "kernel", 0, [x.width, d.units]);
    this.dict[`${name}.weight`] = { shape: [d.units, x.width], data: transpose2d(kernel, x.width, d.units) };
    if (d.bias) this.dict[`${name}.bias`] = { shape: [d.units], data: this.#weights.take(layer.name, at, null, "bias", 1, [d.units]) };
    this.nodes.push({ op: "dense", name, input: x.ref, inFeatures: x.width, units: d.units, bias: d.bias, activation: d.activation });
    return { ref: name, kind: x.kind, width: d.units };
  }

  #embedding(layer: KerasLayer, at: string, x: Edge): Edge {
    const e = readEmbeddingLayer(layer, at, this.fail, this.notes);
    if (x.kind !== "tokens") {
      this.fail(`${at} reads token ids, but '${layer.inbound[0]}' gives float ${x.kind === "sequence" ? "sequences" : "vectors"}; an Embedding must read the model's integer input`);
    }
    const name = this.#moduleName(layer.name);
    this.dict[`${name}.weight`] = { shape: [e.vocabulary, e.size], data: this.#weights.take(layer.name, at, null, "embeddings", 0, [e.vocabulary, e.size]) };
    this.nodes.push({ op: "embedding", name, input: x.ref, vocabulary: e.vocabulary, size: e.size });
    return { ref: name, kind: "sequence", width: e.size };
  }

  /** Add, Subtract, Multiply, Average, Concatenate; any other class is refused here. */
  #merge(layer: KerasLayer, at: string, inbound: Edge[]): Edge {
    const mode = MERGE_LAYERS[layer.className];
    if (mode === undefined) return this.fail(`${at} is not supported; supported: ${SUPPORTED_KERAS_LAYERS}`);
    readMergeLayer(layer, at, this.fail, this.notes);
    if (inbound.length < 2 || (mode === "subtract" && inbound.length !== 2)) this.fail(`${at} reads ${inbound.length} tensors; it merges ${mode === "subtract" ? "two" : "two or more"}`);
    if (inbound.some((x) => x.kind === "tokens" || x.kind !== inbound[0].kind)) {
      this.fail(`${at}: its inputs (${layer.inbound.join(", ")}) must all be sequences [B, T, F] or all vectors [B, F]`);
    }
    if (mode !== "concatenate" && inbound.some((x) => x.width !== inbound[0].width)) {
      this.fail(`${at}: its inputs have widths ${inbound.map((x) => x.width).join(", ")}; ${layer.className} needs one width`);
    }
    const name = this.#moduleName(layer.name);
    this.nodes.push({ op: "merge", name, inputs: inbound.map((x) => x.ref), mode });
    return { ref: name, kind: inbound[0].kind, width: mode === "concatenate" ? inbound.reduce((a, x) => a + x.width, 0) : inbound[0].width };
  }
}

/** A layer's dtype policy name: Keras 2 / TF.js write a string, Keras 3 `{class_name: "DTypePolicy", config: {name}}`. */
function dtypePolicyName(dtype: unknown): string | null {
  if (typeof dtype === "string") return dtype;
  if (isObject(dtype) && isObject(dtype.config) && typeof dtype.config.name === "string") return dtype.config.name;
  return null;
}

type RecurrentNode = Extract<KerasNodeSpec, { op: "recurrent" }>;
type DenseNode = Extract<KerasNodeSpec, { op: "dense" }>;
type EmbeddingNode = Extract<KerasNodeSpec, { op: "embedding" }>;

/** The graph as a stack with a head, when SequenceToSequence / SequenceToVector express it exactly; else null. */
function asChain(o: KerasLayersOptions): { layers: RecurrentNode[]; head: DenseNode; inputSize: number; embedding: EmbeddingNode | null } | null {
  // Token ids enter through one Embedding that reads the input; the stack then reads its vectors.
  const embedding = o.input.kind === "tokens" && o.nodes[0]?.op === "embedding" && o.nodes[0].input === o.input.name ? o.nodes[0] : null;
  if (o.input.kind === "tokens" && embedding === null) return null;
  const nodes = embedding === null ? o.nodes : o.nodes.slice(1);
  if (nodes.length < 2) return null;
  const layers = nodes.slice(0, -1);
  const head = nodes[nodes.length - 1];
  if (head.op !== "dense" || !head.bias || o.output !== head.name) return null;
  let prev = embedding?.name ?? o.input.name;
  const first = layers[0];
  for (const [k, n] of layers.entries()) {
    if (n.op !== "recurrent" || first.op !== "recurrent" || n.input !== prev || n.goBackwards) return null;
    if (n.bidirectional && n.merge !== "concat") return null;
    if (n.cell !== first.cell || n.nonlinearity !== first.nonlinearity || n.gateActivation !== first.gateActivation || n.resetAfter !== first.resetAfter) return null;
    if (n.hiddenSize !== first.hiddenSize || n.bias !== first.bias || n.bidirectional !== first.bidirectional) return null;
    if (k < layers.length - 1 && !n.returnSequences) return null;
    prev = n.name;
  }
  if (head.input !== prev) return null;
  const inputSize = o.input.kind === "sequence" ? o.input.size : embedding!.size;
  return { layers: layers as RecurrentNode[], head, inputSize, embedding };
}

/** The chain built as a topology, its parameters renamed from the graph's (`<node>.weight_ih_l0`) to the stack's (`rnn.weight_ih_l{k}`). */
function buildChain(chain: NonNullable<ReturnType<typeof asChain>>, dict: StateDict): Omit<ImportedKerasModel, "notes" | "dialect"> {
  const { layers, head, inputSize, embedding } = chain;
  const first = layers[0];
  const renamed: StateDict = {};
  if (embedding !== null) renamed["embedding.weight"] = dict[`${embedding.name}.weight`];
  layers.forEach((n, k) => {
    for (const [key, t] of Object.entries(dict)) {
      const m = key.startsWith(`${n.name}.`) ? /^(weight|bias)_(ih|hh)_l0(_reverse)?$/.exec(key.slice(n.name.length + 1)) : null;
      if (m !== null) renamed[`rnn.${m[1]}_${m[2]}_l${k}${m[3] ?? ""}`] = t;
    }
  });
  renamed["head.weight"] = dict[`${head.name}.weight`];
  renamed["head.bias"] = dict[`${head.name}.bias`];
  const options = {
    cell: first.cell, ...(first.nonlinearity === undefined ? {} : { nonlinearity: first.nonlinearity }),
    ...(first.gateActivation === undefined ? {} : { gateActivation: first.gateActivation }), ...(first.resetAfter === undefined ? {} : { resetAfter: first.resetAfter }),
    ...(embedding === null ? { inputSize } : { vocabSize: embedding.vocabulary, embeddingSize: embedding.size }), hiddenSize: first.hiddenSize,
    numLayers: layers.length, bidirectional: first.bidirectional, batchFirst: true, bias: first.bias, outputSize: head.units, dtype: "float32" as const,
  };
  // The generator only fills weights that loadStateDict overwrites next.
  const top = layers[layers.length - 1];
  const topology = top.returnSequences ? new SequenceToSequence({ ...options, rng: new Rng(0) }) : new SequenceToVector({ ...options, rng: new Rng(0) });
  topology.loadStateDict(renamed);
  const model = head.activation === "linear" ? topology : new TfjsOutputActivationModule(topology, head.activation);
  return { model, spec: topology.modelSpec(), outputActivation: head.activation };
}

