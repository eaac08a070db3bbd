// Tests of the plain-TypeScript kernels: GEMM against a naive triple loop over awkward
// sizes, offsets and leading dimensions; every gate kernel's forward against a scalar
// re-statement of its equation and its backward against central differences.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsKernels } from "../src/backend/ts/index.js";
import { kernels, useKernels, type RnnActivation } from "../src/backend/kernels.js";
import { useBackend } from "../src/backend/select.js";
import { Rng } from "../src/tensor/random.js";
import type { Floats } from "../src/tensor/tensor.js";
import { referenceGemm } from "./support/gemm-reference.js";
import { randomF64 } from "./support/random.js";

/** Named tolerances (STYLE principle 11). */
const tol = {
  /** float64 GEMM vs the naive loop: only the summation order differs. */
  gemm64: 1e-13,
  /** float32 GEMM vs float64 reference, relative to Σ|a·b| (k ≤ 17 terms, one rounding each). */
  gemm32: 2e-6,
  /** Kernel forward vs its scalar re-statement in float64 (same formulas, maybe different order). */
  forward64: 1e-14,
  /** float32 kernel forward vs float64 reference. */
  forward32: 1e-6,
  /** Backward vs central differences with step 1e-6 in float64. */
  finiteDiff: 1e-7,
};

const SIZES = [1, 3, 4, 5, 7, 8, 9, 17];

function gemmCase(
  rng: Rng, dtype: "float32" | "float64", transA: boolean, transB: boolean,
  m: number, n: number, k: number, alpha: number, beta: number, relTol: number,
): void {
  const alloc = (n: number): Floats => (dtype === "float64" ? new Float64Array(n) : new Float32Array(n));
  // Awkward layout: an offset before each matrix and padding in every leading dimension.
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
  const before = Float64Array.from(c);
  const want = referenceGemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, before, cOff, ldc);

  tsKernels.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);

  const what = `${dtype} transA=${transA} transB=${transB} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta}`;
  for (let idx = 0; idx < c.length; idx++) {
    const r = Math.floor((idx - cOff) / ldc), col = (idx - cOff) % ldc;
    const inside = idx >= cOff && r < m && col < n;
    if (!inside) {
      assert.ok(Object.is(c[idx], before[idx]), `${what}: element ${idx} outside C was written`);
      continue;
    }
    const e = want.value[r * n + col];
    const err = Math.abs(c[idx] - e) / want.scale[r * n + col];
    assert.ok(err <= relTol, `${what}: C[${r},${col}] = ${c[idx]}, expected ${e} (relative error ${err})`);
  }
}

test("the ts backend is the reference kernels, chosen by name", () => {
  const before = kernels();
  try {
    assert.equal(useBackend("ts").name, "ts");
    assert.equal(kernels(), tsKernels);
  } finally {
    useKernels(before);
  }
});

test("gemm float64: all transpose cases, awkward sizes, offsets, leading dims, NaN-filled C with beta 0", () => {
  const rng = new Rng(11);
  const betas = [0, 1, 0.3];
  let count = 0;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const m of SIZES) {
        for (const n of SIZES) {
          for (const k of SIZES) {
            const beta = betas[count % betas.length];
            const alpha = count % 4 === 3 ? -0.5 : 1;
            gemmCase(rng, "float64", transA, transB, m, n, k, alpha, beta, tol.gemm64);
            count++;
          }
        }
      }
    }
  }
  assert.equal(count, 4 * SIZES.length ** 3);
});

test("gemm float32 agrees with the float64 reference", () => {
  const rng = new Rng(12);
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const [m, n, k] of [[1, 1, 1], [3, 17, 5], [17, 4, 9], [8, 7, 17]]) {
        gemmCase(rng, "float32", transA, transB, m, n, k, 1, 0, tol.gemm32);
        gemmCase(rng, "float32", transA, transB, m, n, k, 0.5, 1, tol.gemm32);
      }
    }
  }
});

test("gemm with k = 0 or alpha = 0 only scales C (beta 0 clears NaN)", () => {
  const c = new Float64Array([NaN, NaN, NaN, NaN]);
  tsKernels.gemm(false, false, 2, 2, 0, 1, new Float64Array(0), 0, 1, new Float64Array(0), 0, 2, 0, c, 0, 2);
  assert.deepEqual(Array.from(c), [0, 0, 0, 0]);
  const c2 = new Float64Array([1, 2, 3, 4]);
  tsKernels.gemm(false, false, 2, 2, 1, 0, new Float64Array([NaN, NaN]), 0, 1, new Float64Array([1, 1]), 0, 2, 2, c2, 0, 2);
  assert.deepEqual(Array.from(c2), [2, 4, 6, 8]);
});

