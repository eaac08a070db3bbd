/**
 * Which kernels run: chosen by name with `useBackend`, or, when nothing was chosen, the
 * best one available, picked lazily on first use (WebAssembly SIMD, else scalar
 * WebAssembly, else the TypeScript reference with a one-line warning). `backendInfo()` says
 * which is active and why. Reads no environment: the Node layer maps RNNKIT_BACKEND and
 * RNNKIT_THREADS onto these calls.
 *
 * Where modules must compile asynchronously (a browser page or worker), `await
 * initBackend()` once before first use; in Node the package's entry registers a file reader
 * and nothing needs awaiting.
 *
 * @example
 * import { initBackend, backendInfo, useBackend } from "rnnkit";
 * await initBackend();                 // browser: compiles the builds this engine can run
 * console.log(backendInfo().name);     // "wasm-simd"
 * useBackend("ts");                    // the reference kernels, explicitly
 */
import { chosenKernels, setDefaultKernels, kernels, useKernels, type Kernels } from "./kernels.js";
import { tsKernels } from "./ts/index.js";
import {
  compileWasmBuilds, loadCompiledBuild, loadWasm, relaxedBuilds, relaxedSimdSupported, RELAXED_SIMD_MISSING, simdSupported, usableBuilds,
  type WasmBuild, type WasmBuildSource, type WasmBytes, type WasmKernelOptions, type WasmKernels,
} from "./wasm/index.js";
import type { SpawnHelpers } from "./wasm/kernels.js";
import { spawnWebHelpers } from "./wasm/threads-web.js";
import { wasmApi } from "./wasm/api.js";

/**
 * The backends by name: the TypeScript reference, the WebAssembly builds, and the native
 * kernels (Node only: a C addon compiled when the package is installed). "wasm-relaxed" (SIMD
 * with fused multiply-add, `f32x4.relaxed_madd`) is opt-in only and never the default:
 * whether it fuses depends on the machine, so its bits may differ from the other backends'
 * and between machines, where a seed otherwise gives the same bits in Node and in a browser.
 */
export type BackendName = "ts" | "wasm-scalar" | "wasm-simd" | "wasm-relaxed" | "native";

export const BACKEND_NAMES: readonly BackendName[] = Object.freeze(["ts", "wasm-scalar", "wasm-simd", "wasm-relaxed", "native"]);

/** What is active, and why. */
export interface BackendInfo {
  readonly name: BackendName;
  /** "chosen" by `useBackend`/`initBackend({ backend })`, or the lazy "default". */
  readonly how: "chosen" | "default";
  /** Why this one: what was chosen, or what the default tried and found. */
  readonly reason: string;
  /** Whether the kernels compute in a shared memory (wasm-simd and wasm-relaxed; needed for threads). */
  readonly sharedMemory: boolean;
  /** Threads that large products run on (see `setThreads`). */
  readonly threads: number;
  /**
   * Bytes now allocated in the kernels' own memory (wasm-simd in shared memory: parameters,
   * workspaces, scratch; see docs/memory.md), 0 for backends that compute on ordinary arrays.
   */
  readonly memoryBytes: number;
}

/** A backend that cannot be used here; the message says why. */
export class BackendError extends Error {
  constructor(readonly backend: BackendName, reason: string) {
    super(`backend '${backend}' cannot be used: ${reason}`);
    this.name = "BackendError";
  }
}

export interface UseBackendOptions extends WasmKernelOptions {
  /** wasm-simd, wasm-relaxed: compute in a shared memory (threads, no copies)? Default: where the engine can. */
  shared?: boolean;
  /** The module bytes of the build to load, instead of finding them. */
  bytes?: WasmBytes;
  /**
   * native: the GEMM micro-kernels, "avx512" | "avx2" | "generic" (default: the best this
   * CPU runs; all give the same bits). For tests and benchmarks.
   */
  variant?: "avx512" | "avx2" | "generic";
}

/**
 * Kernels that a platform layer provides outside WebAssembly, with their own thread pool:
 * rnnkit's Node entry registers the native addon's.
 */
