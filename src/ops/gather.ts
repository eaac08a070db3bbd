/**
 * Index ops: embedding lookup (a row gather with a scatter-add backward) and one-hot
 * encoding. Indices are plain numbers, not tensors: they carry no gradient.
 *
 *   embedding:  y[n, :] = table[idx[n], :]      dtable[idx[n], :] += g[n, :]
 *               (a row looked up twice receives both gradients)
 *   oneHot:     y[n, k] = (idx[n] = k)          no gradient
 */
import { record, gradOf } from "../autograd/tape.js";
import { shapeToString, ShapeError, sizeOf, type Shape } from "../tensor/shape.js";
import { allocFloats, Tensor, type DType } from "../tensor/tensor.js";

function checkIndices(op: string, indices: ArrayLike<number>, rows: number, what: string): void {
  for (let n = 0; n < indices.length; n++) {
    const v = indices[n];
    if (!Number.isInteger(v) || v < 0 || v >= rows) {
      throw new RangeError(`${op}: index ${v} at position ${n} is not an integer in [0, ${rows}) (${what})`);
    }
  }
}

/**
 * Rows of `table` [V, E] picked by `indices`, shaped [...shape, E]; `shape` defaults
 * to [indices.length]. @example embedding(table [V, E], tokens, [B, T]) → [B, T, E]
 */
export function embedding(table: Tensor, indices: ArrayLike<number>, shape?: Shape): Tensor {
  if (table.rank !== 2) throw new ShapeError(`embedding: table ${shapeToString(table.shape)} must be 2-D [V, E]`);
  const [V, E] = table.shape;
  const outer = shape ?? [indices.length];
  if (sizeOf(outer) !== indices.length) {
    throw new ShapeError(`embedding: ${indices.length} indices do not fill shape ${shapeToString(outer)}`);
  }
  checkIndices("embedding", indices, V, `table ${shapeToString(table.shape)}`);
  const idx = Int32Array.from(indices);
  const T = table.data;
  const out = new Tensor(allocFloats(table.dtype, idx.length * E), [...outer, E]);
  for (let n = 0; n < idx.length; n++) out.data.set(T.subarray(idx[n] * E, (idx[n] + 1) * E), n * E);
  record("embedding", [table], [out], ([g]) => {
    const dt = gradOf(table);
    if (!dt) return;
    for (let n = 0; n < idx.length; n++) {
      const row = idx[n] * E;
      for (let e = 0; e < E; e++) dt[row + e] += g[n * E + e];
    }
  });
  return out;
}

/** One-hot rows [indices.length, depth]: 1 at each index, 0 elsewhere. Not differentiable. */
export function oneHot(indices: ArrayLike<number>, depth: number, dtype: DType = "float32"): Tensor {
  if (!Number.isInteger(depth) || depth < 0) throw new ShapeError(`oneHot: depth ${depth} must be a non-negative integer`);
  checkIndices("oneHot", indices, depth, `depth ${depth}`);
  const out = new Tensor(allocFloats(dtype, indices.length * depth), [indices.length, depth]);
  for (let n = 0; n < indices.length; n++) out.data[n * depth + indices[n]] = 1;
  return out;
}
