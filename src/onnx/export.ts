/**
 * ONNX export of rnnkit models: `SequenceToSequence`, `SequenceToVector` and bare `RNN`,
 * `LSTM`, `GRU` layer stacks (any numLayers, bidirectional, batchFirst), float32, as one
 * ONNX graph with dynamic batch and time axes that onnxruntime runs. Not here: sequence
 * lengths (every row runs all T steps), an initial state input, float64, the other
 * topologies; reading ONNX models back into modules.
 *
 * The graph, per layer k (D directions, G gates, H hidden, I_k = I or D·H):
 *
 *   X_k [T, B, I_k] → LSTM | GRU | RNN (W [D, G·H, I_k], R [D, G·H, H], B [D, 2·G·H])
 *                   → Y [T, D, B, H], Y_h [D, B, H] (Y_c [D, B, H])
 *   Y → Transpose(0, 2, 1, 3) [T, B, D, H] → Reshape [T, B, D·H] = X_{k+1}
 *
 * with the gate blocks moved to ONNX's order (./gates.ts), GRU linear_before_reset = 1
 * (PyTorch applies the reset after the recurrent product; 0 for `resetAfter: false`), the
 * RNN's activation named, and hard-sigmoid gates as activations [HardSigmoid, Tanh, Tanh]
 * (GRU: [HardSigmoid, Tanh]) per direction with activation_alpha / activation_beta 0.2 / 0.5
 * ("hardSigmoid") or 1/6 / 0.5 ("hardSigmoid6").
 * batchFirst models Transpose their input [B, T, I] → [T, B, I] first and their sequence
 * output back. Heads: y = x·Wᵀ + b as MatMul with the initializer Wᵀ [D·H, O] and Add.
 * SequenceToVector reads the top layer's Y_h [D, B, H] → Transpose [B, D, H] → Reshape
 * [B, D·H] (forward | reverse, as `topLayerState`). A bare layer outputs `output` and its
 * final state `h` (and `c`) [L·D, B, H], the layers' Y_h concatenated in layer order.
 *
 * The model's spec (as in rnnkit model files) is in metadata_props under "rnnkit.model",
 * so rnnkit can recognise its own exports.
 */
import type { Module } from "../nn/module.js";
import { GRU, LSTM, RNN } from "../nn/recurrent.js";
import { SequenceToSequence, SequenceToVector, type RecurrentLayerModule } from "../nn/topologies.js";
import type { Linear } from "../nn/linear.js";
import { specOf } from "../io/model-file.js";
import { gateCount, recurrentParamNames, type CellKind } from "../ops/recurrent.js";
import type { GateActivation } from "../backend/kernels.js";
import type { Floats } from "../tensor/tensor.js";
import { toOnnxGateOrder } from "./gates.js";
import { HARD_SIGMOID_PARAMS } from "./gate-attrs.js";
import { AttributeType, DataType, loadOnnxProto } from "./proto.js";

/** The opset used unless options.opset says otherwise. */
export const DEFAULT_OPSET = 14;
/** Opsets the export accepts: every op used has the same semantics from 14 on. */
export const OPSET_RANGE = [14, 21] as const;
/** metadata_props key holding the model spec JSON ({"type", "options"}), as in model files. */
export const ONNX_SPEC_KEY = "rnnkit.model";
/** metadata_props key saying the file is an rnnkit export, and of which layout. */
export const ONNX_FORMAT_KEY = "rnnkit.format";
export const ONNX_FORMAT = "onnx/1";

const SUPPORTED = "SequenceToSequence, SequenceToVector, RNN, LSTM and GRU (float32)";

export interface OnnxExportOptions {
  /** The ai.onnx opset to declare, 14..21. Default 14. */
  opset?: number;
  /** ModelProto.producer_version (the CLI gives rnnkit's version). Default: not written. */
  producerVersion?: string;
  /** More metadata_props (for example a character model's vocabulary); rnnkit's own keys win. */
  metadata?: Record<string, string>;
}

/** What is exported: a headed topology or a bare layer stack. */
type Plan =
  | { kind: "SequenceToSequence" | "SequenceToVector"; layer: RecurrentLayerModule; head: Linear }
  | { kind: "layer"; layer: RecurrentLayerModule };

