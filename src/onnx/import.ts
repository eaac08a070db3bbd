/**
 * ONNX import: lifts a graph made of recognisable recurrent layers back into trainable rnnkit
 * modules, and hands any other graph to the general interpreter (./graph.ts, an OnnxGraph
 * module). The lifting:  — optionally a Gather of int64 token ids from a float initializer table
 * [V, E] (PyTorch's nn.Embedding), then one or more chained ONNX LSTM / GRU / RNN nodes (with the Transpose / Reshape /
 * Squeeze between them that rnnkit's export and PyTorch's exporter emit), optionally a Linear
 * head (MatMul + Add of constants, or Gemm) on the per-step outputs or on the final / last-step
 * state → SequenceToSequence, SequenceToVector (with an embedding when the ids came first) or a bare
 * RNN / LSTM / GRU stack; any other operator or
 * structure is not lifted, and the lifter's reason goes into the notes of the graph import.
 *
 * How: every node is evaluated over abstract values, in graph order —
 *   const   an initializer or Constant (weights, shapes, indices)
 *   ints    a small int64 vector whose entries may be symbolic dims of x (PyTorch's h0 = zeros
 *           of the dynamic batch is Shape → Gather → Unsqueeze → Concat → ConstantOfShape)
 *   zeros   a tensor known to be all zeros, with its (partly symbolic) shape
 *   ids     the graph input when it is int64 token ids [x0, x1]; Gather on a table embeds them as x
 *   data    a tensor on the path from x: its axes named (x0, x1: x's first two axes; I: x's
 *           features; R: rows (layer, direction) of a Y / Y_h; H: hidden; F: features of whole
 *           rows, forward | reverse; O: head outputs), what it is (x, y, h, c) and its head
 * — so batch-first, the chaining of layers and the shape of the head come out of the graph, not
 * from names. Everything is checked before any module is built. Weights go back to PyTorch's
 * layout with ./gates.ts.
 */
import type { Module } from "../nn/module.js";
import { GRU, LSTM, RNN } from "../nn/recurrent.js";
import { SequenceToSequence, SequenceToVector } from "../nn/topologies.js";
import { specOf, type ModelSpec } from "../io/model-file.js";
import { Rng } from "../tensor/random.js";
import { gateCount, type CellKind } from "../ops/recurrent.js";
import type { GateActivation } from "../backend/kernels.js";
import { fromOnnxGateOrder } from "./gates.js";
import { readActivations } from "./gate-attrs.js";
import { ONNX_SPEC_KEY } from "./export.js";
import { DataType, loadOnnxProto } from "./proto.js";
import { GraphRefusal, graphDefOf } from "./graph-def.js";
import { checkGraph } from "./graph-check.js";
import { dryRun, OnnxGraph } from "./graph.js";

/** What `importOnnx` gives: the module, its spec (as model files record it) and what the import noticed. */
export interface OnnxImport {
  /**
   * "lifted": rnnkit's own recurrent modules (SequenceToSequence, SequenceToVector, RNN / LSTM / GRU),
   * which stream and convert to every format; "graph": an OnnxGraph running the graph node by node.
   */
  kind: "lifted" | "graph";
  model: Module;
  spec: ModelSpec;
  /** One line each: what was recognised and accepted (zero initial states, batch-first input, …). */
  notes: string[];
}

// ---- decoded protobuf (protobufjs toObject with longs as numbers, arrays on) ----

interface PTensor { name?: string; data_type?: number; dims?: number[]; raw_data?: Uint8Array; float_data?: number[]; int32_data?: number[]; int64_data?: number[]; double_data?: number[] }
interface PAttr { name?: string; type?: number; f?: number; i?: number; s?: Uint8Array; t?: PTensor; floats?: number[]; ints?: number[]; strings?: Uint8Array[] }
interface PNode { name?: string; op_type?: string; domain?: string; input?: string[]; output?: string[]; attribute?: PAttr[] }
interface PValueInfo { name?: string; type?: { tensor_type?: { elem_type?: number; shape?: { dim?: Array<{ dim_value?: number; dim_param?: string }> } } } }
interface PModel {
  opset_import?: Array<{ domain?: string; version?: number }>;
  metadata_props?: Array<{ key?: string; value?: string }>;
  graph?: { node?: PNode[]; initializer?: PTensor[]; input?: PValueInfo[]; output?: PValueInfo[] };
}

// ---- abstract values ----

/** A dimension: a number, or the name of one of x's axes ("x0", "x1"), or "?" when unknown. */
type Sym = number | string;
/** A (layer, direction) row of a Y / Y_h / Y_c. */
type Row = readonly [number, number];
interface Head { W: Float32Array; O: number; b: Float32Array | null }
interface Data {
  kind: "data";
  axes: string[];
  which: "x" | "y" | "h" | "c";
  /** The rows its R axis (or its F features) hold; [] for x. */
  rows: Row[];
  head: Head | null;
}
type Value =
  | { kind: "const"; dims: number[]; float: boolean; data: ArrayLike<number> }
  | { kind: "ints"; items: Sym[]; scalar: boolean }
  | { kind: "zeros"; shape: Sym[] }
  | { kind: "input"; name: string }
  | { kind: "ids" }
  | Data;

/** A token table gathered by the graph input's ids: [V, E] row-major (PyTorch's embedding.weight). */
interface EmbeddingTable { node: string; V: number; E: number; data: Float32Array }

