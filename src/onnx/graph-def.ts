/**
 * The graph interpreter's own description of an ONNX graph, as plain JSON: what a decoded
 * ModelProto becomes once read (`graphDefOf`), what an rnnkit model file of type "OnnxGraph"
 * holds in its options (everything but the float initializers, which are its parameters), and
 * what is written back to ONNX bytes (`graphModelObject`, with the parameters' current values).
 * Only the parts of ONNX the interpreter runs: dense FLOAT / INT64 / INT32 tensors, attributes
 * of the plain kinds, one ai.onnx opset. Checking what the nodes mean is ./graph-check.ts.
 */
import { AttributeType, DataType } from "./proto.js";

/** A constant tensor: FLOAT values (exact float32, as numbers) or integers (INT64 / INT32). */
export interface TensorDef {
  dataType: number;
  dims: number[];
  data: number[];
}

/** One attribute, by kind: a float, an int, a string, a tensor or a list of one of the first three. */
export type AttrDef =
  | { f: number } | { i: number } | { s: string } | { t: TensorDef }
  | { floats: number[] } | { ints: number[] } | { strings: string[] };

export interface NodeDef {
  name: string;
  op: string;
  /** Input value names; "" for an optional input left out. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrDef>;
}

/** A graph input or output: its name, element type and shape (a number per fixed axis, the name of a dynamic one). */
export interface ValueDef {
  name: string;
  type: "float32" | "int64" | "int32";
  shape: Array<number | string>;
}

export interface GraphDef {
  irVersion: number;
  /** The ai.onnx opset the file declares. */
  opset: number;
  producer: string;
  /** Inputs the caller feeds, in order (initializers listed as inputs are left out). */
  inputs: ValueDef[];
  outputs: ValueDef[];
  /** Float initializers: the module's parameters, `key` their name there (dots and other characters made `_`). */
  params: Array<{ name: string; key: string; dims: number[] }>;
  /** Integer initializers: constants (shapes, indices, lengths). */
  constants: Array<{ name: string; tensor: TensorDef }>;
  nodes: NodeDef[];
}

// ---- decoded protobuf (protobufjs toObject with longs as numbers, arrays on) ----

export interface PTensor { name?: string; data_type?: number; dims?: number[]; raw_data?: Uint8Array; float_data?: number[]; int32_data?: number[]; int64_data?: number[] }
interface PAttr { name?: string; type?: number; f?: number; i?: number; s?: Uint8Array; t?: PTensor; floats?: number[]; ints?: number[]; strings?: Uint8Array[]; g?: unknown; graphs?: unknown[]; tensors?: unknown[] }
interface PNode { name?: string; op_type?: string; domain?: string; input?: string[]; output?: string[]; attribute?: PAttr[] }
interface PValueInfo { name?: string; type?: { tensor_type?: { elem_type?: number; shape?: { dim?: Array<{ dim_value?: number; dim_param?: string }> } } } }
export interface PModel {
  ir_version?: number;
  producer_name?: string;
  opset_import?: Array<{ domain?: string; version?: number }>;
  graph?: { node?: PNode[]; initializer?: PTensor[]; input?: PValueInfo[]; output?: PValueInfo[] };
}

/** A problem with the file: the importer prefixes the file's name. */
export class GraphRefusal extends Error {}

const INT32 = 6;
const utf8 = new TextDecoder();

/** The values of a decoded TensorProto (FLOAT, INT64, INT32), checked against its dims. */
function tensorDefOf(t: PTensor, where: string): TensorDef {
  const dims = (t.dims ?? []).map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new GraphRefusal(`${where}: dims [${dims.join(", ")}] are not sizes`);
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.raw_data !== undefined && t.raw_data.length > 0 ? t.raw_data : null;
  const view = raw === null ? null : new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let data: number[];
  switch (t.data_type) {
    case DataType.FLOAT:
      data = view === null ? (t.float_data ?? []).map(Math.fround) : Array.from({ length: Math.floor(view.byteLength / 4) }, (_, k) => view.getFloat32(4 * k, true));
      break;
    case DataType.INT64:
      data = view === null ? (t.int64_data ?? []).map(Number) : Array.from({ length: Math.floor(view.byteLength / 8) }, (_, k) => Number(view.getBigInt64(8 * k, true)));
      break;
    case INT32:
      data = view === null ? (t.int32_data ?? []) : Array.from({ length: Math.floor(view.byteLength / 4) }, (_, k) => view.getInt32(4 * k, true));
      break;
    default:
      throw new GraphRefusal(`${where}: tensor data type ${String(t.data_type)} is not read (FLOAT, INT64 and INT32 are)`);
  }
  if (data.length !== count) throw new GraphRefusal(`${where}: ${data.length} values for dims [${dims.join(", ")}] (${count} expected)`);
  return { dataType: t.data_type, dims, data };
}

function attrDefOf(a: PAttr, where: string): AttrDef {
  switch (a.type) {
    case AttributeType.FLOAT: return { f: a.f ?? 0 };
    case AttributeType.INT: return { i: Number(a.i ?? 0) };
    case AttributeType.STRING: return { s: utf8.decode(a.s ?? new Uint8Array()) };
    case 4: return { t: tensorDefOf(a.t ?? {}, `${where}: attribute '${a.name ?? ""}'`) };
    case AttributeType.FLOATS: return { floats: a.floats ?? [] };
    case AttributeType.INTS: return { ints: (a.ints ?? []).map(Number) };
    case AttributeType.STRINGS: return { strings: (a.strings ?? []).map((s) => utf8.decode(s)) };
    default: throw new GraphRefusal(`${where}: attribute '${a.name ?? ""}' of type ${String(a.type)} (a graph, sparse tensor or list of them) is not read`);
  }
}

const ELEM: Record<number, ValueDef["type"]> = { [DataType.FLOAT]: "float32", [DataType.INT64]: "int64", [INT32]: "int32" };

function valueDefOf(v: PValueInfo, what: string): ValueDef {
  const tt = v.type?.tensor_type;
  const type = ELEM[tt?.elem_type ?? -1];
  if (type === undefined) throw new GraphRefusal(`${what} '${v.name ?? ""}': element type ${String(tt?.elem_type)} is not read (float32, int64 and int32 tensors are)`);
  return { name: v.name ?? "", type, shape: (tt?.shape?.dim ?? []).map((d) => d.dim_param ?? (d.dim_value === undefined ? "?" : Number(d.dim_value))) };
}

/** A parameter name for an initializer: no dots (Module's rule), unique among `taken`. */
function paramKey(name: string, taken: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_]/g, "_") || "param";
  let key = base;
  for (let k = 1; taken.has(key); k++) key = `${base}_${k}`;
  taken.add(key);
  return key;
}

