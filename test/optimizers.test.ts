// Optimizers: every case of the PyTorch fixtures in float64 and float32, state-dict round trips
// that continue bit for bit, hyper-parameter validation, skipped null grads, dtype of the state.
// The fixtures run in float64 once and in float32 on every backend. The optimizers compute in
// plain TypeScript today and reach no kernel, so the per-backend runs guard the day they do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFixtureCases, runPassingCase } from "./support/fixtures.js";
import { optimizerFamily } from "../src/fixtures/optimizers.js";
import { Module } from "../src/nn/module.js";
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer, type OptimizerStateDict } from "../src/optim/index.js";
import { Rng } from "../src/tensor/random.js";
import { Tensor, type DType } from "../src/tensor/tensor.js";
import { kernels } from "../src/backend/kernels.js";
import { forEachBackend } from "./support/backends.js";

const cases = readFixtureCases("optimizers.json");

function optimizerFixtureTest(dtype: DType): void {
  test(`optimizers.json: every case passes in ${dtype}`, (t) => {
    let worst = 0;
    for (const c of cases) {
      const cmp = runPassingCase(optimizerFamily, c, dtype);
      const w = cmp.worst()!;
      const states = Object.keys(c.expected.state_after_step as object);
      assert.equal(cmp.results.length, 1 + states.length, `${c.name}: the parameters and every state buffer are checked`);
      worst = Math.max(worst, w.ratio);
    }
    t.diagnostic(`${kernels().name} ${dtype}: worst ratio ${worst.toExponential(3)} over ${cases.length} cases`);
  });
}

optimizerFixtureTest("float64");
forEachBackend(() => optimizerFixtureTest("float32"));

type Make = (params: Tensor[]) => Optimizer;

/** Every optimizer with every optional buffer switched on. */
const FULL: Array<[string, Make]> = [
  ["SGD nesterov", (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ["SGD dampening", (p) => new SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.3 })],
  ["Adagrad", (p) => new Adagrad(p, { lr: 0.1, lrDecay: 0.05, initialAccumulatorValue: 0.1, weightDecay: 0.01 })],
  ["RMSprop", (p) => new RMSprop(p, { lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01 })],
  ["Adam", (p) => new Adam(p, { lr: 0.01, amsgrad: true, weightDecay: 0.01 })],
  ["AdamW", (p) => new AdamW(p, { lr: 0.01, amsgrad: true })],
];

function makeParams(dtype: DType): Tensor[] {
  const rng = new Rng(11);
  return [[3, 2], [4], [1]].map((shape) => {
    const t = Tensor.zeros(shape, { dtype, requiresGrad: true });
    for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
    return t;
  });
}

/** Gradients that depend on the step and the parameter, so that states diverge if anything is lost. */
function setGrads(params: Tensor[], step: number): void {
  params.forEach((p, k) => {
    p.grad = p.data.map((x, i) => Math.sin(step + 3 * k + i) * 2 + 0.1 * x);
  });
}

for (const dtype of ["float64", "float32"] as DType[]) {
  test(`stateDict round trip through JSON continues identically (${dtype})`, () => {
    for (const [name, make] of FULL) {
      const a = makeParams(dtype);
      const optA = make(a);
      for (let s = 0; s < 3; s++) {
        setGrads(a, s);
        optA.step();
      }
      optA.lr = optA.lr * 0.5; // a scheduled rate must travel with the state
      const saved = JSON.parse(JSON.stringify(optA.stateDict())) as OptimizerStateDict;

      const b = a.map((p) => p.clone());
      const optB = make(b);
      optB.loadStateDict(saved);
      assert.equal(optB.lr, optA.lr, name);
      assert.equal(optB.stepCount, 3, name);
      for (let s = 3; s < 6; s++) {
        setGrads(a, s);
        setGrads(b, s);
        optA.step();
        optB.step();
      }
      a.forEach((p, k) => assert.deepEqual(b[k].data, p.data, `${name} parameter ${k}`));
      assert.deepEqual(optB.stateDict(), optA.stateDict(), name);
    }
  });
}

test("loadStateDict refuses mismatches with a message and changes nothing", () => {
  const params = makeParams("float64");
  const adam = new Adam(params, { lr: 0.01 });
  setGrads(params, 0);
  adam.step();
  const good = adam.stateDict();
  const before = JSON.stringify(good);

  const other = new Adam(params.slice(0, 2), { lr: 0.01 });
  assert.throws(() => other.loadStateDict(good), /state for 3 parameters, this optimizer has 2/);
  assert.throws(() => new SGD(params, { lr: 0.1 }).loadStateDict(good), /for Adam, not SGD/);

  const wrongSize = structuredClone(good);
  wrongSize.state[1]!.buffers.expAvg = [1, 2];
  const fresh = new Adam(params, { lr: 0.5 });
  assert.throws(() => fresh.loadStateDict(wrongSize), /parameter 1: buffer 'expAvg' has 2 values, the parameter has 4/);
  assert.equal(fresh.lr, 0.5);
  assert.equal(fresh.stepCount, 0);
  assert.equal(fresh.stateOf(0), undefined);

  const unknownBuffer = structuredClone(good);
  unknownBuffer.state[0]!.buffers.momentumBuffer = new Array(6).fill(0);
  assert.throws(() => fresh.loadStateDict(unknownBuffer), /unknown buffer 'momentumBuffer'/);

  const badHyper = structuredClone(good);
  badHyper.hyperParameters.lr = -1;
  assert.throws(() => fresh.loadStateDict(badHyper), /lr/);
  assert.equal(JSON.stringify(adam.stateDict()), before);
});

