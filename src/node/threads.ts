/**
 * Helper threads for the wasm kernels in Node: one `worker_threads` Worker per helper, each
 * running ./wasm-worker.js (next to this file once compiled) on the caller's compiled module
 * and shared memory. Registered with the core's `setHelperSpawner` by ./platform.ts, so the
 * core's `setThreads` starts these. The workers are unref'd: they never keep a process alive.
 */
import { Worker } from "node:worker_threads";
import type { WasmMemory, WasmModule } from "../backend/wasm/api.js";
import { SLOT_INTS, Team, type HelperData } from "../backend/wasm/team.js";

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
    const w = new Worker(new URL("./wasm-worker.js", import.meta.url), { workerData, execArgv: [] });
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
