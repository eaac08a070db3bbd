/**
 * Choosing the backend: by name (`useBackend`, which throws saying why a backend cannot
 * load), lazily by default (native where the platform registered it and it loads, else the
 * best WebAssembly build, else the TypeScript reference, warning once when passing native or
 * WebAssembly over), asynchronously (`initBackend`, what a browser does), and `backendInfo`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { kernels, useKernels } from "../src/backend/kernels.js";
import {
  BackendError, backendInfo, initBackend, setBackendWarning, setNativeLoader, setThreads, useBackend,
} from "../src/backend/select.js";
import { setWasmBytesReader, sharedMemorySupported, simdSupported } from "../src/backend/wasm/index.js";
import { nodeNativeLoader, readWasmBuild } from "../src/node/platform.js";
import { nativeUnavailable } from "./support/backends.js";
import { configureFromEnvironment } from "../src/node/environment.js";
import { LSTM } from "../src/nn/recurrent.js";
import { Rng } from "../src/tensor/random.js";
import { Tensor } from "../src/tensor/tensor.js";

const JUNK = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x99]);

/** Runs `body` with the backend state restored afterwards (and warnings captured). */
function isolated(body: (warnings: string[]) => void | Promise<void>) {
  return async () => {
    const before = kernels();
    const warnings: string[] = [];
    setBackendWarning((m) => warnings.push(m));
    try {
      await body(warnings);
    } finally {
      setBackendWarning((m) => console.warn(m));
      setWasmBytesReader(readWasmBuild);
      setNativeLoader(nodeNativeLoader);
      useKernels(before);
    }
  };
}

test("useBackend picks each backend by name and says so", isolated(() => {
  assert.ok(simdSupported(), "Node 20 validates 128-bit SIMD");
  for (const name of ["ts", "wasm-scalar", "wasm-simd"] as const) {
    const info = useBackend(name);
    assert.equal(info.name, name);
    assert.equal(info.how, "chosen");
    assert.match(info.reason, new RegExp(`useBackend\\('${name}'\\)`));
    assert.equal(kernels().name, name);
    assert.deepEqual(backendInfo(), info);
  }
  assert.equal(useBackend("wasm-simd").sharedMemory, sharedMemorySupported());
  assert.equal(useBackend("wasm-simd", { shared: false }).sharedMemory, false);
}));

test("useBackend throws a BackendError with the reason, and the active backend stays", isolated(() => {
  useBackend("ts");
  assert.throws(() => useBackend("wasm-simd", { bytes: JUNK, shared: false }), (e: unknown) =>
    e instanceof BackendError && e.backend === "wasm-simd" && /cannot be used: simd: /.test(e.message));
  assert.throws(() => useBackend("wasm-scalar", { bytes: JUNK }), /backend 'wasm-scalar' cannot be used: scalar: /);
  assert.throws(() => useBackend("gpu" as never), /unknown backend \(expected one of ts, wasm-scalar, wasm-simd, wasm-relaxed, native\)/);
  if (nativeUnavailable() === null) {
    assert.throws(() => useBackend("native", { variant: "sse9" as never }), /backend 'native' cannot be used: GEMM variant 'sse9' is not available here/);
  }
  assert.equal(backendInfo().name, "ts");
}));

const noNative = nativeUnavailable();

test("in Node the lazy default is native, naming its GEMM variant, without a warning", { skip: noNative ?? false }, isolated((warnings) => {
  useKernels(null);
  const info = backendInfo();
  assert.equal(info.name, "native");
  assert.equal(info.how, "default");
  assert.match(info.reason, /^best available: native \((avx512|avx2|generic) GEMM\)$/);
  assert.equal(setThreads(2), 2);
  assert.equal(backendInfo().threads, 2);
  assert.equal(setThreads(1), 1);
  assert.deepEqual(warnings, []);
}));

test("where the native kernels do not load, the default is WebAssembly, with one warning saying why", isolated((warnings) => {
  setNativeLoader(() => {
    throw new Error("not built when installed: no C compiler found");
  });
  useKernels(null);
  const info = backendInfo();
  assert.equal(info.name, "wasm-simd");
  assert.match(info.reason, /^best available: wasm-simd in shared memory \(native: not built when installed: no C compiler found\)$/);
  backendInfo();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^rnnkit: running on wasm-simd, not the native kernels \(native: not built when installed: no C compiler found\)/);
  assert.throws(() => useBackend("native"), (e: unknown) =>
    e instanceof BackendError && e.message === "backend 'native' cannot be used: not built when installed: no C compiler found");
  setNativeLoader(null);
  assert.throws(() => useBackend("native"), /native kernels run only in Node, loaded by rnnkit's Node entry/);
}));

test("a native build that failed at install and said so then: WebAssembly by default, the reason kept, no warning", isolated((warnings) => {
  setNativeLoader(() => {
    throw Object.assign(new Error("not built when installed: no C compiler found"), { announced: true });
  });
  useKernels(null);
  assert.equal(backendInfo().name, "wasm-simd");
  assert.match(backendInfo().reason, /\(native: not built when installed: no C compiler found\)$/);
  assert.deepEqual(warnings, []);
}));

