// The opt-in relaxed-SIMD backend, wasm-relaxed (fused multiply-add in the GEMM kernels):
// never picked by default; on an engine without relaxed SIMD (plain Node 20) its probe is
// false and choosing it throws a BackendError that names the flag; where relaxed SIMD
// validates (npm test runs node with --experimental-wasm-relaxed-simd), both of its builds
// agree with the TypeScript reference kernels within float32 round-off over GEMMs of every
// kernel path, an LSTM and a GRU layer agree forward and backward, and helper threads give
// the same bits as one thread. Its bits are not compared with wasm-simd's: whether they
// differ depends on whether this machine fuses (reported as a diagnostic, never asserted).
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { kernels, useKernels, type Kernels } from "../src/backend/kernels.js";
import { tsKernels } from "../src/backend/ts/index.js";
import {
  backendInfo, initBackend, setNativeLoader, setThreads, useBackend, type UseBackendOptions,
} from "../src/backend/select.js";
import {
  loadWasm, loadWasmKernels, relaxedSimdSupported, setWasmBytesReader, usableBuilds, type WasmBuild,
} from "../src/backend/wasm/index.js";
import { nodeNativeLoader, readWasmBuild } from "../src/node/platform.js";
import { configureFromEnvironment } from "../src/node/environment.js";
import { GRU, LSTM } from "../src/nn/recurrent.js";
import { add, mul, sum } from "../src/ops/index.js";
import { Rng } from "../src/tensor/random.js";
import { Tensor } from "../src/tensor/tensor.js";
import { FORCED_WASM, nativeUnavailable } from "./support/backends.js";
import { referenceGemm } from "./support/gemm-reference.js";
import { randomF32 } from "./support/random.js";

/** float32 unit roundoff, 2⁻²⁴. */
const U32 = 2 ** -24;

/** Named tolerances (STYLE principle 11). */
const tol = {
  /**
   * float32 GEMM on wasm-relaxed vs the TypeScript float32 kernels, relative to Σ|a·b| + |β·c|:
   * kernels.test.ts holds every backend within 8·u·√(k+1) of the exact product (fusing only
   * drops roundings), so two of them differ by at most twice that.
   */
  gemmVsTs: (k: number): number => 16 * U32 * Math.sqrt(k + 1),
  /**
   * A float32 layer on wasm-relaxed vs on the TypeScript kernels, relative to the largest
   * magnitude in the compared array (a weight gradient element that cancels to ~0 keeps the
   * round-off of its terms): both sides round sums of up to 260 terms (the input projection)
   * and carry them through 4 steps, 2 layers and the backward sweep, u·√260 ≈ 1e−6. Measured
   * worst 7.3e−7 (wasm-simd vs ts: 6.6e−7).
   */
  layer32: 1e-5,
};

const NO_RELAXED =
  "this engine does not validate relaxed SIMD: run node with --experimental-wasm-relaxed-simd (npm test does) or on Node ≥ 22";

/** Whether this test can run here; skips it, saying why, where relaxed SIMD does not validate. */
function relaxedHere(t: TestContext): boolean {
  if (relaxedSimdSupported()) return true;
  t.skip(NO_RELAXED);
  return false;
}

/** The kernels `useBackend(name, options)` loads, leaving the active backend as it was. */
function loadBackend(name: "wasm-relaxed" | "wasm-simd", options: UseBackendOptions): Kernels {
  const before = kernels();
  try {
    useBackend(name, options);
    return kernels();
  } finally {
    useKernels(before);
  }
}

/** Runs `body` with the backend, the file reader and the threads restored afterwards. */
async function isolated(body: () => void | Promise<void>): Promise<void> {
  const before = kernels();
  try {
    await body();
  } finally {
    setWasmBytesReader(readWasmBuild);
    setNativeLoader(nodeNativeLoader);
    useKernels(before);
  }
}

// ---------------------------------------------------------------------------------------------
// Opt-in only

