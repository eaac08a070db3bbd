/**
 * The graph interpreter's operator table: one entry per ONNX operator it runs, with what the
 * checker (./graph-check.ts) verifies before anything is built — input and output counts, the
 * attributes and their values — and its evaluation. Float data runs on rnnkit's differentiable
 * ops (src/ops), so gradients reach every float initializer; integer data (Shape → Gather →
 * Concat → Reshape arithmetic, token ids) runs on plain int arrays (./graph-values.ts).
 * Semantics are ai.onnx opset 13 onward (Softmax over one axis, Squeeze / Unsqueeze axes as
 * inputs). The recurrent operators are ./graph-recurrent.ts. Not here: anything the table lacks.
 */
import { add, div, mul, relu, scale, sigmoid, sub, tanh } from "../ops/elementwise.js";
import { embedding } from "../ops/gather.js";
import { linear, matmul } from "../ops/matmul.js";
import { concat, reshape, slice, transpose } from "../ops/movement.js";
import { logSoftmax, softmax } from "../ops/softmax.js";
import { sizeOf } from "../tensor/shape.js";
import { allocFloats, Tensor, type DType } from "../tensor/tensor.js";
import type { AttrDef, NodeDef, TensorDef } from "./graph-def.js";
import { intBinary, intExpand, ints, intTranspose, isInts, takeAlong, type Ints, type Value } from "./graph-values.js";
import { DataType } from "./proto.js";

/** What an operator's evaluation sees: its node, its inputs (undefined where left out) and how to refuse. */
export interface OpContext {
  node: NodeDef;
  opset: number;
  /** The float dtype of the run: float32 normally, float64 for finite-difference checks. */
  dtype: DType;
  inputs: Array<Value | undefined>;
  /** Throws, naming the node, its operator and the opset. */
  fail(why: string): never;
}

/** null when the attribute's value is supported, else what is wrong with it. */
export type AttrCheck = (a: AttrDef) => string | null;

export interface OpEntry {
  /** Fewest and most inputs (optional trailing ones may be left out or ""). */
  inputs: readonly [number, number];
  outputs: readonly [number, number];
  /** The attributes read; any other is refused. */
  attrs: Readonly<Record<string, AttrCheck>>;
  /** What else is wrong with the node, seen without its inputs' values (attributes together, defaults). */
  check?: (node: NodeDef) => string | null;
  run(c: OpContext): Value[];
}

// ---- attribute checks ----

export const intAttr = (allowed?: readonly number[]): AttrCheck => (a) =>
  !("i" in a) ? "expected an int" : allowed !== undefined && !allowed.includes(a.i) ? `${a.i} is not supported (${allowed.join(", ")} ${allowed.length === 1 ? "is" : "are"})` : null;
export const intsAttr: AttrCheck = (a) => ("ints" in a ? null : "expected a list of ints");
export const floatAttr: AttrCheck = (a) => ("f" in a ? null : "expected a float");
const tensorAttr: AttrCheck = (a) => ("t" in a ? null : "expected a tensor");
const floatsAttr: AttrCheck = (a) => ("floats" in a ? null : "expected a list of floats");

/** The attribute `name` of `node` as an int / ints / float / string / tensor, or `dflt`. */
export const getInt = (n: NodeDef, name: string, dflt: number): number => { const a = n.attrs[name]; return a !== undefined && "i" in a ? a.i : dflt; };
export const getInts = (n: NodeDef, name: string): number[] | undefined => { const a = n.attrs[name]; return a !== undefined && "ints" in a ? a.ints : undefined; };
export const getFloat = (n: NodeDef, name: string, dflt: number): number => { const a = n.attrs[name]; return a !== undefined && "f" in a ? a.f : dflt; };
export const getString = (n: NodeDef, name: string): string | undefined => { const a = n.attrs[name]; return a !== undefined && "s" in a ? a.s : undefined; };
export const getStrings = (n: NodeDef, name: string): string[] | undefined => { const a = n.attrs[name]; return a !== undefined && "strings" in a ? a.strings : undefined; };

// ---- value helpers ----

/** Input k as float data; refuses integers or a missing input. */
export function floatIn(c: OpContext, k: number): Tensor {
  const v = c.inputs[k];
  if (v === undefined) return c.fail(`input ${k} is missing`);
  if (isInts(v)) return c.fail(`input ${k} ('${c.node.inputs[k]}') is integer data where float data is read`);
  return v;
}

