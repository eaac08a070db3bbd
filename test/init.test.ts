import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng, Tensor, orthogonal, glorotUniform, pytorchRecurrentInit, zeros, constant } from "../src/index.js";

test("orthogonal gives orthonormal rows or columns (whichever are fewer)", () => {
  for (const [r, c] of [[8, 3], [3, 8], [5, 5]]) {
    const t = orthogonal(Tensor.zeros([r, c], { dtype: "float64" }), new Rng(r * 10 + c));
    const n = Math.min(r, c);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let k = 0; k < Math.max(r, c); k++) d += r >= c ? t.data[k * c + i] * t.data[k * c + j] : t.data[i * c + k] * t.data[j * c + k];
        assert.ok(Math.abs(d - (i === j ? 1 : 0)) < 1e-12, `[${r},${c}] (${i},${j}) = ${d}`);
      }
    }
  }
});

test("uniform initializers stay in their bounds and fill them; zeros and constant", () => {
  const g = glorotUniform(Tensor.zeros([40, 60]), new Rng(1), 60, 40);
  const bound = Math.sqrt(6 / 100);
  assert.ok(g.toArray().every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...g.toArray().map(Math.abs)) > 0.95 * bound);
  const p = pytorchRecurrentInit(Tensor.zeros([64, 16]), new Rng(2), 16);
  assert.ok(p.toArray().every((v) => Math.abs(v) <= 0.25));
  assert.deepEqual(zeros(Tensor.ones([3])).toArray(), [0, 0, 0]);
  assert.deepEqual(constant(Tensor.zeros([2]), 1.5).toArray(), [1.5, 1.5]);
});

test("the same seed gives the same initial weights", () => {
  const a = orthogonal(Tensor.zeros([4, 4]), new Rng(7)).toArray();
  assert.deepEqual(orthogonal(Tensor.zeros([4, 4]), new Rng(7)).toArray(), a);
});
