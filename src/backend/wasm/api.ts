/**
 * The slice of the WebAssembly JavaScript API the wasm backend uses, typed here because the
 * project compiles against ES2022 and Node's types, which declare no `WebAssembly` global.
 * Reached through `globalThis` so that an engine without WebAssembly is a null, not a crash.
 */

/** Module bytes: an ArrayBuffer or any view of one (a Node Buffer is a Uint8Array). */
export type WasmBytes = ArrayBuffer | ArrayBufferView;

/** A compiled module; opaque here. */
export type WasmModule = object;

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Grows by `pages` 64 KiB pages; detaches the old `buffer`. */
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmApi {
  Module: new (bytes: WasmBytes) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, unknown>) => WasmInstance;
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  validate(bytes: WasmBytes): boolean;
}

/** The engine's WebAssembly object, or null where there is none. */
export function wasmApi(): WasmApi | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  return typeof api === "object" && api !== null ? api : null;
}