/** The plan for `model`, or a refusal naming the module and what is supported. */
function planOf(model: Module): Plan {
  const name = (model as { constructor?: { name?: string } })?.constructor?.name ?? String(model);
  let plan: Plan;
  if (model instanceof SequenceToSequence || model instanceof SequenceToVector) {
    plan = { kind: model instanceof SequenceToSequence ? "SequenceToSequence" : "SequenceToVector", layer: model.rnn, head: model.head };
  } else if (model instanceof RNN || model instanceof LSTM || model instanceof GRU) {
    plan = { kind: "layer", layer: model };
  } else {
    throw new Error(`exportOnnx: cannot export ${name}; ONNX export supports ${SUPPORTED}`);
  }
  const wide = model.namedParameters().find(([, p]) => p.dtype !== "float32");
  if (wide !== undefined) {
    throw new Error(`exportOnnx: ${name} parameter '${wide[0]}' is ${wide[1].dtype}; ONNX export supports ${SUPPORTED} (build the model with dtype "float32")`);
  }
  return plan;
}

// ---- the plain-object form of the ONNX messages (protobufjs `fromObject` input) ----

type Attribute = { name: string; type: number; i?: number; s?: Uint8Array; ints?: number[]; floats?: number[]; strings?: Uint8Array[] };
interface NodeObject { name: string; op_type: string; input: string[]; output: string[]; attribute: Attribute[] }
interface TensorObject { name: string; data_type: number; dims: number[]; raw_data?: Uint8Array; int64_data?: number[] }
type Dim = { dim_value: number } | { dim_param: string };
interface ValueInfo { name: string; type: { tensor_type: { elem_type: number; shape: { dim: Dim[] } } } }

const utf8 = new TextEncoder();
const intAttr = (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i });
const stringAttr = (name: string, s: string): Attribute => ({ name, type: AttributeType.STRING, s: utf8.encode(s) });
const stringsAttr = (name: string, v: string[]): Attribute => ({ name, type: AttributeType.STRINGS, strings: v.map((s) => utf8.encode(s)) });
const intsAttr = (name: string, ints: number[]): Attribute => ({ name, type: AttributeType.INTS, ints });
const floatsAttr = (name: string, floats: number[]): Attribute => ({ name, type: AttributeType.FLOATS, floats });

/** Float32 little-endian bytes (TensorProto.raw_data is little-endian whatever the host). */
function rawFloat32(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let k = 0; k < values.length; k++) view.setFloat32(4 * k, values[k], true);
  return out;
}

/** Collects the graph's nodes (named op_index) and initializers. */
class GraphBuilder {
  readonly nodes: NodeObject[] = [];
  readonly initializers: TensorObject[] = [];

  node(op: string, input: string[], output: string[], attribute: Attribute[] = []): string[] {
    this.nodes.push({ name: `${op}_${this.nodes.length}`, op_type: op, input, output, attribute });
    return output;
  }

  floats(name: string, dims: number[], values: ArrayLike<number>): string {
    this.initializers.push({ name, data_type: DataType.FLOAT, dims, raw_data: rawFloat32(values) });
    return name;
  }

  int64s(name: string, values: number[]): string {
    this.initializers.push({ name, data_type: DataType.INT64, dims: [values.length], int64_data: values });
    return name;
  }

  transpose(x: string, perm: number[], out: string): string {
    return this.node("Transpose", [x], [out], [intsAttr("perm", perm)])[0];
  }
}

/** ONNX's name for an RNN nonlinearity. */
function onnxActivation(act: string | undefined): string {
  switch (act ?? "tanh") {
    case "tanh": return "Tanh";
    case "relu": return "Relu";
    case "sigmoid": return "Sigmoid";
    default: throw new Error(`exportOnnx: RNN nonlinearity '${act}' has no ONNX activation (expected tanh, relu or sigmoid)`);
  }
}

const OP: Record<CellKind, string> = { rnn: "RNN", lstm: "LSTM", gru: "GRU" };

/**
 * The attributes of a hard-sigmoid LSTM or GRU: `activations` per direction (f, g, h for the
 * LSTM; f, g for the GRU: HardSigmoid for the gates, Tanh for the rest) and one alpha and beta
 * per HardSigmoid (onnxruntime, like the spec, consumes them only for the functions that take
 * them, in order). None for the sigmoid, ONNX's default.
 */
function gateAttributes(cell: CellKind, gate: GateActivation, D: number): Attribute[] {
  if (cell === "rnn" || gate === "sigmoid") return [];
  const { alpha, beta } = HARD_SIGMOID_PARAMS[gate];
  const perDirection = cell === "lstm" ? ["HardSigmoid", "Tanh", "Tanh"] : ["HardSigmoid", "Tanh"];
  return [
    stringsAttr("activations", new Array<string[]>(D).fill(perDirection).flat()),
    floatsAttr("activation_alpha", new Array<number>(D).fill(alpha)),
    floatsAttr("activation_beta", new Array<number>(D).fill(beta)),
  ];
}

