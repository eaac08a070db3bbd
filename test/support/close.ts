/**
 * Comparing the float32 outputs of one model computed by two implementations — rnnkit and
 * onnxruntime, PyTorch or TF.js: the same equations with other summation orders and other
 * tanh / sigmoid approximations, so each value may differ by round-off.
 */
import assert from "node:assert/strict";

export interface Tolerance {
  atol: number;
  rtol: number;
}

/**
 * Two float32 evaluations of the same recurrent model over ≤ 7 steps and ≤ 2 layers, values up
 * to a few units. Measured worst across onnxruntime, PyTorch and TF.js: about 2e−7, 50× under
 * atol; the margin is for other CPUs' activation kernels and backends.
 */
export const FLOAT32_FORWARD: Tolerance = { atol: 1e-5, rtol: 1e-4 };

/**
 * Asserts |got − want| ≤ atol + rtol·|want| for every value (naming the first one outside, and
 * `what`), and the lengths equal; returns the largest |got − want| for the diagnostics.
 */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol: Tolerance = FLOAT32_FORWARD): number {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0;
  for (let k = 0; k < want.length; k++) {
    const err = Math.abs(got[k] - want[k]);
    const bound = tol.atol + tol.rtol * Math.abs(want[k]);
    assert.ok(err <= bound, `${what}: [${k}] got ${got[k]}, expected ${want[k]} (|err| ${err.toExponential(2)} > ${bound.toExponential(2)})`);
    worst = Math.max(worst, err);
  }
  return worst;
}
