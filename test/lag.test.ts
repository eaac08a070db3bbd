// Tests of the long-time-lag task (Hochreiter & Schmidhuber 1997, task 2a) and experiment:
// the sequences and their encoding, the success criterion on hand-made perfect and
// imperfect predictors, the grouped frozen-weight check against running every sequence,
// the no-forget-gate LSTM against a hand-written c = c + i⊙g cell, and a quick run.
import { test } from "node:test";
import assert from "node:assert/strict";
import "../src/backend/ts/index.js";
import { Rng } from "../src/tensor/random.js";
import { Tensor, type DType } from "../src/tensor/tensor.js";
import { LSTM } from "../src/nn/recurrent.js";
import { noGrad } from "../src/autograd/tape.js";
import { sum } from "../src/ops/reduce.js";
import { Adam } from "../src/optim/adam.js";
import { resolveConfig } from "../src/experiments/experiment.js";
import {
  LAG_ERROR_THRESHOLD, LAG_X, LAG_Y, lagBatch, lagBatchOf, lagCheck, lagDistractor, lagMaxErrors, lagSequence, lagVocabulary,
  type LagBatch,
} from "../src/data/lag.js";
import { FORGET_GATE_OFF_BIAS, forgetGateIsOff, setForgetGateBias, withoutForgetGate } from "../src/nn/lstm-variants.js";
import { lag, LagNet, lagTrial } from "../src/experiments/lag.js";

/** Two float64 computations of the same formula in a different order. */
const float64SameMath = 1e-12;
/** The fused float32 layer against the float64 hand-written cell. */
const float32Forward = 1e-5;

test("lagSequence: (x|y, a_1 … a_{p−1}, x|y) over p + 1 symbols", () => {
  assert.equal(lagVocabulary(4), 5);
  assert.deepEqual(lagSequence(4, LAG_X), [LAG_X, 2, 3, 4, LAG_X]);
  assert.deepEqual(lagSequence(4, LAG_Y), [LAG_Y, 2, 3, 4, LAG_Y]);
  const s = lagSequence(100, LAG_Y);
  assert.equal(s.length, 101);
  assert.equal(s[100], LAG_Y);
  for (let i = 1; i < 100; i++) assert.equal(s[i], lagDistractor(i));
  assert.equal(new Set(s).size, 100); // y, a_1 … a_99; x does not occur in a y-sequence
  assert.throws(() => lagSequence(1, LAG_X), /p must be/);
  assert.throws(() => lagSequence(5, 3), /first must be/);
});

test("lagBatch: one-hot inputs, shifted targets, both sequences drawn", () => {
  const p = 6;
  const V = lagVocabulary(p);
  const b = lagBatch(new Rng(1), p, 200);
  assert.deepEqual(b.x.shape, [p, 200, V]);
  const firsts = new Set(b.firsts);
  assert.ok(firsts.has(LAG_X) && firsts.has(LAG_Y), "both x- and y-sequences in 200 draws");
  const xs = b.firsts.filter((f) => f === LAG_X).length;
  assert.ok(Math.abs(xs - 100) < 5 * Math.sqrt(50), `${xs} x-sequences of 200`);
  for (let n = 0; n < 200; n++) {
    const s = lagSequence(p, b.firsts[n]);
    for (let t = 0; t < p; t++) {
      const row = Array.from(b.x.data.subarray((t * 200 + n) * V, (t * 200 + n + 1) * V));
      assert.equal(row.reduce((a, v) => a + v, 0), 1);
      assert.equal(row[s[t]], 1);
      assert.equal(b.inputs[t * 200 + n], s[t]);
      assert.equal(b.targets[t * 200 + n], s[t + 1]);
    }
    assert.equal(b.targets[(p - 1) * 200 + n], b.firsts[n], "the last target is the first symbol");
  }
});

/** Outputs [p, B, V] equal to the one-hot targets, then `edit` applied to them. */
function handMade(batch: LagBatch, edit: (out: Tensor, B: number, V: number) => void = () => {}): Tensor {
  const V = lagVocabulary(batch.p);
  const B = batch.firsts.length;
  const out = Tensor.zeros([batch.p, B, V], { dtype: "float64" });
  batch.targets.forEach((k, pos) => (out.data[pos * V + k] = 1));
  edit(out, B, V);
  return out;
}