/**
 * The GraphDef of a decoded ModelProto and the float initializers' values (name → float32).
 * Refuses (GraphRefusal) what it cannot represent: other data or attribute types, other
 * domains, a missing ai.onnx opset.
 */
export function graphDefOf(m: PModel): { graph: GraphDef; values: Map<string, Float32Array> } {
  const g = m.graph ?? {};
  const opset = (m.opset_import ?? []).find((o) => (o.domain ?? "") === "" || o.domain === "ai.onnx")?.version;
  if (opset === undefined) throw new GraphRefusal("the model imports no ai.onnx opset");
  const values = new Map<string, Float32Array>();
  const params: GraphDef["params"] = [];
  const constants: GraphDef["constants"] = [];
  const taken = new Set<string>();
  for (const t of g.initializer ?? []) {
    const name = t.name ?? "";
    const def = tensorDefOf(t, `initializer '${name}'`);
    if (def.dataType === DataType.FLOAT) {
      params.push({ name, key: paramKey(name, taken), dims: def.dims });
      values.set(name, Float32Array.from(def.data));
    } else constants.push({ name, tensor: def });
  }
  const initial = new Set((g.initializer ?? []).map((t) => t.name ?? ""));
  const nodes = (g.node ?? []).map((n, k): NodeDef => {
    const name = n.name !== undefined && n.name !== "" ? n.name : `${n.op_type ?? "node"}_${k}`;
    if ((n.domain ?? "") !== "" && n.domain !== "ai.onnx") throw new GraphRefusal(`node '${name}' (op ${n.op_type ?? ""}): domain '${n.domain}' is not read (ai.onnx is)`);
    const attrs: Record<string, AttrDef> = {};
    for (const a of n.attribute ?? []) attrs[a.name ?? ""] = attrDefOf(a, `node '${name}' (op ${n.op_type ?? ""}, opset ${opset})`);
    return { name, op: n.op_type ?? "", inputs: n.input ?? [], outputs: n.output ?? [], attrs };
  });
  return {
    graph: {
      irVersion: Number(m.ir_version ?? 8), opset: Number(opset), producer: m.producer_name ?? "",
      inputs: (g.input ?? []).filter((v) => !initial.has(v.name ?? "")).map((v) => valueDefOf(v, "graph input")),
      outputs: (g.output ?? []).map((v) => valueDefOf(v, "graph output")),
      params, constants, nodes,
    },
    values,
  };
}

