/**
 * Loading the WebAssembly kernels, on any platform: probe the engine for 128-bit SIMD and
 * shared memory, find the matching build's module and instantiate it, falling back a step
 * at a time: SIMD with a shared memory (kernels-simd-shared.wasm, whose buffers the ops
 * compute in without copies) → SIMD with a private memory (kernels-simd.wasm; a page that
 * is not cross-origin isolated has no shared memory) → scalar (kernels-scalar.wasm).
 * The relaxed-SIMD builds (kernels-relaxed-shared.wasm, kernels-relaxed.wasm: fused
 * multiply-add, bits that depend on the machine) load only when asked for (`relaxed`).
 *
 * Where a build's module comes from, first match wins: bytes passed in `LoadWasmOptions`;
 * a module compiled ahead by `compileWasmBuilds` (asynchronous: what a browser does, see
 * `initBackend`); the synchronous file reader a platform layer registers with
 * `setWasmBytesReader` (rnnkit's Node entry reads the files next to ./files.ts). Choosing
 * which backend is active is ../select.ts; this file only loads.
 */
import { wasmApi, type WasmBytes, type WasmModule, type WasmResponse } from "./api.js";
import { wasmBuildUrl, type WasmBuild } from "./files.js";
import {
  instantiateWasmKernels, instantiateWasmKernelsAsync, type WasmKernelOptions, type WasmKernels,
} from "./kernels.js";

export {
  defaultWasmKernelOptions, instantiateWasmKernels, instantiateWasmKernelsAsync, type WasmKernelOptions, type WasmKernels,
} from "./kernels.js";
export { wasmBuildUrl, type WasmBuild } from "./files.js";
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

/**
 * The smallest module that uses relaxed SIMD: one function returning
 * `f32x4.relaxed_madd(x, x, x)` of its zeroed v128 local x (opcode 0xfd 0x105, 0x105 being
 * 0x85 0x02 in LEB128, in the relaxed-simd proposal's binary format). An engine without
 * relaxed SIMD rejects it.
 */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () → v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x0f, 0x01, 0x0d, 0x01, 0x01, 0x7b, // code: one body, one v128 local
  0x20, 0x00, 0x20, 0x00, 0x20, 0x00, 0xfd, 0x85, 0x02, 0x0b, // local.get 0 (×3); f32x4.relaxed_madd; end
]);

/** Whether this engine validates relaxed SIMD instructions (what the relaxed builds need). */
export function relaxedSimdSupported(): boolean {
  return wasmApi()?.validate(RELAXED_SIMD_PROBE) ?? false;
}

/** Why the relaxed builds cannot load where `relaxedSimdSupported()` is false, and what has them. */
export const RELAXED_SIMD_MISSING =
  "this engine does not validate relaxed SIMD (f32x4.relaxed_madd), which Node ≥ 22 and Chrome ≥ 114 have; " +
  "on Node 20, start node with --experimental-wasm-relaxed-simd";

/**
 * Whether this engine can make a shared WebAssembly memory: Node can; a browser page or
 * worker only when it is cross-origin isolated (served with COOP and COEP headers).
 */
