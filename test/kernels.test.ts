// The kernel contract (src/backend/kernels.ts) on every backend. First the float64 chain of
// references, once: float64 always runs on the TypeScript kernels, whose GEMM is checked
// against the product written from its definition (support/gemm-reference.ts), whose gate
// forwards against scalar re-statements of their equations and whose gate backwards against
// central differences. Then, on each backend with every float32 call forced to it
// (support/backends.ts): GEMM over awkward sizes (1, odd, one SIMD width, above and below it,
// the cache blocks, the matrix–vector paths), all four transpose cases, offsets, leading
// dimensions, NaN-filled C with beta 0 and the elements outside C left untouched; `affine`;
// every gate kernel over ragged shapes on uniform and extreme inputs; and the activations'
// accuracy over a dense grid. What only the wasm builds have (loading, probes, routing
// thresholds) is tested in kernels-wasm.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsKernels } from "../src/backend/ts/index.js";
import { GATE_ACTIVATIONS, kernels, type GateActivation, type Kernels, type RnnActivation } from "../src/backend/kernels.js";
import type { WasmKernels } from "../src/backend/wasm/index.js";
import { Rng } from "../src/tensor/random.js";
import type { Floats } from "../src/tensor/tensor.js";
import type { NativeKernels } from "../src/node/native.js";
import { backendKernels, forEachBackend, nativeUnavailable, TEST_BACKENDS } from "./support/backends.js";
import { referenceGemm } from "./support/gemm-reference.js";
import { randomF32, randomF64 } from "./support/random.js";

/** float32 unit roundoff, 2⁻²⁴. */
const U32 = 2 ** -24;

/** Named tolerances (STYLE principle 11). */
const tol = {
  /** float64 GEMM vs the reference loop, relative to Σ|a·b| + |β·c|: only the summation order differs. */
  gemm64: 1e-13,
  /**
   * float32 GEMM vs a float64 loop over the same (float32) inputs, relative to Σ|a·b| + |β·c|:
   * each product and partial sum rounds once, so the error grows like u·√k; allow 8× that
   * (≈ 5e−7·√k) for the blocked summation order and the alpha/beta roundings (4× passes).
   * Also `affine`, with k = k1 + k2 terms.
   */
  gemm32: (k: number): number => 8 * U32 * Math.sqrt(k + 1),
  /** Kernel forward in float64 vs its scalar re-statement (same formulas, maybe another order). */
  forward64: 1e-14,
  /** float64 backward vs central differences with step 1e-6. */
  finiteDiff: 1e-7,
  /**
   * float32 gate kernels vs the float64 reference on the same float32 inputs: a handful of
   * float32 roundings plus the activations' few ulps (≈ 17 u; 4e−7 passes), relative to
   * max(1, |expected|, Σ|terms|).
   */
  gates32: 1e-6,
  /**
   * float32 tanh / σ vs Math.tanh / 1/(1+e^−x), relative: the float32 rounding of the result
   * (½ u) plus, in wasm, the polynomial and the division; measured worst 2.8 u over 600k points.
   */
  activation32: 5 * U32,
  /** σ below the exp clamp (x < −87): the result is ≤ 1.6e−38 instead of e^x, absolutely. */
  sigmoidUnderflow: 2e-38,
};

// ---------------------------------------------------------------------------------------------
// GEMM

const SIZES = [1, 3, 4, 5, 7, 8, 9, 17];

/** One GEMM's operands on an awkward layout, C as it is before the call, and the reference result. */
interface GemmProblem {
  dtype: "float32" | "float64";
  transA: boolean; transB: boolean; m: number; n: number; k: number; alpha: number; beta: number;
  a: Floats; aOff: number; lda: number;
  b: Floats; bOff: number; ldb: number;
  c: Floats; cOff: number; ldc: number;
  want: { value: Float64Array; scale: Float64Array };
}

/**
 * Offsets before every matrix, padding in every leading dimension, room after C, and C
 * NaN-filled when beta = 0; the reference computed on exactly the stored values.
 */
function gemmProblem(
  rng: Rng, dtype: "float32" | "float64", transA: boolean, transB: boolean,
  m: number, n: number, k: number, alpha: number, beta: number,
): GemmProblem {
  const alloc = (len: number): Floats => (dtype === "float64" ? new Float64Array(len) : new Float32Array(len));
  const aRows = transA ? k : m, aCols = transA ? m : k;
  const bRows = transB ? n : k, bCols = transB ? k : n;
  const lda = aCols + 2, ldb = bCols + 1, ldc = n + 3;
  const aOff = 5, bOff = 2, cOff = 7;
  const a = alloc(aOff + aRows * lda);
  const b = alloc(bOff + bRows * ldb);
  a.set(randomF64(rng, a.length));
  b.set(randomF64(rng, b.length));
  const c = alloc(cOff + m * ldc + 4);
  if (beta === 0) c.fill(NaN);
  else c.set(randomF64(rng, c.length));
  const want = referenceGemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  return { dtype, transA, transB, m, n, k, alpha, beta, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, want };
}