test("success criterion: a perfect predictor passes, imperfect ones fail", () => {
  const p = 8;
  const perfect = (b: LagBatch) => handMade(b);
  const r = lagCheck(new Rng(2), p, perfect);
  assert.deepEqual(r, { passed: true, count: 10_000, worst: 0, failures: 0 });

  // Unsure at the last step: 0.5 on x and on y. Error 0.5 on every sequence.
  const unsure = (b: LagBatch) => handMade(b, (out, B, V) => {
    for (let n = 0; n < B; n++) {
      const row = ((b.p - 1) * B + n) * V;
      out.data[row + LAG_X] = 0.5;
      out.data[row + LAG_Y] = 0.5;
    }
  });
  const u = lagCheck(new Rng(2), p, unsure);
  assert.equal(u.passed, false);
  assert.equal(u.failures, 10_000);
  assert.equal(u.worst, 0.5);

  // Wrong only on x-sequences, somewhere in the middle: about half the sequences fail.
  const wrongOnX = (b: LagBatch) => handMade(b, (out, B, V) => {
    b.firsts.forEach((f, n) => {
      if (f !== LAG_X) return;
      const row = (3 * B + n) * V;
      out.data[row + b.targets[3 * B + n]] = 0.6;
    });
  });
  const w = lagCheck(new Rng(2), p, wrongOnX);
  assert.equal(w.passed, false);
  assert.ok(Math.abs(w.failures - 5000) < 5 * 50, `${w.failures} failures`);
  assert.ok(Math.abs(w.worst - 0.4) < float64SameMath);

  // The threshold is strict: an error of exactly 0.25 is not below it.
  const atThreshold = (b: LagBatch) => handMade(b, (out) => (out.data[1] = LAG_ERROR_THRESHOLD));
  assert.equal(lagCheck(new Rng(2), p, atThreshold).passed, false);
  const justBelow = (b: LagBatch) => handMade(b, (out) => (out.data[1] = 0.2499));
  assert.equal(lagCheck(new Rng(2), p, justBelow).passed, true);
});

test("lagMaxErrors: the largest error over steps and units, per sequence", () => {
  const b = lagBatchOf(3, [LAG_X, LAG_Y]);
  const out = handMade(b, (o, B, V) => {
    o.data[(1 * B + 1) * V + 0] = 0.3; // sequence 1, step 1, a wrong unit at 0.3
    o.data[(2 * B + 0) * V + LAG_X] = 0.9; // sequence 0, last step, the right unit at 0.9
  });
  const e = lagMaxErrors(out, b.targets);
  assert.ok(Math.abs(e[0] - 0.1) < float64SameMath);
  assert.ok(Math.abs(e[1] - 0.3) < float64SameMath);
});

test("lagCheck on a real net equals running every drawn sequence", () => {
  const p = 5;
  const net = new LagNet({ cell: "lstm1997", p, hidden: 4, shortcut: true, forgetBias: 0 }, new Rng(3));
  noGrad(() => {
    const grouped = lagCheck(new Rng(9), p, (b) => net.outputs(b), 300, 0.999);
    const all = lagBatch(new Rng(9), p, 300); // the same 300 draws
    const errors = lagMaxErrors(net.outputs(all), all.targets);
    assert.equal(grouped.worst, Math.max(...errors));
    assert.equal(grouped.failures, errors.filter((e) => !(e < 0.999)).length);
  });
});

/** The 1997 cell written by hand in float64 (gates i|f|g|o, f unused): c = c + σ(i)⊙tanh(g), h = σ(o)⊙tanh(c). */
function handCell(lstm: LSTM, x: Tensor): Float64Array {
  const [wIh, wHh, bIh, bHh] = lstm.weights.map((w) => w.data);
  const [T, B, I] = x.shape;
  const H = lstm.spec.hiddenSize;
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const out = new Float64Array(T * B * H);
  for (let b = 0; b < B; b++) {
    const h = new Float64Array(H);
    const c = new Float64Array(H);
    for (let t = 0; t < T; t++) {
      const pre = new Float64Array(4 * H);
      for (let r = 0; r < 4 * H; r++) {
        let s = bIh[r] + bHh[r];
        for (let k = 0; k < I; k++) s += wIh[r * I + k] * x.data[(t * B + b) * I + k];
        for (let k = 0; k < H; k++) s += wHh[r * H + k] * h[k];
        pre[r] = s;
      }
      for (let j = 0; j < H; j++) {
        c[j] = c[j] + sig(pre[j]) * Math.tanh(pre[2 * H + j]);
        h[j] = sig(pre[3 * H + j]) * Math.tanh(c[j]);
        out[(t * B + b) * H + j] = h[j];
      }
    }
  }
  return out;
}