// ---------------------------------------------------------------------------------------------
// Pointwise gate kernels. Scalar re-statements of the equations, one unit at a time.

const sigma = (v: number): number => 1 / (1 + Math.exp(-v));
const scalarAct: Record<RnnActivation, (v: number) => number> = {
  tanh: Math.tanh,
  relu: (v) => Math.max(v, 0),
  sigmoid: sigma,
};

function closeRel(actual: number, expected: number, relTol: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  assert.ok(err <= relTol, `${what}: got ${actual}, expected ${expected} (error ${err})`);
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

const SHAPES: Array<[number, number]> = [[1, 1], [1, 4], [3, 5], [2, 17]];

for (const act of ["tanh", "relu", "sigmoid"] as const) {
  test(`rnnGates ${act}: forward equals act(pre); backward equals finite differences`, () => {
    const rng = new Rng(20);
    for (const [B, H] of SHAPES) {
      const n = B * H;
      const pre = awayFromZero(rng, n);
      const h = new Float64Array(n).fill(NaN);
      tsKernels.rnnGatesForward(act, n, pre, h);
      for (let i = 0; i < n; i++) closeRel(h[i], scalarAct[act](pre[i]), tol.forward64, `${act} h[${i}]`);

      const h32 = new Float32Array(n);
      tsKernels.rnnGatesForward(act, n, Float32Array.from(pre), h32);
      for (let i = 0; i < n; i++) closeRel(h32[i], h[i], tol.forward32, `${act} float32 h[${i}]`);

      const w = randomF64(rng, n);
      const dPre = new Float64Array(n).fill(NaN);
      tsKernels.rnnGatesBackward(act, n, h, w, dPre);
      const loss = (): number => {
        const out = new Float64Array(n);
        tsKernels.rnnGatesForward(act, n, pre, out);
        return dot(w, out);
      };
      for (let i = 0; i < n; i++) closeRel(dPre[i], centralDiff(loss, pre, i), tol.finiteDiff, `${act} dPre[${i}]`);
    }
  });
}

test("rnnGates relu: relu(0) = 0 and relu'(0) := 0", () => {
  const pre = new Float64Array([0, -0, 1, -1]);
  const h = new Float64Array(4);
  tsKernels.rnnGatesForward("relu", 4, pre, h);
  assert.deepEqual(Array.from(h), [0, 0, 1, 0]);
  const dPre = new Float64Array(4).fill(NaN);
  tsKernels.rnnGatesBackward("relu", 4, h, new Float64Array([5, 5, 5, 5]), dPre);
  assert.deepEqual(Array.from(dPre), [0, 0, 5, 0]);
});

/** One LSTM unit: i,f,g,o pre-activations and c_{t−1} → activations, c, tanh c, h. */
function lstmUnit(pi: number, pf: number, pg: number, po: number, cPrev: number) {
  const i = sigma(pi), f = sigma(pf), g = Math.tanh(pg), o = sigma(po);
  const c = f * cPrev + i * g;
  return { i, f, g, o, c, tanhC: Math.tanh(c), h: o * Math.tanh(c) };
}

test("lstmGates: forward equals the scalar equations; backward equals finite differences", () => {
  const rng = new Rng(21);
  for (const [B, H] of SHAPES) {
    const G = 4 * H;
    const pre = randomF64(rng, B * G, -2, 2);
    const cPrev = randomF64(rng, B * H, -1.5, 1.5);
    const gates = Float64Array.from(pre);
    const c = new Float64Array(B * H).fill(NaN), tanhC = new Float64Array(B * H).fill(NaN), h = new Float64Array(B * H).fill(NaN);
    tsKernels.lstmGatesForward(B, H, gates, cPrev, c, tanhC, h);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const r = b * G, u = b * H + j;
        const e = lstmUnit(pre[r + j], pre[r + H + j], pre[r + 2 * H + j], pre[r + 3 * H + j], cPrev[u]);
        closeRel(gates[r + j], e.i, tol.forward64, "i");
        closeRel(gates[r + H + j], e.f, tol.forward64, "f");
        closeRel(gates[r + 2 * H + j], e.g, tol.forward64, "g");
        closeRel(gates[r + 3 * H + j], e.o, tol.forward64, "o");
        closeRel(c[u], e.c, tol.forward64, "c");
        closeRel(tanhC[u], e.tanhC, tol.forward64, "tanhC");
        closeRel(h[u], e.h, tol.forward64, "h");
      }
    }
    const g32 = Float32Array.from(pre), c32 = new Float32Array(B * H), t32 = new Float32Array(B * H), h32 = new Float32Array(B * H);
    tsKernels.lstmGatesForward(B, H, g32, Float32Array.from(cPrev), c32, t32, h32);
    for (let u = 0; u < B * H; u++) closeRel(h32[u], h[u], tol.forward32, "float32 h");

    // L = Σ wh⊙h + Σ wc⊙c; the kernel gets dh = wh and dc = wc (∂L/∂c_t from the future).
    const wh = randomF64(rng, B * H), wc = randomF64(rng, B * H);
    const dGates = new Float64Array(B * G).fill(NaN);
    const dc = Float64Array.from(wc);
    tsKernels.lstmGatesBackward(B, H, gates, cPrev, tanhC, wh, dc, dGates);
    const loss = (): number => {
      const gg = Float64Array.from(pre), cc = new Float64Array(B * H), tt = new Float64Array(B * H), hh = new Float64Array(B * H);
      tsKernels.lstmGatesForward(B, H, gg, cPrev, cc, tt, hh);
      return dot(wh, hh) + dot(wc, cc);
    };
    for (let i = 0; i < B * G; i++) closeRel(dGates[i], centralDiff(loss, pre, i), tol.finiteDiff, `lstm dGates[${i}]`);
    for (let u = 0; u < B * H; u++) closeRel(dc[u], centralDiff(loss, cPrev, u), tol.finiteDiff, `lstm dcPrev[${u}]`);
  }
});

