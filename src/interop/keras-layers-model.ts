/**
 * KerasLayersModel: a Keras model's layer graph run on rnnkit modules — Embedding, RNN / LSTM /
 * GRU (one layer each, either direction count), Linear — and the merges between them, in graph
 * order. What `importKeras` / `importLayersModel` build when the model is more than the one
 * layer stack with a Linear head that SequenceToSequence / SequenceToVector express. Trainable
 * like any module, and a registered model type ("KerasLayersModel"): its options (below, a
 * JSON graph) are checked strictly by `checkKerasLayersOptions`, which also gives the
 * parameter shapes before anything is built, so model files round-trip bit for bit.
 *
 * Every tensor between nodes is batch-first, as in Keras: token ids [B, T], a sequence
 * [B, T, F] or a vector [B, F]. A recurrent node (Keras's LSTM / GRU / SimpleRNN, possibly
 * in Bidirectional):
 *
 *   x' = goBackwards ? x reversed in time : x
 *   o, h_n = layer(x')                        o [B, T, D·H], h_n [D, B, H]
 *   returnSequences: y = merge(o_fwd, o_bwd)  (o_bwd is already in input order, as Keras's)
 *   else:            y = merge(h_n[0], h_n[1])  (each direction's last state)
 *   merge: concat | sum (a + b) | mul (a ⊙ b) | ave ((a + b) / 2); D = 1: y = o or h_n[0]
 *
 * A go_backwards layer's output stays in its processing order (step t read x[T−1−t]), as in Keras.
 * LSTM / GRU nodes carry their gate activation (`gateActivation`, absent for sigmoid) and a
 * GRU its form (`resetAfter: false` for Keras's reset_after=False and TF.js's GRU), each
 * written only when not the default so that older files read unchanged.
 */