for (const dtype of ["float64", "float32"] as DType[]) {
  test(`withoutForgetGate: the fused LSTM equals the hand-written c = c + i⊙g cell (${dtype})`, () => {
    const rng = new Rng(4);
    const lstm = withoutForgetGate(new LSTM({ inputSize: 3, hiddenSize: 5, rng, dtype }));
    assert.ok(forgetGateIsOff(lstm));
    const x = Tensor.zeros([30, 2, 3], { dtype });
    for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
    const fused = noGrad(() => lstm.forward(x)).output;
    const hand = handCell(lstm, x);
    const tol = dtype === "float64" ? float64SameMath : float32Forward;
    for (let i = 0; i < hand.length; i++) assert.ok(Math.abs(fused.data[i] - hand[i]) < tol, `${dtype} [${i}] ${fused.data[i]} vs ${hand[i]}`);
  });
}

test("withoutForgetGate: the forget block gets exactly zero gradient and never moves under Adam", () => {
  const rng = new Rng(5);
  const lstm = withoutForgetGate(new LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, rng }));
  assert.ok(forgetGateIsOff(lstm));
  const H = 3;
  const opt = new Adam(lstm.parameters(), { lr: 0.1 });
  for (let step = 0; step < 5; step++) {
    const x = Tensor.zeros([7, 2, 2]);
    for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
    opt.zeroGrad();
    sum(lstm.forward(x).output).backward();
    for (const [name, w] of lstm.namedParameters()) {
      const cols = w.rank === 2 ? w.shape[1] : 1;
      for (let k = H * cols; k < 2 * H * cols; k++) assert.equal(w.grad![k], 0, `${name}[${k}]`);
    }
    opt.step();
  }
  assert.ok(forgetGateIsOff(lstm), "the forget block moved");
  assert.equal(lstm.weights[2].data[H], FORGET_GATE_OFF_BIAS);
});

test("setForgetGateBias: bias_ih's f block holds the value, bias_hh's is zero", () => {
  const lstm = setForgetGateBias(new LSTM({ inputSize: 2, hiddenSize: 4, rng: new Rng(6) }), 5);
  const [, , bIh, bHh] = lstm.weights;
  for (let j = 4; j < 8; j++) {
    assert.equal(bIh.data[j], 5);
    assert.equal(bHh.data[j], 0);
  }
  assert.ok(!forgetGateIsOff(lstm));
  assert.throws(() => withoutForgetGate(new LSTM({ inputSize: 2, hiddenSize: 4, bias: false, rng: new Rng(6) })), /biases/);
});

test("lagTrial: the 1997 LSTM in our setup solves p = 10; a trial stops at its budget", () => {
  const base = { p: 10, seed: 1, hidden: 8, lr: 3e-4, shortcut: true, shortcutLr: 0.03, clipNorm: 1, forgetBias: 5, checkEvery: 100, checkCount: 10_000 };
  const solved = lagTrial({ ...base, cell: "lstm1997", maxSequences: 5000 });
  assert.ok(solved.solved, `not solved, worst ${solved.worst}`);
  assert.ok(solved.worst < LAG_ERROR_THRESHOLD);
  const capped = lagTrial({ ...base, cell: "lstm1997", maxSequences: 50 });
  assert.deepEqual([capped.solved, capped.sequences], [false, 50]);
  assert.ok(capped.worst >= LAG_ERROR_THRESHOLD);
});

test("quick run: figures, plots, and the 1997 LSTM solving every quick trial", async () => {
  const config = resolveConfig(lag, {}, true);
  const out = await lag.run(config, { log: () => {}, progress: "none", quick: true, reportDir: "" });
  assert.ok(out.figures.length >= 4);
  for (const f of out.figures) assert.ok(f.ours && f.published && f.verdict, f.name);
  assert.deepEqual(out.plots.map((p) => p.name), ["success", "sequences"]);
  const cells = out.data.cells as Array<{ model: string; p: number; trials: Array<{ solved: boolean }> }>;
  assert.equal(cells.length, config.models.length * config.ps.length);
  for (const c of cells.filter((c) => c.model === "lstm1997")) assert.ok(c.trials.every((t) => t.solved), `lstm1997 p=${c.p}`);
});
