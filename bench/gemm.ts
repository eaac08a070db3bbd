/**
 * `node [--experimental-wasm-relaxed-simd] build/bench/gemm.js [--size 512] [--reps 5] [--backends a,b] [--sweep] [--json]`
 * GEMM throughput through the kernel contract (so the wasm figures include copying the
 * operands into wasm memory and C back): GFLOP/s at size³ for each transpose case on the
 * TypeScript kernels, wasm-simd, wasm-relaxed (where the engine has relaxed SIMD: Node 20
 * with the flag above, Node ≥ 22), wasm-scalar and the native kernels (each GEMM variant this
 * CPU runs: native-avx512, native-avx2, native-generic), or only the `--backends` named (a
 * shorter run, e.g. `--backends wasm-simd,native-avx2`). `--sweep` also times the recurrent layers'
 * own GEMM shapes and the gate kernels per call on ts and on wasm with every call forced to
 * wasm, which is how the dispatch thresholds in src/backend/wasm/kernels.ts were chosen.
 * Speed is measured here, never asserted in a test. Run one benchmark at a time.
 */
import { parseArgs } from "node:util";
import "../src/node/platform.js";
import { tsKernels } from "../src/backend/ts/index.js";
import type { Kernels } from "../src/backend/kernels.js";
import { loadWasmKernels, relaxedSimdSupported } from "../src/backend/wasm/index.js";
import { Rng } from "../src/tensor/random.js";
import { loadNativeKernels } from "../src/node/native.js";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "512" },
    reps: { type: "string", default: "5" },
    backends: { type: "string" },
    sweep: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
});
const N = Number(values.size);
const reps = Number(values.reps);

function randomF32(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-1, 1);
  return a;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median ms per call of `f` over `reps` timed batches after one warm-up batch of `inner` calls. */
function time(f: () => void, reps: number, inner: number): number {
  for (let i = 0; i < inner; i++) f();
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) f();
    ms.push((performance.now() - t0) / inner);
  }
  return median(ms);
}

const simd = loadWasmKernels({ simd: true });
const relaxed = relaxedSimdSupported() ? loadWasmKernels({ relaxed: true }) : null;
const scalar = loadWasmKernels({ simd: false });
/** Kernels to time, and what the tables call them. */
interface Timed {
  label: string;
  K: Kernels;
}

const named = (K: Kernels): Timed => ({ label: K.name, K });

/** The native kernels once per GEMM variant, labelled "native-avx2" and so on; none where the addon is not built. */
function nativeVariants(): Timed[] {
  try {
    return loadNativeKernels().variants.map((variant) => ({ label: `native-${variant}`, K: loadNativeKernels({ variant }) }));
  } catch (e) {
    console.error(`bench/gemm: no native kernels (${(e as Error).message})`);
    return [];
  }
}

const wanted = values.backends?.split(",");
const backends: Timed[] = [
  ...[tsKernels, simd, relaxed, scalar && scalar.name !== simd?.name ? scalar : null].filter((k) => k !== null).map(named),
  ...nativeVariants(),
].filter((t) => wanted === undefined || wanted.includes(t.label));
if (simd === null) console.error("bench/gemm: the wasm kernels did not load (run npm run build)");

const rng = new Rng(7);
const a = randomF32(rng, N * N), b = randomF32(rng, N * N), c = new Float32Array(N * N);
const rows: Array<{ backend: string; transA: boolean; transB: boolean; size: number; gflops: number; ms: number }> = [];
for (const { label, K } of backends) {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      // The TS kernels take ~0.3 s per 512³ product: fewer repetitions there.
      const r = K.name === "ts" ? Math.min(reps, 3) : reps;
      const ms = time(() => K.gemm(transA, transB, N, N, N, 1, a, 0, N, b, 0, N, 0, c, 0, N), r, 1);
      const row = { backend: label, transA, transB, size: N, gflops: +((2 * N ** 3) / ms / 1e6).toFixed(2), ms: +ms.toFixed(2) };
      rows.push(row);
      if (values.json) console.log(JSON.stringify(row));
    }
  }
}
if (!values.json) {
  console.log(`GEMM ${N}³ float32, 1 thread, GFLOP/s (median of ${reps}; ts: of ${Math.min(reps, 3)})`);
  console.log(`${"backend".padEnd(14)} ${["NN", "NT", "TN", "TT"].map((s) => s.padStart(8)).join(" ")}`);
  for (const { label } of backends) {
    const g = rows.filter((r) => r.backend === label).map((r) => r.gflops.toFixed(2).padStart(8));
    console.log(`${label.padEnd(14)} ${g.join(" ")}`);
  }
}

