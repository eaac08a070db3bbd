// AssemblyScript: single-precision GEMM over linear memory, C = alpha·op(A)·op(B) + beta·C.
// Blocked the usual way (Goto / BLIS): a KC×NC panel of op(B) and an MC×KC block of op(A)
// are packed into contiguous micro-panels, then an MR×NR register-blocked micro-kernel
// sweeps them. Packing is where the four transpose cases meet: op(X) is addressed through
// a row stride and a column stride, so a transposed operand only changes which packing
// path runs, and every case reaches the same micro-kernel at the same speed. Products with
// n = 1 or m = 1 take a matrix–vector loop instead, k = 1 an outer product, and `affine`
// runs one recurrent step's two matrix–vector products with the biases. beta = 0 never
// reads C. Each call runs on one thread: src/backend/wasm splits large products between
// threads, each running this code on its slice. Built with relaxed SIMD, the micro-kernels
// and the contiguous-rows matrix–vector loop multiply-add with `f32x4.relaxed_madd` (see
// `madd`); every other build computes exactly as without it. Not here: reuse of packed
// weights across calls.
import { F32 } from "./vec";

/** Register block: MR rows of C by NR columns (SIMD: 8 f32x4 accumulators; scalar: 16 f32). */
const MR: i32 = 4;
const NR: i32 = ASC_FEATURE_SIMD ? 8 : 4;
/** Cache blocks: a KC×NR micro-panel of B stays in L1, the MC×KC block of A in L2. */
const KC: i32 = 256;
const MC: i32 = 128;
const NC: i32 = 2048;

/** Products at most this wide read a row-major A in place instead of packing it (see `gemm`). */
const ROWS_A_MAX_N: i32 = 64;
/** Rows per block of the contiguous-rows matrix–vector loop (see `gemv`). */
const GEMV_ROWS: i32 = 6;

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
  if (ASC_FEATURE_SIMD && ls == 1 && lanes < R) {
    // A narrow panel (B fewer than NR columns wide, or its last columns), lanes contiguous.
    const whole = lanes & ~3;
    for (let p = 0; p < kc; p++) {
      const s = at(src, p * ps), d = at(dst, p * R);
      let r = 0;
      for (; r < whole; r += 4) v128.store(at(d, r), v128.load(at(s, r)));
      for (; r < lanes; r++) store<f32>(at(d, r), load<f32>(at(s, r)));
      for (; r < R; r++) store<f32>(at(d, r), 0);
    }
    return;
  }
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

/**
 * acc + a·b lane by lane, the multiply-accumulate of the inner loops. The relaxed-SIMD builds
 * use `f32x4.relaxed_madd`, which the engine fuses into one rounding where the hardware has
 * FMA and otherwise rounds the product first: faster, but the bits then depend on the
 * machine, which is why those builds are opt-in (src/backend/select.ts). Every other build
 * rounds the product and then the sum, as it always has.
 */
// @ts-ignore: decorator
@inline function madd(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
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
 * Where a micro-kernel reads its 4 rows of A: packed (one pointer, 4 floats per step) or in
 * place (4 row pointers, 1 float per step each; the rows of a row-major A, used when B is
 * narrow and packing A would cost as much as the product itself).
 */
// @ts-ignore: decorator
@inline function aStep(rows: bool): usize {
  return rows ? F32 : 4 * F32;
}

/**
 * SIMD micro-kernel: C[4×8] (row stride ldc elements) = alpha·Ã·B̃ + beta·C over kc steps
 * of packed panels Ã (4 floats per step) and B̃ (8 floats per step). Eight accumulators, two
 * B vectors and four broadcast A values fit x64's xmm registers without spills; 6×8 and
 * 4×12 measured slower here because V8 spills accumulators, and so does unrolling p.
 * With `rows`, A is read in place from a0..a3 instead of the packed panel at a0.
 */
// @ts-ignore: decorator
@inline function kernel4x8Body(
  rows: bool, kc: i32, a0: usize, a1: usize, a2: usize, a3: usize, pb: usize, alpha: f32, beta: f32, c: usize, ldc: i32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(a0);
    c00 = madd(c00, a, b0);
    c01 = madd(c01, a, b1);
    a = rows ? v128.load32_splat(a1) : v128.load32_splat(a0, 4);
    c10 = madd(c10, a, b0);
    c11 = madd(c11, a, b1);
    a = rows ? v128.load32_splat(a2) : v128.load32_splat(a0, 8);
    c20 = madd(c20, a, b0);
    c21 = madd(c21, a, b1);
    a = rows ? v128.load32_splat(a3) : v128.load32_splat(a0, 12);
    c30 = madd(c30, a, b0);
    c31 = madd(c31, a, b1);
    a0 += aStep(rows);
    if (rows) {
      a1 += F32;
      a2 += F32;
      a3 += F32;
    }
    pb += 32;
  }
  const av = f32x4.splat(alpha);
  const rs = <usize>ldc * F32;
  storeRow(c, c00, c01, av, beta);
  storeRow(c + rs, c10, c11, av, beta);
  storeRow(c + 2 * rs, c20, c21, av, beta);
  storeRow(c + 3 * rs, c30, c31, av, beta);
}

