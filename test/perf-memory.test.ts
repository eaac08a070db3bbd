// Tests of the zero-copy machinery: the arena's bookkeeping; views into the shared wasm
// memory staying valid as it grows; kernels giving bit-identical results whether their
// operands lie in wasm memory or are copied in (and on the private-memory build); the
// `affine` kernel against the GEMMs it replaces; the recurrent op's pooled workspaces
// (nothing read that was not written, reuse across shapes, a second backward, a workspace
// moved out of wasm memory); and the streaming fast path against the sequence path.
// test/memory-lifetimes.test.ts checks that long loops keep wasm memory flat.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsKernels } from "../src/backend/ts/index.js";
import { kernels, useKernels, type Kernels } from "../src/backend/kernels.js";
import { loadWasmKernels, type WasmKernels } from "../src/backend/wasm/index.js";
import { Arena, type GrowableMemory } from "../src/backend/wasm/arena.js";
import { FloatPool, poolFor, WorkspaceLease } from "../src/backend/pool.js";
import { allocResidentFloats } from "../src/backend/resident.js";
import { noGrad } from "../src/autograd/tape.js";
import { recurrent, recurrentParamShapes, type CellKind, type RecurrentSpec } from "../src/ops/recurrent.js";
import { Rng } from "../src/tensor/random.js";
import { LSTM } from "../src/nn/recurrent.js";
import { Tensor, type DType, type Floats } from "../src/tensor/tensor.js";
import { randomF32 } from "./support/random.js";

/** Named tolerances (STYLE principle 11). */
const tol = {
  /**
   * float32 results of one computation summed in two orders (GEMM blocks vs matrix–vector
   * dots, TS in float64 vs wasm in float32), relative to max(1, |value|): a few roundings.
   */
  reorder32: 2e-5,
};

/** Every call forced to wasm, so small test sizes exercise it. */
const FORCED = { minGemmWork: 0, minGateUnits: 0 };

function shared(options = FORCED): WasmKernels {
  const K = loadWasmKernels(options);
  assert.ok(K !== null && K.shared && K.memory !== undefined, "the shared-memory SIMD build did not load: run `npm run build`");
  return K;
}

function privateSimd(): WasmKernels {
  const K = loadWasmKernels({ ...FORCED, shared: false });
  assert.ok(K !== null && !K.shared && K.memory === undefined, "the private-memory SIMD build did not load");
  return K;
}

/** A copy of `src` in the backend's memory. */
function resident(K: Kernels, src: Float32Array): Float32Array {
  const buf = K.memory!.alloc(src.length)!;
  buf.set(src);
  return buf;
}

function sameBits(what: string, got: Floats, want: Floats): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}[${i}] = ${got[i]}, expected ${want[i]} bit for bit`);
  }
}

function close(what: string, got: Floats, want: Floats, rel = tol.reorder32): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    assert.ok(err <= rel, `${what}[${i}] = ${got[i]}, expected ${want[i]} (error ${err.toExponential(2)})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Arena

/** A memory of whole pages that records its growth. */
function fakeMemory(pages: number): GrowableMemory & { grows: number } {
  let bytes = pages * 65536;
  return {
    grows: 0,
    get byteLength() {
      return bytes;
    },
    grow(n: number) {
      bytes += n * 65536;
      this.grows++;
    },
  };
}

test("arena: aligned first-fit ranges, freed ranges merge and are reused, growth on demand, null past the maximum", () => {
  const mem = fakeMemory(1);
  const arena = new Arena(mem, 100, 64 * 65536);
  const a = arena.alloc(10)!, b = arena.alloc(1000)!, c = arena.alloc(64)!;
  for (const x of [a, b, c]) assert.equal(x % 64, 0);
  assert.ok(a >= 100 && b >= a + 10 && c >= b + 1000);
  arena.free(b);
  assert.equal(arena.alloc(900), b, "a freed range is reused first-fit");
  arena.free(a);
  arena.free(b);
  assert.equal(arena.freeRanges, 1, "neighbouring free ranges merge");
  assert.equal(arena.alloc(1024 + 64), a, "the merged range serves a larger request");
  const big = arena.alloc(3 * 65536)!;
  assert.ok(mem.grows > 0 && mem.byteLength >= big + 3 * 65536, "the memory grew to hold it");
  assert.equal(arena.alloc(100 * 65536), null, "past the maximum: null, nothing thrown");
  assert.throws(() => arena.free(big + 64), /not the start of a live range/);
  arena.free(big);
  arena.free(c);
  assert.equal(arena.liveBytes, 1024 + 64);
});

