/**
 * The ONNX graph of a KerasLayersModel (src/interop/keras-layers-model.ts), node by node in its
 * graph order, computing exactly what its forward computes. Every value between nodes is
 * batch-first, as in Keras: ids [B, T] (int64 graph input "x"), a sequence [B, T, F] or a
 * vector [B, F]. Per node:
 *
 *   embedding   Gather(table [V, E], ids) → [B, T, E]
 *   recurrent   goBackwards: Slice(x, step −1 on time) — the output stays in that processing
 *               order, as rnnkit's and Keras's do; Transpose → [T, B, F] → LSTM | GRU | RNN;
 *               returnSequences: [T, B, D·H] with directions merged (concat as is; sum / mul /
 *               ave of its two H halves, Slice'd), Transpose back to [B, T, ·];
 *               else Y_h [D, B, H] → Gather per direction [B, H] → merged
 *   dense       MatMul + Add over the last axis, then its activation
 *   merge       Add / Sub / Mul chains, average = sum · (1/n), Concat on the last axis
 */
import type { KerasLayersModel, KerasMergeMode, KerasNodeSpec } from "../interop/keras-layers-model.js";
import type { Embedding } from "../nn/embedding.js";
import type { Linear } from "../nn/linear.js";
import type { RecurrentLayerModule } from "../nn/topologies.js";
import type { Module } from "../nn/module.js";
import { DataType } from "./proto.js";
import { emitActivation, emitEmbedding, emitLinear, emitStack } from "./export-layers.js";
import { BATCH, TIME, GraphBuilder, fixed, intAttr, valueInfo, type Dim } from "./export-graph.js";
import type { BuiltGraph } from "./export-topologies.js";

/** A value of the graph: its ONNX name, kind and last-axis width. */
interface Edge { name: string; kind: "tokens" | "sequence" | "vector"; width: number }

/** `a` and `b` joined as a Bidirectional layer's merge_mode says. */
function mergeDirections(g: GraphBuilder, a: string, b: string, mode: KerasMergeMode, out: string): string {
  switch (mode) {
    case "concat": return g.op("Concat", [a, b], out, [intAttr("axis", -1)]);
    case "sum": return g.op("Add", [a, b], out);
    case "mul": return g.op("Mul", [a, b], out);
    case "ave": return g.op("Mul", [g.op("Add", [a, b], `${out}_sum`), g.floats(`${out}_half`, [], [0.5])], out);
    default: {
      const unknown: never = mode;
      throw new Error(`exportOnnx: unknown merge mode ${String(unknown)}`);
    }
  }
}

/** A recurrent node: one layer, one or two directions. */
function emitRecurrent(g: GraphBuilder, node: Extract<KerasNodeSpec, { op: "recurrent" }>, layer: RecurrentLayerModule, x: string): Edge {
  const n = node.name;
  const H = node.hiddenSize;
  const D = node.bidirectional ? 2 : 1;
  const ordered = node.goBackwards ? g.reverse(x, 1, `${n}_reversed`) : x;
  const stack = emitStack(g, layer, g.transpose(ordered, [1, 0, 2], `${n}_x_tbi`), { prefix: `${n}_`, topSequence: node.returnSequences });
  const width = D === 2 && node.merge === "concat" ? 2 * H : H;
  if (node.returnSequences) {
    let y = stack.y!; // [T, B, D·H], forward | reverse
    if (D === 2 && node.merge !== "concat") {
      const half = (k: number) =>
        g.op("Slice", [y, g.int64s(`${n}_half${k}_starts`, [k * H]), g.int64s(`${n}_half${k}_ends`, [(k + 1) * H]), g.int64s(`${n}_half${k}_axes`, [2])], `${n}_half${k}`);
      y = mergeDirections(g, half(0), half(1), node.merge, `${n}_merged`);
    }
    return { name: g.transpose(y, [1, 0, 2], `${n}_out`), kind: "sequence", width };
  }
  const last = (d: number) => g.op("Gather", [stack.h[0], g.int64s(`${n}_direction${d}`, [d], true)], `${n}_h${d}`, [intAttr("axis", 0)]);
  const name = D === 2 ? mergeDirections(g, last(0), last(1), node.merge, `${n}_out`) : last(0);
  return { name, kind: "vector", width };
}