/**
 * SIMD micro-kernel for a block at most 4 columns wide (B narrower than NR, or its last
 * columns): C[4×4] from the first 4 lanes of the packed 8-lane B̃, one accumulator per row.
 * Each element is summed exactly as in kernel4x8Body (the same products in the same order).
 */
// @ts-ignore: decorator
@inline function kernel4x4Body(
  rows: bool, kc: i32, a0: usize, a1: usize, a2: usize, a3: usize, pb: usize, alpha: f32, beta: f32, c: usize, ldc: i32,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    c0 = madd(c0, v128.load32_splat(a0), b0);
    c1 = madd(c1, rows ? v128.load32_splat(a1) : v128.load32_splat(a0, 4), b0);
    c2 = madd(c2, rows ? v128.load32_splat(a2) : v128.load32_splat(a0, 8), b0);
    c3 = madd(c3, rows ? v128.load32_splat(a3) : v128.load32_splat(a0, 12), b0);
    a0 += aStep(rows);
    if (rows) {
      a1 += F32;
      a2 += F32;
      a3 += F32;
    }
    pb += 32;
  }
  const av = f32x4.splat(alpha);
  const rs = <usize>ldc * F32;
  storeQuad(c, c0, av, beta);
  storeQuad(c + rs, c1, av, beta);
  storeQuad(c + 2 * rs, c2, av, beta);
  storeQuad(c + 3 * rs, c3, av, beta);
}

// @ts-ignore: decorator
@inline function storeQuad(c: usize, acc: v128, alpha: v128, beta: f32): void {
  if (beta == 0) v128.store(c, f32x4.mul(acc, alpha));
  else v128.store(c, f32x4.add(f32x4.mul(v128.load(c), f32x4.splat(beta)), f32x4.mul(acc, alpha)));
}

// @ts-ignore: decorator
@inline function mergeScalar(c: usize, acc: f32, alpha: f32, beta: f32): void {
  store<f32>(c, beta == 0 ? alpha * acc : beta * load<f32>(c) + alpha * acc);
}