/** One GRU unit in PyTorch's form. */
function gruUnit(gir: number, giz: number, gin: number, ghr: number, ghz: number, ghn: number, hPrev: number) {
  const r = sigma(gir + ghr), z = sigma(giz + ghz), n = Math.tanh(gin + r * ghn);
  return { r, z, n, h: (1 - z) * n + z * hPrev };
}

test("gruGates: forward equals the scalar equations; backward equals finite differences", () => {
  const rng = new Rng(22);
  for (const [B, H] of SHAPES) {
    const G = 3 * H;
    const gi = randomF64(rng, B * G, -2, 2), gh = randomF64(rng, B * G, -2, 2), hPrev = randomF64(rng, B * H);
    const gates = new Float64Array(B * G).fill(NaN), h = new Float64Array(B * H).fill(NaN);
    tsKernels.gruGatesForward(B, H, gi, gh, hPrev, gates, h);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const r0 = b * G, u = b * H + j;
        const e = gruUnit(gi[r0 + j], gi[r0 + H + j], gi[r0 + 2 * H + j], gh[r0 + j], gh[r0 + H + j], gh[r0 + 2 * H + j], hPrev[u]);
        closeRel(gates[r0 + j], e.r, tol.forward64, "r");
        closeRel(gates[r0 + H + j], e.z, tol.forward64, "z");
        closeRel(gates[r0 + 2 * H + j], e.n, tol.forward64, "n");
        closeRel(h[u], e.h, tol.forward64, "h");
      }
    }
    const h32 = new Float32Array(B * H);
    tsKernels.gruGatesForward(B, H, Float32Array.from(gi), Float32Array.from(gh), Float32Array.from(hPrev), new Float32Array(B * G), h32);
    for (let u = 0; u < B * H; u++) closeRel(h32[u], h[u], tol.forward32, "float32 h");

    // L = Σ w⊙h with gi, gh and hPrev as independent inputs (dhPrev is the direct path z⊙dh).
    const w = randomF64(rng, B * H);
    const dGi = new Float64Array(B * G).fill(NaN), dGh = new Float64Array(B * G).fill(NaN), dhPrev = new Float64Array(B * H).fill(NaN);
    tsKernels.gruGatesBackward(B, H, gates, gh, hPrev, w, dGi, dGh, dhPrev);
    const loss = (): number => {
      const hh = new Float64Array(B * H);
      tsKernels.gruGatesForward(B, H, gi, gh, hPrev, new Float64Array(B * G), hh);
      return dot(w, hh);
    };
    for (let i = 0; i < B * G; i++) {
      closeRel(dGi[i], centralDiff(loss, gi, i), tol.finiteDiff, `gru dGi[${i}]`);
      closeRel(dGh[i], centralDiff(loss, gh, i), tol.finiteDiff, `gru dGh[${i}]`);
    }
    for (let u = 0; u < B * H; u++) closeRel(dhPrev[u], centralDiff(loss, hPrev, u), tol.finiteDiff, `gru dhPrev[${u}]`);
  }
});
