/**
 * Loading the WebAssembly kernels in Node: probe for 128-bit SIMD and for shared memory,
 * read the matching build next to the compiled sources, instantiate it synchronously, and
 * fall back a step at a time: SIMD with a shared memory (build/wasm/kernels-simd-shared.wasm,
 * whose buffers the ops compute in without copies) → SIMD with a private memory
 * (kernels-simd.wasm; a browser page that is not cross-origin isolated has no shared
 * memory) → scalar (kernels-scalar.wasm) → stay on the TypeScript kernels. Callers elsewhere
 * (a browser, a bundler) pass the module bytes in `LoadWasmOptions` or use
 * `instantiateWasmKernels` from ./kernels.js directly.
 *
 * @example
 *   import { useWasmKernels } from "../src/backend/wasm/index.js"; // as bench/run.ts does
 *   if (!useWasmKernels()) console.warn("no wasm: staying on the TypeScript kernels");
 */
import { readFileSync } from "node:fs";
import { useKernels } from "../kernels.js";
import { wasmApi, type WasmBytes } from "./api.js";
import { instantiateWasmKernels, type WasmKernelOptions, type WasmKernels } from "./kernels.js";

export { defaultWasmKernelOptions, instantiateWasmKernels, type WasmKernelOptions, type WasmKernels } from "./kernels.js";
export { setThreads, threads } from "./threads-node.js";
export type { WasmBytes } from "./api.js";

/**
 * The smallest module that uses SIMD: one function returning `i8x16.splat(i32.const 0)`.
 * An engine without 128-bit SIMD rejects it.
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () → v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0x0b, // code: i32.const 0; i8x16.splat; end
]);

/** Whether this engine validates 128-bit SIMD instructions. */
export function simdSupported(): boolean {
  return wasmApi()?.validate(SIMD_PROBE) ?? false;
}

/** Whether this engine can make a shared WebAssembly memory (Node can; a browser only when cross-origin isolated). */
export function sharedMemorySupported(): boolean {
  const api = wasmApi();
  if (api === null || typeof SharedArrayBuffer !== "function") return false;
  try {
    new api.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

export interface LoadWasmOptions extends WasmKernelOptions {
  /** Use the SIMD build? Default: whatever `probe` says. `false` forces the scalar build. */
  simd?: boolean;
  /** The SIMD feature test; replaceable so tests can play an engine without SIMD. */
  probe?: () => boolean;
  /** SIMD only: compute in a shared memory? Default: whatever `sharedProbe` says. */
  shared?: boolean;
  /** The shared-memory feature test, replaceable like `probe`. */
  sharedProbe?: () => boolean;
  /**
   * Module bytes supplied by the caller instead of read from build/wasm/. `simdBytes`
   * without `sharedBytes` skips the shared build: the caller chose its SIMD module.
   */
  sharedBytes?: WasmBytes;
  simdBytes?: WasmBytes;
  scalarBytes?: WasmBytes;
}

/** Where `npm run build:wasm` puts a build, relative to this file once compiled (build/src/backend/wasm/). */
function buildUrl(file: string): URL {
  return new URL(`../../../wasm/${file}`, import.meta.url);
}

function tryInstantiate(bytes: () => WasmBytes, options: WasmKernelOptions): WasmKernels | null {
  try {
    return instantiateWasmKernels(bytes(), options);
  } catch {
    // Missing file, or an engine that rejects the module: the caller tries the next build.
    return null;
  }
}

/**
 * The wasm kernels, or null when no build can be loaded here: the shared-memory SIMD build
 * where the probes find SIMD and shared memory, else the private-memory SIMD build, else
 * (or if those fail to load) the scalar build.
 */
export function loadWasmKernels(options: LoadWasmOptions = {}): WasmKernels | null {
  const {
    simd, probe = simdSupported, shared, sharedProbe = sharedMemorySupported, sharedBytes, simdBytes, scalarBytes, ...thresholds
  } = options;
  if (wasmApi() === null) return null;
  if (simd ?? probe()) {
    // Bytes for the private-memory SIMD build and none for the shared one name the module wanted.
    if ((shared ?? sharedProbe()) && (sharedBytes !== undefined || simdBytes === undefined)) {
      const k = tryInstantiate(() => sharedBytes ?? readFileSync(buildUrl("kernels-simd-shared.wasm")), thresholds);
      if (k !== null) return k;
    }
    const k = tryInstantiate(() => simdBytes ?? readFileSync(buildUrl("kernels-simd.wasm")), thresholds);
    if (k !== null) return k;
  }
  return tryInstantiate(() => scalarBytes ?? readFileSync(buildUrl("kernels-scalar.wasm")), thresholds);
}

/**
 * Makes the wasm kernels the active backend when they load; returns whether they did.
 * On false nothing changes (the TypeScript kernels stay). `useKernels(null)` switches back.
 */
export function useWasmKernels(options: LoadWasmOptions = {}): boolean {
  const k = loadWasmKernels(options);
  if (k !== null) useKernels(k);
  return k !== null;
}
