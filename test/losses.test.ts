// Losses: every case of the PyTorch fixtures in float64 and float32, finite-difference checks
// of every loss and reduction, stability at |logits| ~ 100, masks, and the shape / class-id errors.
// The fixtures run in float64 once and in float32 on every backend. The losses compute in
// plain TypeScript today and reach no kernel, so the per-backend runs guard the day they do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertGradcheck } from "../src/autograd/gradcheck.js";
import { noGrad } from "../src/autograd/tape.js";
import { toInts } from "../src/fixtures/format.js";
import { readFixtureCases, runPassingCase } from "./support/fixtures.js";
import { lossFamily } from "../src/fixtures/losses.js";
import { bceWithLogits, crossEntropy, mseLoss, sequenceMask } from "../src/ops/loss.js";
import { Rng } from "../src/tensor/random.js";
import { ShapeError } from "../src/tensor/shape.js";
import { Tensor, type DType } from "../src/tensor/tensor.js";
import { kernels } from "../src/backend/kernels.js";
import { forEachBackend } from "./support/backends.js";

const cases = readFixtureCases("losses.json");

function randomTensor(rng: Rng, shape: number[], scale = 1): Tensor {
  const t = Tensor.zeros(shape, { dtype: "float64" });
  for (let i = 0; i < t.size; i++) t.data[i] = scale * rng.normal();
  return t;
}

function uniformTensor(rng: Rng, shape: number[]): Tensor {
  const t = Tensor.zeros(shape, { dtype: "float64" });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.next();
  return t;
}

function lossFixtureTest(dtype: DType): void {
  test(`losses.json: every case passes in ${dtype}`, (t) => {
    let worst = 0;
    for (const c of cases) {
      const cmp = runPassingCase(lossFamily, c, dtype);
      const w = cmp.worst()!;
      assert.deepEqual(new Set(cmp.results.map((r) => r.key)), new Set(Object.keys(c.expected)), `${c.name}: every expected key checked`);
      worst = Math.max(worst, w.ratio);
    }
    t.diagnostic(`${kernels().name} ${dtype}: worst ratio ${worst.toExponential(3)} over ${cases.length} cases`);
  });
}

lossFixtureTest("float64");
forEachBackend(() => lossFixtureTest("float32"));

test("losses.json: sequenceMask(lengths) reproduces the masked case's mask", () => {
  const c = cases.find((x) => x.config.masked === true)!;
  const [T, B] = (c.inputs.target as { shape: number[] }).shape;
  assert.deepEqual(Array.from(sequenceMask(toInts(c.inputs.lengths), T, B)), toInts(c.inputs.mask));
});

test("mseLoss: gradcheck of pred and target for every reduction", () => {
  const rng = new Rng(1);
  for (const reduction of ["mean", "sum", "none"] as const) {
    assertGradcheck((x, y) => mseLoss(x, y, reduction), [randomTensor(rng, [3, 4]), randomTensor(rng, [3, 4])]);
  }
});

test("crossEntropy: gradcheck for every reduction, sequences and a mask", () => {
  const rng = new Rng(2);
  const targets = [0, 2, 1, 3, 3, 0];
  for (const reduction of ["mean", "sum", "none"] as const) {
    assertGradcheck((z) => crossEntropy(z, targets, { reduction }), [randomTensor(rng, [6, 4], 2)]);
  }
  // [T, B, C] with a padding mask: lengths [3, 1] over T = 3, B = 2.
  const mask = sequenceMask([3, 1], 3, 2);
  for (const reduction of ["mean", "sum", "none"] as const) {
    assertGradcheck((z) => crossEntropy(z, targets, { reduction, mask }), [randomTensor(rng, [3, 2, 4], 2)]);
  }
});

test("bceWithLogits: gradcheck of logits and soft targets for every reduction", () => {
  const rng = new Rng(3);
  for (const reduction of ["mean", "sum", "none"] as const) {
    assertGradcheck((x, y) => bceWithLogits(x, y, reduction), [randomTensor(rng, [2, 5], 3), uniformTensor(rng, [2, 5])]);
  }
});

test("crossEntropy: masked positions give exactly 0 loss and 0 gradient; mean is over valid positions", () => {
  const rng = new Rng(4);
  const T = 3, B = 2, C = 5;
  const z = randomTensor(rng, [T, B, C]);
  z.requiresGrad = true;
  const lengths = [3, 1];
  const mask = sequenceMask(lengths, T, B);
  // Targets at padded positions are garbage on purpose: they must not be read.
  const targets = [1, 4, 0, -1, 2, 99];
  const loss = crossEntropy(z, targets, { mask });
  loss.backward();
  const per = noGrad(() => crossEntropy(z, targets, { mask, reduction: "none" }));
  assert.deepEqual(per.shape, [T, B]);
  let valid = 0, sum = 0;
  for (let p = 0; p < T * B; p++) {
    if (mask[p]) {
      valid++;
      sum += per.data[p];
    } else {
      assert.equal(per.data[p], 0);
      for (let c = 0; c < C; c++) assert.equal(z.grad![p * C + c], 0);
    }
  }
  assert.equal(valid, 4);
  assert.ok(Math.abs(loss.item() - sum / valid) < 1e-15);
  // The same as an unmasked cross-entropy over just the valid rows.
  const rows = [0, 1, 2, 4];
  const zValid = Tensor.from(rows.flatMap((p) => Array.from(z.data.subarray(p * C, (p + 1) * C))), [4, C], { dtype: "float64" });
  const ref = crossEntropy(zValid, rows.map((p) => targets[p]));
  assert.ok(Math.abs(loss.item() - ref.item()) < 1e-15);
  // Booleans work as a mask as well as 0/1 numbers.
  const boolLoss = crossEntropy(z, targets, { mask: Array.from(mask, (m) => m === 1) });
  assert.equal(boolLoss.item(), loss.item());
});

