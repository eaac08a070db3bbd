/**
 * Helper threads for the wasm kernels in Node: `setThreads`, and spawning one
 * `worker_threads` Worker per helper, each running ./worker.js (next to this file in
 * build/) on the caller's compiled module and shared memory. The workers are unref'd, so
 * they never keep a process alive.
 */
import { Worker } from "node:worker_threads";
import { kernels } from "../kernels.js";
import type { WasmMemory, WasmModule } from "./api.js";
import type { WasmKernels } from "./kernels.js";
import { SLOT_INTS, Team } from "./team.js";
import type { HelperData } from "./worker.js";

/** How long a helper may take to start (load the script, instantiate the module): ~50 ms when idle. */
const START_TIMEOUT_MS = 10000;

/**
 * Starts `works.length` helpers (helper h packs into the workspace at byte address works[h])
 * and waits until they are ready; null if any failed to start.
 */
export function spawnNodeHelpers(module: WasmModule, memory: WasmMemory, works: number[]): Team | null {
  const control = new SharedArrayBuffer(SLOT_INTS * 4 * Math.max(1, works.length));
  const members = works.map((work, slot) => {
    const workerData: HelperData = { module, memory, control, slot, work };
    // No inherited flags: the parent's (--input-type, --cpu-prof, …) can stop a worker from starting.
    const w = new Worker(new URL("./worker.js", import.meta.url), { workerData, execArgv: [] });
    // A helper that dies is reported by the caller's wait (it never becomes ready, or a job
    // fails); without a listener its error would also end the whole process.
    w.on("error", () => undefined);
    w.unref();
    return w;
  });
  const team = new Team(control, members);
  if (!team.waitReady(START_TIMEOUT_MS)) {
    team.close();
    return null;
  }
  return team;
}

/** The active kernels, when they are wasm kernels that can take helper threads. */
function activeWasm(): WasmKernels | null {
  const K = kernels() as Partial<WasmKernels>;
  return typeof K.setThreads === "function" ? (K as WasmKernels) : null;
}

/**
 * Splits the active wasm kernels' large GEMMs between n threads: the calling one and n − 1
 * Node worker threads on the same shared memory. Returns the number of threads in effect,
 * 1 where the active kernels cannot use helpers (the TypeScript kernels, a private-memory
 * wasm build). Results are the same bits for every n. Default: 1.
 * @example setThreads(Math.min(2, availableParallelism()));
 */
export function setThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: n must be a positive integer, got ${n}`);
  return activeWasm()?.setThreads(n, spawnNodeHelpers) ?? 1;
}

/** Threads the active kernels' large products run on. */
export function threads(): number {
  return activeWasm()?.threads ?? 1;
}
