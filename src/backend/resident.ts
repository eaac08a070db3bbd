/**
 * Storage for long-lived float32 data — model parameters — in the active backend's memory
 * (`KernelMemory`), where its kernels read it in place. A streaming step reads every weight
 * once, so copying the weights into wasm memory on each call would cost more than the step
 * itself; parameters allocated here cost nothing to pass. Falls back to an ordinary array
 * where the backend has no such memory (or it is full), and for float64.
 *
 * Lifetime: the range is freed once the returned array is garbage collected. Keep that
 * array (or the tensor holding it) alive for as long as any view made from it with
 * `subarray` is used. Its `.buffer` is the whole of wasm memory: to serialize the data,
 * copy the array itself (`slice()`), not its buffer.
 */
import { kernels, type KernelMemory } from "./kernels.js";
import { allocFloats, type DType, type Floats } from "../tensor/tensor.js";

interface Held {
  memory: KernelMemory;
  buffer: ArrayBufferLike;
  byteOffset: number;
}

const collector = new FinalizationRegistry<Held>(({ memory, buffer, byteOffset }) => {
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
  collector.register(buf, { memory, buffer: buf.buffer, byteOffset: buf.byteOffset });
  return buf;
}