interface Layer {
  cell: CellKind;
  node: string;
  D: number;
  H: number;
  I: number;
  /** ONNX layouts: W [D, G·H, I], R [D, G·H, H], B [D, 2·G·H] or null. */
  W: Float32Array;
  R: Float32Array;
  B: Float32Array | null;
  nonlinearity?: "tanh" | "relu" | "sigmoid";
  /** LSTM / GRU: from activations [HardSigmoid, …] with their alpha / beta (./gate-attrs.ts); "sigmoid" otherwise. */
  gateActivation: GateActivation;
  /** GRU: linear_before_reset = 1; always true for the others. */
  resetAfter: boolean;
  time: string;
  batch: string;
}

/** A refusal of the graph, with the file's name prefixed by `importOnnx`. */
class Refusal extends Error {}

const LIFTS = "ONNX import lifts recurrent stacks with a Linear head";
const utf8 = new TextDecoder();
const CELL_OF: Record<string, CellKind> = { LSTM: "lstm", GRU: "gru", RNN: "rnn" };

/** The values of an initializer / Constant tensor: float32 for FLOAT, numbers for the integer types. */
function tensorValue(t: PTensor, where: string): Value {
  const dims = t.dims ?? [];
  const raw = t.raw_data !== undefined && t.raw_data.length > 0 ? t.raw_data : null;
  const view = raw === null ? null : new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const count = dims.reduce((a, b) => a * b, 1);
  switch (t.data_type) {
    case DataType.FLOAT: {
      const data = view === null ? Float32Array.from(t.float_data ?? []) : Float32Array.from({ length: view.byteLength / 4 }, (_, k) => view.getFloat32(4 * k, true));
      if (data.length !== count) throw new Refusal(`${where}: ${data.length} values for dims [${dims.join(", ")}]`);
      return { kind: "const", dims, float: true, data };
    }
    case DataType.INT64: {
      const data = view === null ? (t.int64_data ?? []) : Array.from({ length: view.byteLength / 8 }, (_, k) => Number(view.getBigInt64(8 * k, true)));
      return { kind: "const", dims, float: false, data };
    }
    case 6: { // INT32
      const data = view === null ? (t.int32_data ?? []) : Array.from({ length: view.byteLength / 4 }, (_, k) => view.getInt32(4 * k, true));
      return { kind: "const", dims, float: false, data };
    }
    default:
      throw new Refusal(`${where}: tensor data type ${String(t.data_type)} is not read (FLOAT, INT64 and INT32 are)`);
  }
}

const sameRows = (a: readonly Row[], b: readonly Row[]) => a.length === b.length && a.every((r, k) => r[0] === b[k][0] && r[1] === b[k][1]);
const layerRows = (k: number, D: number): Row[] => Array.from({ length: D }, (_, d) => [k, d] as const);

/**
 * The lifted stack: walks the graph once over abstract values (see the file comment), then
 * checks its outputs form one of the supported topologies. Throws Refusal.
 */
