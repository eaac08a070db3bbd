/**
 * `npm run bench -- [--workload W1,W3] [--threads 1,2] [--backend native,wasm,ts] [--json] [--seconds 2] [--peers [--slow]]`
 * Times the BENCH.md workloads: warm-up, then at least `minSteps` steps and at least
 * `--seconds` of timed steps; prints one JSON line per measurement and a table.
 * `--peers` also runs PyTorch and TF.js on each workload right after rnnkit, in child processes
 * one at a time (bench/peers/), and the table gives every time over rnnkit's best backend at
 * 1 thread. Without `--backend` it times the backend a program gets by default (native where
 * the addon is built, else wasm) and says which; with `--peers`, `--backend` defaults to
 * native,wasm (wasm alone without the addon) and `--threads`
 * (peers only) to 1 and all cores; `--slow` adds W5 on TF.js (minutes per step).
 * Speed is measured here, never asserted in a unit test.
 */
import { parseArgs } from "node:util";
import "../src/node/platform.js";
import { Rng, backendInfo, setThreads, useBackend } from "../src/index.js";
import { loadWasmKernels } from "../src/backend/wasm/index.js";
import { useKernels } from "../src/backend/kernels.js";
import { availableParallelism } from "node:os";
import { workloads, type Workload } from "./workloads.js";
import { preparePeers, type BenchLine } from "./peers/run-peers.js";

type Measurement = BenchLine;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function measure(w: Workload, seconds: number, threads: number): Measurement {
  const step = w.build(new Rng(1234));
  for (let i = 0; i < w.warmup; i++) step();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < w.minSteps || performance.now() - start < seconds * 1000) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
    if (times.length >= w.minSteps && times.length >= 100000) break;
  }
  const scale = w.unit === "us" ? 1000 : 1;
  const med = median(times);
  const m: Measurement = {
    workload: w.id, model: w.model, impl: "rnnkit", backend: backendInfo().name, threads,
    min: +(Math.min(...times) * scale).toPrecision(4), max: +(Math.max(...times) * scale).toPrecision(4),
    samples_per_s: +((w.batch * 1000) / med).toPrecision(4), steps: times.length,
  };
  if (w.unit === "us") m.us_per_step = +(med * scale).toPrecision(4);
  else m.ms_per_step = +med.toPrecision(4);
  return m;
}

