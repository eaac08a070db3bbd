/**
 * The values flowing through the graph interpreter: float data as rnnkit Tensors (float32, with
 * autodiff), integer data — shapes, indices, token ids, lengths — as plain int arrays with a
 * shape, which carry no gradient. Here: the int arrays and the index arithmetic both kinds share
 * (numpy broadcasting of ints, take along an axis, axis permutation). The operators are
 * ./graph-ops.ts, ./graph-ops-shape.ts and ./graph-recurrent.ts.
 */
import { broadcastIndex } from "../ops/elementwise.js";
import { broadcastShapes, sizeOf, stridesOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

/** An integer tensor: row-major values (exact integers) and their shape. */
export interface Ints {
  kind: "ints";
  shape: number[];
  data: number[];
}

export type Value = Tensor | Ints;

export const ints = (shape: number[], data: number[]): Ints => ({ kind: "ints", shape, data });
export const isInts = (v: Value): v is Ints => !(v instanceof Tensor);

/** The element-wise `f` of two int arrays, broadcast as numpy does. */
export function intBinary(op: string, a: Ints, b: Ints, f: (x: number, y: number) => number): Ints {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const ia = broadcastIndex(shape, a.shape);
  const ib = broadcastIndex(shape, b.shape);
  return ints(shape, Array.from({ length: sizeOf(shape) }, (_, o) => f(a.data[ia[o]], b.data[ib[o]])));
}

/** `a` broadcast to `shape` (numpy's rule: trailing axes aligned, size-1 axes repeated). */
export function intExpand(a: Ints, shape: readonly number[]): Ints {
  const out = broadcastShapes("Expand", a.shape, shape);
  const ia = broadcastIndex(out, a.shape);
  return ints(out, Array.from(ia, (i) => a.data[i]));
}

/** The axes of `a` permuted: result axis d is a's axis perm[d]. */
export function intTranspose(a: Ints, perm: readonly number[]): Ints {
  const strides = stridesOf(a.shape);
  const shape = perm.map((p) => a.shape[p]);
  const n = sizeOf(shape);
  const out = new Array<number>(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < n; o++) {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += idx[d] * strides[perm[d]];
    out[o] = a.data[off];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return ints(shape, out);
}

/**
 * numpy's take: the entries of `a` at positions `index` (already in range, non-negative) along
 * `axis`, the index's shape replacing that axis. Works for any element array.
 */
export function takeAlong<T>(data: readonly T[], shape: readonly number[], axis: number, index: Ints): { shape: number[]; data: T[] } {
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const n = shape[axis];
  const out: T[] = [];
  for (let o = 0; o < outer; o++) {
    for (const i of index.data) for (let k = 0; k < inner; k++) out.push(data[(o * n + i) * inner + k]);
  }
  return { shape: [...shape.slice(0, axis), ...index.shape, ...shape.slice(axis + 1)], data: out };
}

/** The integers a Tensor holds (token ids fed as float tensors); refuses a non-integer value. */
export function intsOfTensor(t: Tensor, what: string): Ints {
  const data = Array.from(t.data);
  const bad = data.findIndex((v) => !Number.isSafeInteger(v));
  if (bad >= 0) throw new Error(`${what}: value ${data[bad]} at position ${bad} is not an integer (the graph reads integer ids here)`);
  return ints([...t.shape], data);
}