function lift(m: PModel) {
  const graph = m.graph!;
  const opset = (m.opset_import ?? []).find((o) => (o.domain ?? "") === "" || o.domain === "ai.onnx")?.version ?? 0;
  if (opset < 7 || opset > 21) throw new Refusal(`ai.onnx opset ${opset} is not read (7..21 are)`);
  const notes: string[] = [];
  const values = new Map<string, Value>();
  for (const t of graph.initializer ?? []) values.set(t.name ?? "", tensorValue(t, `initializer '${t.name ?? ""}'`));
  const inputs = (graph.input ?? []).filter((v) => !values.has(v.name ?? ""));
  if (inputs.length === 0) throw new Refusal("the graph has no input");
  const xInfo = inputs[0];
  const xDims = xInfo.type?.tensor_type?.shape?.dim ?? [];
  const tokens = xInfo.type?.tensor_type?.elem_type === DataType.INT64 && xDims.length === 2;
  if (!tokens && (xInfo.type?.tensor_type?.elem_type !== DataType.FLOAT || xDims.length !== 3)) {
    throw new Refusal(`graph input '${xInfo.name ?? ""}' must be a float32 sequence of rank 3 ([time, batch, I] or [batch, time, I]) or int64 token ids of rank 2`);
  }
  // With token ids, I is the table's E, known once the Gather is read.
  let inputSize = tokens ? undefined : xDims[2].dim_value;
  let embedding: EmbeddingTable | null = null;
  values.set(xInfo.name ?? "", tokens ? { kind: "ids" } : { kind: "data", axes: ["x0", "x1", "I"], which: "x", rows: [], head: null });
  for (const v of inputs.slice(1)) values.set(v.name ?? "", { kind: "input", name: v.name ?? "" });

  const layers: Layer[] = [];
  let zeroStates = false;
  for (const node of graph.node ?? []) {
    const op = node.op_type ?? "";
    const nodeName = node.name ?? node.output?.[0] ?? "";
    const refuse = (why?: string): never => {
      throw new Refusal(`${LIFTS}; node '${nodeName}' (op ${op}, opset ${opset}) is not part of one${why === undefined ? "" : `: ${why}`}`);
    };
    if ((node.domain ?? "") !== "" && node.domain !== "ai.onnx") refuse(`domain '${node.domain}' is not ai.onnx`);
    const ins = (node.input ?? []).map((n) => (n === "" ? undefined : values.get(n) ?? refuse(`input '${n}' is not defined before it`)));
    const attrs = new Map((node.attribute ?? []).map((a) => [a.name ?? "", a]));
    const intAttr = (name: string, dflt: number) => attrs.get(name)?.i ?? dflt;
    const outs = evalNode();
    (node.output ?? []).forEach((name, k) => { if (name !== "" && outs[k] !== undefined) values.set(name, outs[k]); });

    function evalNode(): Array<Value | undefined> {
      const [a, b] = ins;
      const data = (v: Value | undefined): Data => (v?.kind === "data" ? v : refuse("expected a tensor computed from the input here"));
      /** An int vector or scalar: a small integer constant or a shape computation. */
      const ints = (v: Value | undefined): { items: Sym[]; scalar: boolean } => {
        if (v?.kind === "ints") return v;
        if (v?.kind === "const" && !v.float && v.dims.length <= 1) return { items: Array.from(v.data), scalar: v.dims.length === 0 };
        return refuse("expected a constant integer vector here");
      };
      const constInts = (v: Value | undefined): number[] => ints(v).items.map((s) => (typeof s === "number" ? s : refuse("expected constant integers here")));
      const axesArg = (): number[] | null => (opset >= 13 ? (b === undefined ? null : constInts(b)) : attrs.get("axes")?.ints ?? null);
      const rank = (d: Data) => d.axes.length;
      const norm = (axis: number, r: number) => (axis < 0 ? axis + r : axis);
      switch (op) {
        case "Constant": {
          const t = attrs.get("value")?.t;
          if (t !== undefined) return [tensorValue(t, `node '${nodeName}'`)];
          const vi = attrs.get("value_ints");
          if (vi !== undefined) return [{ kind: "const", dims: [vi.ints?.length ?? 0], float: false, data: vi.ints ?? [] }];
          const v1 = attrs.get("value_int");
          if (v1 !== undefined) return [{ kind: "const", dims: [], float: false, data: [v1.i ?? 0] }];
          return refuse("only tensor and integer constants are read");
        }
        case "Identity":
          return [a];
        case "Cast":
          if (a?.kind === "ints" || (a?.kind === "const" && !a.float)) return [a];
          return refuse("only casts of shape integers are read");
        case "Shape": {
          if (a?.kind === "ids" && !attrs.has("start") && !attrs.has("end")) return [{ kind: "ints", items: ["x0", "x1"], scalar: false }];
          const d = data(a);
          if (d.which !== "x" || attrs.has("start") || attrs.has("end")) refuse("only the whole shape of the input is read");
          return [{ kind: "ints", items: d.axes.map((ax) => (ax === "I" ? inputSize ?? "?" : ax)), scalar: false }];
        }
        case "Gather": {
          if (b?.kind === "ids") return [embed()];
          const idx = ins[1]?.kind === "const" && ins[1].dims.length === 0 ? Number(ins[1].data[0]) : refuse("only a constant scalar index is read");
          if (a?.kind === "ints" || (a?.kind === "const" && !a.float)) {
            const v = ints(a);
            if (v.scalar || intAttr("axis", 0) !== 0) refuse();
            const item = v.items[norm(idx, v.items.length)] ?? refuse("index out of range");
            return [{ kind: "ints", items: [item], scalar: true }];
          }
          const d = data(a);
          if (d.head !== null) refuse();
          const axis = norm(intAttr("axis", 0), rank(d));
          const ax = d.axes[axis] ?? refuse(`axis ${axis} is out of range`);
          if (ax === "R") return [selectRow(d, axis, idx)];
          if (ax === timeOf(d)) {
            if (idx !== -1 || d.which !== "y") refuse("only the last step (index −1) of a sequence is read");
            if (d.rows.some(([, dir]) => dir !== 0)) refuse("the last step of a reverse direction is not its final state");
            return [{ ...d, axes: d.axes.filter((_, k) => k !== axis), which: "h" }];
          }
          return refuse(`gathering along axis ${axis} (${ax}) is not read`);
        }
        case "Unsqueeze": {
          const v = ints(a);
          const axes = axesArg();
          if (!v.scalar || axes === null || axes.length !== 1 || axes[0] !== 0) refuse("only a scalar made a 1-element vector is read");
          return [{ kind: "ints", items: v.items, scalar: false }];
        }
        case "Squeeze": {
          const d = data(a);
          const axes = axesArg() ?? refuse("a Squeeze without axes is not read");
          if (axes.length !== 1) refuse();
          const axis = norm(axes[0], rank(d));
          if (d.axes[axis] !== "R") refuse(`squeezing axis ${axis} (${d.axes[axis]}) is not read`);
          return [selectRow(d, axis, 0, true)];
        }
        case "Concat": {
          const axis = intAttr("axis", 0);
          if (ins.every((v) => v?.kind === "ints" || (v?.kind === "const" && !v.float && v.dims.length === 1))) {
            return [{ kind: "ints", items: ins.flatMap((v) => ints(v).items), scalar: false }];
          }
          const ds = ins.map(data);
          const first = ds[0];
          const at = norm(axis, rank(first));
          if (first.axes[at] !== "R" || ds.some((d) => d.which !== first.which || d.head !== null || d.axes.join() !== first.axes.join())) {
            refuse("only stacking final states along their rows is read");
          }
          return [{ ...first, rows: ds.flatMap((d) => d.rows) }];
        }
        case "ConstantOfShape": {
          const t = attrs.get("value")?.t;
          const fill = t === undefined ? null : tensorValue(t, `node '${nodeName}'`);
          if (fill !== null && (fill.kind !== "const" || Array.from(fill.data).some((x) => x !== 0))) refuse("only zeros are read");
          return [{ kind: "zeros", shape: ints(a).items }];
        }
        case "Expand": {
          if (!isZero(a)) refuse("only zeros are expanded");
          return [{ kind: "zeros", shape: ints(b).items }];
        }
        case "Slice": {
          if (a?.kind !== "zeros") return refuse("only slices of zeros are read");
          const [starts, ends] = [constInts(ins[1]), constInts(ins[2])];
          const axes = ins[3] === undefined ? starts.map((_, k) => k) : constInts(ins[3]);
          const steps = ins[4] === undefined ? starts.map(() => 1) : constInts(ins[4]);
          const shape = [...a.shape];
          axes.forEach((ax0, k) => {
            const ax = norm(ax0, shape.length);
            const n = shape[ax];
            if (typeof n !== "number" || steps[k] !== 1) { shape[ax] = "?"; return; }
            const clamp = (v: number) => Math.max(0, Math.min(n, v < 0 ? v + n : v));
            shape[ax] = Math.max(0, clamp(ends[k]) - clamp(starts[k]));
          });
          return [{ kind: "zeros", shape }];
        }
        case "Transpose": {
          const d = data(a);
          const perm = attrs.get("perm")?.ints ?? d.axes.map((_, k) => rank(d) - 1 - k);
          return [{ ...d, axes: perm.map((p) => d.axes[p]) }];
        }
        case "Reshape": {
          const d = data(a);
          const shape = constInts(b);
          const r = d.axes.indexOf("R");
          if (r < 0 || d.axes[r + 1] !== "H" || shape.length !== rank(d) - 1 || d.head !== null) refuse("only merging directions × hidden into features is read");
          const H = layers[d.rows[0][0]].H;
          const ok = shape.every((s, k) => (k === r ? s === -1 || s === d.rows.length * H : s === 0));
          if (!ok) refuse(`reshape to [${shape.join(", ")}] is not read (expected 0 for kept axes and −1 or ${d.rows.length * H} for the features)`);
          return [{ ...d, axes: [...d.axes.slice(0, r), "F", ...d.axes.slice(r + 2)] }];
        }
        case "LSTM": case "GRU": case "RNN":
          return recurrentNode();
        case "MatMul": {
          const d = data(a);
          const w = b?.kind === "const" && b.float && b.dims.length === 2 ? b : refuse("the head's weight must be a constant [features, outputs] matrix");
          if (d.head !== null || d.which === "x" || d.axes[rank(d) - 1] !== "F") refuse("a MatMul reads the recurrent features only");
          const [F, O] = w.dims;
          if (F !== featureWidth(d)) refuse(`the weight has ${F} rows for ${featureWidth(d)} features`);
          const W = new Float32Array(O * F);
          for (let i = 0; i < F; i++) for (let o = 0; o < O; o++) W[o * F + i] = w.data[i * O + o];
          return [{ ...d, axes: [...d.axes.slice(0, -1), "O"], head: { W, O, b: null } }];
        }
        case "Add": {
          const [d, c] = a?.kind === "data" ? [a, b] : [data(b), a];
          const head = d.head;
          if (head === null || head.b !== null || c?.kind !== "const" || !c.float || c.data.length !== head.O || c.dims.some((n, k) => n !== 1 && k !== c.dims.length - 1)) {
            return refuse("an Add reads a head's constant bias [outputs] only");
          }
          return [{ ...d, head: { ...head, b: Float32Array.from(c.data) } }];
        }
        case "Gemm": {
          const d = data(a);
          const w = b?.kind === "const" && b.float && b.dims.length === 2 ? b : refuse("the head's weight must be a constant matrix");
          const c = ins[2];
          if (d.head !== null || d.which === "x" || rank(d) !== 2 || d.axes[1] !== "F") refuse("a Gemm reads [batch, features] states only");
          if (intAttr("transA", 0) !== 0 || (attrs.get("alpha")?.f ?? 1) !== 1 || (attrs.get("beta")?.f ?? 1) !== 1) refuse("alpha, beta and transA must be the defaults");
          const transB = intAttr("transB", 0) === 1;
          const [O, F] = transB ? w.dims : [w.dims[1], w.dims[0]];
          if (F !== featureWidth(d)) refuse(`the weight has ${F} inputs for ${featureWidth(d)} features`);
          const W = transB ? Float32Array.from(w.data) : new Float32Array(O * F);
          if (!transB) for (let i = 0; i < F; i++) for (let o = 0; o < O; o++) W[o * F + i] = w.data[i * O + o];
          let bias: Float32Array | null = null;
          if (c !== undefined) {
            if (c.kind !== "const" || !c.float || c.data.length !== O) refuse("the head's bias must be a constant [outputs]");
            else bias = Float32Array.from(c.data);
          }
          return [{ ...d, axes: [d.axes[0], "O"], head: { W, O, b: bias } }];
        }
        default:
          return refuse();
      }
    }

    /** The rows of a constant table [V, E] for the graph input's token ids: the stack's input x [x0, x1, E]. */
    function embed(): Data {
      const [table] = ins;
      if (table?.kind !== "const" || !table.float || table.dims.length !== 2) return refuse("token ids are read only as indices into a constant float32 table [V, E]");
      if (intAttr("axis", 0) !== 0) refuse("token ids must index the table's rows (axis 0)");
      if (embedding !== null) refuse("the token ids are gathered twice");
      const [V, E] = table.dims;
      embedding = { node: nodeName, V, E, data: Float32Array.from(table.data) };
      inputSize = E;
      return { kind: "data", axes: ["x0", "x1", "I"], which: "x", rows: [], head: null };
    }

    /** The time axis symbol of the stack (bound by the first layer). */
    function timeOf(d: Data): string | undefined {
      return layers.length === 0 ? undefined : d.axes.find((x) => x === layers[0].time);
    }

    function featureWidth(d: Data): number {
      return d.rows.reduce((n, [k]) => n + layers[k].H, 0);
    }

    /** One row of a Y / Y_h (its R axis removed, its H becoming that row's features F). */
    function selectRow(d: Data, axis: number, idx: number, squeeze = false): Data {
      if (squeeze && d.rows.length !== 1) refuse(`axis ${axis} has ${d.rows.length} rows`);
      const row = d.rows[norm0(idx, d.rows.length)] ?? refuse("row index out of range");
      return { ...d, axes: d.axes.filter((_, k) => k !== axis).map((x) => (x === "H" ? "F" : x)), rows: [row] };
    }
    function norm0(i: number, n: number) { return i < 0 ? i + n : i; }

    function isZero(v: Value | undefined): boolean {
      return v?.kind === "zeros" || (v?.kind === "const" && v.float && Array.from(v.data).every((x) => x === 0));
    }

    function recurrentNode(): Array<Value | undefined> {
      const cell = CELL_OF[op];
      const k = layers.length;
      const G = gateCount(cell);
      const known = new Set(["hidden_size", "direction", "activations", "activation_alpha", "activation_beta", "clip", "layout", ...(cell === "lstm" ? ["input_forget"] : []), ...(cell === "gru" ? ["linear_before_reset"] : [])]);
      for (const name of attrs.keys()) if (!known.has(name)) refuse(`attribute '${name}' is not read`);
      if (attrs.has("clip")) refuse("cell clipping (clip) has no rnnkit equivalent");
      if (cell === "lstm" && intAttr("input_forget", 0) !== 0) refuse("input_forget = 1 (coupled input and forget gates) has no rnnkit equivalent");
      // ONNX's default 0 is the reset-before form (rnnkit's resetAfter: false); 1 is PyTorch's.
      const lbr = cell === "gru" ? intAttr("linear_before_reset", 0) : 1;
      if (lbr !== 0 && lbr !== 1) refuse(`linear_before_reset = ${lbr} (expected 0 or 1)`);
      const dirAttr = attrs.get("direction")?.s;
      const direction = dirAttr === undefined ? "forward" : utf8.decode(dirAttr);
      if (direction !== "forward" && direction !== "bidirectional") refuse(`direction '${direction}' is not read (forward and bidirectional are)`);
      const D = direction === "bidirectional" ? 2 : 1;
      const H = attrs.get("hidden_size")?.i ?? refuse("hidden_size is missing");
      const floatsOf = (name: string) => { const f = attrs.get(name)?.floats; return f !== undefined && f.length > 0 ? f : undefined; };
      const stringsOf = attrs.get("activations")?.strings;
      const read = readActivations(cell, D, stringsOf?.map((s) => utf8.decode(s)), floatsOf("activation_alpha"), floatsOf("activation_beta"));
      if (!read.ok) return refuse(read.problem);
      const nonlinearity = read.nonlinearity;
      const gateActivation = read.gateActivation;
      const resetAfter = lbr === 1;
      const layout = intAttr("layout", 0);
      if (layout !== 0 && layout !== 1) refuse(`layout ${layout}`);
      const x = ins[0]?.kind === "data" ? ins[0] : refuse("its input is not computed from the graph input");
      if (x.head !== null || x.axes.length !== 3) refuse("its input is not a sequence");
      const [time, batch] = layout === 0 ? [x.axes[0], x.axes[1]] : [x.axes[1], x.axes[0]];
      const featAxis = x.axes[2];
      if (!/^x[01]$/.test(time) || !/^x[01]$/.test(batch)) refuse("its input's time and batch axes are not the graph input's");
      if (k === 0 ? x.which !== "x" || featAxis !== "I" : x.which !== "y" || featAxis !== "F" || !sameRows(x.rows, layerRows(k - 1, layers[k - 1].D))) {
        refuse(k === 0 ? "the first recurrent layer must read the graph input" : `layer ${k} must read the whole output of layer ${k - 1}`);
      }
      if (k > 0 && (time !== layers[0].time)) refuse("its time axis is not the first layer's");
      const W = ins[1]?.kind === "const" && ins[1].float ? ins[1] : refuse("W must be a float32 constant");
      const R = ins[2]?.kind === "const" && ins[2].float ? ins[2] : refuse("R must be a float32 constant");
      const I = W.dims[2];
      if (W.dims.join() !== [D, G * H, I].join()) refuse(`W is [${W.dims.join(", ")}], expected [${D}, ${G * H}, I]`);
      if (k === 0 && inputSize !== undefined && I !== inputSize) refuse(`W reads ${I} features, the input has ${inputSize}`);
      if (k > 0 && I !== layers[k - 1].D * layers[k - 1].H) refuse(`W reads ${I} features, layer ${k - 1} gives ${layers[k - 1].D * layers[k - 1].H}`);
      if (R.dims.join() !== [D, G * H, H].join()) refuse(`R is [${R.dims.join(", ")}], expected [${D}, ${G * H}, ${H}]`);
      let B: Float32Array | null = null;
      const bIn = ins[3];
      if (bIn !== undefined) {
        if (bIn.kind !== "const" || !bIn.float || bIn.dims.join() !== [D, 2 * G * H].join()) refuse(`B must be a float32 constant [${D}, ${2 * G * H}]`);
        else B = Float32Array.from(bIn.data);
      }
      const seqLens = ins[4];
      if (seqLens !== undefined) {
        refuse(seqLens.kind === "input"
          ? `sequence_lens from a graph input ('${seqLens.name}') is not supported (rnnkit takes lengths at forward time)`
          : "sequence_lens is not supported (rnnkit takes lengths at forward time)");
      }
      const states = cell === "lstm" ? ["initial_h", "initial_c"] : ["initial_h"];
      states.forEach((what, j) => {
        const s = ins[5 + j];
        if (s === undefined) return;
        if (s.kind === "input") refuse(`${what} from a graph input ('${s.name}') is not supported yet`);
        if (!isZero(s)) refuse(`${what} is not zeros (only zero initial states are read)`);
        const shape = s.kind === "zeros" ? s.shape : s.kind === "const" ? s.dims : [];
        const fits = shape.length === 3 && (shape[0] === D || shape[0] === "?") && (shape[2] === H || shape[2] === "?")
          && (typeof shape[1] === "number" || shape[1] === batch || shape[1] === "?");
        if (!fits) refuse(`${what} has shape [${shape.join(", ")}], expected [${D}, batch, ${H}]`);
        zeroStates = true;
      });
      if (cell === "lstm" && ins[7] !== undefined) refuse("peepholes (P) have no rnnkit equivalent");
      const prev = layers[0];
      if (prev !== undefined && (prev.cell !== cell || prev.D !== D || prev.H !== H || prev.nonlinearity !== nonlinearity
        || prev.gateActivation !== gateActivation || prev.resetAfter !== resetAfter)) {
        const what = [prev.cell, `${prev.D} direction(s)`, `hidden ${prev.H}`, ...(prev.nonlinearity === undefined ? [] : [prev.nonlinearity]),
          ...(cell === "rnn" ? [] : [`gates ${prev.gateActivation}`]), ...(cell === "gru" ? [`linear_before_reset ${prev.resetAfter ? 1 : 0}`] : [])];
        refuse(`layer ${k} differs from layer 0 (${what.join(", ")}); an rnnkit stack repeats one layer`);
      }
      if (prev !== undefined && (prev.B === null) !== (B === null)) notes.push(`layer ${k}: ${B === null ? "no B; its biases are zeros" : "B present while layer 0 has none"}`);
      layers.push({ cell, node: nodeName, D, H, I, W: Float32Array.from(W.data), R: Float32Array.from(R.data), B, nonlinearity, gateActivation, resetAfter, time, batch });
      const rows = layerRows(k, D);
      const seq = layout === 0 ? [time, "R", batch, "H"] : [batch, time, "R", "H"];
      const st = layout === 0 ? ["R", batch, "H"] : [batch, "R", "H"];
      const y: Data = { kind: "data", axes: seq, which: "y", rows, head: null };
      const h: Data = { kind: "data", axes: st, which: "h", rows, head: null };
      return cell === "lstm" ? [y, h, { ...h, which: "c" }] : [y, h];
    }
  }
  if (layers.length === 0) throw new Refusal(`${LIFTS}; the graph has no LSTM, GRU or RNN node`);
  if (zeroStates) notes.push("initial states: a constant or shape-built subgraph of zeros, read as rnnkit's default zero state");
  if (tokens && embedding === null) throw new Refusal(`${LIFTS}; the token ids '${xInfo.name ?? ""}' are not gathered from a table`);
  return { layers, values, notes, outputs: (graph.output ?? []).map((o) => o.name ?? ""), opset, embedding: embedding as EmbeddingTable | null };
}