import type { Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";
import { Module } from "../nn/module.js";
import { Embedding } from "../nn/embedding.js";
import { Linear } from "../nn/linear.js";
import { RNN, LSTM, GRU } from "../nn/recurrent.js";
import { add, mul, scale, sub } from "../ops/elementwise.js";
import { concat, reshape, slice, split } from "../ops/movement.js";
import { recurrentParamShapes, type CellKind } from "../ops/recurrent.js";
import { GATE_ACTIVATIONS, type GateActivation, type RnnActivation } from "../backend/kernels.js";
import { registerModelType } from "../io/model-file.js";
import { MAX_MODEL_SIZE } from "../io/model-schema.js";
import { describeValue } from "../util/check.js";
import { applyDenseActivation, type TfjsOutputActivation } from "./output-activation.js";

/** Activations of a Dense node. */
export type KerasDenseActivation = TfjsOutputActivation;
/** How a Bidirectional node joins its two directions. */
export type KerasMergeMode = "concat" | "sum" | "mul" | "ave";
/** Merge layers between branches (Keras's Add, Subtract, Multiply, Average, Concatenate on the last axis). */
export type KerasMergeLayer = "add" | "subtract" | "multiply" | "average" | "concatenate";

/** The model's input: float features [B, T, size] or integer token ids [B, T] (for a first Embedding). */
export type KerasInputSpec = { name: string; kind: "sequence"; size: number } | { name: string; kind: "tokens" };

export type KerasNodeSpec =
  | { op: "embedding"; name: string; input: string; vocabulary: number; size: number }
  | {
    op: "recurrent"; name: string; input: string; cell: CellKind; nonlinearity?: RnnActivation; gateActivation?: GateActivation; resetAfter?: boolean;
    inputSize: number; hiddenSize: number;
    bias: boolean; bidirectional: boolean; merge: KerasMergeMode; returnSequences: boolean; goBackwards: boolean;
  }
  | { op: "dense"; name: string; input: string; inFeatures: number; units: number; bias: boolean; activation: KerasDenseActivation }
  | { op: "merge"; name: string; inputs: string[]; mode: KerasMergeLayer };

/** KerasLayersModel's options: the graph, nodes after their inputs. Node names are its sub-modules' names. */
export interface KerasLayersOptions {
  input: KerasInputSpec;
  nodes: KerasNodeSpec[];
  /** The node whose value the forward pass returns. */
  output: string;
}

/** What flows along an edge: its kind and last-axis width. */
interface Value {
  kind: "tokens" | "sequence" | "vector";
  width: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_NODES = 4096;

class KerasOptionsError extends Error {}

/**
 * Checks `options` strictly (every key known, every value of its type, every width agreeing
 * with its producer) and returns the parameters they imply (`namedParameters()` names →
 * shapes) without building anything. Throws an Error naming the node and the option.
 */
export function checkKerasLayersOptions(options: unknown): Record<string, number[]> {
  const fail = (msg: string): never => {
    throw new KerasOptionsError(`KerasLayersModel options: ${msg}`);
  };
  const obj = (v: unknown, what: string, keys: readonly string[], optional: readonly string[] = []): Record<string, unknown> => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return fail(`${what} must be an object, got ${describeValue(v)}`);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!keys.includes(k) && !optional.includes(k)) fail(`${what}: unknown key '${k}'`);
    for (const k of keys) if (!(k in o)) fail(`${what}: '${k}' is missing`);
    return o;
  };
  const size = (v: unknown, what: string): number =>
    Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_MODEL_SIZE ? (v as number) : fail(`${what} must be an integer in 1..${MAX_MODEL_SIZE}, got ${describeValue(v)}`);
  const bool = (v: unknown, what: string): boolean => (typeof v === "boolean" ? v : fail(`${what} must be true or false, got ${describeValue(v)}`));
  const oneOf = <T extends string>(v: unknown, what: string, values: readonly T[]): T =>
    values.includes(v as T) ? (v as T) : fail(`${what} must be one of ${values.join(", ")}, got ${describeValue(v)}`);

  const o = obj(options, "options", ["input", "nodes", "output"]);
  const values = new Map<string, Value>();
  const named = (v: unknown, what: string): string => {
    if (typeof v !== "string" || !NAME.test(v)) return fail(`${what} must be a name of letters, digits and _ (not starting with a digit), got ${describeValue(v)}`);
    if (values.has(v)) fail(`${what} '${v}' is used twice`);
    return v;
  };
  const read = (v: unknown, what: string): Value => {
    const value = typeof v === "string" ? values.get(v) : undefined;
    return value ?? fail(`${what} ${describeValue(v)} names no earlier node or the input`);
  };
  const input = o.input as Record<string, unknown>;
  const kind = oneOf(obj(input, "input", ["name", "kind"], ["size"]).kind, "input.kind", ["sequence", "tokens"] as const);
  if (kind === "tokens" && "size" in input) fail("input: token ids have no size");
  values.set(named(input.name, "input.name"), { kind, width: kind === "tokens" ? 0 : size(input.size, "input.size") });

  if (!Array.isArray(o.nodes) || o.nodes.length === 0 || o.nodes.length > MAX_NODES) fail(`nodes must be a list of 1..${MAX_NODES} nodes`);
  const shapes: Record<string, number[]> = {};
  (o.nodes as unknown[]).forEach((raw, k) => {
    const at = `nodes[${k}]`;
    const op = oneOf(obj(raw, at, ["op", "name"], ["input", "inputs", "vocabulary", "size", "cell", "nonlinearity", "gateActivation", "resetAfter", "inputSize", "hiddenSize", "bias", "bidirectional", "merge", "returnSequences", "goBackwards", "inFeatures", "units", "activation", "mode"]).op, `${at}.op`, ["embedding", "recurrent", "dense", "merge"] as const);
    const n = raw as Record<string, unknown>;
    const name = named(n.name, `${at}.name`);
    const where = `${at} '${name}' (${op})`;
    let out: Value;
    switch (op) {
      case "embedding": {
        obj(n, where, ["op", "name", "input", "vocabulary", "size"]);
        if (read(n.input, `${where}.input`).kind !== "tokens") fail(`${where}: reads token ids, but '${String(n.input)}' is not the token input`);
        const V = size(n.vocabulary, `${where}.vocabulary`), E = size(n.size, `${where}.size`);
        shapes[`${name}.weight`] = [V, E];
        out = { kind: "sequence", width: E };
        break;
      }
      case "recurrent": {
        const r = obj(n, where, ["op", "name", "input", "cell", "inputSize", "hiddenSize", "bias", "bidirectional", "merge", "returnSequences", "goBackwards"], ["nonlinearity", "gateActivation", "resetAfter"]);
        const x = read(r.input, `${where}.input`);
        const cell = oneOf(r.cell, `${where}.cell`, ["rnn", "lstm", "gru"] as const);
        const nonlinearity = r.nonlinearity === undefined ? undefined : oneOf(r.nonlinearity, `${where}.nonlinearity`, ["tanh", "relu", "sigmoid"] as const);
        if (cell !== "rnn" && nonlinearity !== undefined) fail(`${where}: nonlinearity is for cell "rnn" only`);
        const gateActivation = r.gateActivation === undefined ? undefined : oneOf(r.gateActivation, `${where}.gateActivation`, GATE_ACTIVATIONS);
        if (cell === "rnn" && gateActivation !== undefined) fail(`${where}: gateActivation is for cells "lstm" and "gru" only (an RNN has no gates)`);
        const resetAfter = r.resetAfter === undefined ? undefined : bool(r.resetAfter, `${where}.resetAfter`);
        if (cell !== "gru" && resetAfter !== undefined) fail(`${where}: resetAfter is for cell "gru" only`);
        const inputSize = size(r.inputSize, `${where}.inputSize`), H = size(r.hiddenSize, `${where}.hiddenSize`);
        const bias = bool(r.bias, `${where}.bias`), bidirectional = bool(r.bidirectional, `${where}.bidirectional`);
        const merge = oneOf(r.merge, `${where}.merge`, ["concat", "sum", "mul", "ave"] as const);
        const returnSequences = bool(r.returnSequences, `${where}.returnSequences`);
        bool(r.goBackwards, `${where}.goBackwards`);
        if (x.kind !== "sequence" || x.width !== inputSize) fail(`${where}: inputSize ${inputSize}, but '${String(r.input)}' gives ${x.kind === "sequence" ? `width ${x.width}` : `a ${x.kind}`}`);
        const spec = { cell, nonlinearity, gateActivation, resetAfter, inputSize, hiddenSize: H, numLayers: 1, bidirectional, bias, batchFirst: true };
        for (const [p, s] of Object.entries(recurrentParamShapes(spec))) shapes[`${name}.${p}`] = s;
        out = { kind: returnSequences ? "sequence" : "vector", width: bidirectional && merge === "concat" ? 2 * H : H };
        break;
      }
      case "dense": {
        obj(n, where, ["op", "name", "input", "inFeatures", "units", "bias", "activation"]);
        const x = read(n.input, `${where}.input`);
        const I = size(n.inFeatures, `${where}.inFeatures`), O = size(n.units, `${where}.units`);
        oneOf(n.activation, `${where}.activation`, ["linear", "softmax", "sigmoid", "tanh", "relu"] as const);
        if (x.kind === "tokens" || x.width !== I) fail(`${where}: inFeatures ${I}, but '${String(n.input)}' gives ${x.kind === "tokens" ? "token ids" : `width ${x.width}`}`);
        shapes[`${name}.weight`] = [O, I];
        if (bool(n.bias, `${where}.bias`)) shapes[`${name}.bias`] = [O];
        out = { kind: x.kind, width: O };
        break;
      }
      case "merge": {
        obj(n, where, ["op", "name", "inputs", "mode"]);
        const mode = oneOf(n.mode, `${where}.mode`, ["add", "subtract", "multiply", "average", "concatenate"] as const);
        if (!Array.isArray(n.inputs) || n.inputs.length < 2 || (mode === "subtract" && n.inputs.length !== 2)) {
          fail(`${where}: inputs must list ${mode === "subtract" ? "two" : "two or more"} nodes`);
        }
        const xs = (n.inputs as unknown[]).map((v, j) => read(v, `${where}.inputs[${j}]`));
        if (xs.some((x) => x.kind === "tokens" || x.kind !== xs[0].kind)) fail(`${where}: its inputs must all be sequences or all vectors`);
        if (mode !== "concatenate" && xs.some((x) => x.width !== xs[0].width)) fail(`${where}: ${mode} needs inputs of one width, got ${xs.map((x) => x.width).join(", ")}`);
        out = { kind: xs[0].kind, width: mode === "concatenate" ? xs.reduce((a, x) => a + x.width, 0) : xs[0].width };
        break;
      }
      default: {
        const unknown: never = op;
        return fail(`${at}: unknown op ${String(unknown)}`);
      }
    }
    values.set(name, out);
  });
  const output = read(o.output, "output");
  if (output.kind === "tokens") fail("output: the model's output cannot be its token input");
  return shapes;
}

