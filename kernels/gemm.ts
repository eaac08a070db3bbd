// AssemblyScript: single-precision GEMM over linear memory, C = alpha·op(A)·op(B) + beta·C.
// Blocked the usual way (Goto / BLIS): a KC×NC panel of op(B) and an MC×KC block of op(A)
// are packed into contiguous micro-panels, then an MR×NR register-blocked micro-kernel
// sweeps them. Packing is where the four transpose cases meet: op(X) is addressed through
// a row stride and a column stride, so a transposed operand only changes which packing
// path runs, and every case reaches the same micro-kernel at the same speed. Products with
// n = 1 or m = 1 take a matrix–vector loop instead. beta = 0 never reads C.
// Not here: threads, and reuse of packed weights across calls.
import { F32 } from "./vec";

/** Register block: MR rows of C by NR columns (SIMD: 8 f32x4 accumulators; scalar: 16 f32). */
const MR: i32 = 4;
const NR: i32 = ASC_FEATURE_SIMD ? 8 : 4;
/** Cache blocks: a KC×NR micro-panel of B stays in L1, the MC×KC block of A in L2. */
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 2048;

const PACK_A_BYTES: usize = <usize>(MC * KC) * F32;
const PACK_B_BYTES: usize = <usize>(KC * NC) * F32;
const TILE_BYTES: usize = <usize>(MR * NR) * F32;

/** Scratch bytes `gemm` needs at its `work` pointer (packed A, packed B, one edge tile). */
export function gemmWorkspaceBytes(): usize {
  return PACK_A_BYTES + PACK_B_BYTES + TILE_BYTES;
}

// @ts-ignore: decorator
@inline function at(base: usize, elements: i32): usize {
  return base + <usize>elements * F32;
}

