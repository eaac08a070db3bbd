// Tests of the echo-dependency task and experiment: the generator's conditional
// probabilities, the three reference losses derived from them, the cutting into rows and
// windows, the state carried across windows, the TF1-style init, and a quick run.
import { test } from "node:test";
import assert from "node:assert/strict";
import "../src/backend/ts/index.js";
import { Rng } from "../src/tensor/random.js";
import { concat } from "../src/ops/movement.js";
import { noGrad } from "../src/autograd/tape.js";
import { Adagrad } from "../src/optim/adagrad.js";
import { truncatedBptt } from "../src/train/tbptt.js";
import { crossEntropy } from "../src/ops/loss.js";
import { resolveConfig } from "../src/experiments/experiment.js";
import { binaryEntropy, echoExpectedLoss, echoProbability, echoRows, echoSeries, echoWindow } from "../src/data/echo.js";
import { blockMeans, echo, echoNet } from "../src/experiments/echo.js";
import type { RecurrentState } from "../src/ops/recurrent.js";

/** Acceptable distance of an empirical frequency from its probability, in standard errors. */
const sigmas = 5;
/** Float32 layer outputs computed along two paths that differ only in rounding. */
const float32Forward = 1e-5;

test("echoProbability is the tutorial's table", () => {
  assert.equal(echoProbability(0, 0), 0.5);
  assert.equal(echoProbability(1, 0), 1);
  assert.equal(echoProbability(0, 1), 0.25);
  assert.equal(echoProbability(1, 1), 0.75);
});

test("echoSeries: X is fair and P(Y=1 | X_{t−3}, X_{t−8}) matches the table", () => {
  const n = 200_000;
  const { x, y } = echoSeries(new Rng(7), n);
  let ones = 0;
  for (let t = 0; t < n; t++) ones += x[t];
  assert.ok(Math.abs(ones / n - 0.5) < sigmas * Math.sqrt(0.25 / n), `P(X=1) = ${ones / n}`);
  const count = [0, 0, 0, 0];
  const hits = [0, 0, 0, 0];
  for (let t = 8; t < n; t++) {
    const k = x[t - 3] * 2 + x[t - 8];
    count[k]++;
    hits[k] += y[t];
  }
  for (const [v3, v8] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
    const k = v3 * 2 + v8;
    const p = echoProbability(v3, v8);
    const freq = hits[k] / count[k];
    const se = Math.sqrt((p * (1 - p)) / count[k]);
    if (p === 1) assert.equal(freq, 1, "X_{t−3}=1, X_{t−8}=0 must always give Y=1");
    else assert.ok(Math.abs(freq - p) < sigmas * se, `P(Y=1 | ${v3}, ${v8}) = ${freq}, expected ${p} ± ${se.toFixed(4)}`);
  }
});

test("echoSeries: the first steps' lags wrap around to the end of the series", () => {
  const n = 50;
  const { x, y } = echoSeries(new Rng(3), n);
  // Y_0 = 1 is certain when X_{−3} = X_{47} = 1 and X_{−8} = X_{42} = 0; with the lags wrapped
  // no such step may show Y = 0.
  for (let t = 0; t < n; t++) {
    if (x[(t - 3 + n) % n] === 1 && x[(t - 8 + n) % n] === 0) assert.equal(y[t], 1, `step ${t}`);
  }
});

test("reference losses: derived from the probabilities, equal to the tutorial's 0.6616, 0.5192, 0.4545", () => {
  const H = binaryEntropy;
  // No lag known: P(Y=1) = (0.5 + 1 + 0.25 + 0.75) / 4 = 0.625.
  const none = H(0.625);
  // X_{t−3} known: P(Y=1 | 1) = (1 + 0.75) / 2, P(Y=1 | 0) = (0.5 + 0.25) / 2, each half the time.
  const first = 0.5 * H(0.875) + 0.5 * H(0.375);
  // Both known: the entropies of the four cells of the table, a quarter each.
  const both = 0.25 * (H(0.5) + H(1) + H(0.25) + H(0.75));
  const agree = 1e-12;
  assert.ok(Math.abs(echoExpectedLoss([]) - none) < agree);
  assert.ok(Math.abs(echoExpectedLoss([3]) - first) < agree);
  assert.ok(Math.abs(echoExpectedLoss([3, 8]) - both) < agree);
  assert.equal(none.toFixed(4), "0.6616");
  assert.equal(first.toFixed(4), "0.5192");
  assert.equal(both.toFixed(4), "0.4545");
  // Knowing only t−8 helps less than knowing t−3.
  assert.ok(echoExpectedLoss([8]) > first && echoExpectedLoss([8]) < none);
});

test("reference losses: the Bayes predictors reach them on generated data", () => {
  const n = 200_000;
  const { x, y } = echoSeries(new Rng(11), n);
  const predictors: Array<[number, (t: number) => number]> = [
    [echoExpectedLoss([]), () => 0.625],
    [echoExpectedLoss([3]), (t) => (x[t - 3] ? 0.875 : 0.375)],
    [echoExpectedLoss([3, 8]), (t) => echoProbability(x[t - 3], x[t - 8])],
  ];
  for (const [expected, predict] of predictors) {
    let sum = 0;
    let sumSq = 0;
    let m = 0;
    for (let t = 8; t < n; t++) {
      const p = Math.min(Math.max(predict(t), 1e-12), 1 - 1e-12);
      const l = -Math.log(y[t] ? p : 1 - p);
      sum += l;
      sumSq += l * l;
      m++;
    }
    const mean = sum / m;
    const se = Math.sqrt((sumSq / m - mean * mean) / m);
    assert.ok(Math.abs(mean - expected) < sigmas * se, `empirical ${mean} vs ${expected} ± ${se}`);
  }
});

