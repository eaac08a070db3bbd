/**
 * Storage for long-lived float32 data — model parameters — in the active backend's memory
 * (`KernelMemory`), where its kernels read it in place. A streaming step reads every weight
 * once, so copying the weights into wasm memory on each call would cost more than the step
 * itself; parameters allocated here cost nothing to pass. Falls back to an ordinary array
 * where the backend has no such memory (or it is full), and for float64.
 *
 * Lifetime: `freeResidentFloats` returns the range at once (`Module.dispose()` calls it for
 * its parameters); after that neither the array nor any view made from it may be used.
 * Backend memory is invisible to the garbage collector and a WebAssembly memory never
 * shrinks, so code that makes models in a loop must free them. As a safety net only, a
 * range never freed goes back once its array is garbage collected — whenever, if ever, that
 * happens; nothing relies on it. Until then, keep the array (or the tensor holding it)
 * alive for as long as any view made from it with `subarray` is used. Its `.buffer` is the
 * whole of wasm memory: to serialize the data, copy the array itself (`slice()`), not its
 * buffer.
 */
import { kernels, type KernelMemory } from "./kernels.js";
import { allocFloats, type DType, type Floats } from "../tensor/tensor.js";

interface Held {
  memory: KernelMemory;
  buffer: ArrayBufferLike;
  byteOffset: number;
}

/** The memory that allocated each live resident array (the active backend may change since). */
const owners = new WeakMap<Floats, KernelMemory>();

const safetyNet = new FinalizationRegistry<Held>(({ memory, buffer, byteOffset }) => {
  // A fresh empty view names the range: the registry must not hold the collected array.
  memory.free(new Float32Array(buffer, byteOffset, 0));
});

/** n zeros of `dtype`, in the active backend's memory when it has one. */
export function allocResidentFloats(dtype: DType, n: number): Floats {
  const memory = kernels().memory;
  if (dtype !== "float32" || memory === undefined || n === 0) return allocFloats(dtype, n);
  const buf = memory.alloc(n);
  if (buf === null) return allocFloats(dtype, n);
  buf.fill(0);
  owners.set(buf, memory);
  // The array is its own unregister token (held weakly, like the target).
  safetyNet.register(buf, { memory, buffer: buf.buffer, byteOffset: buf.byteOffset }, buf);
  return buf;
}

/**
 * Frees an array from `allocResidentFloats` at once, in the memory that allocated it
 * (whichever backend is active now). Returns whether it was backend memory; an ordinary
 * array (the fallback) is left to the collector. Freeing the same array twice is a no-op.
 */
export function freeResidentFloats(buf: Floats): boolean {
  const memory = owners.get(buf);
  if (memory === undefined) return false;
  owners.delete(buf);
  safetyNet.unregister(buf);
  memory.free(buf as Float32Array);
  return true;
}
