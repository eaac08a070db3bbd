// Tests of the WebAssembly kernels, both builds (SIMD and scalar), against the TypeScript
// reference: GEMM over awkward sizes, all four transpose cases, offsets, leading dimensions
// and NaN-filled C with beta 0; every gate kernel over ragged shapes and extreme inputs; the
// fast activations' accuracy over a dense grid; the loader's probe and fallbacks; and every
// PyTorch layer fixture in float32 with the wasm kernels active.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsKernels } from "../src/backend/ts/index.js";
import { kernels, useKernels, type Kernels, type RnnActivation } from "../src/backend/kernels.js";
import {
  defaultWasmKernelOptions, loadWasm, loadWasmKernels, simdSupported, type WasmKernels,
} from "../src/backend/wasm/index.js";
import "../src/node/platform.js";
import "../src/node/platform.js";
import { layerFamily } from "../src/fixtures/layers.js";
import { Rng } from "../src/tensor/random.js";
import type { Floats } from "../src/tensor/tensor.js";
import { readFixtureCases, runPassingCase } from "./support/fixtures.js";
import { referenceGemm } from "./support/gemm-reference.js";
import { randomF32 } from "./support/random.js";

/** float32 unit roundoff, 2⁻²⁴. */
const U32 = 2 ** -24;

/** Named tolerances (STYLE principle 11). */
const tol = {
  /**
   * float32 GEMM vs a float64 loop over the same (float32) inputs, relative to Σ|a·b| + |β·c|:
   * each product and partial sum rounds once, so the error grows like u·√k; allow 8× that
   * (≈ 5e−7·√k) for the blocked summation order and the alpha/beta roundings (4× passes).
   */
  gemm32: (k: number): number => 8 * U32 * Math.sqrt(k + 1),
  /**
   * tanh / σ vs Math.tanh / 1/(1+e^−x), relative: the float32 rounding of the result
   * (½ u) plus the polynomial and the division; measured worst 2.8 u over 600k points.
   */
  activation32: 5 * U32,
  /** σ below the exp clamp (x < −87): the result is ≤ 1.6e−38 instead of e^x, absolutely. */
  sigmoidUnderflow: 2e-38,
  /**
   * Gate kernels vs the float64 reference on the same float32 inputs: a handful of float32
   * roundings plus the activations' few ulps (≈ 17 u; 4e−7 passes), relative to
   * max(1, |expected|, Σ|terms|).
   */
  gates32: 1e-6,
};

/** Thresholds of zero send every float32 call to wasm, so tiny sizes exercise it too. */
const FORCED = { minGemmWork: 0, minGateUnits: 0 };

function load(simd: boolean, options = FORCED): WasmKernels {
  const k = loadWasmKernels({ simd, ...options });
  assert.ok(k !== null, "the wasm kernels did not load: run `npm run build` (build:wasm) first");
  return k;
}

const builds: WasmKernels[] = [load(true), load(false)];

test("both builds load; the SIMD build where the probe finds SIMD", () => {
  assert.equal(typeof simdSupported(), "boolean");
  assert.equal(builds[0].name, simdSupported() ? "wasm-simd" : "wasm-scalar");
  assert.equal(builds[0].lanes, simdSupported() ? 4 : 1);
  assert.equal(builds[1].name, "wasm-scalar");
  assert.equal(builds[1].lanes, 1);
  assert.equal(loadWasmKernels()?.name, simdSupported() ? "wasm-simd" : "wasm-scalar");
});

test("probe and fallbacks: no SIMD → scalar build; unloadable builds → null, with the reasons", () => {
  assert.equal(loadWasmKernels({ probe: () => false })?.name, "wasm-scalar");
  const junk = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x99]);
  assert.equal(loadWasmKernels({ simdBytes: junk })?.name, "wasm-scalar");
  const none = loadWasm({ simdBytes: junk, scalarBytes: junk });
  assert.equal(none.kernels, null);
  assert.equal(none.refused.length, 2);
  assert.match(none.refused[0], /^simd: /);
  assert.match(none.refused[1], /^scalar: /);
});

// ---------------------------------------------------------------------------------------------
// GEMM

const SIZES = [1, 3, 4, 5, 7, 8, 9, 17];

/**
 * One GEMM on an awkward layout (offsets before every matrix, padding in every leading
 * dimension, C NaN-filled when beta = 0) checked against the reference, and every element
 * of C outside the m×n block checked untouched. Returns the worst error / tolerance ratio.
 */
