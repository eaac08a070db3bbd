/**
 * The op families: every op's backward against central differences in float64 over
 * several shapes (broadcasting included), a few forward values worked by hand, and
 * the autodiff contract (accumulation, noGrad), numerical stability and the errors.
 * Float64 runs on the TypeScript kernels whatever backend is active, so those checks run
 * once; the float32 forward and backward of the ops that reach the kernels (matmul, linear)
 * are compared with their float64 results on every backend.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import "../src/backend/ts/index.js";
import { kernels } from "../src/backend/kernels.js";
import { Tensor } from "../src/tensor/tensor.js";
import { Rng } from "../src/tensor/random.js";
import { ShapeError, type Shape } from "../src/tensor/shape.js";
import { assertGradcheck } from "../src/autograd/gradcheck.js";
import { noGrad } from "../src/autograd/tape.js";
import {
  add, addScalar, concat, div, embedding, exp, linear, log, logSoftmax, matmul, mean, mul, neg, oneHot, relu,
  reshape, scalarSub, scale, sigmoid, slice, softmax, split, stack, sub, sum, tanh, transpose,
} from "../src/ops/index.js";
import { forEachBackend } from "./support/backends.js";

/** Named tolerances (STYLE principle 11). */
const tol = {
  /**
   * float32 forward and gradients vs the same op in float64 on the same (float32) inputs,
   * relative to max(1, |value|): sums of at most 40 products of inputs in (−1, 1), each
   * partial sum rounded once, give errors of order u·√40 · Σ|terms| ≲ 1e−5 even at the
   * worst; measured worst 3.7e−7 on every backend.
   */
  float32Op: 1e-5,
};

/** Float64 tensor with values in [lo, hi). */
function rand(rng: Rng, shape: Shape, lo = -1, hi = 1): Tensor {
  const t = Tensor.zeros(shape, { dtype: "float64" });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(lo, hi);
  return t;
}

