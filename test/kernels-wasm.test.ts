// What only the WebAssembly backends have: both builds load, the SIMD build where the probe
// finds SIMD; the loader's probe and fallbacks; the routing thresholds (float64 and small
// float32 calls run the TypeScript kernels, bit for bit); and every PyTorch layer fixture in
// float32 with the default thresholds. The kernels' arithmetic, on every backend with every
// call forced to it, is tested in kernels.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tsKernels } from "../src/backend/ts/index.js";
import { kernels, useKernels } from "../src/backend/kernels.js";
import {
  defaultWasmKernelOptions, loadWasm, loadWasmKernels, simdSupported, type WasmKernelOptions, type WasmKernels,
} from "../src/backend/wasm/index.js";
import "../src/node/platform.js";
import { layerFamily } from "../src/fixtures/layers.js";
import { Rng } from "../src/tensor/random.js";
import type { Floats } from "../src/tensor/tensor.js";
import { readFixtureCases, runPassingCase } from "./support/fixtures.js";
import { randomF32 } from "./support/random.js";

function load(simd: boolean, options: WasmKernelOptions = {}): WasmKernels {
  const k = loadWasmKernels({ simd, ...options });
  assert.ok(k !== null, "the wasm kernels did not load: run `npm run build` (build:wasm) first");
  return k;
}

test("both builds load; the SIMD build where the probe finds SIMD (every Node this package supports)", () => {
  // engines: node >= 20, whose V8 validates 128-bit SIMD.
  assert.equal(simdSupported(), true);
  const [simd, scalar] = [load(true), load(false)];
  assert.equal(simd.name, "wasm-simd");
  assert.equal(simd.lanes, 4);
  assert.equal(scalar.name, "wasm-scalar");
  assert.equal(scalar.lanes, 1);
  assert.equal(loadWasmKernels()?.name, "wasm-simd");
});

test("probe and fallbacks: no SIMD → scalar build; unloadable builds → null, with the reasons", () => {
  assert.equal(loadWasmKernels({ probe: () => false })?.name, "wasm-scalar");
  const junk = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x99]);
  assert.equal(loadWasmKernels({ simdBytes: junk })?.name, "wasm-scalar");
  const none = loadWasm({ simdBytes: junk, scalarBytes: junk });
  assert.equal(none.kernels, null);
  assert.equal(none.refused.length, 2);
  assert.match(none.refused[0], /^simd: /);
  assert.match(none.refused[1], /^scalar: /);
});

test("default thresholds: float64 and small float32 calls run the TS kernels (bit-identical results)", () => {
  const K = load(true, defaultWasmKernelOptions);
  const rng = new Rng(33);
  const cases: Array<[Floats, number, number, number]> = [
    [new Float64Array(0), 40, 30, 20], // float64 of any size
    [new Float32Array(0), 4, 5, 6], // m·n·k below minGemmWork
  ];
  for (const [proto, m, n, k] of cases) {
    const make = (len: number): Floats => {
      const x = proto instanceof Float64Array ? new Float64Array(len) : new Float32Array(len);
      x.set(randomF32(rng, len));
      return x;
    };
    const a = make(m * k), b = make(k * n);
    const c1 = make(m * n), c2 = Float64Array.from(c1);
    const c2typed = proto instanceof Float64Array ? c2 : Float32Array.from(c2);
    K.gemm(false, true, m, n, k, 1, a, 0, k, b, 0, k, 1, c1, 0, n);
    tsKernels.gemm(false, true, m, n, k, 1, a, 0, k, b, 0, k, 1, c2typed, 0, n);
    assert.deepEqual(Array.from(c1), Array.from(c2typed));
  }
  const pre = new Float64Array([0.5, -3, 20]), h1 = new Float64Array(3), h2 = new Float64Array(3);
  K.rnnGatesForward("tanh", 3, pre, h1);
  tsKernels.rnnGatesForward("tanh", 3, pre, h2);
  assert.deepEqual(Array.from(h1), Array.from(h2));
});

// ---------------------------------------------------------------------------------------------
// PyTorch layer fixtures in float32 with the default thresholds (most calls of these small
// layers then run on the TypeScript kernels; recurrent.test.ts runs them with every call
// forced to each backend)

const layerCases = readFixtureCases("rnn_layers.json");

test("rnn_layers.json: every case passes in float32 with wasm-simd at the default thresholds", async (t) => {
  const K = load(true, defaultWasmKernelOptions);
  const before = kernels();
  useKernels(K);
  try {
    for (const c of layerCases) {
      await t.test(c.name, () => {
        assert.equal(kernels(), K);
        const cmp = runPassingCase(layerFamily, c, "float32");
        assert.ok(cmp.results.length >= 6, "too few keys checked");
      });
    }
  } finally {
    useKernels(before);
  }
  assert.equal(kernels(), before);
});
