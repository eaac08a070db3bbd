/**
 * Matrix product in plain TypeScript, one loop order per transpose case so the
 * inner loop always walks memory contiguously. The reference for faster kernels.
 */
import type { Floats } from "../../tensor/tensor.js";

export function gemmTs(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Floats, aOff: number, lda: number,
  b: Floats, bOff: number, ldb: number,
  beta: number, c: Floats, cOff: number, ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    const row = cOff + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else if (beta !== 1) for (let j = 0; j < n; j++) c[row + j] *= beta;
  }
  if (alpha === 0 || k === 0) return;
  if (!transA && !transB) {
    // C[i,:] += A[i,p] · B[p,:]
    for (let i = 0; i < m; i++) {
      const row = cOff + i * ldc;
      for (let p = 0; p < k; p++) {
        const av = alpha * a[aOff + i * lda + p];
        const bRow = bOff + p * ldb;
        for (let j = 0; j < n; j++) c[row + j] += av * b[bRow + j];
      }
    }
  } else if (!transA && transB) {
    // C[i,j] += dot(A[i,:], B[j,:])
    for (let i = 0; i < m; i++) {
      const aRow = aOff + i * lda;
      const row = cOff + i * ldc;
      for (let j = 0; j < n; j++) {
        const bRow = bOff + j * ldb;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[aRow + p] * b[bRow + p];
        c[row + j] += alpha * s;
      }
    }
  } else if (transA && !transB) {
    // C[i,:] += A[p,i] · B[p,:]
    for (let p = 0; p < k; p++) {
      const aRow = aOff + p * lda;
      const bRow = bOff + p * ldb;
      for (let i = 0; i < m; i++) {
        const av = alpha * a[aRow + i];
        const row = cOff + i * ldc;
        for (let j = 0; j < n; j++) c[row + j] += av * b[bRow + j];
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      const row = cOff + i * ldc;
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[aOff + p * lda + i] * b[bOff + j * ldb + p];
        c[row + j] += alpha * s;
      }
    }
  }
}
