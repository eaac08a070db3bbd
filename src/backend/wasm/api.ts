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
  /** A SharedArrayBuffer for a shared memory (typed here as its common base). */
  readonly buffer: ArrayBuffer;
  /**
   * Grows by `pages` 64 KiB pages. A plain memory detaches its old `buffer`; a shared one
   * keeps it valid (at its old length) and hands out a new, longer one.
   */
  grow(pages: number): number;
}

export interface WasmMemoryDescriptor {
  initial: number;
  maximum?: number;
  shared?: boolean;
}

/** One import a module declares (`WebAssembly.Module.imports`). */
export interface WasmImportDescriptor {
  module: string;
  name: string;
  kind: string;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

/** What `fetch` resolves to, as far as compiling a module goes. */
export interface WasmResponse {
  readonly ok: boolean;
  readonly status: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface WasmApi {
  Module: { new (bytes: WasmBytes): WasmModule; imports(module: WasmModule): WasmImportDescriptor[] };
  Instance: new (module: WasmModule, imports: Record<string, unknown>) => WasmInstance;
  Memory: new (descriptor: WasmMemoryDescriptor) => WasmMemory;
  validate(bytes: WasmBytes): boolean;
  compile(bytes: WasmBytes): Promise<WasmModule>;
  /** Compiles while the bytes download; browsers have it, for responses served as application/wasm. */
  compileStreaming?(source: WasmResponse | Promise<WasmResponse>): Promise<WasmModule>;
  /** Given a compiled module, resolves to its instance. */
  instantiate(module: WasmModule, imports: Record<string, unknown>): Promise<WasmInstance>;
}

/** The engine's WebAssembly object, or null where there is none. */
export function wasmApi(): WasmApi | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  return typeof api === "object" && api !== null ? api : null;
}
