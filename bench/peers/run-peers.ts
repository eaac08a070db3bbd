/**
 * The peers of `npm run bench -- --peers`: finds which are installed, then runs each peer
 * configuration on one workload in its own child process, strictly one after another (never two
 * at once: two benchmarks on the 2 cores slow each other by 1.5 to 2.5 times, see PEERS.md), and
 * returns the JSON lines they print.
 *
 * Configurations: PyTorch (bench/peers/torch_bench.py under Debian's /usr/bin/python3) for each
 * thread count, with OpenBLAS's AVX-512 kernels forced (OPENBLAS_CORETYPE=SkylakeX, only where the
 * CPU has AVX-512) and with its own CPU detection; TF.js cpu and wasm (bench/peers/tfjs_bench.ts), single-threaded only.
 * A peer that is missing is reported on stderr and skipped. Deliberately not here: brain.js
 * (optional in BENCH.md; it has no mini-batch training, so its figures are not the same computation).
 *
 * Environment: RNNKIT_PYTHON (default /usr/bin/python3); RNNKIT_TORCH_BLAS_DIR, a folder with
 * OpenBLAS's libblas.so.3 for PyTorch when the system's libblas.so.3 is the reference BLAS;
 * OMP_WAIT_POLICY is passed through to PyTorch (PASSIVE steadies its 2-thread figures).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** One JSON line of the benchmark, rnnkit's or a peer's: the BENCH.md keys and the optional extras. */
export interface BenchLine {
  workload: string;
  model: string;
  impl: string;
  backend: string;
  threads: number;
  ms_per_step?: number;
  us_per_step?: number;
  min: number;
  max: number;
  samples_per_s: number;
  steps: number;
  /** Where a peer times one workload two ways (W6: "raw-ops" / "layers-predict", "lstmcell" / "lstm-seq1"). */
  variant?: string;
  /** Where a peer's model differs from rnnkit's (W1 rnn on PyTorch is tanh). */
  note?: string;
  /** This line's median time / rnnkit's best backend at 1 thread, same workload and model (added by run.ts). */
  ratio_vs_rnnkit?: number;
}

export interface PeerOptions {
  threads: number[];
  seconds: number;
  /** Also the workloads that take minutes per step on a peer (W5 on TF.js). */
  slow: boolean;
}

interface PeerConfig {
  /** For progress and error messages. */
  name: string;
  command: string;
  args: (workload: string) => string[];
}

/** Longest a single child may run: W5 on tfjs-cpu takes about 4 minutes (PEERS.md). */
const CHILD_TIMEOUT_MS = 20 * 60 * 1000;

function firstExisting(...urls: URL[]): string | null {
  for (const url of urls) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  return null;
}

/** torch_bench.py stays in bench/peers/ (tsc does not copy it): beside this file when run from source, else three levels up from build/bench/peers/. */
function torchScript(): string | null {
  return firstExisting(new URL("./torch_bench.py", import.meta.url), new URL("../../../bench/peers/torch_bench.py", import.meta.url));
}

interface TorchProbe {
  torch: string;
  blas: string;
  blas_core: string | null;
}