test("echoRows and echoWindow: contiguous rows, one-hot inputs, targets in (t, b) order", () => {
  const series = echoSeries(new Rng(5), 103);
  const rows = echoRows(series, 4);
  assert.equal(rows.steps, 25);
  assert.equal(rows.x.length, 100);
  const w = echoWindow(rows, 10, 5);
  assert.deepEqual(w.x.shape, [5, 4, 2]);
  for (let t = 0; t < 5; t++) {
    for (let b = 0; b < 4; b++) {
      const src = b * 25 + 10 + t; // row b is the contiguous stretch b·25 … b·25 + 24
      const pos = t * 4 + b;
      assert.equal(w.x.data[pos * 2] + w.x.data[pos * 2 + 1], 1);
      assert.equal(w.x.data[pos * 2 + series.x[src]], 1);
      assert.equal(w.y[pos], series.y[src]);
    }
  }
  assert.throws(() => echoWindow(rows, 21, 5), /outside/);
  assert.throws(() => echoRows(series, 200), /cannot cut/);
});

test("echoNet: TF1 Glorot limits, zero biases", () => {
  for (const H of [4, 16]) {
    const net = echoNet("rnn", H, new Rng(1));
    const cellLimit = Math.sqrt(6 / (2 + H + H));
    for (const [name, w] of net.rnn.namedParameters()) {
      const max = Math.max(...Array.from(w.data, Math.abs));
      if (name.startsWith("bias")) assert.equal(max, 0, name);
      else assert.ok(max <= cellLimit && max > 0.5 * cellLimit, `${name} max ${max}, limit ${cellLimit}`);
    }
    const headMax = Math.max(...Array.from(net.head.weight.data, Math.abs));
    assert.ok(headMax <= Math.sqrt(6 / (H + 2)));
    assert.equal(Math.max(...Array.from(net.head.bias!.data, Math.abs)), 0);
  }
});

test("carrying the state across windows equals one unbroken forward pass", () => {
  for (const cell of ["rnn", "gru", "lstm"] as const) {
    const net = echoNet(cell, 6, new Rng(2));
    const rows = echoRows(echoSeries(new Rng(4), 60), 3);
    noGrad(() => {
      const whole = net.forward(echoWindow(rows, 0, 12).x);
      const a = net.forwardWithState(echoWindow(rows, 0, 5).x);
      const b = net.forwardWithState(echoWindow(rows, 5, 7).x, { state: a.state });
      const pieces = concat([a.y, b.y], 0);
      for (let i = 0; i < whole.size; i++) assert.ok(Math.abs(whole.data[i] - pieces.data[i]) < float32Forward, `${cell} ${i}`);
    });
  }
});

test("truncatedBptt hands each window the previous window's final state, detached", () => {
  const net = echoNet("rnn", 4, new Rng(3));
  const rows = echoRows(echoSeries(new Rng(6), 400), 4);
  const seen: Array<RecurrentState | null> = [];
  const given: RecurrentState[] = [];
  truncatedBptt<RecurrentState>(net, {
    length: rows.steps,
    windowSize: 10,
    optimizer: new Adagrad(net.parameters(), { lr: 0.1, initialAccumulatorValue: 0.1 }),
    forward: (from, size, state) => {
      seen.push(state);
      const w = echoWindow(rows, from, size);
      const out = net.forwardWithState(w.x, { state: state ?? undefined });
      given.push(out.state);
      return { loss: crossEntropy(out.y, w.y), state: out.state };
    },
  });
  assert.equal(seen.length, 10);
  assert.equal(seen[0], null);
  for (let k = 1; k < seen.length; k++) {
    const s = seen[k]!;
    assert.equal(s.h.node, null, "the carried state must be cut from the graph");
    assert.deepEqual(Array.from(s.h.data), Array.from(given[k - 1].h.data));
  }
});

test("blockMeans", () => {
  assert.deepEqual(blockMeans([1, 2, 3, 4, 5], 2), [1.5, 3.5]);
  assert.deepEqual(blockMeans([1, 2], 5), []);
});

test("quick run: figures, plots, and a config that learns a dependency", async () => {
  const config = resolveConfig(echo, {}, true);
  const out = await echo.run(config, { log: () => {}, progress: "none", quick: true, reportDir: "" });
  const tutorialConfigs = config.numSteps.length * config.states.length;
  assert.equal(out.figures.length, tutorialConfigs + 1);
  for (const f of out.figures) assert.ok(f.ours && f.published && f.verdict, f.name);
  assert.deepEqual(out.plots.map((p) => p.name), ["loss", "beyond"]);
  const finals = Object.values(out.data.finals as Record<string, number[]>).flat();
  assert.ok(Math.min(...finals) < 0.6, `lowest final loss ${Math.min(...finals)}`);
  assert.ok(finals.every((v) => Number.isFinite(v) && v < 0.75));
  const rows = (out.plots[0].spec.data as { values: unknown[] }).values;
  assert.ok(rows.length > 0);
});
