/**
 * What only the native backend has (its suites of the kernel contract run with every other
 * backend, see support/backends.ts): every GEMM variant this CPU runs gives the portable
 * variant's bits, and so does every thread count; the gate kernels give the WebAssembly
 * kernels' bits and their activations stay within 4 ulp; `affine` is one set of bits on every
 * variant; float64 goes to the TypeScript kernels; a wrong size is a RangeError naming the
 * argument, not a write outside an array; `check-fixtures` passes with native forced; and
 * native/build.mjs, with no compiler to be found, still exits 0 and says why.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";
import { cpSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { tsKernels } from "../src/backend/ts/index.js";
import { GATE_ACTIVATIONS, kernels, useKernels, type Kernels, type RnnActivation } from "../src/backend/kernels.js";
import { GRU, LSTM, RNN } from "../src/nn/recurrent.js";
import { noGrad } from "../src/autograd/tape.js";
import { Tensor } from "../src/tensor/tensor.js";
import { loadNativeKernels, type NativeKernels } from "../src/node/native.js";
import { Rng } from "../src/tensor/random.js";
import { backendKernels, nativeUnavailable } from "./support/backends.js";
import { committedFixturesDir, sharedFixturesDir } from "./support/fixtures.js";
import { randomF32 } from "./support/random.js";

const why = nativeUnavailable();
const skip = why === null ? false : `native kernels unavailable: ${why}`;

interface Gemm {
  ta: boolean; tb: boolean; m: number; n: number; k: number; alpha: number; beta: number;
  a: Float32Array; lda: number; b: Float32Array; ldb: number; c: Float32Array; ldc: number;
}

/** A product with operands in their stored layout, C preset (NaN when beta = 0: it must not leak). */
function problem(rng: Rng, ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, beta: number): Gemm {
  const lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
  const a = randomF32(rng, (ta ? k : m) * lda), b = randomF32(rng, (tb ? n : k) * ldb);
  const c = beta === 0 ? new Float32Array(m * ldc).fill(NaN) : randomF32(rng, m * ldc);
  return { ta, tb, m, n, k, alpha, beta, a, lda, b, ldb, c, ldc };
}

function run(K: Kernels, p: Gemm): Float32Array {
  const c = p.c.slice();
  K.gemm(p.ta, p.tb, p.m, p.n, p.k, p.alpha, p.a, 0, p.lda, p.b, 0, p.ldb, p.beta, c, 0, p.ldc);
  return c;
}

/** Shapes across the tiles (6×16, 6×32, 4×8), the k block (256), the m block and the thread split. */
function problems(): Gemm[] {
  const rng = new Rng(2026);
  const out: Gemm[] = [];
  const shapes = [[1, 1, 1], [5, 7, 3], [6, 16, 256], [7, 33, 257], [13, 100, 600], [150, 61, 28], [64, 400, 130], [200, 197, 70]];
  for (const [m, n, k] of shapes) {
    for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
      out.push(problem(rng, ta, tb, m, n, k, 1, 0), problem(rng, ta, tb, m, n, k, 0.5, 1.25));
    }
  }
  return out;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

test("every GEMM variant this CPU runs gives the portable variant's bits, in all transpose cases", { skip }, (t) => {
  const generic = loadNativeKernels({ variant: "generic" });
  const variants = generic.variants;
  t.diagnostic(`variants here: ${variants.join(", ")}`);
  assert.ok(variants.includes("generic"));
  for (const p of problems()) {
    const want = run(generic, p);
    assert.ok(want.every((v, i) => Number.isFinite(v) || (i % p.ldc) >= p.n), "beta = 0 never reads C");
    for (const variant of variants) {
      assert.ok(sameBits(run(loadNativeKernels({ variant }), p), want), `${variant}: ${p.m}×${p.n}×${p.k} ta=${p.ta} tb=${p.tb} β=${p.beta}`);
    }
  }
});