test("shared wasm memory: views made before the memory grows stay valid and usable as kernel operands", () => {
  const K = shared();
  const rng = new Rng(1);
  const m = 5, n = 7, k = 9;
  const a = resident(K, randomF32(rng, m * k)), b = resident(K, randomF32(rng, k * n));
  const before = Float32Array.from(a);
  const bufferBefore = a.buffer;
  // 48 MiB forces the memory to grow well past its first pages.
  const filler = K.memory!.alloc(12 * 1024 * 1024)!;
  filler.fill(1);
  assert.notEqual(K.memory!.alloc(1)!.buffer, bufferBefore, "the memory grew (a new buffer object)");
  sameBits("a after growth", a, before);
  const c = K.memory!.alloc(m * n)!.fill(NaN);
  const want = new Float32Array(m * n);
  tsKernels.gemm(false, false, m, n, k, 1, Float64Array.from(a), 0, k, Float64Array.from(b), 0, n, 0, want, 0, n);
  K.gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, c, 0, n);
  close("C from views older than the growth", c, want);
  a[0] = 42;
  assert.equal(new Float32Array(K.memory!.alloc(1)!.buffer, a.byteOffset, 1)[0], 42, "writes through an old view land in memory");
  K.memory!.free(filler);
});

// ---------------------------------------------------------------------------------------------
// In place or copied: the same bits

/** (transA, transB, m, n, k): the gemv, outer-product, narrow, rows-of-A and packed paths. */
const GEMM_SHAPES: Array<[boolean, boolean, number, number, number]> = [
  [false, true, 1, 37, 19], [false, false, 23, 1, 9], [false, true, 13, 11, 1], [false, true, 21, 4, 6],
  [false, false, 9, 3, 17], [false, true, 33, 16, 5], [true, false, 16, 4, 301], [false, true, 70, 90, 40],
  [true, true, 17, 9, 13], [true, false, 5, 70, 260], [false, false, 130, 65, 7],
];