test("crossEntropy: stable at |logits| ~ 100 (and 1000), float32 and float64", () => {
  for (const dtype of ["float64", "float32"] as DType[]) {
    const z = Tensor.from([100, -100, 0, 1000, 999, -1000], [2, 3], { dtype, requiresGrad: true });
    const loss = crossEntropy(z, [1, 0], { reduction: "none" });
    // Row 0: logsumexp ≈ 100, target −100 → 200. Row 1: logsumexp = 1000 + log(1 + e⁻¹).
    assert.ok(Math.abs(loss.data[0] - 200) < 1e-3, `${dtype}: ${loss.data[0]}`);
    assert.ok(Math.abs(loss.data[1] - Math.log1p(Math.exp(-1))) < 1e-4, `${dtype}: ${loss.data[1]}`);
    loss.backward(Float64Array.from([1, 1]));
    for (const g of z.grad!) assert.ok(Number.isFinite(g));
    assert.ok(Math.abs(z.grad![0] - 1) < 1e-6 && Math.abs(z.grad![1] + 1) < 1e-6);
  }
});

test("bceWithLogits: stable at ±100, float32 and float64", () => {
  for (const dtype of ["float64", "float32"] as DType[]) {
    const x = Tensor.from([100, -100, 100, -100], [4], { dtype, requiresGrad: true });
    const y = Tensor.from([0, 1, 1, 0], [4], { dtype });
    const per = bceWithLogits(x, y, "none");
    assert.deepEqual(Array.from(per.data.subarray(0, 2)), [100, 100]);
    assert.ok(per.data[2] >= 0 && per.data[2] < 1e-40 && per.data[3] >= 0 && per.data[3] < 1e-40);
    bceWithLogits(x, y, "sum").backward();
    // σ(100) − 0 = 1, σ(−100) − 1 = −1, σ(100) − 1 ≈ −3.7e−44 (0 in float32), σ(−100) ≈ 3.7e−44.
    assert.equal(x.grad![0], 1);
    assert.equal(x.grad![1], -1);
    assert.ok(Math.abs(x.grad![2]) < 1e-40 && Math.abs(x.grad![3]) < 1e-40);
  }
});

test("losses keep the input dtype and accumulate gradients over two backward passes", () => {
  const x = Tensor.from([0.5, -1, 2], [3], { dtype: "float32", requiresGrad: true });
  const y = Tensor.from([0, 1, 1], [3], { dtype: "float32" });
  for (const loss of [mseLoss(x, y), bceWithLogits(x, y, "sum"), crossEntropy(x, [2])]) {
    assert.equal(loss.dtype, "float32");
    assert.deepEqual(loss.shape, []);
  }
  x.grad = null;
  mseLoss(x, y).backward();
  const once = Array.from(x.grad!);
  mseLoss(x, y).backward();
  assert.deepEqual(Array.from(x.grad!), once.map((g) => Math.fround(2 * g)));
  assert.equal(mseLoss(x, y, "sum").item(), Math.fround(0.25 + 4 + 1));
});

test("shape mismatches throw ShapeError naming both shapes", () => {
  const a = Tensor.zeros([2, 3]);
  const b = Tensor.zeros([3, 2]);
  assert.throws(() => mseLoss(a, b), (e: Error) => e instanceof ShapeError && /\[2, 3\]/.test(e.message) && /\[3, 2\]/.test(e.message));
  assert.throws(() => bceWithLogits(a, b), (e: Error) => e instanceof ShapeError && /\[2, 3\]/.test(e.message) && /\[3, 2\]/.test(e.message));
  assert.throws(() => crossEntropy(a, [0, 1, 2]), (e: Error) => e instanceof ShapeError && /\[2, 3\]/.test(e.message) && /3 targets/.test(e.message));
  assert.throws(() => crossEntropy(a, Tensor.zeros([3])), (e: Error) => e instanceof ShapeError && /\[3\]/.test(e.message) && /\[2, 3\]/.test(e.message));
  assert.throws(() => crossEntropy(a, [0, 1], { mask: [1] }), ShapeError);
  assert.throws(() => crossEntropy(Tensor.scalar(1), []), ShapeError);
  assert.throws(() => sequenceMask([1, 2], 3, 3), ShapeError);
});

test("crossEntropy rejects class ids out of range, naming the position", () => {
  const z = Tensor.zeros([2, 3, 4]);
  const targets = [0, 1, 2, 3, 4, 0];
  assert.throws(() => crossEntropy(z, targets), (e: Error) => e instanceof RangeError && /target 4 at position \[1, 1\]/.test(e.message) && /\[0, 4\)/.test(e.message));
  assert.throws(() => crossEntropy(z, [0, 1, -1, 0, 0, 0]), /target -1 at position \[0, 2\]/);
  assert.throws(() => crossEntropy(z, [0, 1.5, 0, 0, 0, 0]), /target 1.5 at position \[0, 1\]/);
  // Out-of-range ids at masked positions are padding, not errors.
  assert.doesNotThrow(() => crossEntropy(z, targets, { mask: [1, 1, 1, 1, 0, 1] }));
  assert.throws(() => sequenceMask([4], 3, 1), RangeError);
  assert.throws(() => mseLoss(z, z, "avg" as "mean"), /reduction/);
});
