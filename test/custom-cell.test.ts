/**
 * The user-written peephole LSTM of examples/peephole-lstm.ts: its equations by hand,
 * its gradients by finite differences, its reduction to the built-in LSTMCell when the
 * peepholes are zero, a short training run, and the guide docs/custom-cells.md quoting
 * the example's code verbatim.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import "../src/backend/ts/index.js";
import { Tensor } from "../src/tensor/tensor.js";
import { Rng } from "../src/tensor/random.js";
import { assertGradcheck } from "../src/autograd/gradcheck.js";
import { concat, sum } from "../src/ops/index.js";
import { LSTMCell } from "../src/nn/cells/index.js";
import { PeepholeLSTMCell, trainRunningMean, unroll } from "../examples/peephole-lstm.js";

function rand64(rng: Rng, shape: number[]): Tensor {
  const t = Tensor.zeros(shape, { dtype: "float64" });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-1, 1);
  return t;
}

const sigma = (v: number): number => 1 / (1 + Math.exp(-v));

test("peephole LSTM: one unit, one step, equals the equations worked by hand", () => {
  const cell = new PeepholeLSTMCell({ inputSize: 1, hiddenSize: 1, rng: new Rng(0), dtype: "float64" });
  const [wi, wf, wg, wo] = [0.5, -0.3, 0.8, 0.2];
  const [ui, uf, ug, uo] = [0.1, 0.4, -0.6, 0.7];
  const [bi, bf, bg, bo] = [0.05, 1, -0.1, 0.2];
  cell.weight_ih.data.set([wi, wf, wg, wo]);
  cell.weight_hh.data.set([ui, uf, ug, uo]);
  cell.bias.data.set([bi, bf, bg, bo]);
  cell.weight_ci.data.set([0.3]);
  cell.weight_cf.data.set([-0.2]);
  cell.weight_co.data.set([0.9]);
  const [x, h, c] = [0.7, -0.4, 1.3];
  const i = sigma(wi * x + ui * h + bi + 0.3 * c);
  const f = sigma(wf * x + uf * h + bf - 0.2 * c);
  const g = Math.tanh(wg * x + ug * h + bg);
  const cNext = f * c + i * g;
  const o = sigma(wo * x + uo * h + bo + 0.9 * cNext);
  const hNext = o * Math.tanh(cNext);
  const f64 = (v: number): Tensor => Tensor.from([v], [1, 1], { dtype: "float64" });
  const s = cell.forward(f64(x), { h: f64(h), c: f64(c) });
  assert.ok(Math.abs(s.c.item() - cNext) < 1e-15);
  assert.ok(Math.abs(s.h.item() - hNext) < 1e-15);
});

test("peephole LSTM gradchecks in float64 (inputs, states and all six parameters)", () => {
  const rng = new Rng(3);
  const cell = new PeepholeLSTMCell({ inputSize: 3, hiddenSize: 4, rng, dtype: "float64" });
  assert.deepEqual(cell.namedParameters().map(([n]) => n), ["weight_ih", "weight_hh", "bias", "weight_ci", "weight_cf", "weight_co"]);
  assertGradcheck((x, h, c) => {
    const s = cell.forward(x, { h, c });
    return concat([s.h, s.c], -1);
  }, [rand64(rng, [2, 3]), rand64(rng, [2, 4]), rand64(rng, [2, 4]), ...cell.parameters()]);
});

test("peephole LSTM over three steps gradchecks (BPTT through the peepholes)", () => {
  const rng = new Rng(4);
  const cell = new PeepholeLSTMCell({ inputSize: 2, hiddenSize: 3, rng, dtype: "float64" });
  assertGradcheck((xs) => unroll(cell, xs).h, [rand64(rng, [3, 2, 2]), ...cell.parameters()]);
});

test("with zero peepholes it is the built-in LSTMCell: same states, same gradients", () => {
  const rng = new Rng(5);
  const I = 3;
  const H = 4;
  const peep = new PeepholeLSTMCell({ inputSize: I, hiddenSize: H, rng, dtype: "float64" });
  for (const w of [peep.weight_ci, peep.weight_cf, peep.weight_co]) w.data.fill(0);
  const lstm = new LSTMCell({ inputSize: I, hiddenSize: H, rng, dtype: "float64" });
  lstm.loadStateDict({
    weight_ih: peep.weight_ih,
    weight_hh: peep.weight_hh,
    bias_ih: peep.bias,
    bias_hh: Tensor.zeros([4 * H], { dtype: "float64" }),
  });
  const x = rand64(rng, [2, I]);
  const h = rand64(rng, [2, H]);
  const c = rand64(rng, [2, H]);
  const run = (cell: PeepholeLSTMCell | LSTMCell): number[][] => {
    const leaves = [x, h, c].map((t) => new Tensor(t.data.slice(), t.shape, { requiresGrad: true }));
    const s = cell.forward(leaves[0], { h: leaves[1], c: leaves[2] });
    sum(concat([s.h, s.c], -1)).backward();
    return [s.h.toArray(), s.c.toArray(), ...leaves.map((t) => Array.from(t.grad!))];
  };
  const a = run(peep);
  const b = run(lstm);
  a.forEach((row, k) => row.forEach((v, j) => assert.ok(Math.abs(v - b[k][j]) < 1e-14, `${k}/${j}: ${v} vs ${b[k][j]}`)));
});

test("the peephole LSTM learns the running-mean task with plain SGD", () => {
  const { losses, test: heldOut } = trainRunningMean({ seed: 1, steps: 200, lr: 0.5 });
  assert.ok(losses.every(Number.isFinite));
  // Predicting 0 scores about Var(mean of 6 U(−1,1)) = 1/18 ≈ 0.056.
  assert.ok(losses.at(-1)! < losses[0] / 10, `loss ${losses[0]} → ${losses.at(-1)}`);
  assert.ok(heldOut < 0.01, `held-out MSE ${heldOut}`);
});

test("docs/custom-cells.md quotes the example's code verbatim", () => {
  const doc = readFileSync(path.resolve(process.cwd(), "docs/custom-cells.md"), "utf8");
  const example = readFileSync(path.resolve(process.cwd(), "examples/peephole-lstm.ts"), "utf8");
  // Quotes are the ```ts blocks; other snippets in the guide are marked ```typescript.
  const quoted = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(quoted.length >= 3, "the guide should quote the example");
  for (const block of quoted) assert.ok(example.includes(block), `not in the example:\n${block}`);
});