const { values } = parseArgs({
  options: {
    workload: { type: "string", default: "W1,W2,W3,W4,W5,W6" },
    threads: { type: "string" },
    json: { type: "boolean", default: false },
    seconds: { type: "string", default: "2" },
    peers: { type: "boolean", default: false },
    backend: { type: "string" },
    slow: { type: "boolean", default: false },
  },
});
const wanted = values.workload.split(",").map((s) => s.trim().toUpperCase());
const unknown = wanted.filter((id) => !workloads.some((w) => w.id === id));
if (unknown.length) {
  console.error(`bench: unknown workload(s) ${unknown.join(", ")}; known: W1..W6`);
  process.exit(2);
}
const threads = (values.threads ?? "1").split(",").map(Number);
if (threads.some((t) => !(t >= 1))) {
  console.error(`bench: bad --threads ${values.threads}`);
  process.exit(2);
}
// The peers take every thread count asked for (BENCH.md: 1 and all cores); rnnkit's native and
// wasm backends are timed at each count asked for (setThreads), the TypeScript kernels at 1.
const peerThreads = values.threads ? threads : [...new Set([1, availableParallelism()])];
// Each workload is measured on every requested backend in turn, one after the other.
// Without --backend: the backend a user's program gets by default (what it is is printed first).
/** "native", "wasm" or "ts": what the lazy default picks here, announced on stderr. */
function defaultBackend(): string {
  const info = backendInfo();
  console.error(`bench: timing the default backend, ${info.name} (${info.reason}); --backend native,wasm,ts to choose`);
  return info.name === "ts" || info.name === "native" ? info.name : "wasm";
}
/** With --peers: native and wasm, or wasm alone where the addon is not built. */
function peerBackends(): string {
  return backendInfo().name === "native" ? "native,wasm" : "wasm";
}
const backends = (values.backend ?? (values.peers ? peerBackends() : defaultBackend())).split(",").map((s) => s.trim().toLowerCase());
const badBackend = backends.filter((b) => b !== "ts" && b !== "wasm" && b !== "native");
if (badBackend.length) {
  console.error(`bench: unknown backend(s) ${badBackend.join(", ")}; known: native, wasm, ts`);
  process.exit(2);
}
/** A fresh instance of the backend for each measurement: "wasm" is the best WebAssembly build that loads. */
function selectBackend(b: string): void {
  if (b === "ts" || b === "native") {
    useBackend(b);
    return;
  }
  const k = loadWasmKernels();
  if (k === null) {
    console.error("bench: the wasm kernels did not load (run npm run build)");
    process.exit(2);
  }
  useKernels(k);
}
const peers = values.peers ? preparePeers({ threads: peerThreads, seconds: Number(values.seconds), slow: values.slow }) : null;
const results: Measurement[] = [];
function report(m: Measurement): void {
  results.push(m);
  const what = [m.workload, m.model, m.impl, m.backend, m.variant].filter(Boolean).join(" ");
  console.log(values.json ? JSON.stringify(m) : `${what} ${m.threads}T: ${m.ms_per_step ?? m.us_per_step} ${m.ms_per_step !== undefined ? "ms" : "µs"}/step`);
}
/** rnnkit's best backend at 1 thread for this workload and model: the denominator of every ratio. */
function reference(m: Measurement): number | undefined {
  const own = results.filter((r) => r.impl === "rnnkit" && r.threads === 1 && r.workload === m.workload && r.model === m.model);
  return own.length ? Math.min(...own.map((r) => r.ms_per_step ?? r.us_per_step ?? Infinity)) : undefined;
}
// Workload by workload, rnnkit and then each peer, so that side-by-side figures are close in time.
for (const id of wanted.filter((id, i) => wanted.indexOf(id) === i)) {
  for (const w of workloads.filter((w) => w.id === id)) {
    for (const b of backends) {
      for (const t of b === "ts" ? [1] : threads) {
        selectBackend(b);
        if (setThreads(t) !== t) {
          console.error(`bench: ${backendInfo().name} cannot run ${t} threads here; skipped`);
          continue;
        }
        report(measure(w, Number(values.seconds), t));
        setThreads(1);
      }
    }
  }
  peers?.run(id, (line) => {
    const ref = reference(line);
    if (ref !== undefined) line.ratio_vs_rnnkit = +((line.ms_per_step ?? line.us_per_step ?? NaN) / ref).toPrecision(3);
    report(line);
  });
}
if (!values.json) {
  const ratio = (m: Measurement) => {
    const ref = reference(m);
    return ref === undefined ? "" : `${((m.ms_per_step ?? m.us_per_step ?? NaN) / ref).toPrecision(3)}x`;
  };
  const order = (m: Measurement) => workloads.findIndex((w) => w.id === m.workload && w.model === m.model);
  const rows = [...results].sort((a, b) => order(a) - order(b)).map((m) => [
    m.workload, m.model, m.impl, m.variant ? `${m.backend} [${m.variant}]` : m.backend, String(m.threads),
    `${m.ms_per_step ?? m.us_per_step} ${m.ms_per_step !== undefined ? "ms" : "µs"}`,
    String(m.min), String(m.max), String(m.samples_per_s), String(m.steps), ...(peers ? [ratio(m)] : []),
  ]);
  const head = ["workload", "model", "impl", "backend", "threads", "median/step", "min", "max", "samples/s", "steps", ...(peers ? ["vs rnnkit"] : [])];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  console.log("");
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(width[i])).join("  ").trimEnd());
  if (peers) {
    console.log("\nvs rnnkit = this row's median time / rnnkit's best backend at 1 thread (same workload and model): above 1x, rnnkit is faster.");
    const notes = [...new Set(results.map((m) => m.note).filter(Boolean))];
    for (const n of notes) console.log(`note: ${n}`);
  }
}