test("the default never picks wasm-relaxed: lazy default, loadWasmKernels, initBackend, RNNKIT_BACKEND=wasm", () => isolated(async () => {
  // Without the native kernels (as in a browser), where WebAssembly is the default.
  setNativeLoader(null);
  assert.ok(usableBuilds().every((b) => !b.startsWith("relaxed")), `usableBuilds() = ${usableBuilds().join()}`);
  assert.equal(loadWasmKernels()?.name, "wasm-simd");
  useKernels(null);
  assert.equal(backendInfo().name, "wasm-simd");
  assert.equal(backendInfo().how, "default");
  // Sources for every build, the relaxed ones too: the default still compiles only the strict ones.
  setWasmBytesReader(null);
  useKernels(null);
  const builds: WasmBuild[] = ["simd-shared", "simd", "scalar", "relaxed-shared", "relaxed"];
  const sources = Object.fromEntries(builds.map((b) => [b, readWasmBuild(b)]));
  const info = await initBackend({ sources });
  assert.equal(info.name, "wasm-simd");
  assert.equal(info.how, "default");
  setWasmBytesReader(readWasmBuild);
  assert.equal(configureFromEnvironment({ RNNKIT_BACKEND: "wasm" }).name, "wasm-simd");
}));

test("loadWasm with relaxed and a failing probe: no kernels, no fallback to the strict builds, and the reason", () => {
  const { kernels: k, refused } = loadWasm({ relaxed: true, relaxedProbe: () => false });
  assert.equal(k, null);
  assert.equal(refused.length, 1);
  assert.match(refused[0], /^relaxed: this engine does not validate relaxed SIMD .*--experimental-wasm-relaxed-simd/);
});

/** What a plain `node` (no flags) reports about relaxed SIMD, run as a separate process. */
function plainNode(): {
  probe: boolean; useBackend: { name: string; backend: string; message: string } | null;
  initBackend: { name: string; message: string } | null; environment: string | null; active: string;
} {
  const url = (p: string) => new URL(p, import.meta.url).href;
  const script = `
    import { useBackend, initBackend, backendInfo } from ${JSON.stringify(url("../src/node/entry.js"))};
    import { relaxedSimdSupported } from ${JSON.stringify(url("../src/backend/wasm/index.js"))};
    import { configureFromEnvironment } from ${JSON.stringify(url("../src/node/environment.js"))};
    const caught = (f) => { try { f(); return null; } catch (e) { return e; } };
    const u = caught(() => useBackend("wasm-relaxed"));
    const i = await initBackend({ backend: "wasm-relaxed" }).then(() => null, (e) => e);
    const env = caught(() => configureFromEnvironment({ RNNKIT_BACKEND: "wasm-relaxed" }));
    console.log(JSON.stringify({
      probe: relaxedSimdSupported(),
      useBackend: u && { name: u.name, backend: u.backend, message: u.message },
      initBackend: i && { name: i.name, message: i.message },
      environment: env && env.message,
      active: backendInfo().name,
    }));
  `;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8", cwd: fileURLToPath(new URL("..", import.meta.url)), env: { ...process.env, RNNKIT_BACKEND: "" },
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
}

test("plain node without the flag: the probe is false and wasm-relaxed throws a BackendError naming the flag", (t) => {
  const out = plainNode();
  if (out.probe) {
    t.skip("this node validates relaxed SIMD without a flag (Node ≥ 22): there is no engine without it here");
    return;
  }
  const flag = /--experimental-wasm-relaxed-simd/;
  assert.equal(out.useBackend?.name, "BackendError");
  assert.equal(out.useBackend?.backend, "wasm-relaxed");
  assert.match(out.useBackend!.message, /^backend 'wasm-relaxed' cannot be used: this engine does not validate relaxed SIMD/);
  assert.match(out.useBackend!.message, flag);
  assert.match(out.useBackend!.message, /Node ≥ 22 and Chrome ≥ 114/);
  assert.equal(out.initBackend?.name, "BackendError");
  assert.match(out.initBackend!.message, flag);
  assert.match(out.environment ?? "", flag, "RNNKIT_BACKEND=wasm-relaxed refuses the same way");
  assert.equal(out.active, nativeUnavailable() === null ? "native" : "wasm-simd", "the default is untouched by the refusals");
});

test("where relaxed SIMD validates: useBackend, initBackend and RNNKIT_BACKEND choose wasm-relaxed, shared or private", (t) => {
  if (!relaxedHere(t)) return;
  return isolated(async () => {
    const info = useBackend("wasm-relaxed");
    assert.equal(info.name, "wasm-relaxed");
    assert.equal(info.how, "chosen");
    assert.equal(info.sharedMemory, true);
    assert.equal(useBackend("wasm-relaxed", { shared: false }).sharedMemory, false);
    assert.equal(configureFromEnvironment({ RNNKIT_BACKEND: "wasm-relaxed" }).name, "wasm-relaxed");
    setWasmBytesReader(null);
    const sources = { "relaxed-shared": readWasmBuild("relaxed-shared"), relaxed: readWasmBuild("relaxed") };
    const shared = await initBackend({ backend: "wasm-relaxed", sources });
    assert.deepEqual([shared.name, shared.how, shared.sharedMemory], ["wasm-relaxed", "chosen", true]);
    assert.match(shared.reason, /initBackend\(\{ backend: 'wasm-relaxed' \}\)/);
    const own = await initBackend({ backend: "wasm-relaxed", shared: false, sources });
    assert.deepEqual([own.name, own.sharedMemory], ["wasm-relaxed", false]);
  });
});

