/**
 * Test support (no tests here): the three kernel backends as the tests use them — the
 * TypeScript reference, and the scalar and SIMD WebAssembly builds with their routing
 * thresholds off, so that every float32 call of any size runs in wasm (float64 always runs
 * on the TypeScript kernels) — and `forEachBackend`, which defines a block of tests once per
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
import { useBackend, type BackendName, type UseBackendOptions } from "../../src/backend/select.js";

/** Thresholds of zero: every float32 call goes to the wasm kernels, however small. */
export const FORCED_WASM: Readonly<UseBackendOptions> = Object.freeze({ minGemmWork: 0, minGateUnits: 0 });

export interface TestBackend {
  readonly name: BackendName;
  /** What `useBackend` is given for it. */
  readonly options: Readonly<UseBackendOptions>;
}

/** Every backend, in the order the suites run: the reference first. */
export const TEST_BACKENDS: readonly TestBackend[] = Object.freeze([
  { name: "ts", options: {} },
  { name: "wasm-scalar", options: FORCED_WASM },
  { name: "wasm-simd", options: FORCED_WASM },
]);

const loaded = new Map<BackendName, Kernels>();

/**
 * The kernels of one test backend: loaded by `useBackend` on first use and kept, so every
 * suite of a process runs on the same instance (a wasm instance owns its memory). Leaves the
 * active backend as it was. Throws, saying why, when the backend cannot load here.
 */
export function backendKernels(name: BackendName): Kernels {
  let k = loaded.get(name);
  if (k === undefined) {
    const backend = TEST_BACKENDS.find((b) => b.name === name);
    if (backend === undefined) throw new Error(`no test backend named ${name}`);
    const before = kernels();
    try {
      useBackend(name, backend.options);
      k = kernels();
    } finally {
      useKernels(before);
    }
    loaded.set(name, k);
  }
  return k;
}

/** The backends active before each `activate`, innermost last. */
const previous: Kernels[] = [];

function activate(name: BackendName): void {
  // Pushed first: afterEach restores it even when the backend fails to load.
  previous.push(kernels());
  useKernels(backendKernels(name));
}

function restore(): void {
  const before = previous.pop();
  if (before === undefined) throw new Error("forEachBackend: a restore without an activate");
  useKernels(before);
}

/**
 * Defines `body`'s tests once per backend, each time inside a `describe` named after the
 * backend ("backend wasm-scalar"), whose hooks make that backend active around each of its
 * tests and restore the previous one after.
 */
export function forEachBackend(body: (backend: TestBackend) => void): void {
  for (const backend of TEST_BACKENDS) {
    describe(`backend ${backend.name}`, () => {
      beforeEach(() => activate(backend.name));
      afterEach(() => restore());
      body(backend);
    });
  }
}
