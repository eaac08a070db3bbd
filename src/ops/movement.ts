/**
 * Movement ops: reshape, transpose, concat, slice, split, stack. They only move
 * values, so each backward moves the upstream gradient back to where the value came
 * from and adds it there:
 *
 *   reshape     dx += reshape(g, x.shape)
 *   transpose   dx += transpose(g, perm⁻¹)
 *   concat      dx_k += the k-th block of g along the axis
 *   slice       dx[start:end] += g
 *   split       dx += concat(g_0, g_1, …)      (zeros for a piece that got no gradient)
 *   stack       dx_k += g[k] along the new axis
 *
 * Every result owns a fresh buffer (no views): optimizers and gradcheck write into
 * tensors in place, and an aliased buffer would make such writes spill over.
 */
import { record, gradOf } from "../autograd/tape.js";
import { normalizeAxis, sameShape, shapeToString, ShapeError, sizeOf, stridesOf, type Shape } from "../tensor/shape.js";
import { allocFloats, Tensor, type Floats } from "../tensor/tensor.js";
import { sameDtype } from "./elementwise.js";

/** Product of shape[from:to]. */
function span(shape: Shape, from: number, to: number): number {
  let n = 1;
  for (let d = from; d < to; d++) n *= shape[d];
  return n;
}

/**
 * The same values in a new shape (row-major order unchanged). One size may be −1
 * and is then inferred. @example reshape(x [B, T, H], [-1, H]) → [B·T, H]
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const what = `reshape: x ${shapeToString(x.shape)} (${x.size} values) to ${shapeToString(shape)}`;
  const free = shape.flatMap((d, i) => (d === -1 ? [i] : []));
  if (free.length > 1) throw new ShapeError(`${what}: at most one size may be -1`);
  const resolved = [...shape];
  if (free.length === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) throw new ShapeError(`${what}: the -1 cannot be inferred`);
    resolved[free[0]] = x.size / known;
  }
  if (resolved.some((d) => !Number.isInteger(d) || d < 0)) throw new ShapeError(`${what}: invalid size`);
  if (sizeOf(resolved) !== x.size) throw new ShapeError(`${what}: sizes do not match`);
  const out = new Tensor(x.data.slice(), resolved);
  record("reshape", [x], [out], ([g]) => {
    const dx = gradOf(x);
    if (dx) for (let i = 0; i < g.length; i++) dx[i] += g[i];
  });
  return out;
}

/**
 * Writes (or adds, when `accumulate`) `src` of shape `shape` permuted by `perm` into
 * `dst`: output axis d is input axis perm[d].
 */
function permuteInto(src: Floats, shape: Shape, perm: readonly number[], dst: Floats, accumulate: boolean): void {
  const rank = shape.length;
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]);
  const step = perm.map((p) => inStrides[p]);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < dst.length; o++) {
    if (accumulate) dst[o] += src[off];
    else dst[o] = src[off];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      off += step[d];
      if (idx[d] < outShape[d]) break;
      off -= step[d] * outShape[d];
      idx[d] = 0;
    }
  }
}