test("a thin product (≤ 4 columns or rows) gives the bits of the same elements inside a wide one (but rows times a transposed B: dot products)", { skip }, () => {
  const K = loadNativeKernels();
  const rng = new Rng(8);
  for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
    for (const beta of [0, 0.5]) {
      // 3 of 40 columns, then 2 of 30 rows, k across two KC blocks.
      const wide = problem(rng, ta, tb, 37, 40, 300, 0.75, beta);
      const all = run(K, wide);
      const cols = { ...wide, n: 3 };
      const thinCols = run(K, cols);
      const rows = { ...wide, m: 2 };
      const thinRows = run(K, rows);
      for (let i = 0; i < 37; i++) {
        for (let j = 0; j < 40; j++) {
          const at = i * wide.ldc + j;
          if (j < 3) assert.ok(Object.is(thinCols[at], all[at]), `column ${j} row ${i} ta=${ta} tb=${tb}`);
          // A few rows of A times Bᵀ, both read along k, are dot products as `affine` computes them.
          if (i < 2 && !(tb && !ta)) assert.ok(Object.is(thinRows[at], all[at]), `row ${i} column ${j} ta=${ta} tb=${tb}`);
        }
      }
    }
  }
});

test("a streamed step (affine) equals the sequence path (GEMM) bit for bit at batch 1, for every cell", { skip }, () => {
  const before = kernels();
  useKernels(backendKernels("native"));
  try {
    for (const cell of ["rnn", "lstm", "gru"] as const) {
      for (const numLayers of [1, 2]) {
        const rng = new Rng(17);
        const layer = cell === "lstm" ? new LSTM({ inputSize: 21, hiddenSize: 40, numLayers, rng })
          : cell === "gru" ? new GRU({ inputSize: 21, hiddenSize: 40, numLayers, rng })
          : new RNN({ inputSize: 21, hiddenSize: 40, numLayers, rng });
        const x = Tensor.zeros([1, 1, 21]);
        x.data.set(randomF32(rng, 21));
        const sequence = layer.forward(x); // parameters need gradients: the sequence path, with a graph
        assert.ok(sequence.output.requiresGrad);
        const streamed = noGrad(() => layer.forward(x)); // no graph at T = 1: the streaming step
        assert.ok(sameBits(streamed.output.data as Float32Array, sequence.output.data as Float32Array), `${cell} ×${numLayers}`);
      }
    }
  } finally {
    useKernels(before);
  }
});

test("an outer product (k = 1, thin loops) gives the bits of the blocked GEMM (k = 2 with a zero second term)", { skip }, () => {
  const K = loadNativeKernels();
  const rng = new Rng(9);
  const m = 150, n = 450;
  const a = randomF32(rng, m), b = randomF32(rng, n);
  const a2 = new Float32Array(2 * m), b2 = new Float32Array(2 * n);
  for (let i = 0; i < m; i++) a2[2 * i] = a[i]; // A [m, 2]: [a, 0]
  b2.set(b); // B [2, n]: [b; 0]
  for (const beta of [0, 1]) {
    const c0 = randomF32(rng, m * n);
    const outer = c0.slice(), blocked = c0.slice();
    K.gemm(false, false, m, n, 1, 1, a, 0, 1, b, 0, n, beta, outer, 0, n);
    K.gemm(false, false, m, n, 2, 1, a2, 0, 2, b2, 0, n, beta, blocked, 0, n);
    assert.ok(sameBits(outer, blocked), `beta ${beta}`);
  }
});

test("the same bits at 1, 2 and 3 threads, every product split", { skip }, () => {
  const one = loadNativeKernels({ minThreadWork: 0 });
  const many = loadNativeKernels({ minThreadWork: 0 });
  for (const p of problems()) {
    const want = run(one, p);
    for (const n of [2, 3]) {
      assert.equal(many.setThreads(n), n);
      assert.ok(sameBits(run(many, p), want), `${n} threads: ${p.m}×${p.n}×${p.k} ta=${p.ta} tb=${p.tb}`);
    }
  }
  many.setThreads(1);
});

