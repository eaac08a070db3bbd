/**
 * OnnxGraph: a trainable module that runs an ONNX graph node by node with the operator table
 * (GRAPH_OPS in ./graph-check.ts: ./graph-ops.ts, ./graph-ops-shape.ts, ./graph-recurrent.ts).
 * Float initializers are its parameters (gradients, optimizers, `fit`, state dicts work as for
 * any module); integer initializers and Constant nodes are constants. What `importOnnx` returns for graphs it cannot lift into rnnkit's own
 * recurrent modules. It saves as an rnnkit model file (type "OnnxGraph": the graph without its
 * float weights in the options, the weights as tensors) and exports back to ONNX with its
 * current weights. Not here: streaming one step at a time (lifted stacks only).
 */
import { noGrad } from "../autograd/tape.js";
import { registerModelType, type ModelSpec } from "../io/model-file.js";
import { Module } from "../nn/module.js";
import { Tensor, type DType } from "../tensor/tensor.js";
import { GraphRefusal, graphModelObject, type GraphDef, type ValueDef } from "./graph-def.js";
import { checkGraph, GRAPH_OPS, parseGraphDef } from "./graph-check.js";
import { valueOfTensor, type OpContext } from "./graph-op-kit.js";
import { intsOfTensor, isInts, type Value } from "./graph-values.js";

/** The model type under which an OnnxGraph is saved in rnnkit model files. */
export const ONNX_GRAPH_TYPE = "OnnxGraph";

/** A refusal raised by a node while it runs; already names the node. */
class NodeFailure extends Error {}

/** The declared shape as text: `[time, batch, 3]`. */
const shapeText = (v: ValueDef) => `[${v.shape.join(", ")}]`;

/** A fed value checked against the graph input it is for: dtype kind, rank and fixed sizes. */
function feedValue(v: ValueDef, t: Tensor | undefined, dtype: DType, where: string): Value {
  if (!(t instanceof Tensor)) throw new TypeError(`${where}: input '${v.name}' must be a Tensor ${shapeText(v)}`);
  const bad = v.shape.length !== t.rank || v.shape.some((d, k) => typeof d === "number" && d > 0 && d !== t.shape[k]);
  if (bad) throw new RangeError(`${where}: input '${v.name}' is [${t.shape.join(", ")}] but the graph reads ${shapeText(v)}`);
  if (v.type !== "float32") return intsOfTensor(t, `${where}: input '${v.name}' (${v.type} token ids or indices)`);
  if (t.dtype !== dtype) throw new TypeError(`${where}: input '${v.name}' is ${t.dtype}; the graph runs in ${dtype}`);
  return t;
}

/** Options of `evaluateGraph`. */
export interface EvaluateGraphOptions {
  /** Integer initializers by name (default: read from the graph). */
  constants?: ReadonlyMap<string, Value>;
  /** The float dtype of the run (default float32; float64 for finite-difference checks, with float64 parameters and inputs). */
  dtype?: DType;
  /** How messages name the model. */
  where?: string;
}

/**
 * Runs `graph` on `feeds` (one Tensor per graph input, in order; integer inputs as integer-valued
 * tensors), reading float initializers with `param`; returns every graph output (float data as
 * Tensors on the tape, integer data as int arrays). A node's failure is an Error naming the node,
 * its operator and the opset.
 * @example const [y] = evaluateGraph(graph, (name) => weights.get(name)!, [x]);
 */
export function evaluateGraph(graph: GraphDef, param: (name: string) => Tensor, feeds: readonly Tensor[], options: EvaluateGraphOptions = {}): Value[] {
  const { dtype = "float32", where = "OnnxGraph" } = options;
  const constants = options.constants ?? constantsOf(graph);
  if (feeds.length !== graph.inputs.length) {
    throw new RangeError(`${where}: the graph reads ${graph.inputs.length} input(s) (${graph.inputs.map((v) => `${v.name} ${shapeText(v)}`).join(", ")}), got ${feeds.length}`);
  }
  const env = new Map<string, Value>(constants);
  graph.inputs.forEach((v, k) => env.set(v.name, feedValue(v, feeds[k], dtype, where)));
  for (const p of graph.params) env.set(p.name, param(p.name));
  for (const node of graph.nodes) {
    const at = `node '${node.name}' (op ${node.op}, opset ${graph.opset})`;
    const c: OpContext = {
      node, opset: graph.opset, dtype,
      inputs: node.inputs.map((n) => (n === "" ? undefined : env.get(n))),
      fail: (why) => { throw new NodeFailure(`${at}: ${why}`); },
    };
    let outs: Value[];
    try {
      outs = GRAPH_OPS[node.op].run(c);
    } catch (e) {
      if (e instanceof NodeFailure) throw new Error(`${where}: ${e.message}`);
      throw new Error(`${where}: ${at}: ${(e as Error)?.message ?? String(e)}`);
    }
    node.outputs.forEach((name, k) => { if (name !== "" && outs[k] !== undefined) env.set(name, outs[k]); });
  }
  return graph.outputs.map((o) => env.get(o.name)!);
}