test("hyper-parameters are validated with clear errors", () => {
  const p = [Tensor.zeros([2], { requiresGrad: true })];
  assert.throws(() => new SGD(p, { lr: -0.1 }), /SGD: lr must be a finite number ≥ 0, got -0.1/);
  assert.throws(() => new SGD(p, {} as { lr: number }), /SGD: lr is required/);
  assert.throws(() => new SGD(p, { lr: 0.1, nesterov: true }), /nesterov needs momentum > 0 and dampening 0/);
  assert.throws(() => new SGD(p, { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 }), /nesterov/);
  assert.throws(() => new SGD(p, { lr: 0.1, momentum: -0.9 }), /momentum/);
  assert.throws(() => new SGD(p, { lr: 0.1, weight_decay: 0.1 } as never), /unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)/);
  assert.throws(() => new SGD(p, { lr: "0.1" } as never), /option 'lr' must be a number/);
  assert.throws(() => new Adam(p, { betas: [0.9, 1] }), /betas\[1\] must be in \[0, 1\)/);
  assert.throws(() => new Adam(p, { betas: [0.9] } as never), /betas' must be an array of 2 numbers/);
  assert.throws(() => new Adam(p, { eps: -1e-8 }), /eps/);
  assert.throws(() => new AdamW(p, { weightDecay: -0.01 }), /AdamW: weightDecay/);
  assert.throws(() => new Adagrad(p, { lrDecay: -1 }), /lrDecay/);
  assert.throws(() => new Adagrad(p, { initialAccumulatorValue: -1 }), /initialAccumulatorValue/);
  assert.throws(() => new RMSprop(p, { alpha: -0.5 }), /alpha/);
  assert.throws(() => new RMSprop(p, { lr: NaN }), /lr/);
  assert.throws(() => new Adam([]), /empty parameter list/);
  assert.throws(() => new Adam([p[0], p[0]]), /more than once/);
  const opt = new Adam(p);
  assert.throws(() => {
    opt.lr = -1;
  }, /lr/);
  opt.lr = 0.5;
  assert.equal(opt.hyperParameters.lr, 0.5);
});

test("defaults are PyTorch's", () => {
  const p = [Tensor.zeros([1], { requiresGrad: true })];
  assert.deepEqual(new SGD(p, { lr: 0.1 }).hyperParameters, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
  assert.deepEqual(new Adagrad(p).hyperParameters, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 });
  assert.deepEqual(new RMSprop(p).hyperParameters, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
  assert.deepEqual(new Adam(p).hyperParameters, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
  assert.deepEqual(new AdamW(p).hyperParameters, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false });
});

test("parameters with a null grad are skipped; state buffers take the parameter's dtype", () => {
  const a = Tensor.from([1, 2], [2], { dtype: "float32", requiresGrad: true });
  const b = Tensor.from([3, 4], [2], { dtype: "float64", requiresGrad: true });
  const opt = new Adam([a, b], { lr: 0.1, amsgrad: true });
  a.grad = Float32Array.from([1, -1]);
  opt.step();
  assert.deepEqual(Array.from(b.data), [3, 4]);
  assert.equal(opt.stateOf(b), undefined);
  assert.equal(opt.stateOf(a)!.step, 1);
  for (const buf of Object.values(opt.stateOf(a)!.buffers)) assert.ok(buf instanceof Float32Array);
  b.grad = Float64Array.from([1, 1]);
  opt.step();
  assert.equal(opt.stepCount, 2);
  assert.equal(opt.stateOf(a)!.step, 2);
  assert.equal(opt.stateOf(b)!.step, 1);
  for (const buf of Object.values(opt.stateOf(b)!.buffers)) assert.ok(buf instanceof Float64Array);
  // Adam's first step moves every coordinate by lr·sign(g) (up to eps).
  assert.ok(Math.abs(b.data[0] - 2.9) < 1e-8 && Math.abs(b.data[1] - 3.9) < 1e-8);

  opt.zeroGrad();
  assert.deepEqual(Array.from(a.grad!), [0, 0]);
  opt.zeroGrad(true);
  assert.equal(a.grad, null);
  assert.equal(b.grad, null);
  assert.throws(() => {
    a.grad = new Float32Array(3);
    opt.step();
  }, /has 2 values but its grad has 3/);
});

test("an optimizer takes a Module's parameters", () => {
  class Affine extends Module {
    readonly w = this.registerParameter("w", Tensor.from([1, 2], [2], { dtype: "float64" }));
    readonly b = this.registerParameter("b", Tensor.from([0.5], [1], { dtype: "float64" }));
  }
  const m = new Affine();
  const opt = new SGD(m, { lr: 0.5 });
  assert.equal(opt.params.length, 2);
  m.w.grad = Float64Array.from([1, 1]);
  m.b.grad = Float64Array.from([2]);
  opt.step();
  assert.deepEqual(Array.from(m.w.data), [0.5, 1.5]);
  assert.deepEqual(Array.from(m.b.data), [-0.5]);
});

test("AdamW with weightDecay 0 is Adam; with decay it shrinks the weights before the Adam step", () => {
  const run = (make: Make): number[] => {
    const p = makeParams("float64");
    const opt = make(p);
    for (let s = 0; s < 4; s++) {
      setGrads(p, s);
      opt.step();
    }
    return p.flatMap((t) => Array.from(t.data));
  };
  assert.deepEqual(run((p) => new AdamW(p, { lr: 0.01, weightDecay: 0 })), run((p) => new Adam(p, { lr: 0.01 })));
  // With a zero gradient Adam does not move (m = 0), so one AdamW step is the pure decay.
  const p = Tensor.from([2, -4], [2], { dtype: "float64", requiresGrad: true });
  const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.5 });
  p.grad = new Float64Array(2);
  opt.step();
  const keep = 1 - 0.1 * 0.5;
  assert.deepEqual(Array.from(p.data), [2 * keep, -4 * keep]);
});