test("a large product (512³) on 2 threads equals 1 thread and the float64 reference within float32 tolerance", { skip }, () => {
  const rng = new Rng(5);
  const p = problem(rng, false, true, 512, 512, 512, 1, 0);
  const single = run(loadNativeKernels(), p);
  const pooled = loadNativeKernels();
  pooled.setThreads(2);
  assert.ok(sameBits(run(pooled, p), single));
  pooled.setThreads(1);
  let worst = 0;
  for (const [i, j] of [[0, 0], [511, 511], [100, 300], [257, 3]]) {
    let s = 0, scale = 0;
    for (let q = 0; q < 512; q++) {
      const prod = p.a[i * p.lda + q] * p.b[j * p.ldb + q];
      s += prod;
      scale += Math.abs(prod);
    }
    worst = Math.max(worst, Math.abs(single[i * p.ldc + j] - s) / scale);
  }
  assert.ok(worst < 8 * 2 ** -24 * Math.sqrt(513), `relative error ${worst}`);
});

test("the gate kernels give the WebAssembly SIMD kernels' bits, wide rows and narrow (restaged) ones", { skip }, () => {
  const native = backendKernels("native");
  const wasm = backendKernels("wasm-simd");
  const rng = new Rng(11);
  for (const [B, H] of [[3, 37], [50, 4], [7, 1], [300, 5], [1, 9]]) {
    const wide = (n: number) => randomF32(rng, n, -12, 12);
    const both = (f: (K: Kernels) => Float32Array[]) => {
      const [x, y] = [f(native), f(wasm)];
      x.forEach((a, i) => assert.ok(sameBits(a, y[i]), `output ${i}`));
    };
    for (const act of ["tanh", "relu", "sigmoid"] as RnnActivation[]) {
      const pre = wide(B * H), dh = wide(B * H);
      both((K) => {
        const h = new Float32Array(B * H), dPre = new Float32Array(B * H);
        K.rnnGatesForward(act, B * H, pre, h);
        K.rnnGatesBackward(act, B * H, h, dh, dPre);
        return [h, dPre];
      });
    }
    for (const gate of GATE_ACTIVATIONS) {
      const gates0 = wide(4 * B * H), cPrev = wide(B * H), dh = wide(B * H), dc0 = wide(B * H);
      both((K) => {
        const gates = gates0.slice(), c = new Float32Array(B * H), tanhC = new Float32Array(B * H), h = new Float32Array(B * H);
        K.lstmGatesForward(B, H, gates, cPrev, c, tanhC, h, gate);
        const dc = dc0.slice(), dGates = new Float32Array(4 * B * H);
        K.lstmGatesBackward(B, H, gates, cPrev, tanhC, dh, dc, dGates, gate);
        return [gates, c, tanhC, h, dc, dGates];
      });
      const gi = wide(3 * B * H), gh = wide(3 * B * H), hPrev = wide(B * H), dRh = wide(B * H);
      both((K) => {
        const gates = new Float32Array(3 * B * H), h = new Float32Array(B * H);
        K.gruGatesForward(B, H, gi, gh, hPrev, gates, h, gate);
        const dGi = new Float32Array(3 * B * H), dGh = new Float32Array(3 * B * H), dhPrev = new Float32Array(B * H);
        K.gruGatesBackward(B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev, gate);
        const rh = new Float32Array(B * H);
        K.gruResetBeforeForward(B, H, gi, gh, hPrev, rh, gate);
        K.gruResetBeforeBackward(B, H, gates, hPrev, dRh, dGi, dGh, dhPrev, gate);
        return [gates, h, rh, dGi, dGh, dhPrev];
      });
    }
  }
});

/** Units in the last place of the float32 nearest to `want`. */
function ulpsOff(got: number, want: number): number {
  const w = Math.fround(want);
  const f = new Float32Array([Math.abs(w)]);
  const i = new Int32Array(f.buffer);
  i[0] += 1;
  const ulp = f[0] - Math.abs(w);
  return Math.abs(got - want) / ulp;
}