export interface PlatformKernels extends Kernels {
  /** Threads that large products run on, the calling one included. */
  readonly threads: number;
  /** Sets the pool's threads; returns the number in effect. */
  setThreads(n: number): number;
  /** What runs, for `backendInfo().reason` (e.g. the GEMM micro-kernels). */
  readonly variant?: string;
}

/**
 * Loads the platform's native kernels, or throws an Error saying why they cannot load (or, as
 * the default, why they should not be: slower here than WebAssembly SIMD).
 */
export type NativeLoader = (options: UseBackendOptions, asDefault: boolean) => PlatformKernels;

const reasons = new WeakMap<Kernels, { how: "chosen" | "default"; reason: string }>();
let spawner: SpawnHelpers | null = null;
let nativeLoader: NativeLoader | null = null;
let warn: (message: string) => void = (m) => console.warn(m);

function isWasm(k: Kernels): k is WasmKernels {
  return typeof (k as Partial<WasmKernels>).setThreadsAsync === "function";
}

function isPlatform(k: Kernels): k is PlatformKernels {
  return !isWasm(k) && typeof (k as Partial<PlatformKernels>).setThreads === "function";
}

function threadsOf(k: Kernels): number {
  return isWasm(k) || isPlatform(k) ? k.threads : 1;
}

function infoOf(k: Kernels): BackendInfo {
  const why = reasons.get(k) ?? { how: "chosen" as const, reason: "set directly as kernels" };
  const name = (BACKEND_NAMES as readonly string[]).includes(k.name) ? (k.name as BackendName) : "ts";
  return {
    name, ...why, sharedMemory: isWasm(k) && k.shared, threads: threadsOf(k), memoryBytes: k.memory?.liveBytes ?? 0,
  };
}

/**
 * Makes `k` active; the kernels it replaces stop their helper threads (they would otherwise
 * wait for work that never comes).
 */
function activate(k: Kernels): void {
  const previous = chosenKernels();
  if (previous !== null && previous !== k && isWasm(previous) && previous.threads > 1) previous.setThreads(1, () => null);
  if (previous !== null && previous !== k && isPlatform(previous) && previous.threads > 1) previous.setThreads(1);
  useKernels(k);
}

function wasmOptions(name: "wasm-scalar" | "wasm-simd" | "wasm-relaxed", options: UseBackendOptions) {
  const { shared, bytes, variant: _variant, ...thresholds } = options;
  return name === "wasm-scalar"
    ? { ...thresholds, simd: false, scalarBytes: bytes }
    : { ...thresholds, simd: true, relaxed: name === "wasm-relaxed", probe: () => true, shared, simdBytes: shared === true ? undefined : bytes, sharedBytes: shared === true ? bytes : undefined };
}

/**
 * Makes `name` the active backend, or throws a `BackendError` saying why it cannot load
 * here (no WebAssembly, no SIMD, no module compiled or found). Thresholds in `options`
 * route small calls of a wasm backend to TypeScript; 0 sends every call to wasm.
 */
export function useBackend(name: BackendName, options: UseBackendOptions = {}): BackendInfo {
  let k: Kernels;
  if (name === "ts") {
    k = tsKernels;
  } else if (name === "wasm-simd" || name === "wasm-scalar" || name === "wasm-relaxed") {
    if (name === "wasm-simd" && wasmApi() !== null && !simdSupported()) throw new BackendError(name, "this engine does not validate 128-bit SIMD");
    if (name === "wasm-relaxed" && wasmApi() !== null && !relaxedSimdSupported()) throw new BackendError(name, RELAXED_SIMD_MISSING);
    const { kernels: loaded, refused } = loadWasm(wasmOptions(name, options));
    if (loaded === null || loaded.name !== name) throw new BackendError(name, refused.join("; ") || "no build loaded");
    k = loaded;
  } else if (name === "native") {
    if (nativeLoader === null) throw new BackendError(name, "native kernels run only in Node, loaded by rnnkit's Node entry");
    try {
      k = nativeLoader(options, false);
    } catch (e) {
      throw new BackendError(name, (e as Error).message);
    }
  } else {
    const unknown: never = name;
    throw new BackendError(unknown, `unknown backend (expected one of ${BACKEND_NAMES.join(", ")})`);
  }
  reasons.set(k, { how: "chosen", reason: `chosen by useBackend('${name}')` });
  activate(k);
  return infoOf(k);
}