/**
 * Runs the problem on a copy of its C and checks every element of the m×n block against the
 * reference within `bound` (relative to Σ|a·b| + |β·c|), and every element outside it untouched.
 */
function checkGemm(K: Kernels, p: GemmProblem, bound: number): void {
  const { transA, transB, m, n, k, alpha, beta, a, aOff, lda, b, bOff, ldb, cOff, ldc, want } = p;
  const c = p.c.slice();
  K.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);

  const what = `${K.name} ${p.dtype} transA=${transA} transB=${transB} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta}`;
  for (let idx = 0; idx < c.length; idx++) {
    const r = Math.floor((idx - cOff) / ldc), col = (idx - cOff) % ldc;
    if (!(idx >= cOff && r < m && col < n)) {
      assert.ok(Object.is(c[idx], p.c[idx]), `${what}: element ${idx} outside C was written`);
      continue;
    }
    const e = want.value[r * n + col];
    const ratio = Math.abs(c[idx] - e) / want.scale[r * n + col] / bound;
    assert.ok(ratio <= 1, `${what}: C[${r},${col}] = ${c[idx]}, expected ${e} (${ratio.toFixed(2)}× the tolerance)`);
  }
}

/** All four transpose cases × SIZES³, alpha and beta varied (beta 0 over NaN among them). */
function gemmSweep(K: Kernels, seed: number, dtype: "float32" | "float64"): number {
  const rng = new Rng(seed);
  const betas = [0, 1, 0.3];
  let count = 0;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const m of SIZES) {
        for (const n of SIZES) {
          for (const k of SIZES) {
            const p = gemmProblem(rng, dtype, transA, transB, m, n, k, count % 4 === 3 ? -0.5 : 1, betas[count % betas.length]);
            checkGemm(K, p, dtype === "float64" ? tol.gemm64 : tol.gemm32(k));
            count++;
          }
        }
      }
    }
  }
  return count;
}

let largeProblems: GemmProblem[] | null = null;

/**
 * Shapes around the SIMD width and the wasm GEMM's cache blocks, and the matrix–vector paths,
 * in all four transpose cases, beta 0 over NaN and beta 1. Made once and shared by every
 * backend's suite: their float64 reference costs more than the products themselves.
 */
function largeGemmProblems(): GemmProblem[] {
  if (largeProblems !== null) return largeProblems;
  const rng = new Rng(32);
  const shapes: Array<[number, number, number]> = [
    [64, 64, 64], [100, 100, 100], [3, 5, 4], [5, 3, 7], [9, 7, 5], [33, 65, 129],
    [130, 37, 300], [129, 9, 513], [2, 2051, 3], [150, 600, 150],
    // m = 1 or n = 1 take the matrix–vector path: row blocks of 16 and 4, and tails.
    [100, 1, 300], [1, 100, 300], [37, 1, 9], [1, 37, 9], [16, 1, 1], [1, 1, 40],
  ];
  largeProblems = [];
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const [m, n, k] of shapes) {
        largeProblems.push(gemmProblem(rng, "float32", transA, transB, m, n, k, 1, 0));
        largeProblems.push(gemmProblem(rng, "float32", transA, transB, m, n, k, 0.5, 1));
      }
    }
  }
  return largeProblems;
}

// ---------------------------------------------------------------------------------------------
// Gate kernels: scalar re-statements of the equations, one unit at a time, in float64

const sigma = (v: number): number => 1 / (1 + Math.exp(-v));
const scalarAct: Record<RnnActivation, (v: number) => number> = {
  tanh: Math.tanh,
  relu: (v) => Math.max(v, 0),
  sigmoid: sigma,
};

/**
 * The gate activations from their definitions: σ; TF.js's hardSigmoid clip(0.2·x + 0.5, 0, 1)
 * (tfjs-layers backend `hardSigmoid`, ONNX HardSigmoid's defaults); Keras 3's hard_sigmoid
 * relu6(x + 3)/6.
 */
const scalarGate: Record<GateActivation, (v: number) => number> = {
  sigmoid: sigma,
  hardSigmoid: (v) => Math.min(1, Math.max(0, 0.2 * v + 0.5)),
  hardSigmoid6: (v) => Math.min(6, Math.max(0, v + 3)) / 6,
};

/** Where each gate activation has a kink (finite differences must stay away from these). */
const GATE_KINKS: Record<GateActivation, number[]> = { sigmoid: [], hardSigmoid: [-2.5, 2.5], hardSigmoid6: [-3, 3] };

/** Moves values within 0.01 of a kink of `gate` (as pre-activations) 0.05 away from it. */
function awayFromKinks(gate: GateActivation, a: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) {
    for (const k of GATE_KINKS[gate]) if (Math.abs(a[i] - k) < 0.01) a[i] = k + 0.05;
  }
  return a;
}

/** One LSTM unit: i,f,g,o pre-activations and c_{t−1} → activations, c, tanh c, h. */
function lstmUnit(pi: number, pf: number, pg: number, po: number, cPrev: number, gate: GateActivation = "sigmoid") {
  const s = scalarGate[gate];
  const i = s(pi), f = s(pf), g = Math.tanh(pg), o = s(po);
  const c = f * cPrev + i * g;
  return { i, f, g, o, c, tanhC: Math.tanh(c), h: o * Math.tanh(c) };
}

