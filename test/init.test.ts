import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Rng, Tensor, LSTM, GRU, RNN, recurrentParamNames, fillOrthogonal, fillGlorotUniform, fillPytorchRecurrent, fillZeros, fillConstant,
  fillTf1Recurrent, type Tf1RecurrentOptions,
} from "../src/index.js";

/** Orthonormality of float64 Gram–Schmidt vectors (rounding of a few dot products). */
const orthonormal64 = 1e-12;

test("fillOrthogonal gives orthonormal rows or columns (whichever are fewer)", () => {
  for (const [r, c] of [[8, 3], [3, 8], [5, 5]]) {
    const t = fillOrthogonal(Tensor.zeros([r, c], { dtype: "float64" }), new Rng(r * 10 + c));
    const n = Math.min(r, c);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let d = 0;
        for (let k = 0; k < Math.max(r, c); k++) d += r >= c ? t.data[k * c + i] * t.data[k * c + j] : t.data[i * c + k] * t.data[j * c + k];
        assert.ok(Math.abs(d - (i === j ? 1 : 0)) < orthonormal64, `[${r},${c}] (${i},${j}) = ${d}`);
      }
    }
  }
});

test("uniform initializers stay in their bounds and fill them; fillZeros and fillConstant", () => {
  const g = fillGlorotUniform(Tensor.zeros([40, 60]), new Rng(1), 60, 40);
  const bound = Math.sqrt(6 / 100);
  assert.ok(g.toArray().every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...g.toArray().map(Math.abs)) > 0.95 * bound);
  const p = fillPytorchRecurrent(Tensor.zeros([64, 16]), new Rng(2), 16);
  assert.ok(p.toArray().every((v) => Math.abs(v) <= 0.25));
  assert.deepEqual(fillZeros(Tensor.ones([3])).toArray(), [0, 0, 0]);
  assert.deepEqual(fillConstant(Tensor.zeros([2]), 1.5).toArray(), [1.5, 1.5]);
});

test("the same seed gives the same initial weights", () => {
  const a = fillOrthogonal(Tensor.zeros([4, 4]), new Rng(7)).toArray();
  assert.deepEqual(fillOrthogonal(Tensor.zeros([4, 4]), new Rng(7)).toArray(), a);
});

// ---------------------------------------------------------------------------------------------
// fillTf1Recurrent

const maxAbs = (d: ArrayLike<number>) => Array.from(d).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

test("fillTf1Recurrent: Glorot-uniform over each layer's [I_k+H, G·H] kernel, zero biases, forget bias in bias_ih's f block", () => {
  const I = 28, H = 30;
  const lstm = fillTf1Recurrent(new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, rng: new Rng(1) }), new Rng(2), { forgetBias: 1 });
  const [wIh0, wHh0, bIh0, bHh0, wIh1, wHh1, bIh1, bHh1] = lstm.weights;
  for (const [w, fanIn] of [[wIh0, I + H], [wHh0, I + H], [wIh1, 2 * H], [wHh1, 2 * H]] as const) {
    const bound = Math.sqrt(6 / (fanIn + 4 * H));
    // Uniform on (−bound, bound): nothing outside, and with 800+ draws the largest is close to it.
    assert.ok(maxAbs(w.data) <= bound && maxAbs(w.data) > 0.95 * bound, `max |w| ${maxAbs(w.data)} for bound ${bound}`);
  }
  // Gate blocks i|f|g|o: only f (rows H..2H−1) of bias_ih starts at the forget bias.
  for (const b of [bIh0, bIh1]) assert.deepEqual(Array.from(b.data), Array.from({ length: 4 * H }, (_, j) => (j >= H && j < 2 * H ? 1 : 0)));
  for (const b of [bHh0, bHh1]) assert.ok(b.data.every((v) => v === 0));
  // Without forgetBias every bias is 0.
  const plain = fillTf1Recurrent(new LSTM({ inputSize: I, hiddenSize: H, rng: new Rng(1) }), new Rng(2));
  assert.ok([plain.weights[2], plain.weights[3]].every((b) => b.data.every((v) => v === 0)));
});

test("fillTf1Recurrent: a bidirectional stack's upper layers read D·H inputs", () => {
  const H = 20;
  const gru = fillTf1Recurrent(new GRU({ inputSize: 3, hiddenSize: H, numLayers: 2, bidirectional: true, rng: new Rng(3) }), new Rng(4));
  const names = recurrentParamNames(gru.spec);
  gru.weights.forEach((w, k) => {
    if (names[k].startsWith("bias")) return void assert.ok(w.data.every((v) => v === 0), names[k]);
    const bound = Math.sqrt(6 / ((names[k].includes("_l0") ? 3 : 2 * H) + H + 3 * H));
    assert.ok(maxAbs(w.data) <= bound && maxAbs(w.data) > 0.9 * bound, `${names[k]}: max |w| ${maxAbs(w.data)} for bound ${bound}`);
  });
});

test("fillTf1Recurrent draws the weights in parameter order, row-major, one uniform per entry, with each kernel reading's bound", () => {
  const I = 3, H = 4;
  const cases: Array<[Tf1RecurrentOptions["kernel"], (input: boolean, G: number) => number]> = [
    ["layer", (_input, G) => Math.sqrt(6 / (I + H + G * H))],
    ["gate", () => Math.sqrt(6 / (I + H + H))],
    ["matrix", (input) => Math.sqrt(6 / ((input ? I : H) + H))],
  ];
  for (const [kernel, boundOf] of cases) {
    for (const make of [(rng: Rng) => new LSTM({ inputSize: I, hiddenSize: H, rng }), (rng: Rng) => new RNN({ inputSize: I, hiddenSize: H, rng })]) {
      const layer = fillTf1Recurrent(make(new Rng(5)), new Rng(6), { kernel });
      const G = layer.spec.cell === "lstm" ? 4 : 1;
      const replay = new Rng(6);
      const names = recurrentParamNames(layer.spec);
      layer.weights.forEach((w, k) => {
        if (names[k].startsWith("bias")) return;
        const a = boundOf(names[k].startsWith("weight_ih"), G);
        const want = Array.from({ length: w.size }, () => Math.fround(replay.uniform(-a, a)));
        assert.deepEqual(Array.from(w.data), want, `${kernel} ${layer.spec.cell} ${names[k]}`);
      });
      // The biases drew nothing: the next draw is the one after the last weight's.
      const after = new Rng(6);
      for (let i = 0; i < layer.weights[0].size + layer.weights[1].size; i++) after.next();
      assert.equal(replay.next(), after.next());
    }
  }
});

test("fillTf1Recurrent refuses options that do not apply", () => {
  const rng = new Rng(7);
  assert.throws(() => fillTf1Recurrent(new GRU({ inputSize: 2, hiddenSize: 3, rng }), rng, { forgetBias: 1 }), /fillTf1Recurrent \(GRU\): forgetBias applies to an LSTM only/);
  assert.throws(() => fillTf1Recurrent(new LSTM({ inputSize: 2, hiddenSize: 3, bias: false, rng }), rng, { forgetBias: 1 }), /bias: false/);
  assert.throws(() => fillTf1Recurrent(new RNN({ inputSize: 2, hiddenSize: 3, rng }), rng, { kernel: "cell" as never }), /kernel must be "layer", "gate" or "matrix"/);
});