type Kind = "SequenceToSequence" | "SequenceToVector" | "layer";

/** What the graph outputs make of the lifted layers; Refusal when they are not a supported topology. */
function topology(
  layers: Layer[], values: Map<string, Value>, outputs: string[], embedded: boolean,
): { kind: Kind; batchFirst: boolean; head: Head | null } {
  const L = layers.length;
  const top = layers[L - 1];
  const time = layers[0].time;
  const batch = layers[0].batch;
  const batchFirst = time === "x1";
  const topRows = layerRows(L - 1, top.D);
  const get = (name: string): Data => {
    const v = values.get(name);
    if (v?.kind !== "data") throw new Refusal(`${LIFTS}; graph output '${name}' is not computed from the input by the recurrent stack`);
    return v;
  };
  const bad = (name: string, why: string): never => {
    throw new Refusal(`${LIFTS}; graph output '${name}' ${why}`);
  };
  const first = get(outputs[0] ?? "");
  if (first.head !== null) {
    if (outputs.length !== 1) bad(outputs[1], "follows a head output; a headed model has one output");
    const head = first.head.b === null ? { ...first.head, b: new Float32Array(first.head.O) } : first.head;
    if (!sameRows(first.rows, topRows)) bad(outputs[0], "reads a layer other than the top one, or one direction of it");
    if (first.which === "y") {
      if (first.axes.join() !== ["x0", "x1", "O"].join()) bad(outputs[0], "is not laid out as the input is (time and batch swapped)");
      return { kind: "SequenceToSequence", batchFirst, head };
    }
    if (first.which === "h" && first.axes.join() === [batch, "O"].join()) return { kind: "SequenceToVector", batchFirst, head };
    return bad(outputs[0], "is a head on something other than the per-step outputs or the final state");
  }
  if (first.which !== "y" || first.axes.join() !== ["x0", "x1", "F"].join() || !sameRows(first.rows, topRows)) {
    bad(outputs[0], "is neither a head's output nor the top layer's sequence output laid out as the input");
  }
  if (embedded) bad(outputs[0], "is a bare stack's output; token ids are lifted with a Linear head only (a bare RNN / LSTM / GRU reads features)");
  const all = layers.flatMap((l, k) => layerRows(k, l.D));
  const wants = top.cell === "lstm" ? ["h", "c"] : ["h"];
  outputs.slice(1).forEach((name, j) => {
    const d = get(name);
    if (j >= wants.length || d.which !== wants[j] || d.head !== null || d.axes.join() !== ["R", batch, "H"].join() || !sameRows(d.rows, all)) {
      bad(name, `is not the stack's final ${wants[j] ?? "state"} [L·D, batch, H] (every layer's rows in order)`);
    }
  });
  return { kind: "layer", batchFirst, head: null };
}

