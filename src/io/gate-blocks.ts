/**
 * Moving the gate blocks of a recurrent weight between PyTorch's order (rnnkit's wire format)
 * and another library's. A weight [G·H, C] (or a bias [G·H], C = 1) stacks G blocks of H rows,
 * one per gate; a conversion is a table `source`: the other library's block k is PyTorch's
 * block source[k]. The ONNX and TF.js tables are in src/onnx/gates.ts and
 * src/interop/tfjs-export.ts; this is the one copy of the move itself.
 */
import type { Floats } from "../tensor/tensor.js";

/**
 * The blocks of `data` moved `"out"` of PyTorch's order (block k of the result is block
 * source[k] of data) or back `"in"` (block source[k] of the result is block k of data), as
 * float32, values copied bit for bit. `who` names the caller in the RangeError for data that
 * is not source.length blocks of hiddenSize rows.
 */
export function moveGateBlocks(who: string, source: readonly number[], data: Floats, hiddenSize: number, direction: "out" | "in"): Float32Array {
  const rows = source.length * hiddenSize;
  if (!Number.isInteger(hiddenSize) || hiddenSize < 1 || data.length % rows !== 0) {
    throw new RangeError(`${who}: ${data.length} values are not ${source.length} gate blocks of hiddenSize ${hiddenSize} rows`);
  }
  const block = (data.length / rows) * hiddenSize; // values per gate block: H·C
  const out = new Float32Array(data.length);
  source.forEach((src, k) => {
    const [from, to] = direction === "out" ? [src, k] : [k, src];
    out.set(data.subarray(from * block, (from + 1) * block), to * block);
  });
  return out;
}