// ---------------------------------------------------------------------------------------------
// GEMM against the TypeScript kernels

/**
 * (m, n, k) covering every kernel path: the 4×8 and 4×4 micro-kernels and their edge tiles,
 * A read in place (n ≤ 64) and packed, the matrix–vector loops (n = 1, m = 1), the outer
 * product (k = 1), and the cache blocks (k > KC = 256, m > MC = 128, n > NC = 2048).
 */
function gemmShapes(): Array<[number, number, number]> {
  const shapes: Array<[number, number, number]> = [];
  for (const m of [1, 3, 4, 6, 9, 13]) {
    for (const n of [1, 2, 4, 5, 8, 9, 17, 65]) {
      for (const k of [1, 2, 7, 16, 17, 33, 257, 300]) shapes.push([m, n, k]);
    }
  }
  shapes.push([130, 70, 300], [129, 9, 513], [5, 2050, 3], [40, 100, 257], [64, 64, 256]);
  return shapes;
}

/** (alpha, beta) pairs taken in turn; beta = 0 runs over a NaN-filled C. */
const SCALINGS: Array<[number, number]> = [[1, 0], [-0.5, 1], [1, 0.3], [0.7, 0], [0, 0.5]];

/**
 * Every shape in every transpose case on `K`, offsets and padded leading dimensions included:
 * each element of C within `tol.gemmVsTs` of the TypeScript float32 kernels, every element
 * outside C untouched. Returns how many products were checked, how many differed from
 * `strict` (wasm-simd) in any bit, and the worst difference as a fraction of the tolerance.
 */
function gemmAgainstTs(K: Kernels, strict: Kernels, seed: number): { count: number; differing: number; worst: number } {
  const rng = new Rng(seed);
  let count = 0, differing = 0, worst = 0;
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      for (const [m, n, k] of gemmShapes()) {
        const [alpha, beta] = SCALINGS[count % SCALINGS.length];
        const lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 1, ldc = n + 3;
        const aOff = 5, bOff = 2, cOff = 7;
        const a = randomF32(rng, aOff + (transA ? k : m) * lda);
        const b = randomF32(rng, bOff + (transB ? n : k) * ldb);
        const c0 = beta === 0 ? new Float32Array(cOff + m * ldc + 4).fill(NaN) : randomF32(rng, cOff + m * ldc + 4);
        const run = (kern: Kernels) => {
          const c = c0.slice();
          kern.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
          return c;
        };
        const got = run(K), want = run(tsKernels);
        const { scale } = referenceGemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c0, cOff, ldc);
        const what = `${K.name} transA=${transA} transB=${transB} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta}`;
        for (let idx = 0; idx < got.length; idx++) {
          const r = Math.floor((idx - cOff) / ldc), col = (idx - cOff) % ldc;
          if (!(idx >= cOff && r < m && col < n)) {
            assert.ok(Object.is(got[idx], c0[idx]), `${what}: element ${idx} outside C was written`);
            continue;
          }
          const ratio = Math.abs(got[idx] - want[idx]) / scale[r * n + col] / tol.gemmVsTs(k);
          worst = Math.max(worst, ratio);
          assert.ok(ratio <= 1, `${what}: C[${r},${col}] = ${got[idx]}, ts ${want[idx]} (${ratio.toFixed(2)}× the tolerance)`);
        }
        const s = run(strict);
        if (s.some((v, i) => !Object.is(v, got[i]))) differing++;
        count++;
      }
    }
  }
  return { count, differing, worst };
}

for (const shared of [true, false]) {
  const memory = shared ? "shared" : "private";
  test(`gemm float32 on wasm-relaxed (${memory} memory) vs the TypeScript kernels: every kernel path, all transposes, alpha/beta`, (t) => {
    if (!relaxedHere(t)) return;
    const K = loadBackend("wasm-relaxed", { ...FORCED_WASM, shared });
    assert.equal(K.name, "wasm-relaxed");
    const strict = loadBackend("wasm-simd", { ...FORCED_WASM, shared });
    const { count, differing, worst } = gemmAgainstTs(K, strict, shared ? 41 : 42);
    assert.equal(count, 4 * gemmShapes().length);
    t.diagnostic(`${differing} of ${count} products differ from wasm-simd in some bit (none where this machine does not fuse)`);
    t.diagnostic(`worst difference from ts ${worst.toFixed(3)}× the tolerance`);
  });
}