/** Input k as integer data; refuses float data or a missing input. */
export function intsIn(c: OpContext, k: number): Ints {
  const v = c.inputs[k];
  if (v === undefined) return c.fail(`input ${k} is missing`);
  if (!isInts(v)) return c.fail(`input ${k} ('${c.node.inputs[k]}') is float data where integers (a shape, axes or indices) are read`);
  return v;
}

const shapeOf = (v: Value): number[] => (isInts(v) ? v.shape : [...v.shape]);

/** An axis in [−rank, rank) made non-negative; refuses one out of range. */
function axisIn(c: OpContext, axis: number, rank: number, what = "axis"): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) c.fail(`${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Float data of `dtype` (no gradient) from numbers. */
export function floats(dtype: DType, data: ArrayLike<number>, shape: readonly number[]): Tensor {
  const out = allocFloats(dtype, data.length);
  out.set(data);
  return new Tensor(out, shape);
}

/** A constant tensor as a value: float data of `dtype` (no gradient) or integers. */
export function valueOfTensor(t: TensorDef, dtype: DType = "float32"): Value {
  return t.dataType === DataType.FLOAT ? floats(dtype, t.data, t.dims) : ints([...t.dims], [...t.data]);
}

/** `x` reshaped (float with autodiff, or ints). */
function reshapeValue(x: Value, shape: number[]): Value {
  return isInts(x) ? ints(shape, x.data) : reshape(x, shape);
}

/**
 * numpy's take on float data along `axis` with in-range indices, differentiable: the axis is
 * moved first and flattened rows are looked up with `embedding` (whose backward scatter-adds
 * into the table), then the index axes are put where the axis was.
 */
export function takeFloat(x: Tensor, axis: number, index: Ints): Tensor {
  const r = x.rank;
  const rest = x.shape.filter((_, k) => k !== axis);
  const front = axis === 0 ? x : transpose(x, [axis, ...rest.map((_, k) => (k < axis ? k : k + 1))]);
  const table = reshape(front, [x.shape[axis], sizeOf(rest)]);
  const picked = reshape(embedding(table, index.data, index.shape), [...index.shape, ...rest]);
  if (axis === 0) return picked;
  const k = index.shape.length;
  const perm = Array.from({ length: r - 1 + k }, (_, j) => (j < axis ? k + j : j < axis + k ? j - axis : j));
  return transpose(picked, perm);
}

/** Index values checked against an axis of size n, negatives counted from the end. */
function indicesIn(c: OpContext, idx: Ints, n: number): Ints {
  return ints(idx.shape, idx.data.map((i, k) => {
    const j = i < 0 ? i + n : i;
    if (!Number.isInteger(j) || j < 0 || j >= n) c.fail(`index ${i} at position ${k} is out of range for an axis of size ${n}`);
    return j;
  }));
}

// ---- the operators ----

type Binary = (a: Tensor, b: Tensor) => Tensor;
function binaryEntry(f: Binary, g: (x: number, y: number) => number): OpEntry {
  return {
    inputs: [2, 2], outputs: [1, 1], attrs: {},
    run: (c) => {
      const [a, b] = [c.inputs[0]!, c.inputs[1]!];
      if (isInts(a) && isInts(b)) return [intBinary(c.node.op, a, b, g)];
      if (isInts(a) || isInts(b)) return c.fail("one input is float data and the other integers");
      return [f(a, b)];
    },
  };
}

const unaryEntry = (f: (x: Tensor) => Tensor): OpEntry => ({ inputs: [1, 1], outputs: [1, 1], attrs: {}, run: (c) => [f(floatIn(c, 0))] });

const softmaxEntry = (f: (x: Tensor, axis: number) => Tensor): OpEntry => ({
  inputs: [1, 1], outputs: [1, 1], attrs: { axis: intAttr() },
  run: (c) => {
    const x = floatIn(c, 0);
    return [f(x, axisIn(c, getInt(c.node, "axis", -1), x.rank))];
  },
});

function matMul(c: OpContext): Value[] {
  const [a, b] = [floatIn(c, 0), floatIn(c, 1)];
  if (b.rank === 2) return [matmul(a, b)];
  if (b.rank === 1) return [reshape(matmul(a, reshape(b, [b.shape[0], 1])), a.shape.slice(0, -1))];
  return c.fail(`a right operand of rank ${b.rank} (a batched MatMul) is not run; the interpreter multiplies by matrices [K, N] and vectors`);
}

function gemm(c: OpContext): Value[] {
  const [a0, b] = [floatIn(c, 0), floatIn(c, 1)];
  if (a0.rank !== 2 || b.rank !== 2) c.fail(`A and B must be matrices, got ranks ${a0.rank} and ${b.rank}`);
  const a = getInt(c.node, "transA", 0) === 1 ? transpose(a0) : a0;
  let y = getInt(c.node, "transB", 0) === 1 ? linear(a, b) : matmul(a, b);
  const alpha = getFloat(c.node, "alpha", 1);
  if (alpha !== 1) y = scale(y, alpha);
  if (c.inputs[2] === undefined) return [y];
  const beta = getFloat(c.node, "beta", 1);
  const cc = floatIn(c, 2);
  return [add(y, beta === 1 ? cc : scale(cc, beta))];
}

function gather(c: OpContext): Value[] {
  const data = c.inputs[0]!;
  const shape = shapeOf(data);
  if (shape.length === 0) c.fail("the data is a scalar");
  const axis = axisIn(c, getInt(c.node, "axis", 0), shape.length);
  const idx = indicesIn(c, intsIn(c, 1), shape[axis]);
  if (!isInts(data)) return [takeFloat(data, axis, idx)];
  const t = takeAlong(data.data, data.shape, axis, idx);
  return [ints(t.shape, t.data)];
}

function shapeOp(c: OpContext): Value[] {
  const s = shapeOf(c.inputs[0]!);
  const r = s.length;
  const clamp = (v: number) => Math.max(0, Math.min(r, v < 0 ? v + r : v));
  const [from, to] = [clamp(getInt(c.node, "start", 0)), clamp(getInt(c.node, "end", r))];
  const dims = s.slice(from, Math.max(from, to));
  return [ints([dims.length], dims)];
}

function constant(c: OpContext): Value[] {
  const names = Object.keys(c.node.attrs);
  if (names.length !== 1) c.fail(`expected exactly one of value, value_float(s), value_int(s); got ${names.length === 0 ? "none" : names.join(", ")}`);
  const a = c.node.attrs[names[0]];
  if ("t" in a) return [valueOfTensor(a.t, c.dtype)];
  if ("f" in a) return [floats(c.dtype, [a.f], [])];
  if ("floats" in a) return [floats(c.dtype, a.floats, [a.floats.length])];
  if ("i" in a) return [ints([], [a.i])];
  if ("ints" in a) return [ints([a.ints.length], [...a.ints])];
  return c.fail("unreachable: the checker admits only tensor, float and int constants");
}

/** The sizes of a shape input: non-negative integers. */
function sizesIn(c: OpContext, k: number): number[] {
  const s = intsIn(c, k);
  if (s.shape.length !== 1) c.fail(`input ${k} must be a 1-D shape, got rank ${s.shape.length}`);
  return s.data;
}

function constantOfShape(c: OpContext): Value[] {
  const shape = sizesIn(c, 0);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) c.fail(`shape [${shape.join(", ")}] has a negative size`);
  const a = c.node.attrs.value;
  const t: TensorDef = a !== undefined && "t" in a ? a.t : { dataType: DataType.FLOAT, dims: [1], data: [0] };
  if (t.data.length !== 1) c.fail(`value must hold one element, it holds ${t.data.length}`);
  const n = sizeOf(shape);
  return [t.dataType === DataType.FLOAT ? new Tensor(allocFloats(c.dtype, n).fill(t.data[0]), shape) : ints(shape, new Array<number>(n).fill(t.data[0]))];
}

function concatOp(c: OpContext): Value[] {
  const vs = c.inputs.filter((v): v is Value => v !== undefined);
  const first = shapeOf(vs[0]);
  const axis = axisIn(c, getInt(c.node, "axis", 0), first.length);
  if (vs.every((v) => !isInts(v))) return [concat(vs as Tensor[], axis)];
  if (!vs.every(isInts)) return c.fail("mixes float data and integers");
  const parts = vs as Ints[];
  parts.forEach((p, k) => {
    if (p.shape.length !== first.length || p.shape.some((d, i) => i !== axis && d !== first[i])) c.fail(`input ${k} [${p.shape.join(", ")}] and input 0 [${first.join(", ")}] differ outside axis ${axis}`);
  });
  const outer = sizeOf(first.slice(0, axis));
  const data: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const block = sizeOf(p.shape.slice(axis));
      data.push(...p.data.slice(o * block, (o + 1) * block));
    }
  }
  const shape = [...first];
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
  return [ints(shape, data)];
}

/** ONNX Slice's positions along one axis of size n: start, end and step clamped as the spec says. */
function slicePositions(start: number, end: number, step: number, n: number): number[] {
  const norm = (v: number) => (v < 0 ? v + n : v);
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));
  const [s, e] = step > 0 ? [clamp(norm(start), 0, n), clamp(norm(end), 0, n)] : [clamp(norm(start), 0, n - 1), clamp(norm(end), -1, n - 1)];
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

function sliceOp(c: OpContext): Value[] {
  let x = c.inputs[0]!;
  const starts = intsIn(c, 1).data;
  const ends = intsIn(c, 2).data;
  const rank = shapeOf(x).length;
  const axes = c.inputs[3] === undefined ? starts.map((_, k) => k) : intsIn(c, 3).data;
  const steps = c.inputs[4] === undefined ? starts.map(() => 1) : intsIn(c, 4).data;
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) c.fail("starts, ends, axes and steps differ in length");
  axes.forEach((a, k) => {
    const axis = axisIn(c, a, rank);
    if (steps[k] === 0) c.fail("a step is 0");
    const n = shapeOf(x)[axis];
    const pos = slicePositions(starts[k], ends[k], steps[k], n);
    if (!isInts(x) && steps[k] === 1) {
      x = slice(x, axis, pos[0] ?? 0, pos.length === 0 ? pos[0] ?? 0 : pos[pos.length - 1] + 1);
      return;
    }
    const index = ints([pos.length], pos);
    if (isInts(x)) {
      const t = takeAlong(x.data, x.shape, axis, index);
      x = ints(t.shape, t.data);
    } else x = takeFloat(x, axis, index);
  });
  return [x];
}

function squeeze(c: OpContext): Value[] {
  const x = c.inputs[0]!;
  const shape = shapeOf(x);
  const axes = c.inputs[1] === undefined ? shape.flatMap((d, k) => (d === 1 ? [k] : [])) : intsIn(c, 1).data.map((a) => axisIn(c, a, shape.length));
  for (const a of axes) if (shape[a] !== 1) c.fail(`axis ${a} has size ${shape[a]}, not 1`);
  return [reshapeValue(x, shape.filter((_, k) => !axes.includes(k)))];
}

function unsqueeze(c: OpContext): Value[] {
  const x = c.inputs[0]!;
  const shape = shapeOf(x);
  const r = shape.length + intsIn(c, 1).data.length;
  const axes = intsIn(c, 1).data.map((a) => axisIn(c, a, r));
  if (new Set(axes).size !== axes.length) c.fail("an axis is given twice");
  const out: number[] = [];
  let k = 0;
  for (let d = 0; d < r; d++) out.push(axes.includes(d) ? 1 : shape[k++]);
  return [reshapeValue(x, out)];
}

function reshapeOp(c: OpContext): Value[] {
  const x = c.inputs[0]!;
  const shape = shapeOf(x);
  const want = sizesIn(c, 1);
  const allowZero = getInt(c.node, "allowzero", 0) === 1;
  const resolved = want.map((d, k) => (d === 0 && !allowZero ? shape[k] ?? c.fail(`size 0 at position ${k} copies an axis the input [${shape.join(", ")}] lacks`) : d));
  const free = resolved.filter((d) => d === -1).length;
  if (free > 1 || resolved.some((d) => !Number.isInteger(d) || d < -1)) c.fail(`shape [${want.join(", ")}] is not a shape (one −1 at most)`);
  const known = sizeOf(resolved.filter((d) => d !== -1));
  const total = sizeOf(shape);
  const final = resolved.map((d) => (d === -1 ? (known === 0 ? 0 : total / known) : d));
  if (sizeOf(final) !== total || final.some((d) => !Number.isInteger(d))) c.fail(`input [${shape.join(", ")}] (${total} values) cannot be reshaped to [${want.join(", ")}]`);
  return [reshapeValue(x, final)];
}

function transposeOp(c: OpContext): Value[] {
  const x = c.inputs[0]!;
  const r = shapeOf(x).length;
  const perm = getInts(c.node, "perm") ?? Array.from({ length: r }, (_, k) => r - 1 - k);
  if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= r)) c.fail(`perm [${perm.join(", ")}] is not a permutation of ${r} axes`);
  return [isInts(x) ? intTranspose(x, perm) : transpose(x, perm)];
}

function cast(c: OpContext): Value[] {
  const x = c.inputs[0]!;
  const to = getInt(c.node, "to", 0);
  if (to === DataType.FLOAT) return [isInts(x) ? floats(c.dtype, x.data, x.shape) : x];
  // To an integer type: float data is truncated toward zero (ONNX's rule) and leaves the tape.
  return [isInts(x) ? x : ints([...x.shape], Array.from(x.data, Math.trunc))];
}

function expand(c: OpContext): Value[] {
  const x = c.inputs[0]!;
  const shape = sizesIn(c, 1);
  if (isInts(x)) return [intExpand(x, shape)];
  // x + zeros(shape) broadcasts both ways as Expand does, and its backward sums the copies into x.
  return [add(x, Tensor.zeros(shape, { dtype: x.dtype }))];
}

/** Integer division truncates toward zero (C's rule, which ONNX runtimes follow); by zero it is refused. */
const INT_DIV = (x: number, y: number) => {
  if (y === 0) throw new RangeError(`integer division of ${x} by zero`);
  return Math.trunc(x / y);
};

/** Every operator the interpreter runs, by op_type (recurrent ones added by ./graph-recurrent.ts). */
export const OPS: Record<string, OpEntry> = {
  Add: binaryEntry(add, (x, y) => x + y),
  Sub: binaryEntry(sub, (x, y) => x - y),
  Mul: binaryEntry(mul, (x, y) => x * y),
  Div: binaryEntry(div, INT_DIV),
  Tanh: unaryEntry(tanh),
  Sigmoid: unaryEntry(sigmoid),
  Relu: unaryEntry(relu),
  Softmax: softmaxEntry(softmax),
  LogSoftmax: softmaxEntry(logSoftmax),
  MatMul: { inputs: [2, 2], outputs: [1, 1], attrs: {}, run: matMul },
  Gemm: { inputs: [2, 3], outputs: [1, 1], attrs: { alpha: floatAttr, beta: floatAttr, transA: intAttr([0, 1]), transB: intAttr([0, 1]) }, run: gemm },
  Gather: { inputs: [2, 2], outputs: [1, 1], attrs: { axis: intAttr() }, run: gather },
  Shape: { inputs: [1, 1], outputs: [1, 1], attrs: { start: intAttr(), end: intAttr() }, run: shapeOp },
  Constant: {
    inputs: [0, 0], outputs: [1, 1],
    attrs: { value: tensorAttr, value_float: floatAttr, value_floats: floatsAttr, value_int: intAttr(), value_ints: intsAttr },
    run: constant,
  },
  ConstantOfShape: { inputs: [1, 1], outputs: [1, 1], attrs: { value: tensorAttr }, run: constantOfShape },
  Concat: { inputs: [1, Infinity], outputs: [1, 1], attrs: { axis: intAttr() }, run: concatOp },
  Slice: { inputs: [3, 5], outputs: [1, 1], attrs: {}, run: sliceOp },
  Squeeze: { inputs: [1, 2], outputs: [1, 1], attrs: {}, run: squeeze },
  Unsqueeze: { inputs: [2, 2], outputs: [1, 1], attrs: {}, run: unsqueeze },
  Reshape: { inputs: [2, 2], outputs: [1, 1], attrs: { allowzero: intAttr([0, 1]) }, run: reshapeOp },
  Transpose: { inputs: [1, 1], outputs: [1, 1], attrs: { perm: intsAttr }, run: transposeOp },
  Identity: { inputs: [1, 1], outputs: [1, 1], attrs: {}, run: (c) => [c.inputs[0]!] },
  Cast: { inputs: [1, 1], outputs: [1, 1], attrs: { to: intAttr([DataType.FLOAT, 6, DataType.INT64]), saturate: intAttr() }, run: cast },
  Expand: { inputs: [2, 2], outputs: [1, 1], attrs: {}, run: expand },
};

/** Attributes that must be present. */
export const REQUIRED_ATTRS: Readonly<Record<string, readonly string[]>> = { Cast: ["to"], Concat: ["axis"] };