/** Float64 tensor with |values| in [0.2, 1.5) and random signs: safe for div, relu and finite differences. */
function awayFromZero(rng: Rng, shape: Shape): Tensor {
  const t = rand(rng, shape, 0.2, 1.5);
  for (let i = 0; i < t.size; i++) if (rng.bernoulli(0.5)) t.data[i] = -t.data[i];
  return t;
}

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-12): void => {
  assert.equal(actual.length, expected.length, "length");
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])), `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
};

const f64 = (values: number[], shape: Shape): Tensor => Tensor.from(values, shape, { dtype: "float64" });

// --- gradients by finite differences -----------------------------------------------------

const broadcastPairs: Array<[Shape, Shape]> = [
  [[2, 3], [2, 3]],
  [[2, 3], [3]],
  [[3], [2, 3]],
  [[2, 1], [1, 4]],
  [[2, 3], []],
  [[], [2, 3]],
  [[], []],
  [[3, 1, 2], [4, 1]],
];

for (const [name, op] of [["add", add], ["sub", sub], ["mul", mul], ["div", div]] as const) {
  test(`${name}: gradcheck over equal and broadcast shapes`, () => {
    const rng = new Rng(1);
    for (const [sa, sb] of broadcastPairs) {
      assertGradcheck(op, [awayFromZero(rng, sa), awayFromZero(rng, sb)]);
    }
  });
}

const unaryOps: Array<[string, (x: Tensor) => Tensor, (rng: Rng, s: Shape) => Tensor]> = [
  ["neg", neg, awayFromZero],
  ["exp", exp, awayFromZero],
  ["log", log, (rng, s) => rand(rng, s, 0.2, 3)],
  ["tanh", tanh, (rng, s) => rand(rng, s, -3, 3)],
  ["sigmoid", sigmoid, (rng, s) => rand(rng, s, -6, 6)],
  ["relu", relu, awayFromZero],
  ["scale", (x) => scale(x, -2.5), awayFromZero],
  ["addScalar", (x) => addScalar(x, 0.75), awayFromZero],
  ["scalarSub", (x) => scalarSub(1, x), awayFromZero],
];

for (const [name, op, make] of unaryOps) {
  test(`${name}: gradcheck over several shapes`, () => {
    const rng = new Rng(2);
    for (const s of [[], [5], [2, 3], [2, 1, 3]]) assertGradcheck(op, [make(rng, s)]);
  });
}

test("sum and mean: gradcheck over axes, negative axes and keepDims", () => {
  const rng = new Rng(3);
  const axesList = [undefined, 0, -1, 1, [0, 2], [2, 0, 1], []] as const;
  for (const reduce of [sum, mean]) {
    for (const axes of axesList) {
      for (const keepDims of [false, true]) {
        assertGradcheck((x) => reduce(x, axes, keepDims), [rand(rng, [2, 3, 4])]);
      }
    }
    assertGradcheck((x) => reduce(x), [rand(rng, [])]);
  }
});

test("softmax and logSoftmax: gradcheck along every axis", () => {
  const rng = new Rng(4);
  for (const op of [softmax, logSoftmax]) {
    for (const axis of [-1, 0, 1, 2]) assertGradcheck((x) => op(x, axis), [rand(rng, [2, 3, 4], -2, 2)]);
    assertGradcheck((x) => op(x), [rand(rng, [5], -2, 2)]);
  }
});

test("matmul: gradcheck for 2-D, batched-left and 1-D left operands", () => {
  const rng = new Rng(5);
  for (const [sa, sb] of [[[2, 3], [3, 4]], [[2, 5, 3], [3, 4]], [[3], [3, 2]], [[1, 1], [1, 1]]] as Array<[Shape, Shape]>) {
    assertGradcheck(matmul, [rand(rng, sa), rand(rng, sb)]);
  }
});

test("linear: gradcheck with and without bias, 2-D and 3-D inputs", () => {
  const rng = new Rng(6);
  for (const sx of [[2, 3], [2, 4, 3], [3]] as Shape[]) {
    assertGradcheck((x, w, b) => linear(x, w, b), [rand(rng, sx), rand(rng, [5, 3]), rand(rng, [5])]);
    assertGradcheck((x, w) => linear(x, w), [rand(rng, sx), rand(rng, [5, 3])]);
  }
});

test("movement ops: gradcheck of reshape, transpose, concat, slice, split, stack", () => {
  const rng = new Rng(7);
  assertGradcheck((x) => reshape(x, [3, -1]), [rand(rng, [2, 3, 2])]);
  assertGradcheck((x) => reshape(x, []), [rand(rng, [1, 1])]);
  assertGradcheck((x) => transpose(x), [rand(rng, [2, 3, 4])]);
  assertGradcheck((x) => transpose(x, [2, 0, 1]), [rand(rng, [2, 3, 4])]);
  for (const axis of [0, 1, -1]) {
    assertGradcheck((a, b) => concat([a, b, a], axis), [rand(rng, [2, 3]), rand(rng, [2, 3])]);
  }
  assertGradcheck((a, b) => concat([a, b], 1), [rand(rng, [2, 1, 3]), rand(rng, [2, 4, 3])]);
  assertGradcheck((x) => slice(x, 1, 1, 3), [rand(rng, [2, 4, 3])]);
  assertGradcheck((x) => slice(x, -1, -2), [rand(rng, [2, 4, 3])]);
  // Only some pieces reach the output: the others must contribute zero gradient.
  assertGradcheck((x) => { const [p, , r] = split(x, 1, [1, 2, 1]); return concat([r, p], 1); }, [rand(rng, [2, 4, 3])]);
  assertGradcheck((x) => stack(split(x, -1, 2), 0), [rand(rng, [3, 6])]);
  for (const axis of [0, 1, 2, -1]) {
    assertGradcheck((a, b) => stack([a, b], axis), [rand(rng, [2, 3]), rand(rng, [2, 3])]);
  }
});

test("embedding: gradcheck with repeated indices; repeated rows accumulate", () => {
  const rng = new Rng(8);
  const idx = [2, 0, 2, 2, 4, 0];
  assertGradcheck((t) => embedding(t, idx, [2, 3]), [rand(rng, [5, 3])]);

  const table = rand(rng, [5, 2]);
  table.requiresGrad = true;
  const y = embedding(table, idx);
  assert.deepEqual(y.shape, [6, 2]);
  sum(y).backward();
  assert.deepEqual(Array.from(table.grad!), [2, 2, 0, 0, 3, 3, 0, 0, 1, 1]);
});

test("a composite (softmax ∘ linear ∘ tanh with broadcasting) gradchecks end to end", () => {
  const rng = new Rng(9);
  const f = (x: Tensor, w: Tensor, b: Tensor, s: Tensor): Tensor =>
    logSoftmax(mul(linear(tanh(x), w, b), s), -1);
  assertGradcheck(f, [rand(rng, [3, 4]), rand(rng, [5, 4]), rand(rng, [5]), rand(rng, [3, 1])]);
});

// --- forward values by hand ------------------------------------------------------------

test("forward values: broadcasting, division, reductions, matmul, linear", () => {
  const a = f64([1, 2, 3, 4, 5, 6], [2, 3]);
  close(add(a, f64([10, 20, 30], [3])).data, [11, 22, 33, 14, 25, 36]);
  close(mul(f64([1, 2], [2, 1]), f64([1, 10, 100], [1, 3])).data, [1, 10, 100, 2, 20, 200]);
  close(div(a, Tensor.scalar(2, { dtype: "float64" })).data, [0.5, 1, 1.5, 2, 2.5, 3]);
  close(sub(Tensor.scalar(1, { dtype: "float64" }), a).data, [0, -1, -2, -3, -4, -5]);
  close(sum(a, 0).data, [5, 7, 9]);
  close(sum(a, 1, true).data, [6, 15]);
  assert.deepEqual(sum(a, 1, true).shape, [2, 1]);
  close(mean(a).data, [3.5]);
  assert.deepEqual(mean(a).shape, []);
  close(matmul(a, f64([1, 0, 0, 1, 1, 1], [3, 2])).data, [4, 5, 10, 11]);
  close(linear(a, f64([1, 0, 0, 1, 1, 1], [2, 3]), f64([0.5, -1], [2])).data, [1.5, 5, 4.5, 14]);
  close(relu(f64([-1, 0, 2], [3])).data, [0, 0, 2]);
  close(sigmoid(f64([0, Math.log(3)], [2])).data, [0.5, 0.75]);
  close(scalarSub(1, f64([0.25], [1])).data, [0.75]);
});

test("forward values: movement ops", () => {
  const a = f64([1, 2, 3, 4, 5, 6], [2, 3]);
  const t = transpose(a);
  assert.deepEqual(t.shape, [3, 2]);
  close(t.data, [1, 4, 2, 5, 3, 6]);
  assert.deepEqual(reshape(a, [-1]).shape, [6]);
  close(concat([a, f64([7, 8], [2, 1])], 1).data, [1, 2, 3, 7, 4, 5, 6, 8]);
  close(slice(a, 1, 1).data, [2, 3, 5, 6]);
  const [p, q] = split(a, 1, [1, 2]);
  close(p.data, [1, 4]);
  close(q.data, [2, 3, 5, 6]);
  const s = stack([f64([1, 2], [2]), f64([3, 4], [2])], 1);
  assert.deepEqual(s.shape, [2, 2]);
  close(s.data, [1, 3, 2, 4]);
  const oh = oneHot([2, 0], 3, "float64");
  assert.deepEqual(oh.shape, [2, 3]);
  close(oh.data, [0, 0, 1, 1, 0, 0]);
  assert.equal(oh.requiresGrad, false);
});

test("relu'(0) is 0 and sigmoid is exact and finite at large |x|", () => {
  const x = f64([0], [1]);
  x.requiresGrad = true;
  sum(relu(x)).backward();
  assert.equal(x.grad![0], 0);
  for (const dtype of ["float32", "float64"] as const) {
    const y = sigmoid(Tensor.from([-800, -40, 40, 800], [4], { dtype }));
    assert.ok(y.toArray().every(Number.isFinite));
    assert.equal(y.data[0], 0);
    assert.equal(y.data[3], 1);
  }
});

// --- autodiff contract -----------------------------------------------------------------

test("backward accumulates: two uses of one input sum their gradients", () => {
  const x = f64([1, -2, 3], [3]);
  x.requiresGrad = true;
  sum(add(scale(x, 2), mul(x, x))).backward(); // d/dx (2x + x²) = 2 + 2x
  close(x.grad!, [4, -2, 8]);
  // A second backward adds to the existing gradient instead of replacing it.
  sum(scale(x, 3)).backward();
  close(x.grad!, [7, 1, 11]);
  // A broadcast input receives the sum over the broadcast axis.
  const b = f64([0.5], [1]);
  b.requiresGrad = true;
  sum(mul(f64([1, 2, 3, 4], [2, 2]), b)).backward();
  close(b.grad!, [10]);
});

test("noGrad records nothing; inputs without requiresGrad record nothing", () => {
  const x = f64([1, 2, 3, 4], [2, 2]);
  x.requiresGrad = true;
  const y = noGrad(() => softmax(matmul(add(x, x), transpose(x))));
  assert.equal(y.node, null);
  assert.equal(y.requiresGrad, false);
  const z = tanh(f64([1, 2], [2]));
  assert.equal(z.node, null);
  assert.equal(z.requiresGrad, false);
  const w = tanh(x);
  assert.notEqual(w.node, null);
  assert.equal(w.node!.op, "tanh");
});

test("a leaf that does not require grad gets no gradient buffer", () => {
  const x = f64([1, 2], [2]);
  const w = f64([3, 4], [2]);
  w.requiresGrad = true;
  sum(mul(x, w)).backward();
  assert.equal(x.grad, null);
  close(w.grad!, [1, 2]);
});

test("float32 ops stay float32; mixing float32 and float64 is refused", () => {
  const a = Tensor.from([1, 2], [2]);
  const b = Tensor.from([1, 2], [2], { dtype: "float64" });
  assert.equal(add(a, a).dtype, "float32");
  assert.equal(linear(Tensor.ones([1, 2]), Tensor.ones([3, 2])).dtype, "float32");
  assert.equal(softmax(b).dtype, "float64");
  assert.throws(() => add(a, b), (e: Error) => e instanceof TypeError && /add/.test(e.message) && /float64/.test(e.message));
  assert.throws(() => matmul(Tensor.ones([1, 2]), Tensor.ones([2, 1], { dtype: "float64" })), TypeError);
  assert.throws(() => concat([a, b]), TypeError);
});

// --- stability -------------------------------------------------------------------------

test("softmax and logSoftmax are stable at logits of ±100 (and ±1000) in both dtypes", () => {
  for (const dtype of ["float32", "float64"] as const) {
    const x = Tensor.from([100, -100, 0, 99], [4], { dtype });
    const p = softmax(x);
    assert.ok(p.toArray().every(Number.isFinite));
    close([sum(p).item()], [1], 1e-6);
    const e1 = Math.exp(-1);
    close(p.data, [1 / (1 + e1), Math.exp(-200) / (1 + e1), Math.exp(-100) / (1 + e1), e1 / (1 + e1)], 1e-6);
    const lp = logSoftmax(x);
    const logZ = 100 + Math.log(1 + e1);
    close(lp.data, [100 - logZ, -100 - logZ, -logZ, 99 - logZ], 1e-6);
  }
  const big = logSoftmax(f64([1000, 0, -1000], [3]));
  close(big.data, [0, -1000, -2000]);
  const x = f64([100, -100, 50], [3]);
  assertGradcheck((t) => logSoftmax(t), [x]);
  assertGradcheck((t) => softmax(t), [f64([100, -100, 99.5], [3])]);
});

// --- errors ----------------------------------------------------------------------------

/** Asserts a ShapeError whose message contains every fragment. */
function throwsShape(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof ShapeError, `not a ShapeError: ${e}`);
    for (const f of fragments) assert.ok(e.message.includes(f), `"${e.message}" lacks "${f}"`);
    return true;
  });
}

test("shape errors name the op, the arguments and both shapes", () => {
  const z = (...s: number[]): Tensor => Tensor.zeros(s);
  throwsShape(() => matmul(z(2, 3), z(4, 5)), "matmul: a [2, 3] and b [4, 5]: inner sizes 3 and 4 differ");
  throwsShape(() => matmul(z(2, 3), z(3)), "matmul", "[2, 3]", "[3]");
  throwsShape(() => linear(z(2, 3), z(4, 5)), "linear", "x [2, 3]", "weight [4, 5]", "3 and 5");
  throwsShape(() => linear(z(2, 3), z(4, 3), z(5)), "linear", "bias [5]", "[4, 3]");
  throwsShape(() => add(z(2, 3), z(4)), "add", "[2, 3]", "[4]");
  throwsShape(() => mul(z(2, 3), z(3, 2)), "mul", "[2, 3]", "[3, 2]");
  throwsShape(() => reshape(z(2, 3), [4, -1]), "reshape", "[2, 3]", "[4, -1]");
  throwsShape(() => reshape(z(2, 3), [-1, -1]), "reshape", "-1");
  throwsShape(() => transpose(z(2, 3), [0, 0]), "transpose", "[0, 0]", "[2, 3]");
  throwsShape(() => concat([z(2, 3), z(3, 3)], 1), "concat", "[3, 3]", "[2, 3]");
  throwsShape(() => slice(z(2, 3), 1, 2, 5), "slice", "[2, 3]");
  throwsShape(() => split(z(2, 5), 1, 2), "split", "[2, 5]");
  throwsShape(() => split(z(2, 5), 1, [2, 2]), "split", "[2, 2]", "[2, 5]");
  throwsShape(() => stack([z(2, 3), z(3, 2)]), "stack", "[3, 2]", "[2, 3]");
  throwsShape(() => sum(z(2, 3), 2), "sum", "axis 2");
  throwsShape(() => sum(z(2, 3), [1, -1]), "sum", "[2, 3]");
  throwsShape(() => softmax(z(2, 3), 3), "softmax", "axis 3");
  throwsShape(() => embedding(z(5), [0]), "embedding", "[5]");
  throwsShape(() => embedding(z(5, 2), [0, 1, 2], [2, 2]), "embedding", "[2, 2]");
});

test("embedding and oneHot refuse indices out of range or not integers", () => {
  const table = Tensor.zeros([5, 2]);
  assert.throws(() => embedding(table, [0, 5]), (e: Error) => e instanceof RangeError && /index 5 at position 1/.test(e.message));
  assert.throws(() => embedding(table, [-1]), RangeError);
  assert.throws(() => embedding(table, [1.5]), RangeError);
  assert.throws(() => oneHot([3], 3), RangeError);
});

// --- float32 on every backend --------------------------------------------------------------

/** A float64 tensor of float32-representable values in (−1, 1), so both dtypes see the same inputs. */
function rand32(rng: Rng, shape: Shape): Tensor {
  const t = rand(rng, shape);
  for (let i = 0; i < t.size; i++) t.data[i] = Math.fround(t.data[i]);
  return t;
}

/** The same values as `t` in `dtype`, as a leaf that requires grad. */
function leafAs(t: Tensor, dtype: "float32" | "float64"): Tensor {
  return Tensor.from(Array.from(t.data), t.shape, { dtype, requiresGrad: true });
}

/**
 * Runs `f` forward and backward (seed cos(i)) in float32 and in float64 on the same inputs,
 * twice, so that the second backward accumulates onto the first gradients, and checks the
 * float32 output and gradients against the float64 ones. Returns the worst relative error.
 */
function float32MatchesFloat64(what: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): number {
  const run = (dtype: "float32" | "float64") => {
    const leaves = inputs.map((t) => leafAs(t, dtype));
    const once = (): Tensor => {
      const y = f(...leaves);
      const seed = Float64Array.from({ length: y.size }, (_, i) => Math.cos(i));
      y.backward(dtype === "float32" ? Float32Array.from(seed) : seed);
      return y;
    };
    const y = once();
    const grads = leaves.map((l) => Float64Array.from(l.grad!));
    once();
    return { y, grads, twice: leaves.map((l) => Float64Array.from(l.grad!)) };
  };
  const r32 = run("float32"), r64 = run("float64");
  assert.equal(r32.y.dtype, "float32");
  let worst = 0;
  const check = (label: string, got: ArrayLike<number>, want: ArrayLike<number>) => {
    assert.equal(got.length, want.length, `${what} ${label}: length`);
    for (let i = 0; i < want.length; i++) {
      const err = Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]));
      assert.ok(err <= tol.float32Op, `${kernels().name} ${what} ${label}[${i}]: float32 ${got[i]} vs float64 ${want[i]} (error ${err.toExponential(2)})`);
      worst = Math.max(worst, err);
    }
  };
  check("output", r32.y.data, r64.y.data);
  r32.grads.forEach((g, k) => check(`grad of input ${k}`, g, r64.grads[k]));
  r32.twice.forEach((g, k) => check(`grad of input ${k} after a second backward`, g, r64.twice[k]));
  return worst;
}

forEachBackend((backend) => {
  test("matmul float32: forward and accumulated gradients equal float64, over awkward shapes", (t) => {
    assert.equal(kernels().name, backend.name);
    const rng = new Rng(10);
    const shapes: Array<[Shape, Shape]> = [
      [[2, 3], [3, 4]], [[2, 5, 3], [3, 4]], [[3], [3, 2]], [[1, 1], [1, 1]],
      // One row (the matrix–vector path), one column, a SIMD width, above and below it.
      [[1, 33], [33, 7]], [[6, 40], [40, 1]], [[4, 8], [8, 16]], [[17, 9], [9, 5]], [[3, 7, 5], [5, 3]],
    ];
    let worst = 0;
    for (const [sa, sb] of shapes) {
      worst = Math.max(worst, float32MatchesFloat64(`matmul ${JSON.stringify(sa)}·${JSON.stringify(sb)}`, matmul, [rand32(rng, sa), rand32(rng, sb)]));
    }
    t.diagnostic(`${backend.label}: worst relative error ${worst.toExponential(2)}`);
  });

  test("linear float32 (with and without bias, 1-D to 3-D x): forward and accumulated gradients equal float64", (t) => {
    const rng = new Rng(11);
    const cases: Array<[Shape, number, number]> = [[[2, 3], 3, 5], [[2, 4, 3], 3, 5], [[3], 3, 5], [[1, 40], 40, 9], [[9, 17], 17, 4], [[5, 1, 8], 8, 1]];
    let worst = 0;
    for (const [sx, I, O] of cases) {
      const x = rand32(rng, sx), w = rand32(rng, [O, I]), b = rand32(rng, [O]);
      worst = Math.max(worst, float32MatchesFloat64(`linear x ${JSON.stringify(sx)} W [${O}, ${I}] with bias`, (xi, wi, bi) => linear(xi, wi, bi), [x, w, b]));
      worst = Math.max(worst, float32MatchesFloat64(`linear x ${JSON.stringify(sx)} W [${O}, ${I}]`, (xi, wi) => linear(xi, wi), [x, w]));
    }
    t.diagnostic(`${backend.label}: worst relative error ${worst.toExponential(2)}`);
  });

  test("a composite (logSoftmax ∘ linear ∘ tanh, matmul, broadcasting) in float32 equals float64", () => {
    const rng = new Rng(12);
    const f = (x: Tensor, w: Tensor, b: Tensor, s: Tensor, m: Tensor): Tensor =>
      logSoftmax(mul(matmul(linear(tanh(x), w, b), m), s), -1);
    float32MatchesFloat64("composite", f, [rand32(rng, [6, 4]), rand32(rng, [5, 4]), rand32(rng, [5]), rand32(rng, [6, 1]), rand32(rng, [5, 7])]);
  });
});