// ---- back to a ModelProto object (protobufjs fromObject input) ----

function tensorObject(name: string, t: TensorDef): Record<string, unknown> {
  if (t.dataType === DataType.FLOAT) {
    const bytes = new Uint8Array(4 * t.data.length);
    const view = new DataView(bytes.buffer);
    t.data.forEach((v, k) => view.setFloat32(4 * k, v, true));
    return { name, data_type: t.dataType, dims: t.dims, raw_data: bytes };
  }
  return t.dataType === DataType.INT64
    ? { name, data_type: t.dataType, dims: t.dims, int64_data: t.data }
    : { name, data_type: t.dataType, dims: t.dims, int32_data: t.data };
}

function attrObject(name: string, a: AttrDef): Record<string, unknown> {
  const utf8e = new TextEncoder();
  if ("f" in a) return { name, type: AttributeType.FLOAT, f: a.f };
  if ("i" in a) return { name, type: AttributeType.INT, i: a.i };
  if ("s" in a) return { name, type: AttributeType.STRING, s: utf8e.encode(a.s) };
  if ("t" in a) return { name, type: 4, t: tensorObject("", a.t) };
  if ("floats" in a) return { name, type: AttributeType.FLOATS, floats: a.floats };
  if ("ints" in a) return { name, type: AttributeType.INTS, ints: a.ints };
  return { name, type: AttributeType.STRINGS, strings: a.strings.map((s) => utf8e.encode(s)) };
}

const ELEM_TYPE: Record<ValueDef["type"], number> = { float32: DataType.FLOAT, int64: DataType.INT64, int32: INT32 };
const valueInfo = (v: ValueDef) => ({
  name: v.name,
  type: { tensor_type: { elem_type: ELEM_TYPE[v.type], shape: { dim: v.shape.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) } } },
});

/**
 * The ModelProto (as a plain object) of `graph` with the float initializers' values from
 * `param(name)`: the graph as it was read, its weights as they are now.
 */
export function graphModelObject(graph: GraphDef, param: (name: string) => ArrayLike<number>, producerVersion?: string): Record<string, unknown> {
  const initializer = [
    ...graph.params.map((p) => tensorObject(p.name, { dataType: DataType.FLOAT, dims: p.dims, data: Array.from(param(p.name)) })),
    ...graph.constants.map((c) => tensorObject(c.name, c.tensor)),
  ];
  return {
    ir_version: graph.irVersion,
    opset_import: [{ domain: "", version: graph.opset }],
    producer_name: graph.producer,
    ...(producerVersion === undefined ? {} : { producer_version: producerVersion }),
    graph: {
      name: "graph",
      node: graph.nodes.map((n) => ({
        name: n.name, op_type: n.op, input: n.inputs, output: n.outputs,
        attribute: Object.entries(n.attrs).map(([k, a]) => attrObject(k, a)),
      })),
      initializer,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  };
}