/**
 * One GRU unit in PyTorch's form. `sum` forms gi + gh before the gate activation: exact, or
 * rounded to float32 as the float32 kernels do by contract (a hard sigmoid passes that
 * rounding on at slope 1/6 where σ damps it, and gh_n can multiply it by ~100).
 */
function gruUnit(
  gir: number, giz: number, gin: number, ghr: number, ghz: number, ghn: number, hPrev: number, gate: GateActivation = "sigmoid",
  sum: (a: number, b: number) => number = (a, b) => a + b,
) {
  const s = scalarGate[gate];
  const r = s(sum(gir, ghr)), z = s(sum(giz, ghz)), n = Math.tanh(gin + r * ghn);
  return { r, z, n, h: (1 - z) * n + z * hPrev };
}

/** The LSTM step restated unit by unit: gates [B,4H] (activations), c, tanhC, h [B,H]. */
function lstmReference(B: number, H: number, pre: Floats, cPrev: Floats, gate: GateActivation = "sigmoid") {
  const gates = new Float64Array(4 * B * H), c = new Float64Array(B * H), tanhC = new Float64Array(B * H), h = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const r = 4 * b * H, u = b * H + j;
      const e = lstmUnit(pre[r + j], pre[r + H + j], pre[r + 2 * H + j], pre[r + 3 * H + j], cPrev[u], gate);
      [gates[r + j], gates[r + H + j], gates[r + 2 * H + j], gates[r + 3 * H + j]] = [e.i, e.f, e.g, e.o];
      [c[u], tanhC[u], h[u]] = [e.c, e.tanhC, e.h];
    }
  }
  return { gates, c, tanhC, h };
}

/** The GRU step restated unit by unit: gates [B,3H] (r|z|n) and h [B,H]. */
function gruReference(
  B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, gate: GateActivation = "sigmoid",
  sum?: (a: number, b: number) => number,
) {
  const gates = new Float64Array(3 * B * H), h = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) {
      const r0 = 3 * b * H, u = b * H + j;
      const e = gruUnit(gi[r0 + j], gi[r0 + H + j], gi[r0 + 2 * H + j], gh[r0 + j], gh[r0 + H + j], gh[r0 + 2 * H + j], hPrev[u], gate, sum);
      [gates[r0 + j], gates[r0 + H + j], gates[r0 + 2 * H + j]] = [e.r, e.z, e.n];
      h[u] = e.h;
    }
  }
  return { gates, h };
}

/** The reset-before GRU's gated state restated: rh = s(gi_r + gh_r)·hPrev, unit by unit. */
function resetBeforeReference(
  B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, gate: GateActivation,
  sum: (a: number, b: number) => number = (a, b) => a + b,
) {
  const rh = new Float64Array(B * H);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < H; j++) rh[b * H + j] = scalarGate[gate](sum(gi[3 * b * H + j], gh[3 * b * H + j])) * hPrev[b * H + j];
  }
  return rh;
}

/** Every element within `relTol` of the reference, relative to max(1, |expected|, |scale|); all finite. */
function expectClose(what: string, got: Floats, want: Float64Array, relTol: number, scale?: Float64Array): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Number.isFinite(got[i]), `${what}[${i}] = ${got[i]} is not finite`);
    const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]), scale === undefined ? 0 : Math.abs(scale[i]));
    assert.ok(err <= relTol, `${what}[${i}] = ${got[i]}, expected ${want[i]} (error ${err.toExponential(2)})`);
  }
}

/** Central difference of a scalar function of one array element. */
function centralDiff(f: () => number, arr: Float64Array, i: number, eps = 1e-6): number {
  const orig = arr[i];
  arr[i] = orig + eps;
  const up = f();
  arr[i] = orig - eps;
  const down = f();
  arr[i] = orig;
  return (up - down) / (2 * eps);
}

function dot(a: Floats, b: Floats): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Values in [−2, 2] at least 0.05 away from 0, so a ReLU never sits on its kink. */
function awayFromZero(rng: Rng, n: number): Float64Array {
  const a = randomF64(rng, n, 0.05, 2);
  for (let i = 0; i < n; i++) if (rng.bernoulli(0.5)) a[i] = -a[i];
  return a;
}

// ---------------------------------------------------------------------------------------------
// The float64 references, once (float64 runs on the TypeScript kernels whatever is active)

test("float64 reference: gemm, all transpose cases × sizes {1,3,4,5,7,8,9,17}³, offsets, leading dims, NaN C", () => {
  assert.equal(gemmSweep(tsKernels, 11, "float64"), 4 * SIZES.length ** 3);
});

const REFERENCE_SHAPES: Array<[number, number]> = [[1, 1], [1, 4], [3, 5], [2, 17]];

