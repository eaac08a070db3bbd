// Tests of the vanishing-gradient diagnostic: every case of vanishing.json through
// vanishingFamily in float64 (once: it runs on the TypeScript kernels whatever backend is
// active) and in float32 on every backend, and the diagnostic's ∂L/∂h0 against the
// gradient the tape computes for the same loss.
import { test } from "node:test";
import assert from "node:assert/strict";
import "../src/backend/ts/index.js";
import { Comparison } from "../src/fixtures/format.js";
import { readFixtureCases } from "./support/fixtures.js";
import { vanishingFamily } from "../src/fixtures/vanishing.js";
import { layerFamily } from "../src/fixtures/layers.js";
import { hiddenGradientNorms, recurrent, recurrentParamNames, recurrentParamShapes, type RecurrentSpec } from "../src/ops/recurrent.js";
import { Rng } from "../src/tensor/random.js";
import { Tensor, type DType } from "../src/tensor/tensor.js";
import { kernels } from "../src/backend/kernels.js";
import { forEachBackend } from "./support/backends.js";


/** Two float64 computations that differ only in summation order. */
const sameMath64 = 1e-12;

const cases = readFixtureCases("vanishing.json");

function vanishingFixtureTest(dtype: DType): void {
  test(`vanishing.json: every case passes in ${dtype}`, async (t) => {
    assert.ok(cases.length > 0);
    for (const c of cases) {
      await t.test(c.name, () => {
        assert.ok(vanishingFamily.matches(c), "vanishingFamily does not recognize the case");
        assert.ok(!layerFamily.matches(c), "layerFamily must leave vanishing cases alone");
        const cmp = new Comparison(c.tolerances, dtype);
        vanishingFamily.run(c, cmp);
        const bad = cmp.results.filter((r) => !r.ok).map((r) => `${r.key} ratio ${r.ratio.toExponential(2)}`);
        assert.deepEqual(bad, [], `${c.name} ${dtype} on ${kernels().name}`);
        const keys = cmp.results.map((r) => r.key);
        for (const k of ["output", "loss", "grad_h_norm", "grad_h0_norm"]) assert.ok(keys.includes(k), `${k} not checked`);
        if (c.config.module === "LSTM") for (const k of ["grad_c_norm", "grad_c0_norm"]) assert.ok(keys.includes(k), `${k} not checked`);
      });
    }
  });
}

vanishingFixtureTest("float64");
forEachBackend(() => vanishingFixtureTest("float32"));

test("the small tanh RNN's gradient vanishes; the +3 forget-bias LSTM's does not", () => {
  const byName = new Map(cases.map((c) => [c.name, c]));
  const norms = (name: string): number[] => (byName.get(name)!.expected.grad_h_norm as { data: number[] }).data;
  const rnn = norms("vanishing_rnn_tanh");
  assert.ok(rnn[0] < 1e-6 * rnn[rnn.length - 1]);
  const lstm = norms("vanishing_lstm_forget_bias");
  assert.ok(lstm[0] > 1e-3 * lstm[lstm.length - 1]);
});

test("hiddenGradientNorms: ∂L/∂h0 and ∂L/∂c0 equal the tape's gradients of h0 and c0", () => {
  for (const cell of ["rnn", "lstm", "gru"] as const) {
    const spec: RecurrentSpec = { cell, inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, bias: true, batchFirst: true };
    const rng = new Rng(7);
    const rand = (shape: number[]): Tensor => {
      const t = Tensor.zeros(shape, { dtype: "float64" });
      for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-1, 1);
      return t;
    };
    const shapes = recurrentParamShapes(spec);
    const weights = recurrentParamNames(spec).map((n) => rand(shapes[n]));
    const x = rand([2, 5, 3]);
    const h0 = rand([4, 2, 4]);
    const c0 = cell === "lstm" ? rand([4, 2, 4]) : undefined;
    const dOutput = rand([2, 5, 8]);
    const dhN = rand([4, 2, 4]);
    const lengths = [5, 3];

    const state = c0 ? { h: h0, c: c0 } : { h: h0 };
    const records = hiddenGradientNorms(spec, x, weights, { state, dOutput, dhN, lengths });
    h0.requiresGrad = true;
    if (c0) c0.requiresGrad = true;
    const r = recurrent(spec, x, weights, { state, lengths });
    r.state.h.grad = Float64Array.from(dhN.data);
    r.output.backward(dOutput.data);
    assert.equal(records.length, 4);
    for (const [kd, rec] of records.entries()) {
      assert.equal(rec.layer, Math.floor(kd / 2));
      assert.equal(rec.direction, kd % 2);
      assert.deepEqual(rec.dh.shape, [5, 2, 4]);
      let n2 = 0;
      for (let i = kd * 8; i < kd * 8 + 8; i++) n2 += h0.grad![i] ** 2;
      assert.ok(Math.abs(rec.dh0Norm - Math.sqrt(n2)) <= sameMath64 * (1 + Math.sqrt(n2)), `${cell} ${kd} dh0`);
      if (c0) {
        let c2 = 0;
        for (let i = kd * 8; i < kd * 8 + 8; i++) c2 += c0.grad![i] ** 2;
        assert.ok(Math.abs(rec.dc0Norm! - Math.sqrt(c2)) <= sameMath64 * (1 + Math.sqrt(c2)), `${cell} ${kd} dc0`);
      } else {
        assert.equal(rec.dc, null);
      }
    }
    // The top layer's forward direction at its last valid step sees exactly the seeds:
    // dhN passes unchanged through the padded steps after it.
    const top = records[2];
    for (let b = 0; b < 2; b++) {
      const last = lengths[b] - 1;
      for (let j = 0; j < 4; j++) {
        const want = dOutput.data[(b * 5 + last) * 8 + j] + dhN.data[(2 * 2 + b) * 4 + j];
        const got = top.dh.data[(last * 2 + b) * 4 + j];
        assert.ok(Math.abs(got - want) <= sameMath64, `${cell} top dh[${last},${b},${j}]: ${got} vs ${want}`);
      }
    }
  }
});

test("hiddenGradientNorms needs a seed", () => {
  const spec: RecurrentSpec = { cell: "gru", inputSize: 1, hiddenSize: 2, numLayers: 1, bidirectional: false, bias: true, batchFirst: false };
  const weights = recurrentParamNames(spec).map((n) => Tensor.zeros(recurrentParamShapes(spec)[n]));
  assert.throws(() => hiddenGradientNorms(spec, Tensor.zeros([3, 1, 1]), weights, {}), /at least one of dOutput, dhN, dcN/);
});