/** Scalar micro-kernel: C[4×4] from packed panels of 4 floats per step each (A in place with `rows`, as above). */
// @ts-ignore: decorator
@inline function kernel4x4Scalar(
  rows: bool, kc: i32, a0: usize, a1: usize, a2: usize, a3: usize, pb: usize, alpha: f32, beta: f32, c: usize, ldc: i32,
): void {
  let c00: f32 = 0, c01: f32 = 0, c02: f32 = 0, c03: f32 = 0;
  let c10: f32 = 0, c11: f32 = 0, c12: f32 = 0, c13: f32 = 0;
  let c20: f32 = 0, c21: f32 = 0, c22: f32 = 0, c23: f32 = 0;
  let c30: f32 = 0, c31: f32 = 0, c32: f32 = 0, c33: f32 = 0;
  for (let p = 0; p < kc; p++) {
    const b0 = load<f32>(pb), b1 = load<f32>(pb, 4), b2 = load<f32>(pb, 8), b3 = load<f32>(pb, 12);
    let a = load<f32>(a0);
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
    a = rows ? load<f32>(a1) : load<f32>(a0, 4);
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
    a = rows ? load<f32>(a2) : load<f32>(a0, 8);
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
    a = rows ? load<f32>(a3) : load<f32>(a0, 12);
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
    a0 += aStep(rows);
    if (rows) {
      a1 += F32;
      a2 += F32;
      a3 += F32;
    }
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

/** The micro-kernel on a packed A panel at pa; `narrow`: only the first 4 columns matter. */
function microPacked(narrow: bool, kc: i32, pa: usize, pb: usize, alpha: f32, beta: f32, c: usize, ldc: i32): void {
  if (!ASC_FEATURE_SIMD) kernel4x4Scalar(false, kc, pa, 0, 0, 0, pb, alpha, beta, c, ldc);
  else if (narrow) kernel4x4Body(false, kc, pa, 0, 0, 0, pb, alpha, beta, c, ldc);
  else kernel4x8Body(false, kc, pa, 0, 0, 0, pb, alpha, beta, c, ldc);
}

/** The micro-kernel reading 4 rows of A in place. */
function microRows(
  narrow: bool, kc: i32, a0: usize, a1: usize, a2: usize, a3: usize, pb: usize, alpha: f32, beta: f32, c: usize, ldc: i32,
): void {
  if (!ASC_FEATURE_SIMD) kernel4x4Scalar(true, kc, a0, a1, a2, a3, pb, alpha, beta, c, ldc);
  else if (narrow) kernel4x4Body(true, kc, a0, a1, a2, a3, pb, alpha, beta, c, ldc);
  else kernel4x8Body(true, kc, a0, a1, a2, a3, pb, alpha, beta, c, ldc);
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
    // GEMV_ROWS rows at a time share each load of x, one accumulator per row: that many
    // independent add chains, and few enough registers that V8 keeps all of them in xmm
    // registers (eight rows with two accumulators each spilled to the stack and ran at half
    // the speed). Every row's sum is formed in the same order (with the same `madd`) here and in the one-row loop,
    // so a row's result does not depend on which block it falls in.
    let i = 0;
    for (; i + GEMV_ROWS <= rows; i += GEMV_ROWS) {
      let r0 = at(mat, i * rs), r1 = at(mat, (i + 1) * rs), r2 = at(mat, (i + 2) * rs);
      let r3 = at(mat, (i + 3) * rs), r4 = at(mat, (i + 4) * rs), r5 = at(mat, (i + 5) * rs);
      let xp = x;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0), a4 = f32x4.splat(0), a5 = f32x4.splat(0);
      let p = 0;
      // Four vectors per pass with immediate offsets: one pointer bump per row every 16
      // steps instead of every 4 (the same adds in the same order as the loop below).
      for (; p + 16 <= k; p += 16) {
        let xv = v128.load(xp);
        a0 = madd(a0, v128.load(r0), xv);
        a1 = madd(a1, v128.load(r1), xv);
        a2 = madd(a2, v128.load(r2), xv);
        a3 = madd(a3, v128.load(r3), xv);
        a4 = madd(a4, v128.load(r4), xv);
        a5 = madd(a5, v128.load(r5), xv);
        xv = v128.load(xp, 16);
        a0 = madd(a0, v128.load(r0, 16), xv);
        a1 = madd(a1, v128.load(r1, 16), xv);
        a2 = madd(a2, v128.load(r2, 16), xv);
        a3 = madd(a3, v128.load(r3, 16), xv);
        a4 = madd(a4, v128.load(r4, 16), xv);
        a5 = madd(a5, v128.load(r5, 16), xv);
        xv = v128.load(xp, 32);
        a0 = madd(a0, v128.load(r0, 32), xv);
        a1 = madd(a1, v128.load(r1, 32), xv);
        a2 = madd(a2, v128.load(r2, 32), xv);
        a3 = madd(a3, v128.load(r3, 32), xv);
        a4 = madd(a4, v128.load(r4, 32), xv);
        a5 = madd(a5, v128.load(r5, 32), xv);
        xv = v128.load(xp, 48);
        a0 = madd(a0, v128.load(r0, 48), xv);
        a1 = madd(a1, v128.load(r1, 48), xv);
        a2 = madd(a2, v128.load(r2, 48), xv);
        a3 = madd(a3, v128.load(r3, 48), xv);
        a4 = madd(a4, v128.load(r4, 48), xv);
        a5 = madd(a5, v128.load(r5, 48), xv);
        xp += 64;
        r0 += 64;
        r1 += 64;
        r2 += 64;
        r3 += 64;
        r4 += 64;
        r5 += 64;
      }
      for (; p + 4 <= k; p += 4) {
        const xv = v128.load(xp);
        a0 = madd(a0, v128.load(r0), xv);
        a1 = madd(a1, v128.load(r1), xv);
        a2 = madd(a2, v128.load(r2), xv);
        a3 = madd(a3, v128.load(r3), xv);
        a4 = madd(a4, v128.load(r4), xv);
        a5 = madd(a5, v128.load(r5), xv);
        xp += 16;
        r0 += 16;
        r1 += 16;
        r2 += 16;
        r3 += 16;
        r4 += 16;
        r5 += 16;
      }
      let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3), s4 = hsum(a4), s5 = hsum(a5);
      for (; p < k; p++) {
        const xv = load<f32>(xp);
        s0 += load<f32>(r0) * xv;
        s1 += load<f32>(r1) * xv;
        s2 += load<f32>(r2) * xv;
        s3 += load<f32>(r3) * xv;
        s4 += load<f32>(r4) * xv;
        s5 += load<f32>(r5) * xv;
        xp += 4;
        r0 += 4;
        r1 += 4;
        r2 += 4;
        r3 += 4;
        r4 += 4;
        r5 += 4;
      }
      mergeScalar(at(y, i * incy), s0, alpha, beta);
      mergeScalar(at(y, (i + 1) * incy), s1, alpha, beta);
      mergeScalar(at(y, (i + 2) * incy), s2, alpha, beta);
      mergeScalar(at(y, (i + 3) * incy), s3, alpha, beta);
      mergeScalar(at(y, (i + 4) * incy), s4, alpha, beta);
      mergeScalar(at(y, (i + 5) * incy), s5, alpha, beta);
    }
    for (; i < rows; i++) {
      let r0 = at(mat, i * rs);
      let xp = x;
      let a0 = f32x4.splat(0);
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        a0 = madd(a0, v128.load(r0), v128.load(xp));
        xp += 16;
        r0 += 16;
      }
      let s0 = hsum(a0);
      for (; p < k; p++) {
        s0 += load<f32>(r0) * load<f32>(xp);
        xp += 4;
        r0 += 4;
      }
      mergeScalar(at(y, i * incy), s0, alpha, beta);
    }
    return;
  }
  if (ASC_FEATURE_SIMD && rs == 1 && incy == 1) {
    // Column sweep, four outputs per vector. Each output keeps four partial sums (steps
    // p ≡ 0, 1, 2, 3 mod 4) so the adds do not wait on one another (a single chain made the
    // long-k bias gradients latency-bound), combined as (s0 + s1) + (s2 + s3) and then the
    // last k mod 4 steps; the vector and the one-row loops sum an output the same way. So
    // this loop never fuses (no `madd`): the one-row loop is scalar, and WebAssembly has no
    // scalar fused multiply-add, so a fused vector loop would round an output differently
    // depending on whether it falls in a group of four.
    const k4 = k & ~3;
    const cb = <usize>cs * F32, xb = <usize>incx * F32;
    let i = 0;
    for (; i + 4 <= rows; i += 4) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let col = at(mat, i), xp = x;
      for (let p = 0; p < k4; p += 4) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(xp), v128.load(col)));
        a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(xp + xb), v128.load(col + cb)));
        a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(xp + 2 * xb), v128.load(col + 2 * cb)));
        a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(xp + 3 * xb), v128.load(col + 3 * cb)));
        col += 4 * cb;
        xp += 4 * xb;
      }
      let acc = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
      for (let p = k4; p < k; p++) {
        acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(xp), v128.load(col)));
        col += cb;
        xp += xb;
      }
      storeQuad(at(y, i), acc, f32x4.splat(alpha), beta);
    }
    for (; i < rows; i++) {
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      let col = at(mat, i), xp = x;
      for (let p = 0; p < k4; p += 4) {
        s0 += load<f32>(xp) * load<f32>(col);
        s1 += load<f32>(xp + xb) * load<f32>(col + cb);
        s2 += load<f32>(xp + 2 * xb) * load<f32>(col + 2 * cb);
        s3 += load<f32>(xp + 3 * xb) * load<f32>(col + 3 * cb);
        col += 4 * cb;
        xp += 4 * xb;
      }
      let s = (s0 + s1) + (s2 + s3);
      for (let p = k4; p < k; p++) {
        s += load<f32>(xp) * load<f32>(col);
        col += cb;
        xp += xb;
      }
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
 * The k = 1 product, an outer product: C[i,j] = alpha·a[i]·b[j] + beta·C[i,j] with a[i] at
 * a + i·incA·4 and b[j] at b + j·incB·4 (the bias broadcasts 1·bᵀ of the recurrent layers).
 * Packing would copy as much as this computes; a[i]·b[j] is the same single product either way.
 */
function outer(m: i32, n: i32, alpha: f32, a: usize, incA: i32, b: usize, incB: i32, beta: f32, c: usize, ldc: i32): void {
  for (let i = 0; i < m; i++) {
    const ai = load<f32>(at(a, i * incA));
    const row = at(c, i * ldc);
    let j = 0;
    if (ASC_FEATURE_SIMD && incB == 1) {
      const av = f32x4.splat(ai), alv = f32x4.splat(alpha), bv = f32x4.splat(beta);
      for (; j + 4 <= n; j += 4) {
        const prod = f32x4.mul(f32x4.mul(av, v128.load(at(b, j))), alv);
        const cj = at(row, j);
        v128.store(cj, beta == 0 ? prod : f32x4.add(f32x4.mul(v128.load(cj), bv), prod));
      }
    }
    for (; j < n; j++) mergeScalar(at(row, j), ai * load<f32>(at(b, j * incB)), alpha, beta);
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
  if (k == 1) {
    outer(m, n, alpha, a, rsA, b, csB, beta, c, ldc);
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
  // Narrow B (few columns) with row-major A: read A in place. Packing A costs about one
  // load and store per element while the product uses each element only n times, so for
  // small n packing was as slow as the arithmetic (W1, W2).
  const rowsA = csA == 1 && n <= ROWS_A_MAX_N;
  // The 4-column kernel covers blocks up to 4 wide; wider ones take the full 8-column kernel.
  const NARROW: i32 = ASC_FEATURE_SIMD ? 4 : NR;
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
        if (!rowsA) {
          for (let ir = 0; ir < mc; ir += MR) {
            packPanel(MR, min32(MR, mc - ir), kc, at(a, (ic + ir) * rsA + pc * csA), rsA, csA, at(packA, ir * kc));
          }
        }
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min32(NR, nc - jr);
          const narrow = nr <= NARROW;
          const width = narrow ? NARROW : NR;
          const pb = at(packB, jr * kc);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min32(MR, mc - ir);
            const cij = at(c, (ic + ir) * ldc + jc + jr);
            const full = mr == MR && nr == width;
            // An edge block computes the full padded block into the tile, then merges the valid part.
            const alphaB: f32 = full ? alpha : 1;
            const betaB: f32 = full ? betaK : 0;
            const cB = full ? cij : tile;
            const ldcB = full ? ldc : NR;
            if (rowsA) {
              // Rows past the edge repeat the last one: computed into the tile and dropped.
              const row = at(a, (ic + ir) * rsA + pc);
              const last = mr - 1;
              microRows(
                narrow, kc, row, at(row, min32(1, last) * rsA), at(row, min32(2, last) * rsA), at(row, min32(3, last) * rsA),
                pb, alphaB, betaB, cB, ldcB,
              );
            } else {
              microPacked(narrow, kc, at(packA, ir * kc), pb, alphaB, betaB, cB, ldcB);
            }
            if (!full) {
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

/**
 * y[b,:] = b1 + b2 + W1·x1[b,:] + W2·x2[b,:] for b < B: one step of a recurrent layer's
 * affine map for a few rows (streaming inference), in one call. W1 [n,k1] and W2 [n,k2]
 * are row-major (PyTorch's weight layout), x1 [B,k1], x2 [B,k2], y [B,n]. Absent biases are
 * address 0; k2 = 0 drops the second product. Each term is added in that order with the
 * matrix–vector loop of `gemm`, so for B = 1 the result is bit for bit what the separate
 * GEMMs of the sequence path give (bias broadcast, then the two products with beta = 1).
 */
export function affine(
  B: i32, n: i32, k1: i32, k2: i32, x1: usize, w1: usize, x2: usize, w2: usize, b1: usize, b2: usize, y: usize,
): void {
  for (let b = 0; b < B; b++) {
    const yb = at(y, b * n);
    let beta: f32 = 0;
    if (b1 != 0) {
      let j = 0;
      if (b2 != 0) {
        if (ASC_FEATURE_SIMD) for (; j + 4 <= n; j += 4) v128.store(at(yb, j), f32x4.add(v128.load(at(b1, j)), v128.load(at(b2, j))));
        for (; j < n; j++) store<f32>(at(yb, j), load<f32>(at(b1, j)) + load<f32>(at(b2, j)));
      } else {
        memory.copy(yb, b1, <usize>n * F32);
      }
      beta = 1;
    }
    gemv(n, k1, 1, w1, k1, 1, at(x1, b * k1), 1, beta, yb, 1);
    if (k2 > 0) gemv(n, k2, 1, w2, k2, 1, at(x2, b * k2), 1, 1, yb, 1);
  }
}
