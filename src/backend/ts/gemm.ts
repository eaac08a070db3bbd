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

/**
 * y[b,:] = b1 + b2 + x1[b,:]·W1ᵀ + x2[b,:]·W2ᵀ, term by term in that order and rounded to
 * y's precision after each (the arithmetic of a bias broadcast followed by two GEMMs with
 * beta = 1, which is what it replaces for one recurrent step).
 */
export function affineTs(
  B: number, n: number, k1: number, k2: number,
  x1: Floats, w1: Floats, x2: Floats | null, w2: Floats | null, b1: Floats | null, b2: Floats | null, y: Floats,
): void {
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < n; j++) {
      const o = b * n + j;
      let s = 0;
      for (let p = 0; p < k1; p++) s += x1[b * k1 + p] * w1[j * k1 + p];
      // Without a bias the GEMM it mirrors starts from C = 0 (so −0 sums give +0, as there).
      y[o] = b1 === null ? 0 : b2 === null ? b1[j] : b1[j] + b2[j];
      y[o] += s;
      if (x2 !== null && w2 !== null && k2 > 0) {
        let s2 = 0;
        for (let p = 0; p < k2; p++) s2 += x2[b * k2 + p] * w2[j * k2 + p];
        y[o] += s2;
      }
    }
  }
}
