/**
 * Metrics over a batch: counts, so that they can be summed over batches exactly.
 */
import type { Tensor } from "../tensor/tensor.js";

/** Number of rows of `logits` [N, C] (or [..., C]) whose arg-max equals the target. */
export function countCorrect(logits: Tensor, targets: ArrayLike<number>): number {
  const C = logits.shape[logits.rank - 1];
  const N = logits.size / C;
  if (targets.length !== N) throw new Error(`countCorrect: ${targets.length} targets for ${N} rows of logits`);
  let correct = 0;
  for (let n = 0; n < N; n++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits.data[n * C + c] > logits.data[n * C + best]) best = c;
    if (best === targets[n]) correct++;
  }
  return correct;
}
