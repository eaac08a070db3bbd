/**
 * The default backend, chosen once when the library loads: the WebAssembly kernels
 * (SIMD build if the engine validates SIMD, else the scalar build), falling back to the
 * plain TypeScript kernels when no build loads. `RNNKIT_BACKEND=ts` (or `wasm-scalar`)
 * forces a choice. `RNNKIT_THREADS=n` splits large products between n threads (default 1:
 * helpers pay off only for products of about a million multiply-adds and up, and cost
 * when the cores are busy with other work; see `setThreads`). Every op module imports
 * this file, so the choice is the same however the library is entered.
 */
import "./ts/index.js";
import { useWasmKernels } from "./wasm/index.js";
import { setThreads } from "./wasm/threads-node.js";

const forced = process.env.RNNKIT_BACKEND;
if (forced !== undefined && !["ts", "wasm", "wasm-simd", "wasm-scalar"].includes(forced)) {
  throw new Error(`RNNKIT_BACKEND must be ts, wasm, wasm-simd or wasm-scalar, got '${forced}'`);
}
if (forced !== "ts") useWasmKernels(forced === "wasm-scalar" ? { simd: false } : {});

const threadCount = process.env.RNNKIT_THREADS;
if (threadCount !== undefined) {
  const n = Number(threadCount);
  if (!Number.isInteger(n) || n < 1) throw new Error(`RNNKIT_THREADS must be a positive integer, got '${threadCount}'`);
  setThreads(n);
}