/** The spec of the module the lifted graph makes (type and constructor options, as model files record them). */
function liftedSpec(layers: Layer[], kind: Kind, batchFirst: boolean, head: Head | null, embedding: EmbeddingTable | null): ModelSpec {
  const l0 = layers[0];
  const options: Record<string, unknown> = {
    ...(embedding === null ? { inputSize: l0.I } : { vocabSize: embedding.V, embeddingSize: embedding.E }), hiddenSize: l0.H, numLayers: layers.length, bidirectional: l0.D === 2, batchFirst, bias: layers.some((l) => l.B !== null),
    ...(l0.cell === "rnn" ? { nonlinearity: l0.nonlinearity } : {}),
    ...(l0.gateActivation !== "sigmoid" ? { gateActivation: l0.gateActivation } : {}),
    ...(!l0.resetAfter ? { resetAfter: false } : {}),
  };
  if (kind === "layer") return { type: l0.cell === "rnn" ? "RNN" : l0.cell === "lstm" ? "LSTM" : "GRU", options };
  return { type: kind, options: { cell: l0.cell, ...options, outputSize: head!.O } };
}

/** The module `spec` describes, its parameters the lifted weights in PyTorch's layout. */
function buildModel(layers: Layer[], spec: ModelSpec, head: Head | null, embedding: EmbeddingTable | null): Module {
  const rng = new Rng(0); // every parameter is overwritten below
  const o = spec.options as { inputSize: number; hiddenSize: number; bias: boolean };
  const bias = o.bias;
  let model: Module;
  let prefix = "";
  switch (spec.type) {
    case "RNN": model = new RNN({ ...o, rng }); break;
    case "LSTM": model = new LSTM({ ...o, rng }); break;
    case "GRU": model = new GRU({ ...o, rng }); break;
    case "SequenceToSequence": model = new SequenceToSequence({ ...(o as ConstructorParameters<typeof SequenceToSequence>[0]), rng }); prefix = "rnn."; break;
    default: model = new SequenceToVector({ ...(o as ConstructorParameters<typeof SequenceToVector>[0]), rng }); prefix = "rnn.";
  }
  const l0 = layers[0];
  const dict: Record<string, { shape: number[]; data: Float32Array }> = {};
  const { cell, H, D } = l0;
  const G = gateCount(cell);
  layers.forEach((l, k) => {
    for (let d = 0; d < D; d++) {
      const s = d === 1 ? "_reverse" : "";
      const part = (src: Float32Array, at: number, n: number) => fromOnnxGateOrder(cell, src.subarray(at, at + n), H);
      dict[`${prefix}weight_ih_l${k}${s}`] = { shape: [G * H, l.I], data: part(l.W, d * G * H * l.I, G * H * l.I) };
      dict[`${prefix}weight_hh_l${k}${s}`] = { shape: [G * H, H], data: part(l.R, d * G * H * H, G * H * H) };
      if (bias) {
        const B = l.B ?? new Float32Array(D * 2 * G * H);
        dict[`${prefix}bias_ih_l${k}${s}`] = { shape: [G * H], data: part(B, d * 2 * G * H, G * H) };
        dict[`${prefix}bias_hh_l${k}${s}`] = { shape: [G * H], data: part(B, d * 2 * G * H + G * H, G * H) };
      }
    }
  });
  if (embedding !== null) dict["embedding.weight"] = { shape: [embedding.V, embedding.E], data: embedding.data };
  if (head !== null) {
    dict["head.weight"] = { shape: [head.O, D * H], data: head.W };
    dict["head.bias"] = { shape: [head.O], data: head.b! };
  }
  model.loadStateDict(dict);
  return model;
}