export function sharedMemorySupported(): boolean {
  const api = wasmApi();
  if (api === null || typeof SharedArrayBuffer !== "function") return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    new api.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** Reads a build's module bytes synchronously, or throws saying why it cannot. */
export type WasmBytesReader = (build: WasmBuild, url: URL) => WasmBytes;

let reader: WasmBytesReader | null = null;
const compiled = new Map<WasmBuild, WasmModule>();

/** Registers (or with null, removes) the platform's synchronous reader of the build files. */
export function setWasmBytesReader(read: WasmBytesReader | null): void {
  reader = read;
}

/** The builds this engine can run, best first; never the relaxed ones, which load only when asked for. */
export function usableBuilds(): WasmBuild[] {
  if (wasmApi() === null) return [];
  if (!simdSupported()) return ["scalar"];
  return sharedMemorySupported() ? ["simd-shared", "simd", "scalar"] : ["simd", "scalar"];
}

/** The relaxed-SIMD builds this engine can run, best first. */
export function relaxedBuilds(): WasmBuild[] {
  if (!relaxedSimdSupported()) return [];
  return sharedMemorySupported() ? ["relaxed-shared", "relaxed"] : ["relaxed"];
}

/** Where `compileWasmBuilds` gets a build from: a URL (fetched) or the bytes themselves. */
export type WasmBuildSource = URL | string | WasmBytes;

/**
 * Compiles the builds this engine can run (or those named), without blocking, and keeps
 * the compiled modules for `loadWasmKernels`. Each build is fetched from `sources[build]`
 * when given (replacing any module compiled before), else from its URL next to ./files.ts
 * (once); `WebAssembly.compileStreaming` is used where the engine has it. Returns the builds
 * compiled and, for each one that failed, why.
 */
export async function compileWasmBuilds(
  sources: Partial<Record<WasmBuild, WasmBuildSource>> = {}, builds: WasmBuild[] = usableBuilds(),
): Promise<{ compiled: WasmBuild[]; failed: Partial<Record<WasmBuild, string>> }> {
  const api = wasmApi();
  const failed: Partial<Record<WasmBuild, string>> = {};
  if (api === null) {
    for (const b of builds) failed[b] = "this engine has no WebAssembly";
    return { compiled: [], failed };
  }
  const fetchFn = (globalThis as { fetch?: (url: string) => Promise<WasmResponse> }).fetch;
  await Promise.all(builds.map(async (build) => {
    // A build compiled before is kept, unless a source is given for it now: that one replaces it.
    if (compiled.has(build) && sources[build] === undefined) return;
    compiled.delete(build);
    const source = sources[build] ?? wasmBuildUrl(build);
    try {
      let module: WasmModule;
      if (typeof source === "string" || source instanceof URL) {
        if (reader !== null && sources[build] === undefined) {
          module = await api.compile(reader(build, new URL(String(source))));
        } else {
          if (fetchFn === undefined) throw new Error("no fetch() to download the module with");
          const response = fetchFn(String(source));
          const ok = async (r: WasmResponse) => {
            if (!r.ok) throw new Error(`fetch ${String(source)} answered ${r.status}`);
            return r;
          };
          module = api.compileStreaming !== undefined
            ? await api.compileStreaming(response.then(ok)).catch(async () => api.compile(await (await ok(await response)).arrayBuffer()))
            : await api.compile(await (await ok(await response)).arrayBuffer());
        }
      } else {
        module = await api.compile(source);
      }
      compiled.set(build, module);
    } catch (e) {
      failed[build] = (e as Error).message;
    }
  }));
  // In the builds' order, not the order the compilations happened to settle in.
  const ordered: Partial<Record<WasmBuild, string>> = {};
  for (const b of builds) if (failed[b] !== undefined) ordered[b] = failed[b];
  return { compiled: builds.filter((b) => compiled.has(b)), failed: ordered };
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
   * Load a relaxed-SIMD build (fused multiply-add) instead of a strict one, with no fallback:
   * the caller asked for that arithmetic. `shared`, `sharedBytes` and `simdBytes` then apply
   * to the relaxed pair. Default false: the relaxed builds are never picked unasked.
   */
  relaxed?: boolean;
  /** The relaxed-SIMD feature test, replaceable like `probe`. */
  relaxedProbe?: () => boolean;
  /**
   * Module bytes supplied by the caller instead of found as the file header says.
   * `simdBytes` without `sharedBytes` skips the shared build: the caller chose its SIMD module.
   */
  sharedBytes?: WasmBytes;
  simdBytes?: WasmBytes;
  scalarBytes?: WasmBytes;
}

/** The kernels, or null and why each build that was tried did not load. */
export interface WasmLoadResult {
  kernels: WasmKernels | null;
  /** One line per build tried and refused, e.g. "simd: no module: …". */
  refused: string[];
}

/** Synchronous loading with the reasons kept (`loadWasmKernels` drops them). */
export function loadWasm(options: LoadWasmOptions = {}): WasmLoadResult {
  const {
    simd, probe = simdSupported, shared, sharedProbe = sharedMemorySupported, relaxed = false, relaxedProbe = relaxedSimdSupported,
    sharedBytes, simdBytes, scalarBytes, ...thresholds
  } = options;
  const refused: string[] = [];
  if (wasmApi() === null) return { kernels: null, refused: ["this engine has no WebAssembly"] };
  const attempt = (build: WasmBuild, bytes: WasmBytes | undefined): WasmKernels | null => {
    try {
      if (bytes !== undefined) return instantiateWasmKernels(bytes, thresholds);
      const module = compiled.get(build);
      if (module !== undefined) return instantiateWasmKernels(module, thresholds);
      if (reader === null) {
        throw new Error("no module: compile it first (`await initBackend()`), or pass its bytes");
      }
      return instantiateWasmKernels(reader(build, wasmBuildUrl(build)), thresholds);
    } catch (e) {
      refused.push(`${build}: ${(e as Error).message}`);
      return null;
    }
  };
  /** The shared-memory build of a SIMD pair where wanted and possible, else the private-memory one. */
  const attemptPair = (sharedBuild: WasmBuild, privateBuild: WasmBuild): WasmKernels | null => {
    // Bytes for the private-memory build and none for the shared one name the module wanted.
    if ((shared ?? sharedProbe()) && (sharedBytes !== undefined || simdBytes === undefined)) {
      const k = attempt(sharedBuild, sharedBytes);
      if (k !== null) return k;
    }
    return attempt(privateBuild, simdBytes);
  };
  if (relaxed) {
    if (!relaxedProbe()) return { kernels: null, refused: [`relaxed: ${RELAXED_SIMD_MISSING}`] };
    return { kernels: attemptPair("relaxed-shared", "relaxed"), refused };
  }
  if (simd ?? probe()) {
    const k = attemptPair("simd-shared", "simd");
    if (k !== null) return { kernels: k, refused };
  } else if (simd === undefined) {
    refused.push("simd: this engine does not validate 128-bit SIMD");
  }
  return { kernels: attempt("scalar", scalarBytes), refused };
}

/**
 * The wasm kernels, or null when no build can be loaded here: the shared-memory SIMD build
 * where the probes find SIMD and shared memory, else the private-memory SIMD build, else
 * (or if those fail to load) the scalar build. With `relaxed`, the relaxed-SIMD pair the same
 * way, and nothing else.
 */
export function loadWasmKernels(options: LoadWasmOptions = {}): WasmKernels | null {
  return loadWasm(options).kernels;
}

/** Instantiates a compiled build without blocking (a browser's main thread must). */
export async function loadCompiledBuild(build: WasmBuild, options: WasmKernelOptions = {}): Promise<WasmKernels> {
  const module = compiled.get(build);
  if (module === undefined) throw new Error(`${build}: not compiled`);
  return instantiateWasmKernelsAsync(module, options);
}