/** Integer initializers as values. */
function constantsOf(graph: GraphDef): Map<string, Value> {
  return new Map(graph.constants.map((c) => [c.name, valueOfTensor(c.tensor)]));
}

/**
 * Runs the graph once, without gradients, on inputs of its declared shapes (each dynamic size
 * 2; float inputs 0, integer inputs 1), so that shapes that cannot work are refused before a
 * module is built. Throws GraphRefusal.
 */
export function dryRun(graph: GraphDef, values: ReadonlyMap<string, Float32Array>): void {
  const feeds = graph.inputs.map((v) => {
    const shape = v.shape.map((d) => (typeof d === "number" && d > 0 ? d : 2));
    const t = Tensor.zeros(shape);
    if (v.type !== "float32") t.data.fill(1);
    return t;
  });
  const params = new Map(graph.params.map((p) => [p.name, new Tensor(values.get(p.name) ?? new Float32Array(p.dims.reduce((a, b) => a * b, 1)), p.dims)]));
  try {
    noGrad(() => evaluateGraph(graph, (n) => params.get(n)!, feeds, { where: "a trial run at the declared input shapes (dynamic sizes 2)" }));
  } catch (e) {
    throw new GraphRefusal((e as Error).message);
  }
}

/** Options of `OnnxGraph.toOnnx` / `onnxModelObject`. */
export interface OnnxGraphExportOptions {
  /** Written as the model's producer_version. */
  producerVersion?: string;
}

/**
 * An ONNX graph as a trainable module. Usually made by `importOnnx`; `new OnnxGraph(graph,
 * values)` checks the graph (GraphRefusal naming the node) and registers each float
 * initializer as a parameter named by its `key` (its ONNX name with dots made `_`).
 * @example
 * const { model } = await importOnnx(bytes, "tagger.onnx"); // kind "graph": an OnnxGraph
 * const [logp] = (model as OnnxGraph).run(ids);               // every graph output
 */
export class OnnxGraph extends Module {
  readonly graph: GraphDef;
  readonly #params = new Map<string, Tensor>();
  readonly #constants: Map<string, Value>;

  constructor(graph: GraphDef, values: ReadonlyMap<string, ArrayLike<number>> = new Map()) {
    super();
    checkGraph(graph);
    this.graph = graph;
    for (const p of graph.params) {
      const t = Tensor.zeros(p.dims);
      const v = values.get(p.name);
      if (v !== undefined) {
        if (v.length !== t.size) throw new GraphRefusal(`initializer '${p.name}': ${v.length} values for dims [${p.dims.join(", ")}]`);
        t.data.set(v);
      }
      this.#params.set(p.name, this.registerParameter(p.key, t));
    }
    this.#constants = constantsOf(graph);
  }

  /** Every graph output for the inputs (one Tensor per graph input, in order; integer inputs as integer-valued tensors). */
  run(...inputs: Tensor[]): Tensor[] {
    const outs = evaluateGraph(this.graph, (n) => this.#params.get(n)!, inputs, { constants: this.#constants });
    return outs.map((v) => (isInts(v) ? new Tensor(Float32Array.from(v.data), v.shape) : v));
  }

  /** The first graph output. @example const y = model.forward(x) */
  forward(...inputs: Tensor[]): Tensor {
    return this.run(...inputs)[0];
  }

  /** How a model file rebuilds it: the graph without its float weights. */
  modelSpec(): ModelSpec {
    return { type: ONNX_GRAPH_TYPE, options: { graph: this.graph } };
  }

  /** The ModelProto (plain object) of the graph as read, with the current parameter values. */
  onnxModelObject(options: OnnxGraphExportOptions = {}): Record<string, unknown> {
    return graphModelObject(this.graph, (n) => this.#params.get(n)!.data, options.producerVersion);
  }
}

registerModelType(ONNX_GRAPH_TYPE, (options) => new OnnxGraph(parseGraphDef(options.graph)), {
  parameterShapes: (options) => {
    const extra = Object.keys(options).filter((k) => k !== "graph");
    if (extra.length > 0) throw new Error(`unexpected option '${extra[0]}' (an OnnxGraph has only "graph")`);
    const graph = parseGraphDef(options.graph);
    checkGraph(graph);
    return Object.fromEntries(graph.params.map((p) => [p.key, p.dims]));
  },
});