test("without native kernels (a browser), the lazy default is the best WebAssembly build, picked on first use, without a warning", isolated((warnings) => {
  setNativeLoader(null);
  useKernels(null);
  const lstm = new LSTM({ inputSize: 2, hiddenSize: 4, rng: new Rng(0) }); // first use picks
  assert.equal(lstm.forward(Tensor.zeros([3, 1, 2])).output.shape.join(), "3,1,4");
  const info = backendInfo();
  assert.equal(info.name, "wasm-simd");
  assert.equal(info.how, "default");
  assert.match(info.reason, /^best available: wasm-simd/);
  assert.deepEqual(warnings, []);
}));

test("with no module to be had, the default falls back to TypeScript with one warning naming why", isolated((warnings) => {
  setNativeLoader(null);
  setWasmBytesReader(null);
  useKernels(null);
  const info = backendInfo();
  assert.equal(info.name, "ts");
  assert.equal(info.how, "default");
  assert.match(info.reason, /WebAssembly kernels unavailable: .*no module: compile it first/);
  backendInfo();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^rnnkit: using the TypeScript reference kernels.*await initBackend\(\)/);
  assert.throws(() => useBackend("wasm-simd"), /no module: compile it first \(`await initBackend\(\)`\)/);
}));

test("initBackend compiles without blocking, then makes the best (or the named) backend active", isolated(async () => {
  setNativeLoader(null);
  setWasmBytesReader(null);
  useKernels(null);
  const sources = {
    "simd-shared": readWasmBuild("simd-shared"), simd: readWasmBuild("simd"), scalar: readWasmBuild("scalar"),
  };
  const info = await initBackend({ sources });
  assert.equal(info.name, "wasm-simd");
  assert.equal(info.how, "default");
  const scalar = await initBackend({ backend: "wasm-scalar", sources });
  assert.equal(scalar.name, "wasm-scalar");
  assert.equal(scalar.how, "chosen");
  // Compiled ahead, the builds now load synchronously too, with no reader.
  assert.equal(useBackend("wasm-simd").name, "wasm-simd");
  assert.equal((await initBackend({ backend: "ts" })).name, "ts");
}));

test("initBackend in Node: native by default, or by name, with threads", { skip: noNative ?? false }, isolated(async () => {
  useKernels(null);
  const info = await initBackend({ threads: 2 });
  assert.equal(info.name, "native");
  assert.equal(info.threads, 2);
  const named = await initBackend({ backend: "native", variant: "generic" });
  assert.equal(named.name, "native");
  assert.equal(named.how, "chosen");
  assert.equal(named.threads, 1);
}));

test("initBackend with nothing that compiles: a named backend throws; the default falls back with the warning", isolated(async (warnings) => {
  setNativeLoader(null);
  setWasmBytesReader(null);
  useKernels(null);
  const sources = { "simd-shared": JUNK, simd: JUNK, scalar: JUNK };
  await assert.rejects(initBackend({ backend: "wasm-simd", sources }), (e: unknown) =>
    e instanceof BackendError && /cannot be used: simd-shared: .*; simd: /.test(e.message));
  await assert.rejects(initBackend({ backend: "wasm-scalar", sources }), /backend 'wasm-scalar' cannot be used: scalar: /);
  const info = await initBackend({ sources });
  assert.equal(info.name, "ts");
  assert.equal(warnings.length, 1);
}));

test("setThreads rejects a bad count and keeps one thread on the TypeScript kernels", isolated(() => {
  useBackend("ts");
  assert.equal(setThreads(3), 1);
  assert.throws(() => setThreads(0), /positive integer, got 0/);
}));

test("the Node layer maps RNNKIT_BACKEND and RNNKIT_THREADS onto the calls, and refuses bad values", isolated(() => {
  assert.equal(configureFromEnvironment({ RNNKIT_BACKEND: "wasm-scalar" }).name, "wasm-scalar");
  assert.equal(configureFromEnvironment({ RNNKIT_BACKEND: "wasm" }).name, "wasm-simd");
  const two = configureFromEnvironment({ RNNKIT_BACKEND: "wasm-simd", RNNKIT_THREADS: "2" });
  assert.equal(two.threads, 2);
  assert.equal(configureFromEnvironment({ RNNKIT_THREADS: "1" }).threads, 1);
  if (noNative === null) assert.equal(configureFromEnvironment({ RNNKIT_BACKEND: "native", RNNKIT_THREADS: "2" }).threads, 2);
  assert.throws(() => configureFromEnvironment({ RNNKIT_BACKEND: "gpu" }), /RNNKIT_BACKEND must be one of ts, wasm-scalar, wasm-simd, wasm-relaxed, native or wasm, got 'gpu'/);
  assert.throws(() => configureFromEnvironment({ RNNKIT_THREADS: "0" }), /RNNKIT_THREADS must be a positive integer, got '0'/);
  assert.equal(configureFromEnvironment({}).name, backendInfo().name, "an empty environment changes nothing");
}));
