/**
 * Everything about a GraphDef that can be checked without running it, before any module is
 * built: its JSON structure (an rnnkit model file's options come from a file too), the opset,
 * that every node's operator is in the interpreter's table, its input and output counts, its
 * attributes and their values, that every value is defined once and before it is read, and that
 * the graph's outputs exist. Each refusal names the node, its operator and the opset.
 */
import type { AttrDef, GraphDef, NodeDef, TensorDef, ValueDef } from "./graph-def.js";
import { GraphRefusal } from "./graph-def.js";
import type { OpEntry } from "./graph-op-kit.js";
import { MATH_OPS } from "./graph-ops.js";
import { SHAPE_OPS } from "./graph-ops-shape.js";
import { RECURRENT_OPS } from "./graph-recurrent.js";
import { DataType } from "./proto.js";

/** Every operator the interpreter runs. */
export const GRAPH_OPS: Readonly<Record<string, OpEntry>> = { ...MATH_OPS, ...SHAPE_OPS, ...RECURRENT_OPS };

/** The ai.onnx opsets whose semantics the interpreter follows (13 changed Softmax, Squeeze and Unsqueeze). */
export const GRAPH_OPSETS = [13, 21] as const;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const arr = <T>(v: unknown, item: (x: unknown) => x is T): v is T[] => Array.isArray(v) && v.every(item);

function tensorOk(t: unknown): t is TensorDef {
  if (!isObj(t) || !arr(t.dims, isInt) || !arr(t.data, isNum)) return false;
  if (![DataType.FLOAT, DataType.INT64, 6].includes(t.dataType as number)) return false;
  return t.dims.every((d) => d >= 0) && t.dims.reduce((a, b) => a * b, 1) === t.data.length;
}

function attrOk(a: unknown): a is AttrDef {
  if (!isObj(a) || Object.keys(a).length !== 1) return false;
  const [[k, v]] = Object.entries(a);
  switch (k) {
    case "f": return isNum(v);
    case "i": return isInt(v);
    case "s": return isStr(v);
    case "t": return tensorOk(v);
    case "floats": return arr(v, isNum);
    case "ints": return arr(v, isInt);
    case "strings": return arr(v, isStr);
    default: return false;
  }
}

const valueOk = (v: unknown): v is ValueDef =>
  isObj(v) && isStr(v.name) && ["float32", "int64", "int32"].includes(v.type as string) && arr(v.shape, (d): d is number | string => isInt(d) || isStr(d));

const nodeOk = (n: unknown): n is NodeDef =>
  isObj(n) && isStr(n.name) && isStr(n.op) && arr(n.inputs, isStr) && arr(n.outputs, isStr) && isObj(n.attrs) && Object.values(n.attrs).every(attrOk);

/** `raw` (parsed JSON) as a GraphDef if it has a GraphDef's structure; refuses naming the first part that does not. */
export function parseGraphDef(raw: unknown): GraphDef {
  const bad = (what: string): never => { throw new GraphRefusal(`graph.${what} is malformed (not as an OnnxGraph writes it)`); };
  if (!isObj(raw)) throw new GraphRefusal("graph is missing or not an object (an OnnxGraph's options hold its graph)");
  if (!isInt(raw.irVersion) || !isInt(raw.opset) || !isStr(raw.producer)) bad("irVersion, opset or producer");
  if (!arr(raw.inputs, valueOk)) bad("inputs");
  if (!arr(raw.outputs, valueOk)) bad("outputs");
  if (!arr(raw.params, (p): p is GraphDef["params"][number] => isObj(p) && isStr(p.name) && isStr(p.key) && arr(p.dims, isInt) && p.dims.every((d) => d >= 0))) bad("params");
  if (!arr(raw.constants, (c): c is GraphDef["constants"][number] => isObj(c) && isStr(c.name) && tensorOk(c.tensor) && c.tensor.dataType !== DataType.FLOAT)) bad("constants");
  if (!arr(raw.nodes, nodeOk)) bad("nodes");
  return raw as unknown as GraphDef;
}

/**
 * Checks `graph` (see the file comment); throws GraphRefusal naming the node, operator and
 * opset of the first problem.
 */
export function checkGraph(graph: GraphDef): void {
  const { opset } = graph;
  if (opset < GRAPH_OPSETS[0] || opset > GRAPH_OPSETS[1]) {
    throw new GraphRefusal(`ai.onnx opset ${opset} is not run by the graph interpreter (opsets ${GRAPH_OPSETS[0]}..${GRAPH_OPSETS[1]} are)`);
  }
  const defined = new Set<string>();
  const define = (name: string, what: string) => {
    if (name === "") throw new GraphRefusal(`${what} has an empty name`);
    if (defined.has(name)) throw new GraphRefusal(`${what} '${name}' is defined twice`);
    defined.add(name);
  };
  if (graph.inputs.length === 0) throw new GraphRefusal("the graph has no input");
  for (const v of graph.inputs) define(v.name, "graph input");
  const keys = new Set<string>();
  for (const p of graph.params) {
    define(p.name, "initializer");
    if (p.key === "" || p.key.includes(".") || keys.has(p.key)) throw new GraphRefusal(`initializer '${p.name}': parameter name '${p.key}' is empty, has a dot or is taken`);
    keys.add(p.key);
  }
  for (const c of graph.constants) define(c.name, "initializer");
  for (const node of graph.nodes) {
    const where = `node '${node.name}' (op ${node.op}, opset ${opset})`;
    const entry = GRAPH_OPS[node.op];
    if (entry === undefined) {
      throw new GraphRefusal(`operator '${node.op}' of node '${node.name}' (opset ${opset}) is not supported; the graph interpreter runs ${Object.keys(GRAPH_OPS).join(", ")}`);
    }
    const refuse = (why: string): never => { throw new GraphRefusal(`${where}: ${why}`); };
    const [lo, hi] = entry.inputs;
    const n = node.inputs.length;
    if (n < lo || n > hi) refuse(`${n} input${n === 1 ? "" : "s"}, expected ${lo === hi ? lo : hi === Infinity ? `at least ${lo}` : `${lo} to ${hi}`}`);
    node.inputs.forEach((name, k) => {
      if (name === "") { if (k < lo) refuse(`input ${k} is required`); return; }
      if (!defined.has(name)) refuse(`input '${name}' is not defined before it`);
    });
    const [olo, ohi] = entry.outputs;
    if (node.outputs.length < olo || node.outputs.length > ohi) refuse(`${node.outputs.length} outputs, expected ${olo === ohi ? olo : `${olo} to ${ohi}`}`);
    for (const [name, a] of Object.entries(node.attrs)) {
      const check = entry.attrs[name];
      if (check === undefined) refuse(`attribute '${name}' is not read (${Object.keys(entry.attrs).join(", ") || "none"} ${Object.keys(entry.attrs).length === 1 ? "is" : "are"})`);
      const why = check(a);
      if (why !== null) refuse(`attribute '${name}' = ${JSON.stringify(Object.values(a)[0]).slice(0, 60)}: ${why}`);
    }
    for (const name of entry.required ?? []) if (node.attrs[name] === undefined) refuse(`attribute '${name}' is required`);
    const why = entry.check?.(node) ?? null;
    if (why !== null) refuse(why);
    node.outputs.forEach((name, k) => { if (name !== "") define(name, `${where}: output ${k}`); });
  }
  if (graph.outputs.length === 0) throw new GraphRefusal("the graph has no output");
  for (const o of graph.outputs) if (!defined.has(o.name)) throw new GraphRefusal(`graph output '${o.name}' is not computed by any node`);
}