/** The fields of a spec that say what is computed, with the constructors' defaults filled in. */
function meaning(spec: ModelSpec): string {
  const o = spec.options;
  const type = spec.type;
  const cell = type === "SequenceToSequence" || type === "SequenceToVector" ? o.cell ?? "lstm" : String(type).toLowerCase();
  return JSON.stringify({
    type: type === "RNN" || type === "LSTM" || type === "GRU" ? "layer" : type, cell, inputSize: o.embeddingSize ?? o.inputSize,
    vocabSize: o.vocabSize ?? null, hiddenSize: o.hiddenSize,
    numLayers: o.numLayers ?? 1, bidirectional: o.bidirectional ?? false, batchFirst: o.batchFirst ?? false, bias: o.bias ?? true,
    nonlinearity: cell === "rnn" ? o.nonlinearity ?? "tanh" : null, outputSize: o.outputSize ?? null,
    gateActivation: cell === "rnn" ? null : o.gateActivation ?? "sigmoid", resetAfter: cell === "gru" ? o.resetAfter ?? true : null,
  });
}

/**
 * Reads an ONNX model into a trainable rnnkit module. First it tries to lift the graph into rnnkit's
 * own recurrent modules (kind "lifted"): optionally a Gather of int64 token ids from a constant
 * table (an embedding), then one or more chained LSTM / GRU / RNN nodes (PyTorch's
 * exporter or rnnkit's own `exportOnnx`), optionally with a Linear head on every step →
 * SequenceToSequence, on the final (or last step's) state → SequenceToVector, or none → a bare
 * RNN / LSTM / GRU; weights come back in PyTorch's layout, float32, bit for bit. Any other graph
 * of the interpreter's operators (docs/onnx.md) becomes an OnnxGraph (kind "graph"), checked node
 * by node and run once at its declared shapes before it is built. Refuses, naming `name` (the
 * file) and the node with its operator and opset: operators outside the table, attributes or
 * values it does not run (clip, peepholes, input_forget, activations other than
 * ./gate-attrs.ts accepts), shapes that do not fit; an rnnkit export whose metadata spec disagrees with its
 * graph; bytes that are not an ONNX model. Needs protobufjs.
 * @example
 * const { kind, model, notes } = await importOnnx(readFileSync("tagger.onnx"), "tagger.onnx");
 * const y = model.forward(x); // a SequenceToSequence or an OnnxGraph, trainable like any other module
 */