/**
 * Permutes the axes: result axis d is x's axis perm[d]. Without `perm`, swaps the
 * last two axes. @example transpose(w [O, I]) → [I, O];  transpose(x [T, B, H], [1, 0, 2]) → [B, T, H]
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const rank = x.rank;
  let p: number[];
  if (perm === undefined) {
    if (rank < 2) throw new ShapeError(`transpose: x ${shapeToString(x.shape)} has fewer than two axes to swap`);
    p = [...x.shape.keys()];
    p[rank - 2] = rank - 1;
    p[rank - 1] = rank - 2;
  } else {
    p = perm.map((a) => (a < 0 ? a + rank : a));
    const seen = new Set(p);
    if (p.length !== rank || seen.size !== rank || p.some((a) => !Number.isInteger(a) || a < 0 || a >= rank)) {
      throw new ShapeError(
        `transpose: ${shapeToString(perm)} is not a permutation of the ${rank} axes of x ${shapeToString(x.shape)}`,
      );
    }
  }
  const inverse = new Array<number>(rank);
  p.forEach((a, d) => (inverse[a] = d));
  const out = new Tensor(allocFloats(x.dtype, x.size), p.map((a) => x.shape[a]));
  permuteInto(x.data, x.shape, p, out.data, false);
  record("transpose", [x], [out], ([g]) => {
    const dx = gradOf(x);
    if (dx) permuteInto(g, out.shape, inverse, dx, true);
  });
  return out;
}

/**
 * Joins tensors along an existing axis; all other sizes must agree.
 * @example concat([hForward [B, H], hBackward [B, H]], -1) → [B, 2H]
 */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError("concat: needs at least one tensor");
  const first = tensors[0];
  const ax = normalizeAxis("concat", axis, first.rank);
  const dtype = sameDtype("concat", tensors);
  tensors.forEach((t, k) => {
    const fits = t.rank === first.rank && t.shape.every((d, i) => i === ax || d === first.shape[i]);
    if (!fits) {
      throw new ShapeError(
        `concat: tensor ${k} ${shapeToString(t.shape)} and tensor 0 ${shapeToString(first.shape)} differ outside axis ${ax}`,
      );
    }
  });
  const outer = span(first.shape, 0, ax);
  const inner = span(first.shape, ax + 1, first.rank);
  // Each tensor contributes one contiguous block of (its axis size)·inner values per outer index.
  const blocks = tensors.map((t) => t.shape[ax] * inner);
  const row = blocks.reduce((s, b) => s + b, 0);
  const shape = [...first.shape];
  shape[ax] = tensors.reduce((s, t) => s + t.shape[ax], 0);
  const out = new Tensor(allocFloats(dtype, outer * row), shape);
  for (let o = 0; o < outer; o++) {
    let at = o * row;
    tensors.forEach((t, k) => {
      out.data.set(t.data.subarray(o * blocks[k], (o + 1) * blocks[k]), at);
      at += blocks[k];
    });
  }
  record("concat", tensors, [out], ([g]) => {
    tensors.forEach((t, k) => {
      const dt = gradOf(t);
      if (!dt) return;
      let at = 0;
      for (let j = 0; j < k; j++) at += blocks[j];
      for (let o = 0; o < outer; o++) {
        const src = o * row + at;
        const dst = o * blocks[k];
        for (let i = 0; i < blocks[k]; i++) dt[dst + i] += g[src + i];
      }
    });
  });
  return out;
}

/**
 * x[start:end] along `axis` (end defaults to the axis size; negative positions count
 * from the end). Out-of-range bounds are an error rather than clamped.
 * @example slice(h [L, B, H], 0, -1) → the last layer's state [1, B, H]
 */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const ax = normalizeAxis("slice", axis, x.rank);
  const size = x.shape[ax];
  const s = start < 0 ? start + size : start;
  const e = end === undefined ? size : end < 0 ? end + size : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > size || s > e) {
    throw new ShapeError(
      `slice: [${start}, ${end ?? size}) is out of range for axis ${axis} (size ${size}) of x ${shapeToString(x.shape)}`,
    );
  }
  const outer = span(x.shape, 0, ax);
  const inner = span(x.shape, ax + 1, x.rank);
  const shape = [...x.shape];
  shape[ax] = e - s;
  const rowIn = size * inner;
  const rowOut = (e - s) * inner;
  const out = new Tensor(allocFloats(x.dtype, outer * rowOut), shape);
  for (let o = 0; o < outer; o++) {
    out.data.set(x.data.subarray(o * rowIn + s * inner, o * rowIn + e * inner), o * rowOut);
  }
  record("slice", [x], [out], ([g]) => {
    const dx = gradOf(x);
    if (!dx) return;
    for (let o = 0; o < outer; o++) {
      const src = o * rowOut;
      const dst = o * rowIn + s * inner;
      for (let i = 0; i < rowOut; i++) dx[dst + i] += g[src + i];
    }
  });
  return out;
}

