/**
 * Test support (no tests here): arrays of uniform draws from a seeded generator. Float32
 * values are rounded on storage, so a float64 reference reads exactly the kernel's inputs.
 */
import type { Rng } from "../../src/tensor/random.js";

/** n values uniform in [lo, hi), stored as float32. */
export function randomF32(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

/** n values uniform in [lo, hi), as float64. */
export function randomF64(rng: Rng, n: number, lo = -1, hi = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
}
