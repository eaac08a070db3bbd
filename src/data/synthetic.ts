/**
 * Small synthetic sequence tasks generated from a seeded Rng (no files, no downloads).
 */
import { Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";

export interface RegressionSet {
  /** Inputs [T, N, 1], time-major. */
  x: Tensor;
  /** Targets [N, 1]. */
  y: Tensor;
}

/**
 * The linear-recurrence task: x_0 ~ N(0, 1), x_t = a·x_{t−1} + b. Each sequence has
 * `length` values; the model reads the first length−1 and predicts the last one.
 */
export function linearRecurrence(rng: Rng, count: number, length = 10, a = 1.1, b = 0.3): RegressionSet {
  const T = length - 1;
  const x = Tensor.zeros([T, count, 1]);
  const y = Tensor.zeros([count, 1]);
  for (let n = 0; n < count; n++) {
    let v = rng.normal();
    for (let t = 0; t < length; t++) {
      if (t < T) x.data[t * count + n] = v;
      else y.data[n] = v;
      v = a * v + b;
    }
  }
  return { x, y };
}
