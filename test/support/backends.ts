/**
 * Test support (no tests here): the kernel backends as the tests use them — the
 * TypeScript reference, the scalar, SIMD and relaxed-SIMD WebAssembly builds (SIMD twice:
 * computing in a shared memory, and copying into a private one, as a browser page without
 * cross-origin isolation does) with their routing
 * thresholds off, so that every float32 call of any size runs in wasm (float64 always runs
 * on the TypeScript kernels), and the native kernels three ways (the best GEMM variant of
 * this CPU, the portable one, and 2 threads splitting every product) — and `forEachBackend`, which defines a block of tests once per
 * backend: one `describe` per backend name, each of its tests run with that backend active
 * and the one active before restored after it.
 *
 * The switch happens in `beforeEach` / `afterEach`, so the body must do its work inside the
 * tests: anything it computes while defining them (a model built, `kernels()` read) sees
 * whichever backend was active at definition time, not the suite's.
 *
 * @example
 * forEachBackend((backend) => {
 *   test("a float32 LSTM layer matches its fixtures", () => {
 *     assert.equal(kernels().name, backend.name);
 *     // …
 *   });
 * });
 */
import { afterEach, beforeEach, describe } from "node:test";
import { kernels, useKernels, type Kernels } from "../../src/backend/kernels.js";
import { setThreads, useBackend, type BackendName, type UseBackendOptions } from "../../src/backend/select.js";
import { relaxedSimdSupported } from "../../src/backend/wasm/index.js";

/** Thresholds of zero: every float32 call goes to the wasm kernels, however small. */
export const FORCED_WASM: Readonly<UseBackendOptions> = Object.freeze({ minGemmWork: 0, minGateUnits: 0 });

export interface TestBackend {
  /** What the suites are called: the backend's name, or the build's where one backend has two. */
  readonly label: string;
  readonly name: BackendName;
  /** What `useBackend` is given for it. */
  readonly options: Readonly<UseBackendOptions>;
  /** Threads to run on once loaded (default 1). */
  readonly threads?: number;
  /** Why its suites are skipped in this process (the engine cannot run it), if they are. */
  readonly skip?: string;
}

/** Every backend, in the order the suites run: the reference first. */
export const TEST_BACKENDS: readonly TestBackend[] = Object.freeze([
  { label: "ts", name: "ts", options: {} },
  { label: "wasm-scalar", name: "wasm-scalar", options: FORCED_WASM },
  { label: "wasm-simd", name: "wasm-simd", options: FORCED_WASM },
  // The SIMD build with its own memory, what a page that is not cross-origin isolated runs:
  // every operand is copied in and out, where the shared build computes in place.
  { label: "wasm-simd-private", name: "wasm-simd", options: { ...FORCED_WASM, shared: false } },
  // Fused multiply-add: other bits than the strict builds, which every suite here allows, since
  // each compares with a reference within a tolerance, or two results of the same backend.
  {
    label: "wasm-relaxed", name: "wasm-relaxed", options: FORCED_WASM,
    ...(relaxedSimdSupported() ? {} : { skip: "this engine does not validate relaxed SIMD: run node with --experimental-wasm-relaxed-simd (npm test does)" }),
  },
  { label: "native", name: "native", options: {} },
  { label: "native-generic", name: "native", options: { variant: "generic" } },
  { label: "native-threads", name: "native", options: { minThreadWork: 0 }, threads: 2 },
]);

/**
 * Why the native kernels cannot load here (no compiler when installed, say), or null when
 * they can. With RNNKIT_EXPECT_NATIVE=1 (set by .ci/run), not loading is an error.
 */
export function nativeUnavailable(): string | null {
  try {
    backendKernels("native");
    return null;
  } catch (e) {
    if (process.env.RNNKIT_EXPECT_NATIVE === "1") throw new Error(`RNNKIT_EXPECT_NATIVE=1 but the native kernels do not load: ${(e as Error).message}`);
    return (e as Error).message;
  }
}

const loaded = new Map<string, Kernels>();

/**
 * The kernels of one test backend: loaded by `useBackend` on first use and kept, so every
 * suite of a process runs on the same instance (a wasm instance owns its memory). Leaves the
 * active backend as it was. Throws, saying why, when the backend cannot load here.
 */
export function backendKernels(label: string): Kernels {
  let k = loaded.get(label);
  if (k === undefined) {
    const backend = TEST_BACKENDS.find((b) => b.label === label);
    if (backend === undefined) throw new Error(`no test backend labelled ${label}`);
    const before = kernels();
    try {
      useBackend(backend.name, backend.options);
      k = kernels();
      if (backend.threads !== undefined) setThreads(backend.threads);
    } finally {
      useKernels(before);
    }
    loaded.set(label, k);
  }
  return k;
}

/** The backends active before each `activate`, innermost last. */
const previous: Kernels[] = [];

function activate(label: string): void {
  // Pushed first: afterEach restores it even when the backend fails to load.
  previous.push(kernels());
  useKernels(backendKernels(label));
}

function restore(): void {
  const before = previous.pop();
  if (before === undefined) throw new Error("forEachBackend: a restore without an activate");
  useKernels(before);
}

/**
 * Defines `body`'s tests once per backend, each time inside a `describe` named after the
 * backend ("backend wasm-scalar"), whose hooks make that backend active around each of its
 * tests and restore the previous one after; skipped, saying why, where it cannot run (the
 * relaxed-SIMD build without the engine's support, the native kernels where they do not load).
 */
export function forEachBackend(body: (backend: TestBackend) => void): void {
  for (const backend of TEST_BACKENDS) {
    const skip = backend.skip ?? (backend.name === "native" ? nativeUnavailable() ?? false : false);
    describe(`backend ${backend.label}`, { skip }, () => {
      beforeEach(() => activate(backend.label));
      afterEach(() => restore());
      body(backend);
    });
  }
}
