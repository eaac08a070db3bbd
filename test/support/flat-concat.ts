/**
 * One flat tensor of several tensors, as a tape node, so that `gradcheck` (which checks one
 * output) sees every output of a layer: its sequence output and its final states.
 */
import { gradOf, record } from "../../src/autograd/tape.js";
import { Tensor } from "../../src/tensor/tensor.js";

/** The tensors' values end to end in one float64 tensor [Σ size]; its gradient flows back to each. */
export function flatConcat(parts: Tensor[]): Tensor {
  const n = parts.reduce((s, p) => s + p.size, 0);
  const data = new Float64Array(n);
  let off = 0;
  for (const p of parts) {
    data.set(p.data, off);
    off += p.size;
  }
  const out = new Tensor(data, [n]);
  record("flatConcat", parts, [out], ([g]) => {
    let o = 0;
    for (const p of parts) {
      const dp = gradOf(p);
      if (dp) for (let i = 0; i < p.size; i++) dp[i] += g[o + i];
      o += p.size;
    }
  });
  return out;
}