for (const act of ["tanh", "relu", "sigmoid"] as const) {
  test(`float64 reference: rnnGates ${act} forward equals act(pre); backward equals finite differences`, () => {
    const rng = new Rng(20);
    for (const [B, H] of REFERENCE_SHAPES) {
      const n = B * H;
      const pre = awayFromZero(rng, n);
      const h = new Float64Array(n).fill(NaN);
      tsKernels.rnnGatesForward(act, n, pre, h);
      expectClose(`${act} h`, h, Float64Array.from(pre, scalarAct[act]), tol.forward64);

      const w = randomF64(rng, n);
      const dPre = new Float64Array(n).fill(NaN);
      tsKernels.rnnGatesBackward(act, n, h, w, dPre);
      const loss = (): number => {
        const out = new Float64Array(n);
        tsKernels.rnnGatesForward(act, n, pre, out);
        return dot(w, out);
      };
      expectClose(`${act} dPre`, dPre, Float64Array.from(pre, (_, i) => centralDiff(loss, pre, i)), tol.finiteDiff);
    }
  });
}

for (const gate of GATE_ACTIVATIONS) {
  test(`float64 reference: lstmGates (${gate}) forward equals the scalar equations; backward equals finite differences`, () => {
    const rng = new Rng(21);
    for (const [B, H] of REFERENCE_SHAPES) {
      const G = 4 * H;
      // [−4, 4] reaches both clipped ends of the hard sigmoids; kinks are avoided for the differences.
      const pre = awayFromKinks(gate, randomF64(rng, B * G, -4, 4));
      const cPrev = randomF64(rng, B * H, -1.5, 1.5);
      const gates = Float64Array.from(pre);
      const c = new Float64Array(B * H).fill(NaN), tanhC = new Float64Array(B * H).fill(NaN), h = new Float64Array(B * H).fill(NaN);
      tsKernels.lstmGatesForward(B, H, gates, cPrev, c, tanhC, h, gate);
      const e = lstmReference(B, H, pre, cPrev, gate);
      expectClose("lstm gates", gates, e.gates, tol.forward64);
      expectClose("lstm c", c, e.c, tol.forward64);
      expectClose("lstm tanhC", tanhC, e.tanhC, tol.forward64);
      expectClose("lstm h", h, e.h, tol.forward64);

      // L = Σ wh⊙h + Σ wc⊙c; the kernel gets dh = wh and dc = wc (∂L/∂c_t from the future).
      const wh = randomF64(rng, B * H), wc = randomF64(rng, B * H);
      const dGates = new Float64Array(B * G).fill(NaN);
      const dc = Float64Array.from(wc);
      tsKernels.lstmGatesBackward(B, H, gates, cPrev, tanhC, wh, dc, dGates, gate);
      const loss = (): number => {
        const gg = Float64Array.from(pre), cc = new Float64Array(B * H), tt = new Float64Array(B * H), hh = new Float64Array(B * H);
        tsKernels.lstmGatesForward(B, H, gg, cPrev, cc, tt, hh, gate);
        return dot(wh, hh) + dot(wc, cc);
      };
      expectClose("lstm dGates", dGates, Float64Array.from(pre, (_, i) => centralDiff(loss, pre, i)), tol.finiteDiff);
      expectClose("lstm dcPrev", dc, Float64Array.from(cPrev, (_, u) => centralDiff(loss, cPrev, u)), tol.finiteDiff);
    }
  });

  test(`float64 reference: gruGates (${gate}) forward equals the scalar equations; backward equals finite differences`, () => {
    const rng = new Rng(22);
    for (const [B, H] of REFERENCE_SHAPES) {
      const G = 3 * H;
      // gi in [−2, 2] plus gh in [−2, 2]: r and z reach the clipped ends; gh kept off the kinks of gi + gh.
      const gi = randomF64(rng, B * G, -2, 2), gh = randomF64(rng, B * G, -2, 2), hPrev = randomF64(rng, B * H);
      const sum = awayFromKinks(gate, Float64Array.from(gi, (v, i) => v + gh[i]));
      for (let i = 0; i < gh.length; i++) gh[i] = sum[i] - gi[i];
      const gates = new Float64Array(B * G).fill(NaN), h = new Float64Array(B * H).fill(NaN);
      tsKernels.gruGatesForward(B, H, gi, gh, hPrev, gates, h, gate);
      const e = gruReference(B, H, gi, gh, hPrev, gate);
      expectClose("gru gates", gates, e.gates, tol.forward64);
      expectClose("gru h", h, e.h, tol.forward64);

      // L = Σ w⊙h with gi, gh and hPrev as independent inputs (dhPrev is the direct path z⊙dh).
      const w = randomF64(rng, B * H);
      const dGi = new Float64Array(B * G).fill(NaN), dGh = new Float64Array(B * G).fill(NaN), dhPrev = new Float64Array(B * H).fill(NaN);
      tsKernels.gruGatesBackward(B, H, gates, gh, hPrev, w, dGi, dGh, dhPrev, gate);
      const loss = (): number => {
        const hh = new Float64Array(B * H);
        tsKernels.gruGatesForward(B, H, gi, gh, hPrev, new Float64Array(B * G), hh, gate);
        return dot(w, hh);
      };
      expectClose("gru dGi", dGi, Float64Array.from(gi, (_, i) => centralDiff(loss, gi, i)), tol.finiteDiff);
      expectClose("gru dGh", dGh, Float64Array.from(gh, (_, i) => centralDiff(loss, gh, i)), tol.finiteDiff);
      expectClose("gru dhPrev", dhPrev, Float64Array.from(hPrev, (_, u) => centralDiff(loss, hPrev, u)), tol.finiteDiff);
    }
  });

  test(`float64 reference: gruResetBefore (${gate}) forward equals s(gi_r + gh_r)·hPrev; backward equals finite differences`, () => {
    const rng = new Rng(23);
    for (const [B, H] of REFERENCE_SHAPES) {
      const G = 3 * H;
      const gi = randomF64(rng, B * G, -2, 2), gh = randomF64(rng, B * G, -2, 2), hPrev = randomF64(rng, B * H);
      const sum = awayFromKinks(gate, Float64Array.from(gi, (v, i) => v + gh[i]));
      for (let i = 0; i < gh.length; i++) gh[i] = sum[i] - gi[i];
      const rh = new Float64Array(B * H).fill(NaN);
      tsKernels.gruResetBeforeForward(B, H, gi, gh, hPrev, rh, gate);
      expectClose("rh", rh, resetBeforeReference(B, H, gi, gh, hPrev, gate), tol.forward64);

      // L = Σ w⊙rh. The kernel reads r from `gates` (as gruGatesForward left it) and adds
      // into dhPrev; dGi_n is copied to dGh_n; the z blocks are not touched.
      const gates = new Float64Array(B * G);
      tsKernels.gruGatesForward(B, H, gi, gh, hPrev, gates, new Float64Array(B * H), gate);
      const w = randomF64(rng, B * H);
      const dGi = randomF64(rng, B * G), dGh = randomF64(rng, B * G), dhStart = randomF64(rng, B * H);
      const dGiBefore = Float64Array.from(dGi), dGhBefore = Float64Array.from(dGh);
      const dhPrev = Float64Array.from(dhStart);
      tsKernels.gruResetBeforeBackward(B, H, gates, hPrev, w, dGi, dGh, dhPrev, gate);
      const loss = (): number => {
        const out = new Float64Array(B * H);
        tsKernels.gruResetBeforeForward(B, H, gi, gh, hPrev, out, gate);
        return dot(w, out);
      };
      const dGiWant = Float64Array.from(dGiBefore), dGhWant = Float64Array.from(dGhBefore);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          const r = 3 * b * H + j;
          dGiWant[r] = centralDiff(loss, gi, r);
          dGhWant[r] = centralDiff(loss, gh, r);
          dGhWant[r + 2 * H] = dGiBefore[r + 2 * H];
        }
      }
      expectClose("reset dGi", dGi, dGiWant, tol.finiteDiff);
      expectClose("reset dGh", dGh, dGhWant, tol.finiteDiff);
      expectClose("reset dhPrev", dhPrev, Float64Array.from(hPrev, (_, u) => dhStart[u] + centralDiff(loss, hPrev, u)), tol.finiteDiff);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Every backend, float32, every call forced to the backend

/** Gate shapes B×H: one unit, under, at and over a SIMD width, odd, and wide. */
const GATE_SHAPES: Array<[number, number]> = [[1, 1], [1, 3], [1, 4], [1, 5], [2, 7], [3, 8], [2, 17], [4, 64], [3, 100]];

/** Pre-activations that stress the activations: saturating, tiny, signed zeros, exp-clamp edges. */
const EXTREMES = [20, -20, 100, -100, 88.5, -88.5, 87, -87, 9, -9, 1e-7, -1e-7, 1e-30, 0, -0, 0.5, -0.5, 3, -3];

function extremeF32(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = EXTREMES[rng.int(EXTREMES.length)];
  return a;
}

/** Float64 copies of float32 inputs: the reference then computes on exactly the same values. */
function f64(a: Float32Array): Float64Array {
  return Float64Array.from(a);
}

function nanF32(n: number): Float32Array {
  return new Float32Array(n).fill(NaN);
}

/** |x| elementwise, in float64. */
function absF64(a: Float32Array): Float64Array {
  return Float64Array.from(a, Math.abs);
}

/**
 * How a backend forms gi + gh: the TypeScript kernels in double precision, the others rounded
 * to float32, as their kernels compute.
 */
function sumOf(K: Kernels): (a: number, b: number) => number {
  return K === tsKernels ? (a, b) => a + b : (a, b) => Math.fround(a + b);
}

type Inputs = (rng: Rng, n: number) => Float32Array;
const INPUTS: Array<[string, Inputs]> = [
  ["uniform inputs", (rng, n) => randomF32(rng, n, -3, 3)],
  ["extreme inputs", extremeF32],
];

/** y = b1 + b2 + x1·W1ᵀ + x2·W2ᵀ restated element by element in float64, with Σ|terms| per element. */
function affineReference(
  B: number, n: number, k1: number, k2: number,
  x1: Floats, w1: Floats, x2: Floats | null, w2: Floats | null, b1: Floats | null, b2: Floats | null,
): { value: Float64Array; scale: Float64Array } {
  const value = new Float64Array(B * n), scale = new Float64Array(B * n);
  const terms: Array<[Floats, Floats, number]> = [[x1, w1, k1]];
  if (x2 !== null && w2 !== null) terms.push([x2, w2, k2]);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < n; j++) {
      let s = 0, abs = 0;
      for (const bias of b1 === null ? [] : b2 === null ? [b1] : [b1, b2]) {
        s += bias[j];
        abs += Math.abs(bias[j]);
      }
      for (const [x, w, k] of terms) {
        for (let p = 0; p < k; p++) {
          s += x[b * k + p] * w[j * k + p];
          abs += Math.abs(x[b * k + p] * w[j * k + p]);
        }
      }
      value[b * n + j] = s;
      scale[b * n + j] = abs + 1e-30;
    }
  }
  return { value, scale };
}

