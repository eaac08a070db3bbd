/**
 * A helper thread of the wasm kernels (Node `worker_threads`): instantiates the kernels on
 * the caller's shared memory and serves its slice of each split product (../backend/wasm/team.ts) until
 * told to stop. Started by ./threads.ts with everything it needs in `workerData`.
 */
import { workerData } from "node:worker_threads";
import { wasmApi, type WasmMemory, type WasmModule } from "../backend/wasm/api.js";
import { serve, SLOT, SLOT_INTS } from "../backend/wasm/team.js";

/** What ./threads.ts passes to each helper. */
export interface HelperData {
  module: WasmModule;
  memory: WasmMemory;
  control: SharedArrayBuffer;
  /** This helper's slot in `control`. */
  slot: number;
  /** Byte address of this helper's own GEMM packing workspace in the shared memory. */
  work: number;
}

type GemmExport = (
  m: number, n: number, k: number, alpha: number, a: number, rsA: number, csA: number,
  b: number, rsB: number, csB: number, beta: number, c: number, ldc: number, work: number,
) => void;

const data = workerData as HelperData;
const ctl = new Int32Array(data.control);
const readyAt = data.slot * SLOT_INTS + SLOT.ready;
let gemm: GemmExport | null = null;
try {
  const api = wasmApi();
  if (api === null) throw new Error("no WebAssembly in this worker");
  const instance = new api.Instance(data.module, { env: { memory: data.memory } });
  gemm = instance.exports.gemm as GemmExport;
  Atomics.store(ctl, readyAt, 1);
} catch {
  Atomics.store(ctl, readyAt, -1);
}
Atomics.notify(ctl, readyAt);
if (gemm !== null) {
  const run = gemm;
  serve(data.control, data.slot, (g) => run(g.m, g.n, g.k, g.alpha, g.a, g.rsA, g.csA, g.b, g.rsB, g.csB, g.beta, g.c, g.ldc, data.work));
}