/** Concatenation of float blocks into one float32 array. */
function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * The layer stack's nodes from `x` [T, B, I]: the top layer's sequence output [T, B, D·H]
 * and each layer's final h (and c) [D, B, H].
 */
function emitLayers(g: GraphBuilder, layer: RecurrentLayerModule, x: string, topSequence: boolean): { y: string; h: string[]; c: string[] } {
  const { cell, hiddenSize: H, numLayers: L, bidirectional, bias, nonlinearity, gateActivation, resetAfter } = layer.spec;
  const D = bidirectional ? 2 : 1;
  const G = gateCount(cell);
  const weights = new Map<string, Floats>(recurrentParamNames(layer.spec).map((n, k) => [n, layer.weights[k].data]));
  const get = (name: string): Floats => weights.get(name)!;
  const suffixes = bidirectional ? ["", "_reverse"] : [""];
  const h: string[] = [];
  const c: string[] = [];
  let input = x;
  for (let k = 0; k < L; k++) {
    const I = k === 0 ? layer.spec.inputSize : D * H;
    const W = g.floats(`l${k}_W`, [D, G * H, I], concat(suffixes.map((s) => toOnnxGateOrder(cell, get(`weight_ih_l${k}${s}`), H))));
    const R = g.floats(`l${k}_R`, [D, G * H, H], concat(suffixes.map((s) => toOnnxGateOrder(cell, get(`weight_hh_l${k}${s}`), H))));
    const inputs = [input, W, R];
    if (bias) {
      const b = suffixes.flatMap((s) => [toOnnxGateOrder(cell, get(`bias_ih_l${k}${s}`), H), toOnnxGateOrder(cell, get(`bias_hh_l${k}${s}`), H)]);
      inputs.push(g.floats(`l${k}_B`, [D, 2 * G * H], concat(b)));
    } // without B, ONNX's biases are zeros
    const attrs = [intAttr("hidden_size", H), stringAttr("direction", bidirectional ? "bidirectional" : "forward")];
    // linear_before_reset = 1: r multiplies W_hn h + b_hn (PyTorch's form); 0: W_hn (r⊙h).
    if (cell === "gru") attrs.push(intAttr("linear_before_reset", resetAfter === false ? 0 : 1));
    if (cell === "rnn") attrs.push(stringsAttr("activations", new Array<string>(D).fill(onnxActivation(nonlinearity))));
    attrs.push(...gateAttributes(cell, gateActivation ?? "sigmoid", D));
    const outputs = [`l${k}_Y`, `l${k}_Y_h`, ...(cell === "lstm" ? [`l${k}_Y_c`] : [])];
    g.node(OP[cell], inputs, outputs, attrs);
    h.push(outputs[1]);
    if (cell === "lstm") c.push(outputs[2]);
    if (k === L - 1 && !topSequence) break; // SequenceToVector reads only the top layer's Y_h
    const tbdh = g.transpose(outputs[0], [0, 2, 1, 3], `l${k}_Y_tbdh`);
    input = g.node("Reshape", [tbdh, g.int64s(`l${k}_shape`, [0, 0, D * H])], [`l${k}_out`])[0];
  }
  return { y: input, h, c };
}

/** y = x·Wᵀ + b over the last axis. */
function emitLinear(g: GraphBuilder, head: Linear, x: string, out: string): string {
  const [O, I] = head.weight.shape;
  const w = head.weight.data;
  const wt = new Float32Array(I * O);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) wt[i * O + o] = w[o * I + i];
  const xw = g.node("MatMul", [x, g.floats("head_Wt", [I, O], wt)], [head.bias === null ? out : "head_xw"])[0];
  return head.bias === null ? xw : g.node("Add", [xw, g.floats("head_b", [O], head.bias.data)], [out])[0];
}

const valueInfo = (name: string, dims: Dim[]): ValueInfo => ({
  name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims } } },
});