/**
 * Cuts x along `axis` into pieces of the given sizes (which must add up to the axis
 * size), or into equal pieces of size `sizes` when it is a number. One op with
 * several outputs, so the backward runs once.
 * @example const [i, f, g, o] = split(gates [B, 4H], -1, H)
 */
export function split(x: Tensor, axis: number, sizes: number | readonly number[]): Tensor[] {
  const ax = normalizeAxis("split", axis, x.rank);
  const size = x.shape[ax];
  let pieces: number[];
  if (typeof sizes === "number") {
    if (!Number.isInteger(sizes) || sizes <= 0 || size % sizes !== 0) {
      throw new ShapeError(`split: axis ${axis} of x ${shapeToString(x.shape)} (size ${size}) is not a multiple of ${sizes}`);
    }
    pieces = new Array<number>(size / sizes).fill(sizes);
  } else {
    pieces = [...sizes];
    const total = pieces.reduce((s, p) => s + p, 0);
    if (pieces.some((p) => !Number.isInteger(p) || p < 0) || total !== size) {
      throw new ShapeError(
        `split: sizes ${shapeToString(pieces)} do not add up to axis ${axis} (size ${size}) of x ${shapeToString(x.shape)}`,
      );
    }
  }
  const outer = span(x.shape, 0, ax);
  const inner = span(x.shape, ax + 1, x.rank);
  const rowIn = size * inner;
  const starts: number[] = [];
  let at = 0;
  for (const p of pieces) {
    starts.push(at);
    at += p * inner;
  }
  const outs = pieces.map((p, k) => {
    const shape = [...x.shape];
    shape[ax] = p;
    const t = new Tensor(allocFloats(x.dtype, outer * p * inner), shape);
    const block = p * inner;
    for (let o = 0; o < outer; o++) {
      t.data.set(x.data.subarray(o * rowIn + starts[k], o * rowIn + starts[k] + block), o * block);
    }
    return t;
  });
  record("split", [x], outs, (grads) => {
    const dx = gradOf(x);
    if (!dx) return;
    grads.forEach((g, k) => {
      const block = pieces[k] * inner;
      for (let o = 0; o < outer; o++) {
        const dst = o * rowIn + starts[k];
        for (let i = 0; i < block; i++) dx[dst + i] += g[o * block + i];
      }
    });
  });
  return outs;
}

/**
 * Joins same-shaped tensors along a new axis (0 ≤ axis ≤ rank; negative counts from
 * the end of the result). @example stack(hs: T × [B, H], 0) → [T, B, H]
 */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new ShapeError("stack: needs at least one tensor");
  const first = tensors[0];
  const ax = normalizeAxis("stack", axis, first.rank + 1);
  const dtype = sameDtype("stack", tensors);
  tensors.forEach((t, k) => {
    if (!sameShape(t.shape, first.shape)) {
      throw new ShapeError(`stack: tensor ${k} ${shapeToString(t.shape)} and tensor 0 ${shapeToString(first.shape)} differ`);
    }
  });
  const outer = span(first.shape, 0, ax);
  const block = span(first.shape, ax, first.rank);
  const n = tensors.length;
  const shape = [...first.shape.slice(0, ax), n, ...first.shape.slice(ax)];
  const out = new Tensor(allocFloats(dtype, outer * n * block), shape);
  for (let o = 0; o < outer; o++) {
    tensors.forEach((t, k) => out.data.set(t.data.subarray(o * block, (o + 1) * block), (o * n + k) * block));
  }
  record("stack", tensors, [out], ([g]) => {
    tensors.forEach((t, k) => {
      const dt = gradOf(t);
      if (!dt) return;
      for (let o = 0; o < outer; o++) {
        const src = (o * n + k) * block;
        for (let i = 0; i < block; i++) dt[o * block + i] += g[src + i];
      }
    });
  });
  return out;
}
