// Gradient clipping: every case of the PyTorch fixtures in float64 and float32, edge cases
// (null and zero grads, other p-norms), and the learning-rate schedules at documented steps.
// The fixtures run in float64 once and in float32 on every backend. Clipping computes in
// plain TypeScript today and reaches no kernel, so the per-backend runs guard the day it does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clippingFamily } from "../src/fixtures/clipping.js";
import { readFixtureCases, runPassingCase } from "./support/fixtures.js";
import {
  LrScheduler,
  SGD,
  clipGradNorm,
  clipGradValue,
  constantLr,
  cosineAnnealing,
  exponentialDecay,
  gradNorm,
  linearWarmup,
  stepDecay,
} from "../src/optim/index.js";
import { Tensor, type DType } from "../src/tensor/tensor.js";
import { kernels } from "../src/backend/kernels.js";
import { forEachBackend } from "./support/backends.js";

const cases = readFixtureCases("clipping.json");

/** Close to within a few units in the last place of float64. */
const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-15 * Math.max(1, Math.abs(b));

function clippingFixtureTest(dtype: DType): void {
  test(`clipping.json: every case passes in ${dtype}`, (t) => {
    let worst = 0;
    for (const c of cases) {
      const cmp = runPassingCase(clippingFamily, c, dtype);
      const w = cmp.worst()!;
      assert.deepEqual(new Set(cmp.results.map((r) => r.key)), new Set(Object.keys(c.expected)), `${c.name}: every expected key checked`);
      worst = Math.max(worst, w.ratio);
    }
    t.diagnostic(`${kernels().name} ${dtype}: worst ratio ${worst.toExponential(3)} over ${cases.length} cases`);
  });
}

clippingFixtureTest("float64");
forEachBackend(() => clippingFixtureTest("float32"));

function withGrad(values: number[], dtype: DType = "float64"): Tensor {
  const t = Tensor.zeros([values.length], { dtype, requiresGrad: true });
  t.grad = Tensor.from(values, [values.length], { dtype }).data;
  return t;
}

test("clipGradNorm returns the norm before clipping and scales all tensors by one coefficient", () => {
  const a = withGrad([3, 0]);
  const b = withGrad([0, 4]);
  const none = Tensor.zeros([2], { requiresGrad: true }); // grad null: ignored, left null
  const total = clipGradNorm([a, none, b], 1);
  assert.equal(total, 5);
  const coef = 1 / (5 + 1e-6);
  assert.deepEqual(Array.from(a.grad!), [3 * coef, 0]);
  assert.deepEqual(Array.from(b.grad!), [0, 4 * coef]);
  assert.equal(none.grad, null);
  assert.ok(gradNorm([a, b]) < 1);
});

test("clipGradNorm: under the limit nothing changes; zero and absent gradients are safe", () => {
  const a = withGrad([0.3, -0.4]);
  assert.ok(near(clipGradNorm([a], 1), 0.5));
  assert.deepEqual(Array.from(a.grad!), [0.3, -0.4]);
  const z = withGrad([0, 0, 0]);
  assert.equal(clipGradNorm([z], 1), 0);
  assert.deepEqual(Array.from(z.grad!), [0, 0, 0]);
  assert.equal(clipGradNorm([Tensor.zeros([2], { requiresGrad: true })], 1), 0);
});

test("clipGradNorm: inf-norm, 1-norm and 3-norm", () => {
  assert.equal(clipGradNorm([withGrad([1, -7]), withGrad([2])], 100, "inf"), 7);
  assert.equal(clipGradNorm([withGrad([1, -7]), withGrad([2])], 100, Infinity), 7);
  assert.equal(clipGradNorm([withGrad([1, -7]), withGrad([2])], 100, 1), 10);
  assert.ok(near(clipGradNorm([withGrad([1, -2]), withGrad([2])], 100, 3), Math.cbrt(17)));
  const g = withGrad([-10, 5]);
  clipGradNorm([g], 2, "inf");
  assert.ok(near(g.grad![0], (-10 * 2) / (10 + 1e-6)));
  assert.throws(() => clipGradNorm([g], 1, 0), /norm type/);
  assert.throws(() => clipGradNorm([g], -1), /maxNorm/);
});