// Everything recorded before the per-backend suites, to check that they restore it.
let activeBefore: Kernels | null = null;
test("before the per-backend suites: none of their forced wasm instances is active", () => {
  activeBefore = kernels();
  const loadable = TEST_BACKENDS.filter((b) => b.name !== "ts" && b.skip === undefined && (b.name !== "native" || nativeUnavailable() === null));
  assert.ok(!loadable.some((b) => backendKernels(b.label) === activeBefore));
});

forEachBackend((backend) => {
  test("the active kernels are this backend's, every float32 call forced to them", () => {
    const K = kernels();
    assert.equal(K.name, backend.name);
    assert.equal(K, backendKernels(backend.label));
    if (backend.name === "ts") {
      assert.equal(K, tsKernels);
    } else if (backend.name === "native") {
      const native = K as NativeKernels;
      assert.equal(native.variant, backend.options.variant ?? native.variants[0]);
      assert.equal(native.threads, backend.threads ?? 1);
    } else {
      const wasm = K as WasmKernels;
      assert.equal(wasm.options.minGemmWork, 0);
      assert.equal(wasm.options.minGateUnits, 0);
      assert.equal(wasm.lanes, backend.name === "wasm-scalar" ? 1 : 4);
      assert.equal(wasm.shared, backend.label === "wasm-simd" || backend.label === "wasm-relaxed", "only the shared SIMD builds compute in a shared memory");
    }
  });

  test("gemm float32: all transpose cases × sizes {1,3,4,5,7,8,9,17}³, offsets, leading dims, NaN C", () => {
    assert.equal(gemmSweep(kernels(), 31, "float32"), 4 * SIZES.length ** 3);
  });

  test("gemm float32: sizes around the SIMD width and the cache blocks (64, 100, k > 256, m > 128, n > 2048), vectors", () => {
    const K = kernels();
    for (const p of largeGemmProblems()) checkGemm(K, p, tol.gemm32(p.k));
  });

  test("gemm: k = 0 or alpha = 0 only scales C (beta 0 clears NaN), float32 and float64", () => {
    const K = kernels();
    for (const F of [Float32Array, Float64Array]) {
      const c = new F([NaN, NaN, NaN, NaN]);
      K.gemm(false, false, 2, 2, 0, 1, new F(0), 0, 1, new F(0), 0, 2, 0, c, 0, 2);
      assert.deepEqual(Array.from(c), [0, 0, 0, 0]);
      const c2 = new F([1, 2, 3, 4]);
      K.gemm(false, false, 2, 2, 1, 0, new F([NaN, NaN]), 0, 1, new F([1, 1]), 0, 2, 2, c2, 0, 2);
      assert.deepEqual(Array.from(c2), [2, 4, 6, 8]);
    }
  });

  test("affine float32: both biases, one, none; with and without the second product; NaN-filled y", () => {
    const K = kernels();
    const rng = new Rng(34);
    const shapes: Array<[number, number, number, number]> = [
      [1, 1, 1, 1], [1, 6, 1, 1], [1, 37, 19, 11], [2, 13, 5, 0], [3, 20, 7, 9], [4, 17, 9, 4], [1, 129, 33, 64],
    ];
    for (const [B, n, k1, k2] of shapes) {
      for (const biases of [0, 1, 2]) {
        for (const second of k2 > 0 ? [true, false] : [false]) {
          const x1 = randomF32(rng, B * k1), w1 = randomF32(rng, n * k1);
          const x2 = second ? randomF32(rng, B * k2) : null, w2 = second ? randomF32(rng, n * k2) : null;
          const b1 = biases > 0 ? randomF32(rng, n) : null, b2 = biases > 1 ? randomF32(rng, n) : null;
          // Three elements past y [B, n] that must stay as they are.
          const y = nanF32(B * n + 3);
          y.fill(7, B * n);
          K.affine(B, n, k1, second ? k2 : 0, x1, w1, x2, w2, b1, b2, y);
          const want = affineReference(B, n, k1, k2, x1, w1, x2, w2, b1, b2);
          const what = `${K.name} affine B=${B} n=${n} k1=${k1} k2=${second ? k2 : 0} biases=${biases}`;
          const bound = tol.gemm32(k1 + (second ? k2 : 0));
          for (let i = 0; i < B * n; i++) {
            const ratio = Math.abs(y[i] - want.value[i]) / want.scale[i] / bound;
            assert.ok(ratio <= 1, `${what}: y[${i}] = ${y[i]}, expected ${want.value[i]} (${ratio.toFixed(2)}× the tolerance)`);
          }
          assert.deepEqual(Array.from(y.subarray(B * n)), [7, 7, 7], `${what}: written past y`);
        }
      }
    }
  });

  for (const [label, gen] of INPUTS) {
    test(`rnnGates tanh/relu/sigmoid float32 forward and backward, ${label}`, () => {
      const K = kernels();
      const rng = new Rng(40);
      for (const act of ["tanh", "relu", "sigmoid"] as RnnActivation[]) {
        for (const [B, H] of GATE_SHAPES) {
          const n = B * H;
          const pre = gen(rng, n);
          const h = nanF32(n);
          K.rnnGatesForward(act, n, pre, h);
          expectClose(`${K.name} ${act} h`, h, Float64Array.from(pre, scalarAct[act]), tol.gates32);

          // Backward from the float32 forward's own outputs, as the layers run it.
          const dh = gen(rng, n);
          const dPre = nanF32(n), dPreRef = new Float64Array(n);
          K.rnnGatesBackward(act, n, h, dh, dPre);
          tsKernels.rnnGatesBackward(act, n, f64(h), f64(dh), dPreRef);
          // No cancellation here; for relu, |h| would also change the mask.
          expectClose(`${K.name} ${act} dPre`, dPre, dPreRef, tol.gates32);
        }
      }
    });

    for (const gate of GATE_ACTIVATIONS) {
      test(`lstmGates (${gate}) float32 forward and backward, ${label}`, () => {
        const K = kernels();
        const rng = new Rng(41);
        for (const [B, H] of GATE_SHAPES) {
          const BH = B * H;
          const pre = gen(rng, 4 * BH), cPrev = gen(rng, BH);
          const gates = Float32Array.from(pre), c = nanF32(BH), tanhC = nanF32(BH), h = nanF32(BH);
          K.lstmGatesForward(B, H, gates, cPrev, c, tanhC, h, gate);
          const e = lstmReference(B, H, pre, cPrev, gate);
          expectClose(`${K.name} lstm gates`, gates, e.gates, tol.gates32);
          expectClose(`${K.name} lstm c`, c, e.c, tol.gates32);
          expectClose(`${K.name} lstm tanhC`, tanhC, e.tanhC, tol.gates32);
          expectClose(`${K.name} lstm h`, h, e.h, tol.gates32);

          // Backward from the float32 forward's own activations, as the layers run it, against
          // the float64 backward (checked against finite differences above). Its scale: the
          // backward formulas are products and sums of inputs and of factors like (1 − i),
          // (1 − g²), which |·| of the inputs leaves alone (i, f, o ∈ [0, 1]; g, tanhC only
          // squared), so the reference run on |inputs| yields Σ|terms|, as Σ|a·b| does for GEMM.
          const dh = gen(rng, BH), dc = gen(rng, BH);
          const dcRef = f64(dc), dG = nanF32(4 * BH), dGRef = new Float64Array(4 * BH);
          const dcScale = absF64(dc), dGScale = new Float64Array(4 * BH);
          tsKernels.lstmGatesBackward(B, H, absF64(gates), absF64(cPrev), absF64(tanhC), absF64(dh), dcScale, dGScale, gate);
          K.lstmGatesBackward(B, H, gates, cPrev, tanhC, dh, dc, dG, gate);
          tsKernels.lstmGatesBackward(B, H, f64(gates), f64(cPrev), f64(tanhC), f64(dh), dcRef, dGRef, gate);
          expectClose(`${K.name} lstm dGates`, dG, dGRef, tol.gates32, dGScale);
          expectClose(`${K.name} lstm dc`, dc, dcRef, tol.gates32, dcScale);
        }
      });

      test(`gruGates (${gate}) float32 forward and backward, ${label}`, () => {
        const K = kernels();
        const rng = new Rng(42);
        for (const [B, H] of GATE_SHAPES) {
          const BH = B * H;
          const gi = gen(rng, 3 * BH), gh = gen(rng, 3 * BH), hPrev = gen(rng, BH);
          const gates = nanF32(3 * BH), h = nanF32(BH);
          K.gruGatesForward(B, H, gi, gh, hPrev, gates, h, gate);
          const e = gruReference(B, H, gi, gh, hPrev, gate, sumOf(K));
          expectClose(`${K.name} gru gates`, gates, e.gates, tol.gates32);
          expectClose(`${K.name} gru h`, h, e.h, tol.gates32);

          // As for the LSTM: against the float64 backward, scaled by the backward of |inputs|.
          const dh = gen(rng, BH);
          const dGi = nanF32(3 * BH), dGh = nanF32(3 * BH), dhPrev = nanF32(BH);
          const dGiRef = new Float64Array(3 * BH), dGhRef = new Float64Array(3 * BH), dhPrevRef = new Float64Array(BH);
          const dGiScale = new Float64Array(3 * BH), dGhScale = new Float64Array(3 * BH), dhPrevScale = new Float64Array(BH);
          tsKernels.gruGatesBackward(B, H, absF64(gates), absF64(gh), absF64(hPrev), absF64(dh), dGiScale, dGhScale, dhPrevScale, gate);
          K.gruGatesBackward(B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev, gate);
          tsKernels.gruGatesBackward(B, H, f64(gates), f64(gh), f64(hPrev), f64(dh), dGiRef, dGhRef, dhPrevRef, gate);
          expectClose(`${K.name} gru dGi`, dGi, dGiRef, tol.gates32, dGiScale);
          expectClose(`${K.name} gru dGh`, dGh, dGhRef, tol.gates32, dGhScale);
          expectClose(`${K.name} gru dhPrev`, dhPrev, dhPrevRef, tol.gates32, dhPrevScale);
        }
      });

      test(`gruResetBefore (${gate}) float32 forward and backward, ${label}`, () => {
        const K = kernels();
        const rng = new Rng(43);
        for (const [B, H] of GATE_SHAPES) {
          const BH = B * H;
          const gi = gen(rng, 3 * BH), gh = gen(rng, 3 * BH), hPrev = gen(rng, BH);
          const rh = nanF32(BH);
          K.gruResetBeforeForward(B, H, gi, gh, hPrev, rh, gate);
          expectClose(`${K.name} rh`, rh, resetBeforeReference(B, H, gi, gh, hPrev, gate, sumOf(K)), tol.gates32);

          // r from the float32 gate kernel, as the layer runs it; the updated operands start
          // from random values (the z blocks must come back untouched, dhPrev accumulated into).
          const gates = nanF32(3 * BH);
          K.gruGatesForward(B, H, gi, gh, hPrev, gates, nanF32(BH), gate);
          const dRh = gen(rng, BH), dGi = gen(rng, 3 * BH), dGh = gen(rng, 3 * BH), dhPrev = gen(rng, BH);
          const dGiRef = f64(dGi), dGhRef = f64(dGh), dhPrevRef = f64(dhPrev);
          const dGiScale = absF64(dGi), dGhScale = absF64(dGh), dhPrevScale = absF64(dhPrev);
          tsKernels.gruResetBeforeBackward(B, H, absF64(gates), absF64(hPrev), absF64(dRh), dGiScale, dGhScale, dhPrevScale, gate);
          K.gruResetBeforeBackward(B, H, gates, hPrev, dRh, dGi, dGh, dhPrev, gate);
          tsKernels.gruResetBeforeBackward(B, H, f64(gates), f64(hPrev), f64(dRh), dGiRef, dGhRef, dhPrevRef, gate);
          expectClose(`${K.name} reset dGi`, dGi, dGiRef, tol.gates32, dGiScale);
          expectClose(`${K.name} reset dGh`, dGh, dGhRef, tol.gates32, dGhScale);
          expectClose(`${K.name} reset dhPrev`, dhPrev, dhPrevRef, tol.gates32, dhPrevScale);
        }
      });
    }
  }

  test("rnnGates relu: relu(±0) = +0 and relu'(0) := 0, float32 and float64", () => {
    const K = kernels();
    for (const F of [Float32Array, Float64Array]) {
      const h = new F(4).fill(NaN);
      K.rnnGatesForward("relu", 4, new F([0, -0, 1, -1]), h);
      assert.deepEqual(Array.from(h), [0, 0, 1, 0]);
      const dPre = new F(4).fill(NaN);
      K.rnnGatesBackward("relu", 4, h, new F([5, 5, 5, 5]), dPre);
      assert.deepEqual(Array.from(dPre), [0, 0, 5, 0]);
    }
  });

  test("tanh and sigmoid float32: relative accuracy over [−30, 30] and tiny arguments", () => {
    const K = kernels();
    const xs: number[] = [];
    for (let i = -30000; i <= 30000; i++) xs.push(i / 1000);
    for (let e = -38; e <= -1; e++) for (const mant of [1, 2.5, 7.3]) xs.push(mant * 10 ** e, -mant * 10 ** e);
    xs.push(-87.5, -88, -100, -1e4, 87.5, 88, 100, 1e4);
    const x = Float32Array.from(xs);
    const n = x.length;
    for (const act of ["tanh", "sigmoid"] as const) {
      const y = nanF32(n);
      K.rnnGatesForward(act, n, x, y);
      for (let i = 0; i < n; i++) {
        const want = scalarAct[act](x[i]);
        assert.ok(Number.isFinite(y[i]), `${act}(${x[i]}) = ${y[i]}`);
        if (act === "sigmoid" && x[i] < -87) {
          assert.ok(Math.abs(y[i] - want) <= tol.sigmoidUnderflow, `σ(${x[i]}) = ${y[i]}, expected ${want}`);
          continue;
        }
        const rel = Math.abs(y[i] - want) / Math.abs(want);
        assert.ok(
          want === 0 ? y[i] === 0 : rel <= tol.activation32,
          `${K.name} ${act}(${x[i]}) = ${y[i]}, expected ${want} (relative error ${rel.toExponential(2)})`,
        );
      }
    }
  });
});

test("the per-backend suites restore the backend that was active before them", () => {
  assert.notEqual(activeBefore, null);
  assert.equal(kernels(), activeBefore);
});