test("tanh and σ within 4 ulp of the exact values over [−20, 20]", { skip }, (t) => {
  const K = backendKernels("native");
  const n = 400_001;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = -20 + (40 * i) / (n - 1);
  const th = new Float32Array(n), sg = new Float32Array(n);
  K.rnnGatesForward("tanh", n, x, th);
  K.rnnGatesForward("sigmoid", n, x, sg);
  let worstTanh = 0, worstSigmoid = 0;
  for (let i = 0; i < n; i++) {
    if (x[i] !== 0) worstTanh = Math.max(worstTanh, ulpsOff(th[i], Math.tanh(x[i])));
    worstSigmoid = Math.max(worstSigmoid, ulpsOff(sg[i], 1 / (1 + Math.exp(-x[i]))));
  }
  t.diagnostic(`worst: tanh ${worstTanh.toFixed(2)} ulp, σ ${worstSigmoid.toFixed(2)} ulp over ${n} points`);
  assert.ok(worstTanh <= 4 && worstSigmoid <= 4);
});

test("affine is one set of bits on every GEMM variant, and matches the reference closely", { skip }, () => {
  const rng = new Rng(3);
  for (const [B, n, k1, k2] of [[1, 512, 32, 128], [3, 37, 5, 19], [2, 4, 1, 0]]) {
    const x1 = randomF32(rng, B * k1), w1 = randomF32(rng, n * k1), x2 = randomF32(rng, B * k2), w2 = randomF32(rng, n * k2);
    const b1 = randomF32(rng, n), b2 = randomF32(rng, n);
    const outs = loadNativeKernels().variants.map((variant) => {
      const y = new Float32Array(B * n);
      loadNativeKernels({ variant }).affine(B, n, k1, k2, x1, w1, k2 > 0 ? x2 : null, k2 > 0 ? w2 : null, b1, b2, y);
      return y;
    });
    for (const y of outs) assert.ok(sameBits(y, outs[0]));
    const want = new Float32Array(B * n);
    tsKernels.affine(B, n, k1, k2, x1, w1, k2 > 0 ? x2 : null, k2 > 0 ? w2 : null, b1, b2, want);
    for (let i = 0; i < B * n; i++) assert.ok(Math.abs(outs[0][i] - want[i]) < 1e-5 * (k1 + k2 + 2), `y[${i}]`);
  }
});

test("float64 operands run on the TypeScript kernels (the same bits)", { skip }, () => {
  const K = backendKernels("native");
  const rng = new Rng(4);
  const a = Float64Array.from(randomF32(rng, 35)), b = Float64Array.from(randomF32(rng, 42));
  const c1 = new Float64Array(30), c2 = new Float64Array(30);
  K.gemm(false, false, 5, 6, 7, 1, a, 0, 7, b, 0, 6, 0, c1, 0, 6);
  tsKernels.gemm(false, false, 5, 6, 7, 1, a, 0, 7, b, 0, 6, 0, c2, 0, 6);
  assert.deepEqual(c1, c2);
});

