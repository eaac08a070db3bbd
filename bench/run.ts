/**
 * `npm run bench -- [--workload W1,W3] [--threads 1] [--backend ts,wasm] [--json] [--seconds 2]`
 * Times the BENCH.md workloads: warm-up, then at least `minSteps` steps and at least
 * `--seconds` of timed steps; prints one JSON line per measurement and a table.
 * Speed is measured here, never asserted in a unit test.
 */
import { parseArgs } from "node:util";
import { Rng, kernels, useKernels } from "../src/index.js";
import { useWasmKernels } from "../src/backend/wasm/index.js";
import { workloads, type Workload } from "./workloads.js";

interface Measurement {
  workload: string;
  model: string;
  impl: "rnnkit";
  backend: string;
  threads: number;
  ms_per_step?: number;
  us_per_step?: number;
  min: number;
  max: number;
  samples_per_s: number;
  steps: number;
}

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
    workload: w.id, model: w.model, impl: "rnnkit", backend: kernels().name, threads,
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
    threads: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
    seconds: { type: "string", default: "2" },
    peers: { type: "boolean", default: false },
    backend: { type: "string", default: "ts" },
  },
});
if (values.peers) {
  console.error("bench: --peers is not available yet; the peers' figures measured on this kind of machine are in ../shared/PEERS.md");
  process.exit(2);
}
const wanted = values.workload.split(",").map((s) => s.trim().toUpperCase());
const unknown = wanted.filter((id) => !workloads.some((w) => w.id === id));
if (unknown.length) {
  console.error(`bench: unknown workload(s) ${unknown.join(", ")}; known: W1..W6`);
  process.exit(2);
}
const threads = values.threads.split(",").map(Number);
if (threads.some((t) => t !== 1)) {
  console.error("bench: only --threads 1 is available with the plain TypeScript kernels");
  process.exit(2);
}
// Each workload is measured on every requested backend in turn, one after the other.
const backends = values.backend.split(",").map((s) => s.trim().toLowerCase());
const badBackend = backends.filter((b) => b !== "ts" && b !== "wasm");
if (badBackend.length) {
  console.error(`bench: unknown backend(s) ${badBackend.join(", ")}; known: ts, wasm`);
  process.exit(2);
}
function selectBackend(b: string): void {
  useKernels(null);
  if (b === "wasm" && !useWasmKernels()) {
    console.error("bench: the wasm kernels did not load (run npm run build)");
    process.exit(2);
  }
}
const results: Measurement[] = [];
for (const w of workloads.filter((w) => wanted.includes(w.id))) {
  for (const b of backends) {
    selectBackend(b);
    const m = measure(w, Number(values.seconds), 1);
    results.push(m);
    console.log(values.json ? JSON.stringify(m) : `${m.workload} ${m.model} ${m.backend}: ${m.ms_per_step ?? m.us_per_step} ${m.ms_per_step ? "ms" : "µs"}/step`);
  }
}
useKernels(null);
if (!values.json) {
  console.log("\nworkload  model  backend      threads  median/step  min  max  samples/s  steps");
  for (const m of results) {
    const unit = m.ms_per_step !== undefined ? "ms" : "µs";
    console.log(`${m.workload.padEnd(9)} ${m.model.padEnd(6)} ${m.backend.padEnd(12)} ${String(m.threads).padEnd(8)} ${`${m.ms_per_step ?? m.us_per_step} ${unit}`.padEnd(12)} ${m.min}  ${m.max}  ${m.samples_per_s}  ${m.steps}`);
  }
}