/** The graph's nodes, initializers, inputs and outputs for `plan`. */
function buildGraph(plan: Plan): { g: GraphBuilder; inputs: ValueInfo[]; outputs: ValueInfo[] } {
  const g = new GraphBuilder();
  const { batchFirst, inputSize: I, hiddenSize: H, numLayers: L, bidirectional } = plan.layer.spec;
  const D = bidirectional ? 2 : 1;
  const T: Dim = { dim_param: "time" };
  const B: Dim = { dim_param: "batch" };
  const seq = (n: number): Dim[] => (batchFirst ? [B, T, { dim_value: n }] : [T, B, { dim_value: n }]);
  const x = batchFirst ? g.transpose("x", [1, 0, 2], "x_tbi") : "x";
  const stack = emitLayers(g, plan.layer, x, plan.kind !== "SequenceToVector");
  /** A time-major sequence named `out`, batch-major for batchFirst models. */
  const toOutput = (tb: string, out: string) => (batchFirst ? g.transpose(tb, [1, 0, 2], out) : g.node("Identity", [tb], [out])[0]);
  const inputs = [valueInfo("x", seq(I))];
  switch (plan.kind) {
    case "SequenceToSequence": {
      const O = plan.head.weight.shape[0];
      if (batchFirst) toOutput(emitLinear(g, plan.head, stack.y, "y_tb"), "y");
      else emitLinear(g, plan.head, stack.y, "y");
      return { g, inputs, outputs: [valueInfo("y", seq(O))] };
    }
    case "SequenceToVector": {
      const O = plan.head.weight.shape[0];
      const top = g.transpose(stack.h[L - 1], [1, 0, 2], "top_bdh");
      const features = g.node("Reshape", [top, g.int64s("top_shape", [0, D * H])], ["top_state"])[0];
      emitLinear(g, plan.head, features, "y");
      return { g, inputs, outputs: [valueInfo("y", [B, { dim_value: O }])] };
    }
    case "layer": {
      toOutput(stack.y, "output");
      const state = (parts: string[], out: string) => g.node("Concat", parts, [out], [intAttr("axis", 0)]);
      state(stack.h, "h");
      const outputs = [valueInfo("output", seq(D * H)), valueInfo("h", [{ dim_value: L * D }, B, { dim_value: H }])];
      if (plan.layer.spec.cell === "lstm") {
        state(stack.c, "c");
        outputs.push(valueInfo("c", [{ dim_value: L * D }, B, { dim_value: H }]));
      }
      return { g, inputs, outputs };
    }
    default: {
      const unknown: never = plan;
      throw new Error(`exportOnnx: unknown plan ${JSON.stringify(unknown)}`);
    }
  }
}

/** The IR version that goes with an opset (ONNX's versioning table). */
function irVersionFor(opset: number): number {
  return opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

/**
 * The ModelProto of `model` as a plain object (protobufjs `fromObject` input); no protobufjs
 * needed. Refuses, naming the module, what `exportOnnx` refuses.
 */
export function onnxModelObject(model: Module, options: OnnxExportOptions = {}): Record<string, unknown> {
  // A module that is an ONNX graph already (OnnxGraph, src/onnx/graph.ts) writes that graph back.
  const own = (model as { onnxModelObject?: (o: { producerVersion?: string }) => Record<string, unknown> }).onnxModelObject;
  if (typeof own === "function") {
    const object = own.call(model, { producerVersion: options.producerVersion });
    const metadata = Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value }));
    return metadata.length === 0 ? object : { ...object, metadata_props: metadata };
  }
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < OPSET_RANGE[0] || opset > OPSET_RANGE[1]) {
    throw new RangeError(`exportOnnx: options.opset must be an integer in ${OPSET_RANGE[0]}..${OPSET_RANGE[1]}, got ${String(opset)}`);
  }
  const plan = planOf(model);
  const { g, inputs, outputs } = buildGraph(plan);
  const metadata: Record<string, string> = { ...options.metadata, [ONNX_FORMAT_KEY]: ONNX_FORMAT, [ONNX_SPEC_KEY]: JSON.stringify(specOf(model)) };
  return {
    ir_version: irVersionFor(opset),
    opset_import: [{ domain: "", version: opset }],
    producer_name: "rnnkit",
    ...(options.producerVersion === undefined ? {} : { producer_version: options.producerVersion }),
    graph: { name: plan.kind === "layer" ? plan.layer.constructor.name : plan.kind, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
    metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  };
}

/**
 * The ONNX model (ModelProto bytes) of a SequenceToSequence, SequenceToVector or bare
 * RNN/LSTM/GRU with float32 parameters: input `x` [time, batch, I] ([batch, time, I] with
 * batchFirst), output `y` (a bare layer: `output`, `h` and, for an LSTM, `c`). Needs the
 * protobufjs package. Refuses any other module or dtype, naming it.
 * @example
 * const model = new SequenceToVector({ cell: "lstm", inputSize: 3, hiddenSize: 16, outputSize: 2, rng: new Rng(0) });
 * const bytes = await exportOnnx(model); // onnxruntime: InferenceSession.create(bytes)
 */
export async function exportOnnx(model: Module, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  const object = onnxModelObject(model, options);
  const { ModelProto } = await loadOnnxProto();
  const invalid = ModelProto.verify(object);
  if (invalid !== null) throw new Error(`exportOnnx: internal error, the ModelProto does not verify: ${invalid}`);
  return ModelProto.encode(ModelProto.fromObject(object)).finish();
}