test("gemm: operands in wasm memory, copied in, or mixed give the same bits; so does the private-memory build", () => {
  const K = shared();
  const P = privateSimd();
  const rng = new Rng(2);
  for (const [tA, tB, m, n, k] of GEMM_SHAPES) {
    const lda = (tA ? m : k) + 2, ldb = (tB ? k : n) + 1, ldc = n + 3;
    const aOff = 3, bOff = 1, cOff = 5;
    const a = randomF32(rng, aOff + (tA ? k : m) * lda), b = randomF32(rng, bOff + (tB ? n : k) * ldb);
    for (const beta of [0, 0.5]) {
      const c0 = beta === 0 ? new Float32Array(cOff + m * ldc).fill(NaN) : randomF32(rng, cOff + m * ldc);
      const run = (KK: Kernels, A: Float32Array, B: Float32Array, C: Float32Array): Float32Array => {
        KK.gemm(tA, tB, m, n, k, 0.75, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
        return Float32Array.from(C);
      };
      const what = `tA=${tA} tB=${tB} ${m}×${n}×${k} beta=${beta}`;
      const copied = run(K, a, b, Float32Array.from(c0));
      sameBits(`${what} all in place`, run(K, resident(K, a), resident(K, b), resident(K, c0)), copied);
      sameBits(`${what} A in place`, run(K, resident(K, a), b, Float32Array.from(c0)), copied);
      sameBits(`${what} C in place`, run(K, a, b, resident(K, c0)), copied);
      sameBits(`${what} private build`, run(P, a, b, Float32Array.from(c0)), copied);
    }
  }
});

test("gate kernels: in place (gates and dc updated where they lie) or copied give the same bits", () => {
  const K = shared();
  const rng = new Rng(3);
  for (const [B, H] of [[1, 5], [3, 8], [2, 17]]) {
    const BH = B * H;
    const gates = randomF32(rng, 4 * BH), cPrev = randomF32(rng, BH), dh = randomF32(rng, BH), dc = randomF32(rng, BH);
    const outs = (place: (x: Float32Array) => Float32Array) => {
      const g = place(gates), c = place(new Float32Array(BH).fill(NaN)), t = place(new Float32Array(BH).fill(NaN));
      const h = place(new Float32Array(BH).fill(NaN)), cp = place(cPrev);
      K.lstmGatesForward(B, H, g, cp, c, t, h, "sigmoid");
      const d = place(dc), dG = place(new Float32Array(4 * BH).fill(NaN));
      K.lstmGatesBackward(B, H, g, cp, t, place(dh), d, dG, "sigmoid");
      const gi = place(gates.subarray(0, 3 * BH)), gh = place(gates.subarray(BH)), gg = place(new Float32Array(3 * BH));
      const hg = place(new Float32Array(BH));
      K.gruGatesForward(B, H, gi, gh, cp, gg, hg, "sigmoid");
      const pre = place(gates.subarray(0, BH)), hr = place(new Float32Array(BH));
      K.rnnGatesForward("tanh", BH, pre, hr);
      return [g, c, t, h, d, dG, gg, hg, hr].map((x) => Float32Array.from(x));
    };
    const copied = outs((x) => Float32Array.from(x));
    const inPlace = outs((x) => resident(K, x));
    copied.forEach((want, i) => sameBits(`B=${B} H=${H} output ${i}`, inPlace[i], want));
  }
});

// ---------------------------------------------------------------------------------------------
// affine: one step's input and recurrent products with both biases

/** The GEMM composition that `affine` stands for, on any backend. */
function affineByGemm(
  K: Kernels, B: number, n: number, k1: number, k2: number,
  x1: Floats, w1: Floats, x2: Floats | null, w2: Floats | null, b1: Floats | null, b2: Floats | null, y: Floats,
): void {
  let beta = 0;
  if (b1 !== null) {
    const bias = b1 instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
    for (let j = 0; j < n; j++) bias[j] = b2 === null ? b1[j] : b1[j] + b2[j];
    const ones = b1 instanceof Float64Array ? new Float64Array(B).fill(1) : new Float32Array(B).fill(1);
    K.gemm(false, false, B, n, 1, 1, ones, 0, 1, bias, 0, n, 0, y, 0, n);
    beta = 1;
  }
  K.gemm(false, true, B, n, k1, 1, x1, 0, k1, w1, 0, k1, beta, y, 0, n);
  if (x2 !== null && w2 !== null && k2 > 0) K.gemm(false, true, B, n, k2, 1, x2, 0, k2, w2, 0, k2, 1, y, 0, n);
}

test("affine: equals the bias broadcast + two GEMMs it replaces (bit for bit at B = 1 on wasm, on TS for any B)", () => {
  const K = shared();
  const rng = new Rng(4);
  for (const [B, n, k1, k2] of [[1, 37, 19, 11], [1, 512, 32, 128], [2, 13, 5, 0], [3, 20, 7, 9], [1, 6, 1, 1]]) {
    for (const biases of [0, 1, 2]) {
      const x1 = randomF32(rng, B * k1), w1 = randomF32(rng, n * k1), x2 = randomF32(rng, B * k2), w2 = randomF32(rng, n * k2);
      const b1 = biases > 0 ? randomF32(rng, n) : null, b2 = biases > 1 ? randomF32(rng, n) : null;
      const what = `B=${B} n=${n} k1=${k1} k2=${k2} biases=${biases}`;
      for (const dtype of ["float32", "float64"] as const) {
        const cast = (x: Float32Array | null): Floats | null => (x === null ? null : dtype === "float64" ? Float64Array.from(x) : x);
        const y = dtype === "float64" ? new Float64Array(B * n).fill(NaN) : new Float32Array(B * n).fill(NaN);
        const want = dtype === "float64" ? new Float64Array(B * n) : new Float32Array(B * n);
        tsKernels.affine(B, n, k1, k2, cast(x1)!, cast(w1)!, cast(x2), cast(w2), cast(b1), cast(b2), y);
        affineByGemm(tsKernels, B, n, k1, k2, cast(x1)!, cast(w1)!, cast(x2), cast(w2), cast(b1), cast(b2), want);
        sameBits(`ts ${dtype} ${what}`, y, want);
      }
      const y = new Float32Array(B * n).fill(NaN), want = new Float32Array(B * n);
      K.affine(B, n, k1, k2, resident(K, x1), resident(K, w1), x2, w2, b1, b2, y);
      affineByGemm(K, B, n, k1, k2, x1, w1, x2, w2, b1, b2, want);
      if (B === 1) sameBits(`wasm ${what}`, y, want);
      else close(`wasm ${what}`, y, want);
      const ref = new Float64Array(B * n);
      const f64 = (x: Float32Array | null) => (x === null ? null : Float64Array.from(x));
      tsKernels.affine(B, n, k1, k2, f64(x1)!, f64(w1)!, f64(x2), f64(w2), f64(b1), f64(b2), ref);
      close(`wasm vs float64 ${what}`, y, ref);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// The recurrent op's pooled workspaces

interface Run {
  output: Float32Array;
  hN: Float32Array;
  grads: Float32Array[];
}

function randomTensor(rng: Rng, shape: number[], dtype: DType = "float32"): Tensor {
  const t = Tensor.zeros(shape, { dtype });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-1, 1);
  return t;
}

function weightsFor(spec: RecurrentSpec, seed: number): Tensor[] {
  const rng = new Rng(seed);
  return Object.values(recurrentParamShapes(spec)).map((shape) => {
    const w = randomTensor(rng, shape);
    w.requiresGrad = true;
    return w;
  });
}

/** Forward and backward of L = Σ output·r + Σ hN·s, with every buffer the op pools poisoned first. */
function runOp(spec: RecurrentSpec, T: number, B: number, seed: number, lengths?: number[]): Run {
  const pool = poolFor(kernels());
  pool.poison();
  const rng = new Rng(seed);
  const D = spec.bidirectional ? 2 : 1;
  const x = randomTensor(rng, spec.batchFirst ? [B, T, spec.inputSize] : [T, B, spec.inputSize]);
  x.requiresGrad = true;
  const w = weightsFor(spec, seed + 1);
  const { output, state: { h: hN } } = recurrent(spec, x, w, { lengths });
  const seedOut = randomTensor(rng, [...output.shape]).data;
  const seedH = randomTensor(rng, [spec.numLayers * D, B, spec.hiddenSize]).data;
  output.backward(seedOut, { retainGraph: true });
  hN.backward(seedH);
  pool.poison();
  return {
    output: Float32Array.from(output.data), hN: Float32Array.from(hN.data),
    grads: [x, ...w].map((t) => Float32Array.from(t.grad!)),
  };
}

function sameRun(what: string, got: Run, want: Run): void {
  sameBits(`${what} output`, got.output, want.output);
  sameBits(`${what} hN`, got.hN, want.hN);
  got.grads.forEach((g, i) => sameBits(`${what} grad ${i}`, g, want.grads[i]));
}

const SPECS: Array<[string, RecurrentSpec, number[] | undefined]> = [
  ["lstm", { cell: "lstm", inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: false, bias: true, batchFirst: false }, undefined],
  ["gru bidirectional packed", { cell: "gru", inputSize: 4, hiddenSize: 6, numLayers: 2, bidirectional: true, bias: true, batchFirst: false }, [5, 2, 4]],
  ["rnn relu batch-first", { cell: "rnn", nonlinearity: "relu", inputSize: 2, hiddenSize: 7, numLayers: 1, bidirectional: false, bias: false, batchFirst: true }, undefined],
  ["lstm bidirectional packed", { cell: "lstm", inputSize: 3, hiddenSize: 4, numLayers: 1, bidirectional: true, bias: true, batchFirst: true }, [3, 5, 1]],
];

test("recurrent op: pooled workspaces reused across shapes (poisoned with NaN in between) give the bits of a fresh backend", () => {
  for (const [name, spec, lengths] of SPECS) {
    const fresh = shared();
    useKernels(fresh);
    let want: Run;
    try {
      want = runOp(spec, 5, 3, 10, lengths);
    } finally {
      useKernels(tsKernels);
    }
    const K = shared();
    useKernels(K);
    try {
      runOp(spec, 5, 3, 10, lengths);
      runOp(spec, 2, 7, 11);
      runOp(spec, 9, 1, 12);
      sameRun(`${name} after other shapes`, runOp(spec, 5, 3, 10, lengths), want);
      assert.ok(poolFor(K).cachedBytes > 0, "the workspaces went back to the pool");
    } finally {
      useKernels(tsKernels);
    }
  }
});

test("recurrent op: a second backward needs retainGraph, and then gives the same gradients, also from a workspace moved to the heap", () => {
  const K = shared();
  useKernels(K);
  const pool = poolFor(K);
  try {
    for (const cell of ["rnn", "lstm", "gru"] as CellKind[]) {
      const spec: RecurrentSpec = { cell, inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, bias: true, batchFirst: false };
      const rng = new Rng(20);
      const x = randomTensor(rng, [4, 2, 3]);
      const w = weightsFor(spec, 21);
      const { output } = recurrent(spec, x, w);
      const seed = randomTensor(rng, [...output.shape]).data;
      output.backward(seed, { retainGraph: true });
      const once = w.map((t) => Float32Array.from(t.grad!));
      // Newer graphs of the same shapes push this one's workspace out of wasm memory; the
      // buffers it left are reused by them and then poisoned.
      for (let i = 0; i <= pool.maxKeptLeases; i++) recurrent(spec, randomTensor(rng, [4, 2, 3]), w);
      assert.equal(pool.keptLeases, pool.maxKeptLeases);
      pool.poison();
      w.forEach((t) => t.zeroGrad());
      output.zeroGrad(); // the root's gradient accumulates too
      output.backward(seed);
      w.forEach((t, i) => sameBits(`${cell} grad ${i} from the moved workspace`, t.grad!, once[i]));
      assert.throws(() => output.backward(seed), /retainGraph/);
    }
  } finally {
    useKernels(tsKernels);
  }
});

test("workspace leases: give back once, refuse use after release; the pool hands a freed buffer out again", () => {
  const pool = new FloatPool(undefined);
  const lease = new WorkspaceLease(pool);
  const a = lease.take("float32", 10);
  lease.release();
  lease.release();
  assert.equal(lease.released, true);
  assert.throws(() => lease.take("float32", 1), /after release/);
  assert.equal(pool.take("float32", 10), a);
  assert.notEqual(pool.take("float64", 10), a);
});

test("kept leases: past maxKeptLeases the oldest moves to the heap, its views relocated, its wasm buffers back in the pool", () => {
  const K = shared();
  const pool = new FloatPool(K.memory, { maxKeptLeases: 1 });
  const other = K.memory!.alloc(8)!;
  const first = new WorkspaceLease(pool);
  const big = first.take("float32", 100);
  big.forEach((_, i) => (big[i] = i));
  const f64 = first.take("float64", 3);
  let views = { part: big.subarray(10, 20), whole: big, other, f64 };
  let moves = 0;
  first.keep((move) => {
    moves++;
    views = { part: move(views.part), whole: move(views.whole), other: move(views.other), f64: move(views.f64) };
  });
  assert.equal(pool.keptLeases, 1);
  const second = new WorkspaceLease(pool);
  second.take("float32", 5);
  second.keep(() => assert.fail("the newest kept lease stays"));
  assert.equal(moves, 1);
  assert.ok(first.moved && !second.moved);
  assert.equal(pool.keptLeases, 1);
  assert.ok(!K.memory!.holds(views.whole) && !K.memory!.holds(views.part), "moved to the heap");
  assert.deepEqual(Array.from(views.part), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  assert.equal(views.part.buffer, views.whole.buffer, "a view stays a view of the same copy");
  assert.equal(views.other, other, "a buffer of no lease is left alone");
  assert.equal(views.f64, f64, "heap buffers are not copied");
  assert.equal(pool.cachedBytes, 400, "the wasm buffer went back to the pool (the float64 one is still leased)");
  assert.equal(pool.take("float32", 100), big, "and is handed out again");
  first.release();
  assert.equal(pool.cachedBytes, 24, "the heap copy is not cached where the pool has wasm memory; the float64 buffer is");
  second.release();
  assert.equal(pool.keptLeases, 0);
  K.memory!.free(other);
});

// ---------------------------------------------------------------------------------------------
// The streaming step (T = 1, no graph) against the sequence path

test("streaming step: equals the sequence path bit for bit at B = 1 (and closely at B = 3), weights in wasm memory or not", () => {
  const K = shared();
  useKernels(K);
  try {
    for (const cell of ["rnn", "lstm", "gru"] as CellKind[]) {
      for (const [L, batchFirst, bias] of [[1, false, true], [2, true, true], [2, false, false]] as const) {
        const spec: RecurrentSpec = { cell, inputSize: 32, hiddenSize: 20, numLayers: L, bidirectional: false, bias, batchFirst };
        const w = weightsFor(spec, 30);
        const wResident = w.map((t) => {
          const data = allocResidentFloats("float32", t.size);
          data.set(t.data);
          return new Tensor(data, t.shape);
        });
        assert.ok(K.memory!.holds(wResident[0].data), "allocResidentFloats gives wasm memory");
        for (const B of [1, 3]) {
          const rng = new Rng(31 + B);
          const x = randomTensor(rng, batchFirst ? [B, 1, 32] : [1, B, 32]);
          const h0 = randomTensor(rng, [L, B, 20]);
          const c0 = cell === "lstm" ? randomTensor(rng, [L, B, 20]) : undefined;
          // With grad the op records a graph, so it runs the sequence path.
          const state = c0 ? { h: h0, c: c0 } : { h: h0 };
          const full = recurrent(spec, x, w, { state });
          assert.ok(full.output.requiresGrad);
          for (const weights of [w, wResident]) {
            const fast = noGrad(() => recurrent(spec, x, weights, { state }));
            assert.equal(fast.output.requiresGrad, false);
            assert.deepEqual(fast.output.shape, full.output.shape);
            const what = `${cell} L=${L} batchFirst=${batchFirst} bias=${bias} B=${B}`;
            const check = B === 1 ? sameBits : close;
            check(`${what} output`, fast.output.data, full.output.data);
            check(`${what} state.h`, fast.state.h.data, full.state.h.data);
            if (c0) check(`${what} state.c`, fast.state.c!.data, full.state.c!.data);
          }
        }
      }
    }
  } finally {
    useKernels(tsKernels);
  }
});

test("allocResidentFloats: zeros in wasm memory where the backend has it, an ordinary array elsewhere", () => {
  const K = shared();
  useKernels(K);
  try {
    const a = allocResidentFloats("float32", 100);
    assert.ok(K.memory!.holds(a));
    assert.ok(a.every((v) => v === 0));
    assert.ok(allocResidentFloats("float64", 3) instanceof Float64Array);
  } finally {
    useKernels(tsKernels);
  }
  assert.ok(!(allocResidentFloats("float32", 4).buffer instanceof SharedArrayBuffer), "the TS kernels have no memory of their own");
});

test("Module parameters live in wasm memory where the backend has it, with the values they were given", () => {
  const K = shared();
  useKernels(K);
  try {
    const lstm = new LSTM({ inputSize: 3, hiddenSize: 5, rng: new Rng(4) });
    const reference = new LSTM({ inputSize: 3, hiddenSize: 5, rng: new Rng(4), dtype: "float64" });
    for (const [i, p] of lstm.parameters().entries()) {
      assert.ok(K.memory!.holds(p.data), `${p.name} is resident`);
      assert.ok(p.requiresGrad);
      const q = reference.parameters()[i].data;
      assert.ok(p.data.every((v, j) => v === Math.fround(q[j])), `${p.name} keeps its initial values`);
    }
    // Saving copies out of the shared buffer; loading writes into the resident storage.
    const dict = lstm.stateDict();
    assert.ok(!(dict.weight_hh_l0.data.buffer instanceof SharedArrayBuffer));
    lstm.loadStateDict({ ...dict, bias_hh_l0: { shape: [20], data: new Float32Array(20).fill(0.5) } });
    assert.ok(K.memory!.holds(lstm.parameters()[3].data) && lstm.parameters()[3].data.every((v) => v === 0.5));
  } finally {
    useKernels(tsKernels);
  }
  const plain = new LSTM({ inputSize: 3, hiddenSize: 5, rng: new Rng(4) });
  assert.ok(!(plain.parameters()[0].data.buffer instanceof SharedArrayBuffer), "the TS kernels keep ordinary arrays");
});