test("a size the arrays cannot hold is a RangeError naming the argument; nothing is written", { skip }, () => {
  const K = backendKernels("native") as NativeKernels;
  const c = new Float32Array(16).fill(7);
  assert.throws(() => K.gemm(false, false, 4, 4, 4, 1, new Float32Array(15), 0, 4, new Float32Array(16), 0, 4, 0, c, 0, 4),
    (e: unknown) => e instanceof RangeError && e.message === "native gemm: a holds 15 floats, the call reads or writes 16");
  assert.throws(() => K.gemm(false, true, 4, 4, 4, 1, new Float32Array(16), 0, 4, new Float32Array(16), 1, 4, 0, c, 0, 4),
    /native gemm: b holds 16 floats, the call reads or writes 17/);
  assert.throws(() => K.gemm(false, false, 4, 4, 4, 1, new Float32Array(16), 0, 3, new Float32Array(16), 0, 4, 0, c, 0, 4),
    /native gemm: a leading dimension is smaller than its operand's row/);
  assert.ok(c.every((v) => v === 7));
  assert.throws(() => K.lstmGatesForward(2, 3, new Float32Array(23), new Float32Array(6), new Float32Array(6), new Float32Array(6), new Float32Array(6), "sigmoid"),
    /native lstmGatesForward: gates holds 23 floats, the call reads or writes 24/);
  assert.throws(() => K.affine(1, 4, 2, 2, new Float32Array(2), new Float32Array(8), new Float32Array(2), new Float32Array(7), null, null, new Float32Array(4)),
    /native affine: w2 holds 7 floats, the call reads or writes 8/);
  assert.throws(() => K.setThreads(0), /positive integer, got 0/);
});

test("check-fixtures passes with the native kernels forced (committed fixtures, and ../shared/fixtures when present)", { skip }, () => {
  const cli = resolve("build/src/cli/main.js");
  for (const dir of [committedFixturesDir(), sharedFixturesDir()]) {
    if (dir === null) continue;
    const res = spawnSync(process.execPath, [cli, "check-fixtures", dir, "--dtype", "float32", "--quiet"], {
      encoding: "utf8", env: { ...process.env, RNNKIT_BACKEND: "native" },
    });
    assert.equal(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /^\d+ passed, 0 failed$/m);
  }
});

test("two worker threads using the addon at once, each with 2 threads: every product has the single-threaded bits", { skip }, async () => {
  const p = problem(new Rng(12), false, true, 300, 300, 300, 1, 0);
  const want = run(loadNativeKernels(), p);
  const script = `
    const { parentPort, workerData } = require("node:worker_threads");
    import(workerData.native).then(({ loadNativeKernels }) => {
      const K = loadNativeKernels({ minThreadWork: 0 });
      K.setThreads(2);
      const p = workerData.p;
      const results = [];
      for (let r = 0; r < 20; r++) {
        const c = p.c.slice();
        K.gemm(p.ta, p.tb, p.m, p.n, p.k, p.alpha, p.a, 0, p.lda, p.b, 0, p.ldb, p.beta, c, 0, p.ldc);
        results.push(c);
      }
      parentPort.postMessage(results);
    });
  `;
  const native = new URL("../src/node/native.js", import.meta.url).href;
  const outputs = await Promise.all([0, 1].map(() => new Promise<Float32Array[]>((done, fail) => {
    const w = new Worker(script, { eval: true, workerData: { native, p } });
    w.once("message", (m: Float32Array[]) => {
      done(m);
      void w.terminate();
    });
    w.once("error", fail);
  })));
  for (const results of outputs) {
    assert.equal(results.length, 20);
    for (const c of results) assert.ok(sameBits(c, want));
  }
});

test("rnnkit build-native: the addon is up to date here, so it reports the variants without rebuilding", { skip }, () => {
  const res = spawnSync(process.execPath, [resolve("build/src/cli/main.js"), "build-native"], { encoding: "utf8" });
  assert.equal(res.status, 0, res.stderr);
  const k = loadNativeKernels();
  assert.equal(res.stdout.trim(), `native kernels built: GEMM variants ${k.variants.join(", ")} (using ${k.variants[0]})`);
});

test("native/build.mjs with no compiler to be found: exits 0, says why once, leaves no addon", () => {
  const copy = join(mkdtempSync(join(tmpdir(), "rnnkit-native-")), "native");
  cpSync(resolve("native"), copy, { recursive: true, filter: (src) => !src.includes(`${join("native", "out")}`) });
  // A PATH with nothing on it: no cc, gcc or clang (node itself is started by its full path).
  const env: Record<string, string> = { PATH: mkdtempSync(join(tmpdir(), "rnnkit-empty-path-")), HOME: tmpdir() };
  const res = spawnSync(process.execPath, [join(copy, "build.mjs")], { encoding: "utf8", env });
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout.trim(), "rnnkit: native kernels not built (no C compiler found (tried cc, gcc, clang; set CC to use another)); rnnkit will run on WebAssembly");
  assert.equal(existsSync(join(copy, "out", "rnnkit.node")), false);
  assert.match(readFileSync(join(copy, "out", "failed.txt"), "utf8"), /^no C compiler found/);
  const strict = spawnSync(process.execPath, [join(copy, "build.mjs")], { encoding: "utf8", env: { ...env, RNNKIT_NATIVE_STRICT: "1" } });
  assert.equal(strict.status, 1, "RNNKIT_NATIVE_STRICT=1 makes a failed build an error");
});