/** x [B, T, F] with its time axis reversed (differentiable: slices and a concat). */
function reverseTime(x: Tensor): Tensor {
  const T = x.shape[1];
  if (T === 1) return x;
  return concat(split(x, 1, 1).reverse(), 1);
}

function mergeDirections(a: Tensor, b: Tensor, mode: KerasMergeMode): Tensor {
  switch (mode) {
    case "concat":
      return concat([a, b], a.rank - 1);
    case "sum":
      return add(a, b);
    case "mul":
      return mul(a, b);
    case "ave":
      return scale(add(a, b), 0.5);
    default: {
      const unknown: never = mode;
      throw new Error(`KerasLayersModel: unknown merge mode ${String(unknown)}`);
    }
  }
}

/**
 * A Keras layer graph on rnnkit modules (see the header); each node's module is registered
 * under the node's name, so its parameters are `<node>.weight_ih_l0`, `<node>.weight`, ….
 *
 * @example
 * const { model } = await importKeras(bytes, "model.keras"); // a KerasLayersModel for a mixed stack
 * const y = model.forward(ids); // ids [B, T] token ids → [B, O]
 */
export class KerasLayersModel extends Module {
  readonly options: KerasLayersOptions;
  readonly #modules = new Map<string, Module>();

  constructor(options: KerasLayersOptions, rng: Rng) {
    super();
    checkKerasLayersOptions(options);
    this.options = JSON.parse(JSON.stringify(options)) as KerasLayersOptions;
    for (const node of this.options.nodes) {
      let m: Module | null = null;
      switch (node.op) {
        case "embedding":
          m = new Embedding({ numEmbeddings: node.vocabulary, embeddingDim: node.size, rng });
          break;
        case "recurrent": {
          const o = { inputSize: node.inputSize, hiddenSize: node.hiddenSize, bidirectional: node.bidirectional, bias: node.bias, batchFirst: true, rng };
          const gateActivation = node.gateActivation ?? "sigmoid";
          m = node.cell === "lstm"
            ? new LSTM({ ...o, gateActivation })
            : node.cell === "gru"
              ? new GRU({ ...o, gateActivation, resetAfter: node.resetAfter ?? true })
              : new RNN({ ...o, nonlinearity: node.nonlinearity ?? "tanh" });
          break;
        }
        case "dense":
          m = new Linear({ inFeatures: node.inFeatures, outFeatures: node.units, bias: node.bias, rng });
          break;
        case "merge":
          break;
        default: {
          const unknown: never = node;
          throw new Error(`KerasLayersModel: unknown node ${describeValue(unknown)}`);
        }
      }
      if (m !== null) this.#modules.set(node.name, this.registerModule(node.name, m));
    }
  }