test("helper threads on wasm-relaxed: 2 threads start and a large product is the same bits as on 1", (t) => {
  if (!relaxedHere(t)) return;
  return isolated(() => {
    useBackend("wasm-relaxed", { minThreadWork: 0 });
    const rng = new Rng(43);
    const m = 96, n = 200, k = 300;
    const a = randomF32(rng, m * k), b = randomF32(rng, k * n);
    const product = () => {
      const c = new Float32Array(m * n);
      kernels().gemm(false, true, m, n, k, 1, a, 0, k, b, 0, k, 0, c, 0, n);
      return c;
    };
    const one = product();
    try {
      assert.equal(setThreads(2), 2);
      const two = product();
      for (let i = 0; i < one.length; i++) assert.ok(Object.is(two[i], one[i]), `C[${i}]: 2 threads ${two[i]}, 1 thread ${one[i]}`);
    } finally {
      setThreads(1);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Layers against the TypeScript kernels

/**
 * A 2-layer bidirectional LSTM or GRU in float32 (input 260 wide, so the input projection
 * crosses the KC block), forward and backward through a fixed weighting of its outputs and
 * final states on the active kernels: the outputs, the final states and every gradient.
 */
function layerRun(cell: "lstm" | "gru"): Map<string, Float32Array> {
  const rng = new Rng(cell === "lstm" ? 44 : 45);
  const T = 4, B = 3, I = 260, H = 12, L = 2, D = 2;
  const opts = { inputSize: I, hiddenSize: H, numLayers: L, bidirectional: true, rng, dtype: "float32" as const };
  const layer = cell === "lstm" ? new LSTM(opts) : new GRU(opts);
  const randn = (shape: number[]) => {
    const t = Tensor.zeros(shape, { dtype: "float32" });
    for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
    return t;
  };
  const x = randn([T, B, I]), h0 = randn([L * D, B, H]), c0 = randn([L * D, B, H]);
  const wOut = randn([T, B, D * H]), wH = randn([L * D, B, H]), wC = randn([L * D, B, H]);
  for (const v of [x, h0, c0]) v.requiresGrad = true;
  const out = layer.forward(x, cell === "lstm" ? { h: h0, c: c0 } : { h: h0 });
  let loss = add(sum(mul(out.output, wOut)), sum(mul(out.state.h, wH)));
  if (out.state.c) loss = add(loss, sum(mul(out.state.c, wC)));
  loss.backward();
  const results = new Map<string, Float32Array>([
    ["output", Float32Array.from(out.output.data)], ["h", Float32Array.from(out.state.h.data)],
    ["grad x", Float32Array.from(x.grad!)], ["grad h0", Float32Array.from(h0.grad!)],
  ]);
  if (out.state.c) {
    results.set("c", Float32Array.from(out.state.c.data));
    results.set("grad c0", Float32Array.from(c0.grad!));
  }
  for (const [name, p] of layer.namedParameters()) results.set(`grad ${name}`, Float32Array.from(p.grad!));
  return results;
}

for (const cell of ["lstm", "gru"] as const) {
  test(`${cell.toUpperCase()} layer forward and backward on wasm-relaxed, every call forced to it, vs the TypeScript kernels`, (t) => {
    if (!relaxedHere(t)) return;
    return isolated(() => {
      useBackend("ts");
      const want = layerRun(cell);
      useBackend("wasm-relaxed", FORCED_WASM);
      assert.equal(kernels().name, "wasm-relaxed");
      const got = layerRun(cell);
      assert.deepEqual([...got.keys()], [...want.keys()]);
      let worst = 0;
      for (const [what, e] of want) {
        const a = got.get(what)!;
        assert.equal(a.length, e.length, `${cell} ${what}: length`);
        const bound = tol.layer32 * e.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        for (let i = 0; i < e.length; i++) {
          const ratio = Math.abs(a[i] - e[i]) / bound;
          worst = Math.max(worst, ratio);
          assert.ok(ratio <= 1, `${cell} ${what}[${i}]: wasm-relaxed ${a[i]}, ts ${e[i]} (${ratio.toFixed(2)}× the tolerance)`);
        }
      }
      t.diagnostic(`worst difference ${worst.toFixed(3)}× the tolerance`);
    });
  });
}