export async function importOnnx(bytes: Uint8Array, name = "ONNX file"): Promise<OnnxImport> {
  const { ModelProto } = await loadOnnxProto();
  let m: PModel;
  try {
    m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, arrays: true }) as PModel;
  } catch (e) {
    throw new Error(`${name}: not an ONNX model (protobuf decoding failed: ${(e as Error)?.message ?? String(e)})`);
  }
  if (m.graph === undefined || (m.graph.node ?? []).length === 0) throw new Error(`${name}: not an ONNX model (no graph in the ModelProto)`);
  let lifted;
  let topo;
  try {
    lifted = lift(m);
    topo = topology(lifted.layers, lifted.values, lifted.outputs, lifted.embedding !== null);
  } catch (e) {
    if (e instanceof Refusal) return importGraph(m, name, e.message);
    throw e;
  }
  const { layers, notes, embedding } = lifted;
  const planned = liftedSpec(layers, topo.kind, topo.batchFirst, topo.head, embedding);
  const meta = (m.metadata_props ?? []).find((p) => p.key === ONNX_SPEC_KEY)?.value;
  if (meta !== undefined) {
    let claimed: ModelSpec | undefined;
    try { claimed = JSON.parse(meta) as ModelSpec; } catch { /* reported below */ }
    if (typeof claimed !== "object" || claimed === null || meaning(claimed) !== meaning(planned)) {
      throw new Error(`${name}: metadata '${ONNX_SPEC_KEY}' says ${meta.slice(0, 300)}, but the graph is ${JSON.stringify(planned)}`);
    }
    notes.push(`rnnkit export: the graph agrees with its metadata '${ONNX_SPEC_KEY}'`);
  }
  const model = buildModel(layers, planned, topo.head, embedding);
  const spec = specOf(model);
  const l0 = layers[0];
  notes.unshift(
    `${topo.kind === "layer" ? l0.cell.toUpperCase() : topo.kind}: ${embedding === null ? "" : `token ids → embedding [${embedding.V}, ${embedding.E}] (Gather '${embedding.node}'), `}${layers.length} ${l0.cell.toUpperCase()} layer(s) (${layers.map((l) => `'${l.node}'`).join(", ")}), hidden ${l0.H}, ${l0.D === 2 ? "bidirectional" : "forward"}${topo.batchFirst ? ", batch-first" : ""}`
    + `${l0.gateActivation !== "sigmoid" ? `, gates ${l0.gateActivation} (HardSigmoid)` : ""}${l0.resetAfter ? "" : ", reset before the recurrent product (linear_before_reset = 0)"}`,
  );
  return { kind: "lifted", model, spec, notes };
}

/** The graph as an OnnxGraph module, checked and run once at its declared shapes first; `notLifted` is the lifter's reason. */
function importGraph(m: PModel, name: string, notLifted: string): OnnxImport {
  let model: OnnxGraph;
  try {
    const { graph, values } = graphDefOf(m);
    checkGraph(graph);
    dryRun(graph, values);
    model = new OnnxGraph(graph, values);
  } catch (e) {
    if (e instanceof GraphRefusal) throw new Error(`${name}: ${e.message}`);
    throw e;
  }
  const { graph } = model;
  const ops = [...new Set(graph.nodes.map((n) => n.op))];
  const notes = [
    `graph: ${graph.nodes.length} nodes (${ops.join(", ")}), ${graph.params.length} float initializers as parameters, inputs ${graph.inputs.map((v) => `${v.name} ${v.type} [${v.shape.join(", ")}]`).join(", ")}`,
    `not lifted into rnnkit's recurrent modules: ${notLifted}`,
  ];
  return { kind: "graph", model, spec: model.modelSpec(), notes };
}