if (values.sweep) {
  const forced: Timed[] = [simd, relaxed, scalar].filter((k) => k !== null)
    .map((k) => named(loadWasmKernels({ simd: k.lanes > 1, relaxed: k.name === "wasm-relaxed", minGemmWork: 0, minGateUnits: 0 })!));
  forced.push(...nativeVariants().slice(0, 1));
  const all = [named(tsKernels), ...forced];
  // The layers' products in W1–W4: (transA, transB, m, n, k), named by where they occur.
  const shapes: Array<[string, boolean, boolean, number, number, number]> = [
    ["W1 lstm step h·Whhᵀ", false, true, 800, 16, 4],
    ["W1 lstm proj X·Wihᵀ", false, true, 8000, 16, 1],
    ["W1 lstm dWhh", true, false, 16, 4, 8000],
    ["W1 lstm dWih / db", true, false, 16, 1, 8000],
    ["W1 lstm bias 1·bᵀ", false, false, 8000, 16, 1],
    ["W3 rnn step h·Whhᵀ", false, true, 150, 150, 150],
    ["W3 rnn proj X·Wihᵀ", false, true, 4200, 150, 28],
    ["W3 rnn dh·Whh", false, false, 150, 150, 150],
    ["W3 rnn dWhh", true, false, 150, 150, 4200],
    ["W3 head", false, true, 150, 10, 150],
    ["W4 lstm step h·Whhᵀ", false, true, 50, 512, 128],
    ["W4 lstm dh·Whh", false, false, 50, 128, 512],
    ["small 8·8·8", false, true, 8, 8, 8],
    ["small 16·16·16", false, true, 16, 16, 16],
    ["small 32·16·8", false, true, 32, 16, 8],
    ["small 64·16·4", false, true, 64, 16, 4],
  ];
  console.log("\nper call, µs (wasm forced for every size; copies included; native: its best variant)");
  console.log(`${"shape".padEnd(24)} ${"m·n·k".padStart(9)} ${"ts".padStart(9)} ${forced.map((t) => t.label.padStart(14)).join(" ")}`);
  for (const [label, tA, tB, m, n, k] of shapes) {
    const A = randomF32(rng, m * k), B = randomF32(rng, k * n), C = new Float32Array(m * n);
    const lda = tA ? m : k, ldb = tB ? k : n;
    const inner = Math.max(1, Math.round(2e6 / (m * n * k + m * n + 1)));
    const us = all.map(({ K }) => 1000 * time(() => K.gemm(tA, tB, m, n, k, 1, A, 0, lda, B, 0, ldb, 1, C, 0, n), reps, inner));
    console.log(`${label.padEnd(24)} ${String(m * n * k).padStart(9)} ${us.map((u, i) => u.toFixed(2).padStart(i === 0 ? 9 : 14)).join(" ")}`);
  }
  console.log("\ngate kernels per call, µs");
  for (const [B, H] of [[800, 4], [150, 150], [50, 128], [8, 4], [4, 8], [2, 16]]) {
    const BH = B * H;
    const gates = randomF32(rng, 4 * BH), cPrev = randomF32(rng, BH), c = new Float32Array(BH), t = new Float32Array(BH), h = new Float32Array(BH);
    const pre = randomF32(rng, BH);
    const inner = Math.max(1, Math.round(2e5 / BH));
    const lstm = all.map(({ K }) => 1000 * time(() => K.lstmGatesForward(B, H, gates, cPrev, c, t, h, "sigmoid"), reps, inner));
    const rnn = all.map(({ K }) => 1000 * time(() => K.rnnGatesForward("tanh", BH, pre, h), reps, inner));
    console.log(`B=${B} H=${H} (${BH} units)  lstmForward ${lstm.map((u) => u.toFixed(2)).join(" / ")}   rnn tanh ${rnn.map((u) => u.toFixed(2)).join(" / ")}   (ts / ${forced.map((t) => t.label).join(" / ")})`);
  }
}