/** The reason recorded for a default pick: the build, and why better ones were passed over. */
function defaultReason(k: WasmKernels, passedOver: string[]): string {
  const also = passedOver.length > 0 ? ` (${passedOver.join("; ")})` : "";
  return `best available: ${k.name}${k.shared ? " in shared memory" : ""}${also}`;
}

/**
 * The platform's native kernels as the default, or null (with why in `passedOver`). Returns
 * whether the reason still needs saying: false where the loader's error is marked
 * `announced` (the build failed at install and said why then).
 */
function nativeDefault(passedOver: string[]): { kernels: PlatformKernels | null; unannounced: boolean } {
  if (nativeLoader === null) return { kernels: null, unannounced: false };
  try {
    const k = nativeLoader({}, true);
    reasons.set(k, { how: "default", reason: `best available: native${k.variant === undefined ? "" : ` (${k.variant} GEMM)`}` });
    return { kernels: k, unannounced: false };
  } catch (e) {
    passedOver.push(`native: ${(e as Error).message}`);
    return { kernels: null, unannounced: (e as { announced?: boolean }).announced !== true };
  }
}

/**
 * The best backend that loads without waiting: native where the platform has it, else
 * WebAssembly. Warns once when native could not load for a reason not yet said (npm
 * skipped the install script, an addon that no longer loads; a build that failed at install
 * said why then, and `backendInfo().reason` keeps it), and when it has to be the TypeScript
 * kernels.
 */
function pickDefault(): Kernels {
  const passedOver: string[] = [];
  const native = nativeDefault(passedOver);
  if (native.kernels !== null) return native.kernels;
  const { kernels: k, refused } = loadWasm();
  if (k !== null) {
    reasons.set(k, { how: "default", reason: defaultReason(k, [...passedOver, ...refused]) });
    if (native.unannounced) {
      warn(`rnnkit: running on ${k.name}, not the native kernels (${passedOver.join("; ")}); choosing a backend by name silences this.`);
    }
    return k;
  }
  const why = refused.join("; ");
  reasons.set(tsKernels, { how: "default", reason: `WebAssembly kernels unavailable: ${why}` });
  warn(
    `rnnkit: using the TypeScript reference kernels, many times slower than WebAssembly (${why}). ` +
    "In a browser, `await initBackend()` before first use; `useBackend(\"ts\")` chooses them explicitly.",
  );
  return tsKernels;
}
setDefaultKernels(pickDefault);

/** The active backend and why (picks the default first if nothing was chosen yet). */
export function backendInfo(): BackendInfo {
  return infoOf(kernels());
}

export interface InitBackendOptions extends UseBackendOptions {
  /** Choose this backend once compiled (throws if it cannot load); default: the best available. */
  backend?: BackendName;
  /** Where to fetch builds from instead of next to the library's files (a URL or the bytes). */
  sources?: Partial<Record<WasmBuild, WasmBuildSource>>;
  /** Threads for large products once loaded (`startThreads`); default 1. */
  threads?: number;
}

/** The builds to try for `backend` (undefined: the best available), best first. */
function buildsFor(backend: BackendName | undefined, shared: boolean | undefined): WasmBuild[] {
  if (backend === "ts") return [];
  if (backend === "wasm-scalar") return ["scalar"];
  if (backend === "wasm-relaxed") return relaxedBuilds().filter((b) => shared === undefined || b === (shared ? "relaxed-shared" : "relaxed"));
  const usable = usableBuilds().filter((b) => shared === undefined || b !== (shared ? "simd" : "simd-shared"));
  return backend === "wasm-simd" ? usable.filter((b) => b !== "scalar") : usable;
}

