/**
 * Where the WebAssembly builds of the kernels lie: next to this module once compiled
 * (`npm run build:wasm` writes them to build/src/backend/wasm/, and the package ships them
 * there). Each URL is written as a literal `new URL("./file.wasm", import.meta.url)`, the
 * form that Vite, webpack 5, Rollup and Parcel recognise and copy into a bundle; with
 * esbuild, copy the files next to the bundle. Nothing is read here.
 */

/**
 * The builds: SIMD computing in a shared memory (threads), SIMD with its own memory, scalar;
 * and the opt-in relaxed-SIMD pair (fused multiply-add, in a shared or its own memory).
 */
export type WasmBuild = "simd-shared" | "simd" | "scalar" | "relaxed-shared" | "relaxed";

/** The URL of a build's module file. */
export function wasmBuildUrl(build: WasmBuild): URL {
  switch (build) {
    case "simd-shared":
      return new URL("./kernels-simd-shared.wasm", import.meta.url);
    case "simd":
      return new URL("./kernels-simd.wasm", import.meta.url);
    case "scalar":
      return new URL("./kernels-scalar.wasm", import.meta.url);
    case "relaxed-shared":
      return new URL("./kernels-relaxed-shared.wasm", import.meta.url);
    case "relaxed":
      return new URL("./kernels-relaxed.wasm", import.meta.url);
    default: {
      const unknown: never = build;
      throw new Error(`wasm kernels: unknown build '${unknown as string}'`);
    }
  }
}
