/**
 * What the core needs from Node, registered on import: a synchronous reader of the
 * WebAssembly builds (the files next to src/backend/wasm/files.ts once compiled, so the
 * lazy default backend loads without an `await`), worker_threads helpers for
 * `setThreads`, and the native kernels (./native.ts), the default wherever they load.
 * The package's Node entry imports this; so does `rnnkit/node`.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { setHelperSpawner, setNativeLoader, type NativeLoader } from "../backend/select.js";
import { setWasmBytesReader, wasmBuildUrl, type WasmBuild } from "../backend/wasm/index.js";
import { loadNativeKernels } from "./native.js";
import { spawnNodeHelpers } from "./threads.js";

/** Reads a build's module file (by default the one shipped next to the loader). */
export function readWasmBuild(build: WasmBuild, url: URL = wasmBuildUrl(build)): Uint8Array {
  try {
    return readFileSync(fileURLToPath(url));
  } catch (e) {
    throw new Error(`cannot read the ${build} build at ${fileURLToPath(url)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** How `useBackend("native")` loads the addon's kernels in Node. */
export const nodeNativeLoader: NativeLoader = (options, asDefault) => {
  const k = loadNativeKernels({ variant: options.variant, minThreadWork: options.minThreadWork });
  // Without FMA instructions the portable GEMM calls fmaf() per product: on x86-64 that is
  // slower than WebAssembly SIMD, so it is not the default there (it stays available by name).
  if (asDefault && k.variant === "generic" && process.arch === "x64") {
    const why = "this CPU has neither AVX2+FMA nor AVX-512, where WebAssembly SIMD is faster than the portable C kernels";
    throw Object.assign(new Error(why), { announced: true }); // a choice, not a fault: nothing to warn about
  }
  return k;
};

setWasmBytesReader(readWasmBuild);
setHelperSpawner(spawnNodeHelpers);
setNativeLoader(nodeNativeLoader);