/**
 * Compiles the WebAssembly builds this engine can run, without blocking, then makes the
 * named backend (or the best available) active. The one `await` a browser page or worker
 * needs before first use; harmless in Node. Throws `BackendError` only when a backend was
 * named and cannot load; with none named and no build compiled, the TypeScript kernels
 * become the default (with the usual warning).
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const { backend, sources, shared, bytes: _bytes, threads: threadCount = 1, ...thresholds } = options;
  if (backend === "ts") return useBackend("ts");
  if (backend === "wasm-relaxed" && wasmApi() !== null && !relaxedSimdSupported()) throw new BackendError(backend, RELAXED_SIMD_MISSING);
  if (!Number.isInteger(threadCount) || threadCount < 1) {
    throw new RangeError(`initBackend: threads must be a positive integer, got ${threadCount}`);
  }
  const passedOver: string[] = [];
  if (backend === "native") {
    useBackend("native", thresholds);
    reasons.set(kernels(), { how: "chosen", reason: "chosen by initBackend({ backend: 'native' })" });
    if (threadCount > 1) setThreads(threadCount);
    return backendInfo();
  }
  if (backend === undefined) {
    const native = nativeDefault(passedOver).kernels;
    if (native !== null) {
      activate(native);
      if (threadCount > 1) native.setThreads(threadCount);
      return infoOf(native);
    }
  }
  const wanted = buildsFor(backend, shared);
  const { compiled, failed } = await compileWasmBuilds(sources, wanted);
  passedOver.push(...Object.entries(failed).map(([b, why]) => `${b}: ${why}`));
  for (const build of compiled) {
    try {
      const k = await loadCompiledBuild(build, thresholds);
      const reason = backend === undefined ? defaultReason(k, passedOver) : `chosen by initBackend({ backend: '${backend}' })`;
      reasons.set(k, { how: backend === undefined ? "default" : "chosen", reason });
      activate(k);
      if (threadCount > 1) await startThreads(threadCount);
      return infoOf(k);
    } catch (e) {
      passedOver.push(`${build}: ${(e as Error).message}`);
    }
  }
  if (backend !== undefined) throw new BackendError(backend, passedOver.join("; ") || "no build for this engine");
  useKernels(null);
  return backendInfo();
}

/**
 * Registers (or with null, removes) how the platform loads native kernels: rnnkit's Node
 * entry registers the addon. With one registered, `useBackend("native")` works and the
 * default backend is native wherever it loads.
 */
export function setNativeLoader(load: NativeLoader | null): void {
  nativeLoader = load;
}

/**
 * Registers how helper threads start on this platform (the Node entry registers
 * worker_threads); without one, `setThreads` keeps one thread.
 */
export function setHelperSpawner(spawn: SpawnHelpers | null): void {
  spawner = spawn;
}

/** Replaces where the fallback warning goes (default console.warn); tests capture it. */
export function setBackendWarning(sink: (message: string) => void): void {
  warn = sink;
}

/**
 * Splits the active wasm kernels' large GEMMs between n threads: the calling one and n − 1
 * helpers on the same shared memory. Returns the number of threads in effect: 1 where the
 * active kernels cannot use helpers (the TypeScript kernels, a private-memory build) or
 * this platform starts none. Results are the same bits for every n. Default: 1.
 * @example setThreads(2);
 */
export function setThreads(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: n must be a positive integer, got ${n}`);
  const k = kernels();
  if (isPlatform(k)) return k.setThreads(n);
  if (!isWasm(k)) return 1;
  if (spawner === null) return n === 1 ? k.setThreads(1, () => null) : 1;
  return k.setThreads(n, spawner);
}

/**
 * `setThreads` wherever helpers start asynchronously too: in a browser page or worker that is
 * cross-origin isolated (the shared-memory build), helpers are module Web Workers; in Node, the
 * same as `setThreads`. Resolves to the threads in effect (1 where none can start).
 * @example await startThreads(navigator.hardwareConcurrency);
 */
export async function startThreads(n: number): Promise<number> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`startThreads: n must be a positive integer, got ${n}`);
  const k = kernels();
  if (spawner !== null || isPlatform(k)) return setThreads(n);
  return isWasm(k) ? k.setThreadsAsync(n, spawnWebHelpers) : 1;
}

/** Threads the active kernels' large products run on. */
export function threads(): number {
  return threadsOf(kernels());
}