  /** The graph's output for x: [B, T, I] features, or [B, T] token ids when the input is "tokens". */
  forward(x: Tensor): Tensor {
    const { input } = this.options;
    const rank = input.kind === "tokens" ? 2 : 3;
    if (x.rank !== rank || (input.kind === "sequence" && x.shape[2] !== input.size)) {
      throw new RangeError(
        `KerasLayersModel.forward: x [${x.shape.join(", ")}] must be ${input.kind === "tokens" ? "token ids [B, T]" : `[B, T, ${input.size}] (batch-first)`}`,
      );
    }
    const values = new Map<string, Tensor>([[input.name, x]]);
    for (const node of this.options.nodes) values.set(node.name, this.#run(node, values));
    return values.get(this.options.output) as Tensor;
  }

  #run(node: KerasNodeSpec, values: Map<string, Tensor>): Tensor {
    switch (node.op) {
      case "embedding":
        return (this.#modules.get(node.name) as Embedding).forward(values.get(node.input) as Tensor);
      case "recurrent": {
        const layer = this.#modules.get(node.name) as RNN | LSTM | GRU;
        const x = values.get(node.input) as Tensor;
        const { output, state } = layer.forward(node.goBackwards ? reverseTime(x) : x);
        const H = node.hiddenSize;
        if (node.returnSequences) {
          if (!node.bidirectional || node.merge === "concat") return output;
          const [f, b] = split(output, 2, H);
          return mergeDirections(f, b, node.merge);
        }
        const B = state.h.shape[1];
        const last = (d: number) => reshape(slice(state.h, 0, d, d + 1), [B, H]);
        return node.bidirectional ? mergeDirections(last(0), last(1), node.merge) : last(0);
      }
      case "dense":
        return applyDenseActivation((this.#modules.get(node.name) as Linear).forward(values.get(node.input) as Tensor), node.activation);
      case "merge": {
        const xs = node.inputs.map((n) => values.get(n) as Tensor);
        switch (node.mode) {
          case "add":
            return xs.slice(1).reduce((a, b) => add(a, b), xs[0]);
          case "subtract":
            return sub(xs[0], xs[1]);
          case "multiply":
            return xs.slice(1).reduce((a, b) => mul(a, b), xs[0]);
          case "average":
            return scale(xs.slice(1).reduce((a, b) => add(a, b), xs[0]), 1 / xs.length);
          case "concatenate":
            return concat(xs, xs[0].rank - 1);
          default: {
            const unknown: never = node.mode;
            throw new Error(`KerasLayersModel: unknown merge ${String(unknown)}`);
          }
        }
      }
      default: {
        const unknown: never = node;
        throw new Error(`KerasLayersModel: unknown node ${describeValue(unknown)}`);
      }
    }
  }

  /** The type and options that rebuild this module (model files). */
  modelSpec(): { type: string; options: Record<string, unknown> } {
    return { type: "KerasLayersModel", options: JSON.parse(JSON.stringify(this.options)) as Record<string, unknown> };
  }
}

registerModelType("KerasLayersModel", (options, rng) => new KerasLayersModel(options as unknown as KerasLayersOptions, rng), {
  parameterShapes: checkKerasLayersOptions,
});