function torchConfigs(opts: PeerOptions): PeerConfig[] {
  const python = process.env.RNNKIT_PYTHON ?? "/usr/bin/python3";
  const script = torchScript();
  if (script === null) {
    console.error("peers: pytorch: bench/peers/torch_bench.py not found; skipped");
    return [];
  }
  const blasDir = process.env.RNNKIT_TORCH_BLAS_DIR ? ["--blas-dir", process.env.RNNKIT_TORCH_BLAS_DIR] : [];
  const probe = spawnSync(python, [script, "--probe", "--coretype", "default", ...blasDir], { encoding: "utf8", timeout: 120_000 });
  if (probe.error || probe.status !== 0) {
    console.error("peers: pytorch: not installed (apt-get install python3-torch)");
    const why = probe.error?.message ?? probe.stderr.trim().split("\n").pop();
    if (why) console.error(`peers:   (${python}: ${why})`);
    return [];
  }
  const info = JSON.parse(probe.stdout.trim().split("\n").pop() ?? "{}") as TorchProbe;
  let coretypes = ["SkylakeX", "default"];
  if (info.blas === "openblas") {
    console.error(`peers: pytorch ${info.torch} on OpenBLAS; its own CPU detection picks ${info.blas_core} (openblas-default rows)`);
    if (!cpuHasAvx512()) {
      // Forcing the AVX-512 kernels on a CPU without them would stop on an illegal instruction.
      coretypes = ["default"];
      console.error("peers:   this CPU has no AVX-512: OpenBLAS's own choice only (no SkylakeX rows)");
    }
  } else {
    // OPENBLAS_CORETYPE means nothing to the reference BLAS: one configuration, labelled blas-reference.
    coretypes = ["default"];
    console.error(`peers: pytorch ${info.torch}: its libblas.so.3 is the reference BLAS, not OpenBLAS, so its matrix products are`);
    console.error("peers:   far slower than in PEERS.md: apt-get install libopenblas0-pthread (or RNNKIT_TORCH_BLAS_DIR=<folder with OpenBLAS's libblas.so.3>)");
  }
  const configs: PeerConfig[] = [];
  for (const coretype of coretypes) {
    for (const t of opts.threads) {
      configs.push({
        name: `pytorch ${coretype} ${t}T`,
        command: python,
        args: (w) => [script, "--workload", w, "--threads", String(t), "--seconds", String(opts.seconds), "--coretype", coretype, ...blasDir],
      });
    }
  }
  return configs;
}

/** Whether the CPU reports AVX-512F (Linux: /proc/cpuinfo; elsewhere assumed absent). */
function cpuHasAvx512(): boolean {
  try {
    return /\bavx512f\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}

function tfjsConfigs(opts: PeerOptions): PeerConfig[] {
  const require = createRequire(import.meta.url);
  try {
    require.resolve("@tensorflow/tfjs");
    require.resolve("@tensorflow/tfjs-backend-wasm");
  } catch {
    console.error("peers: tfjs: not installed (npm install: @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm are devDependencies)");
    return [];
  }
  const script = firstExisting(new URL("./tfjs_bench.js", import.meta.url));
  if (script === null) {
    console.error("peers: tfjs: build/bench/peers/tfjs_bench.js not found (npm run build); skipped");
    return [];
  }
  if (!opts.threads.includes(1)) {
    console.error("peers: tfjs: single-threaded in Node (no --threads 1 requested); skipped");
    return [];
  }
  if (opts.threads.some((t) => t !== 1)) console.error("peers: tfjs: single-threaded in Node; measured at 1 thread only");
  return (["cpu", "wasm"] as const).map((backend) => ({
    name: `tfjs-${backend}`,
    command: process.execPath,
    args: (w) => [script, "--backend", backend, "--workload", w, "--seconds", String(opts.seconds), ...(opts.slow ? ["--slow"] : [])],
  }));
}

/**
 * Finds the installed peers (messages on stderr) and returns a runner for one workload at a time,
 * which hands over each peer's lines as soon as that peer has exited.
 */
export function preparePeers(opts: PeerOptions): { run(workload: string, onLine: (line: BenchLine) => void): void } {
  const configs = [...torchConfigs(opts), ...tfjsConfigs(opts)];
  console.error("peers: brain.js: skipped (optional in BENCH.md, not a dependency; no mini-batch training)");
  return {
    run(workload, onLine) {
      for (const c of configs) {
        console.error(`peers: ${c.name} ${workload} …`);
        // Synchronous on purpose: the next peer starts only after this one has exited.
        const child = spawnSync(c.command, c.args(workload), {
          encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: CHILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024,
        });
        for (const text of (child.stdout ?? "").split("\n")) {
          if (text.startsWith("{")) onLine(JSON.parse(text) as BenchLine);
          else if (text.trim()) console.error(`peers: ${c.name}: ${text}`);
        }
        if (child.error) console.error(`peers: ${c.name} ${workload} failed: ${child.error.message}`);
        else if (child.status !== 0) console.error(`peers: ${c.name} ${workload} failed (exit ${child.status ?? child.signal})`);
      }
    },
  };
}