// @ts-ignore: decorator
@inline function min32(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/**
 * Packs `lanes` (≤ R) lanes × kc steps of a strided operand into dst[p·R + r], zero-filling
 * lanes ≥ `lanes` so the micro-kernel always computes a full block. Element (r, p) lives at
 * src + (r·ls + p·ps)·4. A: lanes are rows of op(A), p runs along k; B: lanes are columns.
 */
function packPanel(R: i32, lanes: i32, kc: i32, src: usize, ls: i32, ps: i32, dst: usize): void {
  if (ASC_FEATURE_SIMD && lanes == R && (R & 3) == 0) {
    if (ls == 1) {
      // Lanes contiguous: each step is R consecutive floats.
      for (let p = 0; p < kc; p++) {
        const s = at(src, p * ps), d = at(dst, p * R);
        for (let g = 0; g < R; g += 4) v128.store(at(d, g), v128.load(at(s, g)));
      }
      return;
    }
    if (ps == 1) {
      // Steps contiguous: load four lanes × four steps and transpose 4×4 in registers.
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        for (let g = 0; g < R; g += 4) {
          const s = at(src, g * ls + p);
          const r0 = v128.load(s);
          const r1 = v128.load(at(s, ls));
          const r2 = v128.load(at(s, 2 * ls));
          const r3 = v128.load(at(s, 3 * ls));
          const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
          const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
          const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
          const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          const d = at(dst, p * R + g);
          v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
          v128.store(at(d, R), v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
          v128.store(at(d, 2 * R), v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
          v128.store(at(d, 3 * R), v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
        }
      }
      for (; p < kc; p++) {
        for (let r = 0; r < R; r++) store<f32>(at(dst, p * R + r), load<f32>(at(src, r * ls + p)));
      }
      return;
    }
  }
  for (let p = 0; p < kc; p++) {
    const d = at(dst, p * R);
    for (let r = 0; r < R; r++) {
      store<f32>(at(d, r), r < lanes ? load<f32>(at(src, r * ls + p * ps)) : 0);
    }
  }
}

// @ts-ignore: decorator
@inline function storeRow(c: usize, acc0: v128, acc1: v128, alpha: v128, beta: f32): void {
  if (beta == 0) {
    v128.store(c, f32x4.mul(acc0, alpha));
    v128.store(c, f32x4.mul(acc1, alpha), 16);
  } else {
    const bv = f32x4.splat(beta);
    v128.store(c, f32x4.add(f32x4.mul(v128.load(c), bv), f32x4.mul(acc0, alpha)));
    v128.store(c, f32x4.add(f32x4.mul(v128.load(c, 16), bv), f32x4.mul(acc1, alpha)), 16);
  }
}

/**
 * SIMD micro-kernel: C[4×8] (row stride ldc elements) = alpha·Ã·B̃ + beta·C over kc steps
 * of packed panels Ã (4 floats per step) and B̃ (8 floats per step). Eight accumulators, two
 * B vectors and four broadcast A values fit x64's xmm registers without spills; 6×8 and
 * 4×12 measured slower here because V8 spills accumulators, and so does unrolling p.
 */
function kernel4x8(kc: i32, pa: usize, pb: usize, alpha: f32, beta: f32, c: usize, ldc: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    pa += 16;
    pb += 32;
  }
  const av = f32x4.splat(alpha);
  const rs = <usize>ldc * F32;
  storeRow(c, c00, c01, av, beta);
  storeRow(c + rs, c10, c11, av, beta);
  storeRow(c + 2 * rs, c20, c21, av, beta);
  storeRow(c + 3 * rs, c30, c31, av, beta);
}

// @ts-ignore: decorator
@inline function mergeScalar(c: usize, acc: f32, alpha: f32, beta: f32): void {
  store<f32>(c, beta == 0 ? alpha * acc : beta * load<f32>(c) + alpha * acc);
}

/** Scalar micro-kernel: C[4×4] from packed panels of 4 floats per step each. */
function kernel4x4(kc: i32, pa: usize, pb: usize, alpha: f32, beta: f32, c: usize, ldc: i32): void {
  let c00: f32 = 0, c01: f32 = 0, c02: f32 = 0, c03: f32 = 0;
  let c10: f32 = 0, c11: f32 = 0, c12: f32 = 0, c13: f32 = 0;
  let c20: f32 = 0, c21: f32 = 0, c22: f32 = 0, c23: f32 = 0;
  let c30: f32 = 0, c31: f32 = 0, c32: f32 = 0, c33: f32 = 0;
  for (let p = 0; p < kc; p++) {
    const b0 = load<f32>(pb), b1 = load<f32>(pb, 4), b2 = load<f32>(pb, 8), b3 = load<f32>(pb, 12);
    let a = load<f32>(pa);
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
    a = load<f32>(pa, 4);
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
    a = load<f32>(pa, 8);
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
    a = load<f32>(pa, 12);
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
    pa += 16;
    pb += 16;
  }
  const rs = <usize>ldc * F32;
  mergeScalar(c, c00, alpha, beta); mergeScalar(c + 4, c01, alpha, beta);
  mergeScalar(c + 8, c02, alpha, beta); mergeScalar(c + 12, c03, alpha, beta);
  c += rs;
  mergeScalar(c, c10, alpha, beta); mergeScalar(c + 4, c11, alpha, beta);
  mergeScalar(c + 8, c12, alpha, beta); mergeScalar(c + 12, c13, alpha, beta);
  c += rs;
  mergeScalar(c, c20, alpha, beta); mergeScalar(c + 4, c21, alpha, beta);
  mergeScalar(c + 8, c22, alpha, beta); mergeScalar(c + 12, c23, alpha, beta);
  c += rs;
  mergeScalar(c, c30, alpha, beta); mergeScalar(c + 4, c31, alpha, beta);
  mergeScalar(c + 8, c32, alpha, beta); mergeScalar(c + 12, c33, alpha, beta);
}

// @ts-ignore: decorator
@inline function microKernel(kc: i32, pa: usize, pb: usize, alpha: f32, beta: f32, c: usize, ldc: i32): void {
  if (ASC_FEATURE_SIMD) kernel4x8(kc, pa, pb, alpha, beta, c, ldc);
  else kernel4x4(kc, pa, pb, alpha, beta, c, ldc);
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/**
 * Matrix–vector product, the n = 1 and m = 1 products (bias gradients, a single row):
 * y[i·incy] = alpha · Σ_p M[i,p]·x[p·incx] + beta · y[i·incy] for M[i,p] at mat + (i·rs + p·cs)·4.
 * Packing a panel of width 1 into NR lanes would waste most of the micro-kernel, so these
 * get their own loops: dot products when rows of M are contiguous, column sweeps with the
 * outputs held in registers when columns are.
 */
function gemv(
  rows: i32, k: i32, alpha: f32, mat: usize, rs: i32, cs: i32, x: usize, incx: i32, beta: f32, y: usize, incy: i32,
): void {
  if (ASC_FEATURE_SIMD && cs == 1 && incx == 1) {
    for (let i = 0; i < rows; i++) {
      const row = at(mat, i * rs);
      let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
      let p = 0;
      for (; p + 8 <= k; p += 8) {
        acc0 = f32x4.add(acc0, f32x4.mul(v128.load(at(row, p)), v128.load(at(x, p))));
        acc1 = f32x4.add(acc1, f32x4.mul(v128.load(at(row, p + 4)), v128.load(at(x, p + 4))));
      }
      let s = hsum(f32x4.add(acc0, acc1));
      for (; p < k; p++) s += load<f32>(at(row, p)) * load<f32>(at(x, p));
      mergeScalar(at(y, i * incy), s, alpha, beta);
    }
    return;
  }
  if (ASC_FEATURE_SIMD && rs == 1 && incy == 1) {
    let i = 0;
    for (; i + 16 <= rows; i += 16) {
      let y0 = f32x4.splat(0), y1 = f32x4.splat(0), y2 = f32x4.splat(0), y3 = f32x4.splat(0);
      for (let p = 0; p < k; p++) {
        const col = at(mat, i + p * cs);
        const xp = v128.load32_splat(at(x, p * incx));
        y0 = f32x4.add(y0, f32x4.mul(xp, v128.load(col)));
        y1 = f32x4.add(y1, f32x4.mul(xp, v128.load(col, 16)));
        y2 = f32x4.add(y2, f32x4.mul(xp, v128.load(col, 32)));
        y3 = f32x4.add(y3, f32x4.mul(xp, v128.load(col, 48)));
      }
      const av = f32x4.splat(alpha);
      storeRow(at(y, i), y0, y1, av, beta);
      storeRow(at(y, i + 8), y2, y3, av, beta);
    }
    for (; i + 4 <= rows; i += 4) {
      let y0 = f32x4.splat(0);
      for (let p = 0; p < k; p++) {
        y0 = f32x4.add(y0, f32x4.mul(v128.load32_splat(at(x, p * incx)), v128.load(at(mat, i + p * cs))));
      }
      const yi = at(y, i);
      const scaled = f32x4.mul(y0, f32x4.splat(alpha));
      v128.store(yi, beta == 0 ? scaled : f32x4.add(f32x4.mul(v128.load(yi), f32x4.splat(beta)), scaled));
    }
    for (; i < rows; i++) {
      let s: f32 = 0;
      for (let p = 0; p < k; p++) s += load<f32>(at(mat, i + p * cs)) * load<f32>(at(x, p * incx));
      mergeScalar(at(y, i), s, alpha, beta);
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    let s: f32 = 0;
    for (let p = 0; p < k; p++) s += load<f32>(at(mat, i * rs + p * cs)) * load<f32>(at(x, p * incx));
    mergeScalar(at(y, i * incy), s, alpha, beta);
  }
}

/**
 * C[m,n] (row stride ldc) = alpha · op(A) · op(B) + beta · C, where op(A)[i,p] is at
 * a + (i·rsA + p·csA)·4 and op(B)[p,j] at b + (p·rsB + j·csB)·4: (rs, cs) = (ld, 1) for a
 * stored operand, (1, ld) for a transposed one. `work` points at gemmWorkspaceBytes()
 * of scratch. Requires m, n, k ≥ 1; beta = 0 overwrites C without reading it.
 */
export function gemm(
  m: i32, n: i32, k: i32, alpha: f32,
  a: usize, rsA: i32, csA: i32,
  b: usize, rsB: i32, csB: i32,
  beta: f32, c: usize, ldc: i32, work: usize,
): void {
  if (n == 1) {
    gemv(m, k, alpha, a, rsA, csA, b, rsB, beta, c, ldc);
    return;
  }
  if (m == 1) {
    // C[0,j] = Σ_p op(B)[p,j]·op(A)[0,p]: the same product with op(B)ᵀ as the matrix.
    gemv(n, k, alpha, b, csB, rsB, a, csA, beta, c, 1);
    return;
  }
  const packA = work;
  const packB = work + PACK_A_BYTES;
  const tile = packB + PACK_B_BYTES;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min32(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min32(KC, k - pc);
      // Later k-blocks add onto what the first one wrote.
      const betaK: f32 = pc == 0 ? beta : 1;
      for (let jr = 0; jr < nc; jr += NR) {
        packPanel(NR, min32(NR, nc - jr), kc, at(b, pc * rsB + (jc + jr) * csB), csB, rsB, at(packB, jr * kc));
      }
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min32(MC, m - ic);
        for (let ir = 0; ir < mc; ir += MR) {
          packPanel(MR, min32(MR, mc - ir), kc, at(a, (ic + ir) * rsA + pc * csA), rsA, csA, at(packA, ir * kc));
        }
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min32(NR, nc - jr);
          const pb = at(packB, jr * kc);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min32(MR, mc - ir);
            const pa = at(packA, ir * kc);
            const cij = at(c, (ic + ir) * ldc + jc + jr);
            if (mr == MR && nr == NR) {
              microKernel(kc, pa, pb, alpha, betaK, cij, ldc);
            } else {
              // Edge block: compute the full padded block into the tile, merge the valid part.
              microKernel(kc, pa, pb, 1, 0, tile, NR);
              for (let i = 0; i < mr; i++) {
                for (let j = 0; j < nr; j++) {
                  mergeScalar(at(cij, i * ldc + j), load<f32>(at(tile, i * NR + j)), alpha, betaK);
                }
              }
            }
          }
        }
      }
    }
  }
}
