/**
 * What every entry of the graph interpreter's operator table is made of: the entry's shape
 * (`OpEntry`: input and output counts, attributes, a check, the evaluation), what an evaluation
 * sees (`OpContext`), the attribute checks and getters, and the value helpers the operators
 * share — inputs as float Tensors or int arrays, axes and indices checked, constants, and a
 * differentiable numpy take (`takeFloat`). The operators themselves are ./graph-ops.ts (math),
 * ./graph-ops-shape.ts (shapes and movement) and ./graph-recurrent.ts.
 */
import { embedding } from "../ops/gather.js";
import { reshape, transpose } from "../ops/movement.js";
import { sizeOf } from "../tensor/shape.js";
import { allocFloats, Tensor, type DType } from "../tensor/tensor.js";
import type { AttrDef, NodeDef, TensorDef } from "./graph-def.js";
import { ints, isInts, type Ints, type Value } from "./graph-values.js";
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
  /** Attributes that must be present. */
  required?: readonly string[];
  /** What else is wrong with the node, seen without its inputs' values (attributes together, defaults). */
  check?: (node: NodeDef) => string | null;
  run(c: OpContext): Value[];
}

// ---- attribute checks ----

export const intAttr = (allowed?: readonly number[]): AttrCheck => (a) =>
  !("i" in a) ? "expected an int" : allowed !== undefined && !allowed.includes(a.i) ? `${a.i} is not supported (${allowed.join(", ")} ${allowed.length === 1 ? "is" : "are"})` : null;
export const intsAttr: AttrCheck = (a) => ("ints" in a ? null : "expected a list of ints");
export const floatAttr: AttrCheck = (a) => ("f" in a ? null : "expected a float");
export const tensorAttr: AttrCheck = (a) => ("t" in a ? null : "expected a tensor");
export const floatsAttr: AttrCheck = (a) => ("floats" in a ? null : "expected a list of floats");

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

export const shapeOf = (v: Value): number[] => (isInts(v) ? v.shape : [...v.shape]);

/** An axis in [−rank, rank) made non-negative; refuses one out of range. */
export function axisIn(c: OpContext, axis: number, rank: number, what = "axis"): number {
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
export function reshapeValue(x: Value, shape: number[]): Value {
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
export function indicesIn(c: OpContext, idx: Ints, n: number): Ints {
  return ints(idx.shape, idx.data.map((i, k) => {
    const j = i < 0 ? i + n : i;
    if (!Number.isInteger(j) || j < 0 || j >= n) c.fail(`index ${i} at position ${k} is out of range for an axis of size ${n}`);
    return j;
  }));
}

/** The sizes of a shape input: non-negative integers. */
export function sizesIn(c: OpContext, k: number): number[] {
  const s = intsIn(c, k);
  if (s.shape.length !== 1) c.fail(`input ${k} must be a 1-D shape, got rank ${s.shape.length}`);
  return s.data;
}