function gemmCase(
  K: Kernels, rng: Rng, transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, beta: number,
): number {
  const aRows = transA ? k : m, aCols = transA ? m : k;
  const bRows = transB ? n : k, bCols = transB ? k : n;
  const lda = aCols + 2, ldb = bCols + 1, ldc = n + 3;
  const aOff = 5, bOff = 2, cOff = 7;
  const a = randomF32(rng, aOff + aRows * lda);
  const b = randomF32(rng, bOff + bRows * ldb);
  const c = beta === 0 ? new Float32Array(cOff + m * ldc + 4).fill(NaN) : randomF32(rng, cOff + m * ldc + 4);
  const before = Float32Array.from(c);
  const want = referenceGemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, before, cOff, ldc);

  K.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);

  const what = `${K.name} transA=${transA} transB=${transB} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta}`;
  const bound = tol.gemm32(k);
  let worst = 0;
  for (let idx = 0; idx < c.length; idx++) {
    const r = Math.floor((idx - cOff) / ldc), col = (idx - cOff) % ldc;
    if (!(idx >= cOff && r < m && col < n)) {
      assert.ok(Object.is(c[idx], before[idx]), `${what}: element ${idx} outside C was written`);
      continue;
    }
    const e = want.value[r * n + col];
    const ratio = Math.abs(c[idx] - e) / want.scale[r * n + col] / bound;
    assert.ok(ratio <= 1, `${what}: C[${r},${col}] = ${c[idx]}, expected ${e} (${ratio.toFixed(2)}× the tolerance)`);
    worst = Math.max(worst, ratio);
  }
  return worst;
}

for (const K of builds) {
  test(`${K.name} gemm: all transpose cases × sizes {1,3,4,5,7,8,9,17}³, offsets, leading dims, NaN C`, () => {
    const rng = new Rng(31);
    const betas = [0, 1, 0.3];
    let count = 0;
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const m of SIZES) {
          for (const n of SIZES) {
            for (const k of SIZES) {
              gemmCase(K, rng, transA, transB, m, n, k, count % 4 === 3 ? -0.5 : 1, betas[count % betas.length]);
              count++;
            }
          }
        }
      }
    }
    assert.equal(count, 4 * SIZES.length ** 3);
  });

  test(`${K.name} gemm: sizes around the SIMD width and the cache blocks (64, 100, k > 256, m > 128, n > 2048), vectors`, () => {
    const rng = new Rng(32);
    const shapes: Array<[number, number, number]> = [
      [64, 64, 64], [100, 100, 100], [3, 5, 4], [5, 3, 7], [9, 7, 5], [33, 65, 129],
      [130, 37, 300], [129, 9, 513], [2, 2051, 3], [150, 600, 150],
      // m = 1 or n = 1 take the matrix–vector path: row blocks of 16 and 4, and tails.
      [100, 1, 300], [1, 100, 300], [37, 1, 9], [1, 37, 9], [16, 1, 1], [1, 1, 40],
    ];
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const [m, n, k] of shapes) {
          gemmCase(K, rng, transA, transB, m, n, k, 1, 0);
          gemmCase(K, rng, transA, transB, m, n, k, 0.5, 1);
        }
      }
    }
  });

  test(`${K.name} gemm: k = 0 or alpha = 0 only scales C (beta 0 clears NaN)`, () => {
    const c = new Float32Array([NaN, NaN, NaN, NaN]);
    K.gemm(false, false, 2, 2, 0, 1, new Float32Array(0), 0, 1, new Float32Array(0), 0, 2, 0, c, 0, 2);
    assert.deepEqual(Array.from(c), [0, 0, 0, 0]);
    const c2 = new Float32Array([1, 2, 3, 4]);
    K.gemm(false, false, 2, 2, 1, 0, new Float32Array([NaN, NaN]), 0, 1, new Float32Array([1, 1]), 0, 2, 2, c2, 0, 2);
    assert.deepEqual(Array.from(c2), [2, 4, 6, 8]);
  });
}

test("default thresholds: float64 and small float32 calls run the TS kernels (bit-identical results)", () => {
  const K = load(true, defaultWasmKernelOptions);
  const rng = new Rng(33);
  const cases: Array<[Floats, number, number, number]> = [
    [new Float64Array(0), 40, 30, 20], // float64 of any size
    [new Float32Array(0), 4, 5, 6], // m·n·k below minGemmWork
  ];
  for (const [proto, m, n, k] of cases) {
    const make = (len: number): Floats => {
      const x = proto instanceof Float64Array ? new Float64Array(len) : new Float32Array(len);
      x.set(randomF32(rng, len));
      return x;
    };
    const a = make(m * k), b = make(k * n);
    const c1 = make(m * n), c2 = Float64Array.from(c1);
    const c2typed = proto instanceof Float64Array ? c2 : Float32Array.from(c2);
    K.gemm(false, true, m, n, k, 1, a, 0, k, b, 0, k, 1, c1, 0, n);
    tsKernels.gemm(false, true, m, n, k, 1, a, 0, k, b, 0, k, 1, c2typed, 0, n);
    assert.deepEqual(Array.from(c1), Array.from(c2typed));
  }
  const pre = new Float64Array([0.5, -3, 20]), h1 = new Float64Array(3), h2 = new Float64Array(3);
  K.rnnGatesForward("tanh", 3, pre, h1);
  tsKernels.rnnGatesForward("tanh", 3, pre, h2);
  assert.deepEqual(Array.from(h1), Array.from(h2));
});

