/**
 * Test support (no tests here): the GEMM written from its definition, element by element in
 * float64, with Σ|terms| per element so that tests can derive a round-off tolerance.
 */
import type { Floats } from "../../src/tensor/tensor.js";

/** C = alpha·op(A)·op(B) + beta·C0 element by element in float64, with Σ|terms| for the tolerance. */
export function referenceGemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Floats, aOff: number, lda: number, b: Floats, bOff: number, ldb: number,
  beta: number, c0: Floats, cOff: number, ldc: number,
): { value: Float64Array; scale: Float64Array } {
  const value = new Float64Array(m * n);
  const scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, abs = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
        const bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
        s += av * bv;
        abs += Math.abs(av * bv);
      }
      const prior = beta === 0 ? 0 : beta * c0[cOff + i * ldc + j];
      value[i * n + j] = alpha * s + prior;
      scale[i * n + j] = Math.abs(alpha) * abs + Math.abs(prior) + 1e-30;
    }
  }
  return { value, scale };
}
