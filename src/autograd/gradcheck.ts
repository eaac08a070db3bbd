/**
 * Finite-difference gradient checker. Central differences
 *   ∂L/∂x_i ≈ (L(x + ε e_i) − L(x − ε e_i)) / 2ε
 * of the scalar L = Σ w ⊙ f(inputs) with a fixed random projection w, compared with
 * the gradients that `backward()` accumulates. Use float64 inputs: in float32 the
 * round-off of L swamps the difference quotient.
 */
import { Tensor } from "../tensor/tensor.js";
import { Rng } from "../tensor/random.js";
import { noGrad } from "./tape.js";

export interface GradcheckOptions {
  /** Step ε of the central difference. */
  eps?: number;
  rtol?: number;
  atol?: number;
  /** Seed of the projection w. */
  seed?: number;
  /** Indices of inputs not to check (e.g. integer-valued ones). */
  skip?: readonly number[];
}

export interface GradcheckReport {
  ok: boolean;
  /** Worst |analytic − numeric| / (atol + rtol·|numeric|) over all checked elements. */
  worstRatio: number;
  /** Where the worst element is: input index and flat element index. */
  worstAt: { input: number; index: number; analytic: number; numeric: number } | null;
  checked: number;
}

/** Compares `backward()` gradients of `fn` at `inputs` with central differences. */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const { eps = 1e-6, rtol = 1e-5, atol = 1e-8, seed = 0, skip = [] } = options;
  for (const [i, t] of inputs.entries()) {
    if (skip.includes(i)) continue;
    t.requiresGrad = true;
    t.grad = null;
  }
  const out = fn(...inputs);
  const rng = new Rng(seed);
  const w = new Float64Array(out.size);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-1, 1);
  const seedGrad = out.dtype === "float64" ? w : Float32Array.from(w);
  out.backward(seedGrad);

  const project = (): number =>
    noGrad(() => {
      const y = fn(...inputs);
      let s = 0;
      for (let i = 0; i < y.size; i++) s += w[i] * y.data[i];
      return s;
    });

  let worstRatio = 0;
  let worstAt: GradcheckReport["worstAt"] = null;
  let checked = 0;
  for (const [k, t] of inputs.entries()) {
    if (skip.includes(k)) continue;
    const analytic = t.grad ?? new Float64Array(t.size);
    for (let i = 0; i < t.size; i++) {
      const orig = t.data[i];
      t.data[i] = orig + eps;
      const up = project();
      t.data[i] = orig - eps;
      const down = project();
      t.data[i] = orig;
      const numeric = (up - down) / (2 * eps);
      const ratio = Math.abs(analytic[i] - numeric) / (atol + rtol * Math.abs(numeric));
      checked++;
      if (!(ratio <= worstRatio)) {
        worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
        worstAt = { input: k, index: i, analytic: analytic[i], numeric };
      }
    }
  }
  return { ok: worstRatio <= 1, worstRatio, worstAt, checked };
}

/** Throws with the worst element when `gradcheck` fails. */
export function assertGradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  const r = gradcheck(fn, inputs, options);
  if (!r.ok) {
    const w = r.worstAt!;
    throw new Error(
      `gradcheck failed: input ${w.input} element ${w.index}: analytic ${w.analytic}, numeric ${w.numeric} (ratio ${r.worstRatio.toFixed(3)})`,
    );
  }
  return r;
}
