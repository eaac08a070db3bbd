// AssemblyScript entry of rnnkit's WebAssembly kernels: what the module exports. Built five
// times by `npm run build:wasm` into build/src/backend/wasm/: with SIMD (kernels-simd.wasm,
// and kernels-simd-shared.wasm on a shared memory), with relaxed SIMD as well
// (kernels-relaxed.wasm, kernels-relaxed-shared.wasm) and without SIMD (kernels-scalar.wasm);
// src/backend/wasm loads one and wraps it as `Kernels`. The module owns no data: the caller
// places operands and scratch after `heapBase()`.
export { affine, gemm, gemmWorkspaceBytes } from "./gemm";
export {
  gruGatesBackward, gruGatesForward, gruResetBeforeBackward, gruResetBeforeForward, lstmGatesBackward, lstmGatesForward,
  rnnGatesBackward, rnnGatesForward,
} from "./gates";

/** First byte the caller may use: everything from here on is free linear memory. */
export function heapBase(): usize {
  return __heap_base;
}

/** f32 lanes per vector op: 4 for the SIMD build, 1 for the scalar one (the loader reports it). */
export function simdLanes(): i32 {
  return ASC_FEATURE_SIMD ? 4 : 1;
}

/** Whether this build multiply-adds with relaxed SIMD (kernels/gemm.ts `madd`; the loader names it after this). */
export function relaxedSimd(): bool {
  return ASC_FEATURE_RELAXED_SIMD;
}
