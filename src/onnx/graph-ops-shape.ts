/**
 * The graph interpreter's shape and movement operators: Gather (embedding lookups from float
 * tables, differentiable w.r.t. the table; indexing of int shape vectors), Shape, Constant,
 * ConstantOfShape, Concat, Slice (any steps), Squeeze, Unsqueeze (axes as inputs, opset 13),
 * Reshape (0 and −1), Transpose, Identity, Cast, Expand. Each runs on float Tensors through
 * rnnkit's movement ops (so gradients flow back through it) and on int arrays as plain index
 * arithmetic — PyTorch's Shape → Gather → Unsqueeze → Concat → ConstantOfShape / Reshape chains
 * follow the actual sizes of the inputs.
 */
import { add } from "../ops/elementwise.js";
import { concat, slice, transpose } from "../ops/movement.js";
import { sizeOf } from "../tensor/shape.js";
import { allocFloats, Tensor } from "../tensor/tensor.js";
import type { TensorDef } from "./graph-def.js";
import { intExpand, ints, intTranspose, isInts, takeAlong, type Ints, type Value } from "./graph-values.js";
import {
  axisIn, floatAttr, floats, floatsAttr, getInt, getInts, indicesIn, intAttr, intsAttr, intsIn, reshapeValue, shapeOf, sizesIn, takeFloat,
  tensorAttr, valueOfTensor, type OpContext, type OpEntry,
} from "./graph-op-kit.js";
import { DataType } from "./proto.js";

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

/** The shape and movement operators, by op_type. */
export const SHAPE_OPS: Record<string, OpEntry> = {
  Gather: { inputs: [2, 2], outputs: [1, 1], attrs: { axis: intAttr() }, run: gather },
  Shape: { inputs: [1, 1], outputs: [1, 1], attrs: { start: intAttr(), end: intAttr() }, run: shapeOp },
  Constant: {
    inputs: [0, 0], outputs: [1, 1],
    attrs: { value: tensorAttr, value_float: floatAttr, value_floats: floatsAttr, value_int: intAttr(), value_ints: intsAttr },
    check: (node) => (Object.keys(node.attrs).length === 1 ? null : "expected exactly one of value, value_float(s), value_int(s)"),
    run: constant,
  },
  ConstantOfShape: { inputs: [1, 1], outputs: [1, 1], attrs: { value: tensorAttr }, run: constantOfShape },
  Concat: { inputs: [1, Infinity], outputs: [1, 1], attrs: { axis: intAttr() }, required: ["axis"], run: concatOp },
  Slice: { inputs: [3, 5], outputs: [1, 1], attrs: {}, run: sliceOp },
  Squeeze: { inputs: [1, 2], outputs: [1, 1], attrs: {}, run: squeeze },
  Unsqueeze: { inputs: [2, 2], outputs: [1, 1], attrs: {}, run: unsqueeze },
  Reshape: { inputs: [2, 2], outputs: [1, 1], attrs: { allowzero: intAttr([0, 1]) }, run: reshapeOp },
  Transpose: { inputs: [1, 1], outputs: [1, 1], attrs: { perm: intsAttr }, run: transposeOp },
  Identity: { inputs: [1, 1], outputs: [1, 1], attrs: {}, run: (c) => [c.inputs[0]!] },
  // saturate (opset 19) only concerns float8 targets, which are refused anyway.
  Cast: { inputs: [1, 1], outputs: [1, 1], attrs: { to: intAttr([DataType.FLOAT, 6, DataType.INT64]), saturate: intAttr() }, required: ["to"], run: cast },
  Expand: { inputs: [2, 2], outputs: [1, 1], attrs: {}, run: expand },
};
