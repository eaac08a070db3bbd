/**
 * Helper threads for the wasm kernels in a browser: one module Web Worker per helper
 * (./web-helper.ts) on the caller's compiled module and shared memory, which only a
 * cross-origin isolated page or worker has. Starting is asynchronous — a page cannot block
 * while its workers start — so this is reached through `startThreads` / `initBackend({
 * threads })`, never the synchronous `setThreads`. A page's main thread may not
 * `Atomics.wait`: its team spins on the helpers' parts instead (./team.ts `callerBlocks`).
 */
import type { WasmMemory, WasmModule } from "./api.js";
import { SLOT_INTS, Team, type HelperData } from "./team.js";

/** How long helpers may take to load and instantiate before the start is given up. */
const START_TIMEOUT_MS = 10000;

interface WebWorker {
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  postMessage(message: unknown): void;
  terminate(): void;
}

type WorkerConstructor = new (url: URL, options: { type: "module" }) => WebWorker;

/** Whether this thread may block in `Atomics.wait` (a browser's main thread may not). */
export function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `works.length` helpers (helper h packs into the workspace at byte address works[h])
 * and resolves once all are ready; null if workers cannot start here or one failed.
 */
export async function spawnWebHelpers(module: WasmModule, memory: WasmMemory, works: number[]): Promise<Team | null> {
  const Worker = (globalThis as { Worker?: WorkerConstructor }).Worker;
  if (Worker === undefined || typeof SharedArrayBuffer !== "function") return null;
  const control = new SharedArrayBuffer(SLOT_INTS * 4 * Math.max(1, works.length));
  const members: WebWorker[] = [];
  const started = works.map((work, slot) => new Promise<boolean>((resolve) => {
    const w = new Worker(new URL("./web-helper.js", import.meta.url), { type: "module" });
    members.push(w);
    const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
    w.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data === "ready");
    };
    w.onerror = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const data: HelperData = { module, memory, control, slot, work };
    w.postMessage(data);
  }));
  const ok = (await Promise.all(started)).every(Boolean);
  const team = new Team(control, members, { callerBlocks: canBlock() });
  if (!ok) {
    team.close();
    return null;
  }
  return team;
}
