/**
 * The ONNX nodes of rnnkit's building blocks, shared by every exported model family: a
 * recurrent layer stack, a Linear, an Embedding table lookup and a Dense activation. Each
 * emitter takes value names in and returns the name of what it computed; the callers own the
 * layout (time- or batch-major) around them.
 *
 * A stack, per layer k (D directions, G gates, H hidden, I_k = I or D·H):
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
 */
import type { RecurrentLayerModule } from "../nn/topologies.js";
import type { Linear } from "../nn/linear.js";
import type { Embedding } from "../nn/embedding.js";
import { gateCount, recurrentParamNames, type CellKind } from "../ops/recurrent.js";
import type { GateActivation } from "../backend/kernels.js";
import type { Floats } from "../tensor/tensor.js";
import { HARD_SIGMOID_PARAMS } from "./gate-attrs.js";
import { toOnnxGateOrder } from "./gates.js";
import { concatFloats, floatsAttr, intAttr, stringAttr, stringsAttr, type Attribute, type GraphBuilder } from "./export-graph.js";

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

/** What a stack emitted: the top layer's sequence output [T, B, D·H] (null when not asked for) and each layer's final h (and c) [D, B, H]. */
export interface StackValues { y: string | null; h: string[]; c: string[] }

export interface StackOptions {
  /** Prefix of the stack's value names ("" gives l0_W, l0_Y, …). */
  prefix?: string;
  /** Whether the top layer's sequence output is needed (SequenceToVector reads only its Y_h). */
  topSequence?: boolean;
  /** Initial state per layer, [D, B, H] each (an encoder's final state); zeros when omitted. */
  initial?: { h: string[]; c: string[] };
}

/** The layer stack's nodes from `x` [T, B, I] (its batchFirst flag is the caller's business). */
export function emitStack(g: GraphBuilder, layer: RecurrentLayerModule, x: string, options: StackOptions = {}): StackValues {
  const { prefix = "", topSequence = true, initial } = options;
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
    const p = `${prefix}l${k}`;
    const I = k === 0 ? layer.spec.inputSize : D * H;
    const W = g.floats(`${p}_W`, [D, G * H, I], concatFloats(suffixes.map((s) => toOnnxGateOrder(cell, get(`weight_ih_l${k}${s}`), H))));
    const R = g.floats(`${p}_R`, [D, G * H, H], concatFloats(suffixes.map((s) => toOnnxGateOrder(cell, get(`weight_hh_l${k}${s}`), H))));
    // Optional inputs left out are "" (without B, ONNX's biases are zeros).
    const inputs = [input, W, R, ""];
    if (bias) {
      const b = suffixes.flatMap((s) => [toOnnxGateOrder(cell, get(`bias_ih_l${k}${s}`), H), toOnnxGateOrder(cell, get(`bias_hh_l${k}${s}`), H)]);
      inputs[3] = g.floats(`${p}_B`, [D, 2 * G * H], concatFloats(b));
    }
    if (initial !== undefined) inputs.push("", initial.h[k], ...(cell === "lstm" ? [initial.c[k]] : []));
    while (inputs[inputs.length - 1] === "") inputs.pop();
    const attrs = [intAttr("hidden_size", H), stringAttr("direction", bidirectional ? "bidirectional" : "forward")];
    // linear_before_reset = 1: r multiplies W_hn h + b_hn (PyTorch's form); 0: W_hn (r⊙h).
    if (cell === "gru") attrs.push(intAttr("linear_before_reset", resetAfter === false ? 0 : 1));
    if (cell === "rnn") attrs.push(stringsAttr("activations", new Array<string>(D).fill(onnxActivation(nonlinearity))));
    attrs.push(...gateAttributes(cell, gateActivation ?? "sigmoid", D));
    const outputs = [`${p}_Y`, `${p}_Y_h`, ...(cell === "lstm" ? [`${p}_Y_c`] : [])];
    g.node(OP[cell], inputs, outputs, attrs);
    h.push(outputs[1]);
    if (cell === "lstm") c.push(outputs[2]);
    if (k === L - 1 && !topSequence) return { y: null, h, c };
    const tbdh = g.transpose(outputs[0], [0, 2, 1, 3], `${p}_Y_tbdh`);
    input = g.op("Reshape", [tbdh, g.int64s(`${p}_shape`, [0, 0, D * H])], `${p}_out`);
  }
  return { y: input, h, c };
}

/** y = x·Wᵀ + b over the last axis of x (any rank), as MatMul with the initializer Wᵀ [I, O] and Add. */
export function emitLinear(g: GraphBuilder, linear: Linear, x: string, out: string, prefix = "head"): string {
  const [O, I] = linear.weight.shape;
  const w = linear.weight.data;
  const wt = new Float32Array(I * O);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) wt[i * O + o] = w[o * I + i];
  const xw = g.op("MatMul", [x, g.floats(`${prefix}_Wt`, [I, O], wt)], linear.bias === null ? out : `${prefix}_xw`);
  return linear.bias === null ? xw : g.op("Add", [xw, g.floats(`${prefix}_b`, [O], linear.bias.data)], out);
}

/** The rows of an Embedding's table [V, E] for int64 ids of any shape: ids shape + [E]. */
export function emitEmbedding(g: GraphBuilder, embedding: Embedding, ids: string, out: string, prefix: string): string {
  const table = g.floats(`${prefix}_table`, [embedding.numEmbeddings, embedding.embeddingDim], embedding.weight.data);
  return g.op("Gather", [table, ids], out, [intAttr("axis", 0)]);
}

/** The activations a Dense output may have. */
export type DenseActivation = "linear" | "softmax" | "sigmoid" | "tanh" | "relu";

/** activation(x) named `out` (softmax over the last axis); "linear" is an Identity. */
export function emitActivation(g: GraphBuilder, activation: DenseActivation, x: string, out: string): string {
  switch (activation) {
    case "linear": return g.op("Identity", [x], out);
    case "softmax": return g.op("Softmax", [x], out, [intAttr("axis", -1)]);
    case "sigmoid": return g.op("Sigmoid", [x], out);
    case "tanh": return g.op("Tanh", [x], out);
    case "relu": return g.op("Relu", [x], out);
    default: {
      const unknown: never = activation;
      throw new Error(`exportOnnx: unknown activation '${String(unknown)}'`);
    }
  }
}