test("clipGradValue clamps each element, in float32 too", () => {
  const a = withGrad([-9, -5, 0.5, 5, 12], "float32");
  clipGradValue([a], 5);
  assert.deepEqual(Array.from(a.grad!), [-5, -5, 0.5, 5, 5]);
  assert.throws(() => clipGradValue([a], -1), /clipValue/);
});

test("schedules give their documented values", () => {
  assert.equal(constantLr(0.1).lrAt(1000), 0.1);

  const step = stepDecay(0.1, { stepSize: 10, gamma: 0.5 });
  assert.equal(step.lrAt(0), 0.1);
  assert.equal(step.lrAt(9), 0.1);
  assert.equal(step.lrAt(10), 0.05);
  assert.equal(step.lrAt(25), 0.025);
  assert.ok(near(stepDecay(1, { stepSize: 3 }).lrAt(6), 0.01)); // default gamma 0.1

  const exp = exponentialDecay(0.1, { gamma: 0.9 });
  assert.equal(exp.lrAt(0), 0.1);
  assert.ok(near(exp.lrAt(2), 0.081));

  const cos = cosineAnnealing(0.1, { tMax: 100 });
  assert.equal(cos.lrAt(0), 0.1);
  assert.ok(near(cos.lrAt(50), 0.05));
  assert.ok(Math.abs(cos.lrAt(100)) < 1e-17);
  assert.ok(near(cos.lrAt(25), 0.05 * (1 + Math.SQRT1_2)));
  const cosMin = cosineAnnealing(0.1, { tMax: 10, etaMin: 0.01 });
  assert.ok(near(cosMin.lrAt(10), 0.01));
  assert.ok(near(cosMin.lrAt(5), 0.055));

  const warm = linearWarmup(cosineAnnealing(0.1, { tMax: 100 }), { warmupSteps: 10 });
  assert.equal(warm.lrAt(0), 0);
  assert.ok(near(warm.lrAt(5), 0.05));
  assert.equal(warm.lrAt(10), 0.1);
  assert.ok(near(warm.lrAt(60), 0.05));
  assert.ok(Math.abs(warm.lrAt(110)) < 1e-17);
  const warmFrom = linearWarmup(constantLr(1), { warmupSteps: 4, startFactor: 0.2 });
  assert.deepEqual([0, 1, 2, 3, 4, 9].map((s) => warmFrom.lrAt(s)), [0.2, 0.4, 0.6000000000000001, 0.8, 1, 1]);

  assert.throws(() => step.lrAt(-1), /step/);
  assert.throws(() => step.lrAt(1.5), /step/);
  assert.throws(() => stepDecay(0.1, { stepSize: 0 }), /stepSize/);
  assert.throws(() => cosineAnnealing(0.1, { tMax: 0 }), /tMax/);
  assert.throws(() => linearWarmup(constantLr(1), { warmupSteps: 2, startFactor: 2 }), /startFactor/);
});

test("LrScheduler writes the schedule into the optimizer's lr, step after step, and restores", () => {
  const p = Tensor.zeros([1], { dtype: "float64", requiresGrad: true });
  const opt = new SGD([p], { lr: 123 });
  const sched = new LrScheduler(opt, stepDecay(1, { stepSize: 2, gamma: 0.5 }));
  const seen: number[] = [opt.lr];
  for (let s = 0; s < 5; s++) {
    p.grad = Float64Array.from([1]);
    opt.step();
    seen.push(sched.step());
    assert.equal(opt.lr, seen[seen.length - 1]);
  }
  assert.deepEqual(seen, [1, 1, 0.5, 0.5, 0.25, 0.25]);
  // Parameter moved by the rate of each step: 1 + 1 + 0.5 + 0.5 + 0.25.
  assert.equal(p.data[0], -3.25);

  const again = new LrScheduler(new SGD([p], { lr: 1 }), stepDecay(1, { stepSize: 2, gamma: 0.5 }));
  again.loadStateDict(sched.stateDict());
  assert.equal(again.currentStep, 5);
  assert.equal(again.lr, 0.25);
});
