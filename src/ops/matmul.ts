/**
 * Matrix products through the kernel contract (`kernels().gemm`), forward and backward:
 *
 *   matmul:  C = A·B            A [..., K] (leading axes flattened to M rows), B [K, N]
 *            dA += dC·Bᵀ        dB += Aᵀ·dC
 *   linear:  Y = X·Wᵀ + b       X [..., I], W [O, I] (PyTorch's layout), b [O]
 *            dX += dY·W         dW += dYᵀ·X        db += Σ_rows dY
 *
 * Backward calls gemm with beta = 1, so it accumulates into existing gradients
 * without a temporary. Not here: batched B (no [..., K, N] right operand) — the
 * recurrent code never needs it, and it would hide a second loop behind one name.
 */
import { record, gradOf } from "../autograd/tape.js";
import { kernels } from "../backend/kernels.js";
// The default kernels (WebAssembly, else TypeScript) register on import, whatever the entry point.
import "../backend/select.js";
import { shapeToString, ShapeError } from "../tensor/shape.js";
import { allocFloats, Tensor } from "../tensor/tensor.js";
import { sameDtype } from "./elementwise.js";

/**
 * a @ b for a [..., K] and b [K, N] → [..., N]. A 1-D `a` [K] is one row.
 * @example matmul(x [B, T, I], w [I, H]) → [B, T, H]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank < 1 || b.rank !== 2) {
    throw new ShapeError(
      `matmul: a ${shapeToString(a.shape)} and b ${shapeToString(b.shape)}: need a of rank ≥ 1 and b of rank 2`,
    );
  }
  const K = a.shape[a.rank - 1];
  const [Kb, N] = b.shape;
  if (K !== Kb) {
    throw new ShapeError(
      `matmul: a ${shapeToString(a.shape)} and b ${shapeToString(b.shape)}: inner sizes ${K} and ${Kb} differ`,
    );
  }
  const dtype = sameDtype("matmul", [a, b]);
  const M = rowsOf(a.shape);
  const out = new Tensor(allocFloats(dtype, M * N), [...a.shape.slice(0, -1), N]);
  const k = kernels();
  k.gemm(false, false, M, N, K, 1, a.data, 0, K, b.data, 0, N, 0, out.data, 0, N);
  record("matmul", [a, b], [out], ([g]) => {
    const da = gradOf(a);
    const db = gradOf(b);
    // dA[M,K] += dC[M,N]·Bᵀ
    if (da) k.gemm(false, true, M, K, N, 1, g, 0, N, b.data, 0, N, 1, da, 0, K);
    // dB[K,N] += Aᵀ·dC
    if (db) k.gemm(true, false, K, N, M, 1, a.data, 0, K, g, 0, N, 1, db, 0, N);
  });
  return out;
}

/**
 * y = x·Wᵀ + b for x [..., I], weight [O, I], optional bias [O] → [..., O].
 * @example linear(h [B, H], weight_hh [G*H, H], bias_hh [G*H]) → [B, G*H]
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (x.rank < 1 || weight.rank !== 2) {
    throw new ShapeError(
      `linear: x ${shapeToString(x.shape)} and weight ${shapeToString(weight.shape)}: need x of rank ≥ 1 and a 2-D weight [O, I]`,
    );
  }
  const I = x.shape[x.rank - 1];
  const [O, Iw] = weight.shape;
  if (I !== Iw) {
    throw new ShapeError(
      `linear: x ${shapeToString(x.shape)} and weight ${shapeToString(weight.shape)}: input sizes ${I} and ${Iw} differ`,
    );
  }
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== O)) {
    throw new ShapeError(
      `linear: bias ${shapeToString(bias.shape)} and weight ${shapeToString(weight.shape)}: bias must be [${O}]`,
    );
  }
  const inputs = bias === undefined ? [x, weight] : [x, weight, bias];
  const dtype = sameDtype("linear", inputs);
  const M = rowsOf(x.shape);
  const out = new Tensor(allocFloats(dtype, M * O), [...x.shape.slice(0, -1), O]);
  const Y = out.data;
  // Pre-fill every row with the bias and let gemm add X·Wᵀ onto it (beta = 1).
  if (bias !== undefined) for (let m = 0; m < M; m++) Y.set(bias.data, m * O);
  const k = kernels();
  k.gemm(false, true, M, O, I, 1, x.data, 0, I, weight.data, 0, I, bias === undefined ? 0 : 1, Y, 0, O);
  record("linear", inputs, [out], ([g]) => {
    const dx = gradOf(x);
    const dw = gradOf(weight);
    const dbias = bias === undefined ? null : gradOf(bias);
    // dX[M,I] += dY[M,O]·W[O,I]
    if (dx) k.gemm(false, false, M, I, O, 1, g, 0, O, weight.data, 0, I, 1, dx, 0, I);
    // dW[O,I] += dY[M,O]ᵀ·X[M,I]
    if (dw) k.gemm(true, false, O, I, M, 1, g, 0, O, x.data, 0, I, 1, dw, 0, I);
    if (dbias) {
      for (let m = 0; m < M; m++) for (let o = 0; o < O; o++) dbias[o] += g[m * O + o];
    }
  });
  return out;
}

/** Rows of a [..., K] operand: the product of all but the last size (exact even when K = 0). */
function rowsOf(shape: readonly number[]): number {
  let n = 1;
  for (let d = 0; d < shape.length - 1; d++) n *= shape[d];
  return n;
}