function emitMerge(g: GraphBuilder, node: Extract<KerasNodeSpec, { op: "merge" }>, xs: Edge[]): Edge {
  const n = node.name;
  const names = xs.map((x) => x.name);
  const chain = (op: string, out: string) => names.slice(1).reduce((a, b, k) => g.op(op, [a, b], k === names.length - 2 ? out : `${out}_${k}`), names[0]);
  const same = { kind: xs[0].kind, width: xs[0].width };
  switch (node.mode) {
    case "add": return { name: chain("Add", `${n}_out`), ...same };
    case "subtract": return { name: g.op("Sub", names, `${n}_out`), ...same };
    case "multiply": return { name: chain("Mul", `${n}_out`), ...same };
    case "average": return { name: g.op("Mul", [chain("Add", `${n}_sum`), g.floats(`${n}_scale`, [], [1 / names.length])], `${n}_out`), ...same };
    case "concatenate": return { name: g.op("Concat", names, `${n}_out`, [intAttr("axis", -1)]), kind: xs[0].kind, width: xs.reduce((a, x) => a + x.width, 0) };
    default: {
      const unknown: never = node.mode;
      throw new Error(`exportOnnx: unknown merge ${String(unknown)}`);
    }
  }
}

/** The graph of `model`; its input is "x" (float [B, T, I] or int64 ids [B, T]) and its output "y". */
export function kerasGraph(model: KerasLayersModel): BuiltGraph {
  const g = new GraphBuilder();
  const { input, nodes, output } = model.options;
  // Each node's module is registered under the node's name.
  const modules = new Map<string, Module>(model.namedModules().filter(([n]) => n !== "" && !n.includes(".")));
  const edges = new Map<string, Edge>([[input.name, { name: "x", kind: input.kind, width: input.kind === "tokens" ? 0 : input.size }]]);
  const edge = (name: string) => edges.get(name)!;
  for (const node of nodes) {
    let out: Edge;
    switch (node.op) {
      case "embedding": {
        const table = modules.get(node.name) as Embedding;
        out = { name: emitEmbedding(g, table, edge(node.input).name, `${node.name}_out`, node.name), kind: "sequence", width: node.size };
        break;
      }
      case "recurrent":
        out = emitRecurrent(g, node, modules.get(node.name) as RecurrentLayerModule, edge(node.input).name);
        break;
      case "dense": {
        const x = edge(node.input);
        const linear = emitLinear(g, modules.get(node.name) as Linear, x.name, node.activation === "linear" ? `${node.name}_out` : `${node.name}_linear`, node.name);
        const name = node.activation === "linear" ? linear : emitActivation(g, node.activation, linear, `${node.name}_out`);
        out = { name, kind: x.kind, width: node.units };
        break;
      }
      case "merge":
        out = emitMerge(g, node, node.inputs.map(edge));
        break;
      default: {
        const unknown: never = node;
        throw new Error(`exportOnnx: unknown KerasLayersModel node ${JSON.stringify(unknown)}`);
      }
    }
    edges.set(node.name, out);
  }
  const y = edge(output);
  g.op("Identity", [y.name], "y");
  const xInfo = input.kind === "tokens" ? valueInfo("x", [BATCH, TIME], DataType.INT64) : valueInfo("x", [BATCH, TIME, fixed(input.size)]);
  const yDims: Dim[] = y.kind === "sequence" ? [BATCH, TIME, fixed(y.width)] : [BATCH, fixed(y.width)];
  return { g, inputs: [xInfo], outputs: [valueInfo("y", yDims)], name: "KerasLayersModel" };
}