// ---------------------------------------------------------------------------------------------
// Gate kernels

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
 * Every output finite and within tol.gates32 · max(1, |expected|, scale) of the reference.
 * `scale` is Σ|terms| where a sum can cancel: the backward formulas are products and sums
 * of inputs and of factors like (1 − i), (1 − g²), which |·| of the inputs leaves alone
 * (i, f, o, z, r ∈ (0, 1); g, tanhC, n only squared), so the reference run on |inputs|
 * yields exactly that scale, as Σ|a·b| does for GEMM.
 */
function expectClose(what: string, got: Float32Array, want: Float64Array, scale?: Float64Array): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Number.isFinite(got[i]), `${what}[${i}] = ${got[i]} is not finite`);
    const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]), scale === undefined ? 0 : Math.abs(scale[i]));
    assert.ok(err <= tol.gates32, `${what}[${i}] = ${got[i]}, expected ${want[i]} (error ${err.toExponential(2)})`);
  }
}

type Inputs = (rng: Rng, n: number) => Float32Array;
const INPUTS: Array<[string, Inputs]> = [
  ["uniform inputs", (rng, n) => randomF32(rng, n, -3, 3)],
  ["extreme inputs", extremeF32],
];

for (const K of builds) {
  for (const [label, gen] of INPUTS) {
    test(`${K.name} rnnGates tanh/relu/sigmoid forward and backward, ${label}`, () => {
      const rng = new Rng(40);
      for (const act of ["tanh", "relu", "sigmoid"] as RnnActivation[]) {
        for (const [B, H] of GATE_SHAPES) {
          const n = B * H;
          const pre = gen(rng, n);
          const h = nanF32(n), hRef = new Float64Array(n);
          K.rnnGatesForward(act, n, pre, h);
          tsKernels.rnnGatesForward(act, n, f64(pre), hRef);
          expectClose(`${K.name} ${act} h`, h, hRef);

          const dh = gen(rng, n);
          const dPre = nanF32(n), dPreRef = new Float64Array(n);
          K.rnnGatesBackward(act, n, h, dh, dPre);
          tsKernels.rnnGatesBackward(act, n, f64(h), f64(dh), dPreRef);
          // No cancellation here; for relu, |h| would also change the mask.
          expectClose(`${K.name} ${act} dPre`, dPre, dPreRef);
        }
      }
    });

    test(`${K.name} lstmGates forward and backward, ${label}`, () => {
      const rng = new Rng(41);
      for (const [B, H] of GATE_SHAPES) {
        const BH = B * H;
        const pre = gen(rng, 4 * BH), cPrev = gen(rng, BH);
        const gates = Float32Array.from(pre), c = nanF32(BH), tanhC = nanF32(BH), h = nanF32(BH);
        const gRef = f64(pre), cRef = new Float64Array(BH), tRef = new Float64Array(BH), hRef = new Float64Array(BH);
        K.lstmGatesForward(B, H, gates, cPrev, c, tanhC, h);
        tsKernels.lstmGatesForward(B, H, gRef, f64(cPrev), cRef, tRef, hRef);
        expectClose(`${K.name} lstm gates`, gates, gRef);
        expectClose(`${K.name} lstm c`, c, cRef);
        expectClose(`${K.name} lstm tanhC`, tanhC, tRef);
        expectClose(`${K.name} lstm h`, h, hRef);

        // Backward from the float32 forward's own activations, as the layers run it.
        const dh = gen(rng, BH), dc = gen(rng, BH);
        const dcRef = f64(dc), dG = nanF32(4 * BH), dGRef = new Float64Array(4 * BH);
        const dcScale = absF64(dc), dGScale = new Float64Array(4 * BH);
        tsKernels.lstmGatesBackward(B, H, absF64(gates), absF64(cPrev), absF64(tanhC), absF64(dh), dcScale, dGScale);
        K.lstmGatesBackward(B, H, gates, cPrev, tanhC, dh, dc, dG);
        tsKernels.lstmGatesBackward(B, H, f64(gates), f64(cPrev), f64(tanhC), f64(dh), dcRef, dGRef);
        expectClose(`${K.name} lstm dGates`, dG, dGRef, dGScale);
        expectClose(`${K.name} lstm dc`, dc, dcRef, dcScale);
      }
    });

    test(`${K.name} gruGates forward and backward, ${label}`, () => {
      const rng = new Rng(42);
      for (const [B, H] of GATE_SHAPES) {
        const BH = B * H;
        const gi = gen(rng, 3 * BH), gh = gen(rng, 3 * BH), hPrev = gen(rng, BH);
        const gates = nanF32(3 * BH), h = nanF32(BH), gRef = new Float64Array(3 * BH), hRef = new Float64Array(BH);
        K.gruGatesForward(B, H, gi, gh, hPrev, gates, h);
        tsKernels.gruGatesForward(B, H, f64(gi), f64(gh), f64(hPrev), gRef, hRef);
        expectClose(`${K.name} gru gates`, gates, gRef);
        expectClose(`${K.name} gru h`, h, hRef);

        const dh = gen(rng, BH);
        const dGi = nanF32(3 * BH), dGh = nanF32(3 * BH), dhPrev = nanF32(BH);
        const dGiRef = new Float64Array(3 * BH), dGhRef = new Float64Array(3 * BH), dhPrevRef = new Float64Array(BH);
        const dGiScale = new Float64Array(3 * BH), dGhScale = new Float64Array(3 * BH), dhPrevScale = new Float64Array(BH);
        tsKernels.gruGatesBackward(B, H, absF64(gates), absF64(gh), absF64(hPrev), absF64(dh), dGiScale, dGhScale, dhPrevScale);
        K.gruGatesBackward(B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev);
        tsKernels.gruGatesBackward(B, H, f64(gates), f64(gh), f64(hPrev), f64(dh), dGiRef, dGhRef, dhPrevRef);
        expectClose(`${K.name} gru dGi`, dGi, dGiRef, dGiScale);
        expectClose(`${K.name} gru dGh`, dGh, dGhRef, dGhScale);
        expectClose(`${K.name} gru dhPrev`, dhPrev, dhPrevRef, dhPrevScale);
      }
    });
  }

  test(`${K.name} tanh and sigmoid: relative accuracy over [−30, 30] and tiny arguments`, () => {
    const xs: number[] = [];
    for (let i = -30000; i <= 30000; i++) xs.push(i / 1000);
    for (let e = -38; e <= -1; e++) for (const mant of [1, 2.5, 7.3]) xs.push(mant * 10 ** e, -mant * 10 ** e);
    xs.push(-87.5, -88, -100, -1e4, 87.5, 88, 100, 1e4);
    const x = Float32Array.from(xs);
    const n = x.length;
    for (const act of ["tanh", "sigmoid"] as const) {
      const y = nanF32(n);
      K.rnnGatesForward(act, n, x, y);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const want = act === "tanh" ? Math.tanh(x[i]) : 1 / (1 + Math.exp(-x[i]));
        assert.ok(Number.isFinite(y[i]), `${act}(${x[i]}) = ${y[i]}`);
        if (act === "sigmoid" && x[i] < -87) {
          assert.ok(Math.abs(y[i] - want) <= tol.sigmoidUnderflow, `σ(${x[i]}) = ${y[i]}, expected ${want}`);
          continue;
        }
        const rel = Math.abs(y[i] - want) / Math.abs(want);
        worst = Math.max(worst, want === 0 ? Math.abs(y[i]) : rel);
        assert.ok(
          want === 0 ? y[i] === 0 : rel <= tol.activation32,
          `${K.name} ${act}(${x[i]}) = ${y[i]}, expected ${want} (relative error ${rel.toExponential(2)})`,
        );
      }
      assert.ok(worst <= tol.activation32);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// PyTorch layer fixtures in float32 with the wasm kernels active

const layerCases = readFixtureCases("rnn_layers.json");

const fixtureBackends: Array<[string, WasmKernels]> = [
  ["every call forced to wasm-simd", builds[0]],
  ["every call forced to wasm-scalar", builds[1]],
  ["default thresholds", load(true, defaultWasmKernelOptions)],
];

for (const [label, K] of fixtureBackends) {
  test(`rnn_layers.json: every case passes in float32 with ${K.name} (${label})`, async (t) => {
    const before = kernels();
    useKernels(K);
    try {
      for (const c of layerCases) {
        await t.test(c.name, () => {
          assert.equal(kernels().name, K.name);
          const cmp = runPassingCase(layerFamily, c, "float32");
          assert.ok(cmp.results.length >= 6, "too few keys checked");
        });
      }
    } finally {
      useKernels(before);
    }
    assert.equal(kernels(), before);
  });
}
