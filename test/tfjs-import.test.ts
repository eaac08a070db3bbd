/**
 * TF.js layers-model import (src/interop/tfjs-import.ts onto the shared Keras-topology importer,
 * src/node/tfjs-load.ts) checked against its source, TensorFlow.js itself: models built by
 * `tf.sequential` / `tf.model` with TF.js's own seeded initializers (SimpleRNN tanh / relu /
 * sigmoid, LSTM with recurrentActivation 'sigmoid' and with TF.js's default hardSigmoid, TF.js's
 * GRU (reset before the recurrent product, hardSigmoid gates) bare, in Bidirectional and after an
 * Embedding, Embedding, Bidirectional with each merge mode,
 * go_backwards, Dense with linear and non-linear activations and without bias, TimeDistributed,
 * Dropout, functional graphs with concatenate and add), saved by `model.save(tf.io.withSaveHandler(...))`,
 * imported, and run by rnnkit at batch and time sizes other than the saved model's, against
 * `model.predict` (cpu backend).
 * Also: rnnkit → exportLayersModel → importLayersModel (parameters bit for bit, the two biases
 * folded; LSTM, hard-sigmoid reset-before GRU), a few Adam steps on imported LSTM and GRU models,
 * loading from disk (two shards), the refusals and
 * docs/tfjs.md's import example as written.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  Adam, Rng, SequenceToSequence, SequenceToVector, Tensor, mseLoss, noGrad, transpose,
  exportLayersModel, importLayersModel, fromTfjsGateOrder, toTfjsGateOrder, TfjsImportError, TfjsOutputActivationModule, KerasLayersModel,
  SUPPORTED_KERAS_LAYERS, type Module,
} from "../src/index.js";
import { loadLayersModel } from "../src/node/index.js";
import { FLOAT32_FORWARD, assertClose } from "./support/close.js";
import { runDocExample } from "./support/doc-example.js";


const I = 3;

before(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

/** What `model.save` hands its handler, as the model.json content and the weights file. */
interface Saved {
  modelJson: { format?: string; modelTopology: unknown; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> };
  weightData: Uint8Array;
}

async function saveTf(model: tf.LayersModel): Promise<Saved> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  const a = artifacts as tf.io.ModelArtifacts;
  const buffer = Array.isArray(a.weightData) ? a.weightData[0] : (a.weightData as ArrayBuffer);
  return {
    modelJson: {
      format: a.format, modelTopology: a.modelTopology,
      weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs as tf.io.WeightsManifestEntry[] }],
    },
    weightData: new Uint8Array(buffer.slice(0)),
  };
}

/** TF.js's seeded initializers: every weight random, biases included. */
let seedCounter = 0;
function init(): Record<string, ReturnType<typeof tf.initializers.zeros>> {
  seedCounter += 3;
  return {
    kernelInitializer: tf.initializers.glorotUniform({ seed: seedCounter }),
    recurrentInitializer: tf.initializers.glorotUniform({ seed: seedCounter + 1 }),
    biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seedCounter + 2 }),
  };
}
function denseInit(): Record<string, ReturnType<typeof tf.initializers.zeros>> {
  const { kernelInitializer, biasInitializer } = init();
  return { kernelInitializer, biasInitializer };
}

/**
 * Runs rnnkit's model and TF.js's on the same batch-first x for every size (token ids in
 * [0, vocab) when `vocab` is given); returns the worst |error|.
 */
function parity(model: Module, tfModel: tf.LayersModel, sizes: Array<{ B: number; T: number }>, seed: number, label: string, vocab?: number): number {
  const rng = new Rng(seed);
  let worst = 0;
  for (const { B, T } of sizes) {
    const shape = vocab === undefined ? [B, T, I] : [B, T];
    const x = new Tensor(Float32Array.from({ length: B * T * (vocab === undefined ? I : 1) }, () => (vocab === undefined ? rng.normal() : rng.int(vocab))), shape);
    const got = noGrad(() => (model as unknown as { forward(x: Tensor): Tensor }).forward(x));
    const yTf = tfModel.predict(tf.tensor(x.data as Float32Array, shape)) as tf.Tensor;
    assert.deepEqual(got.shape, yTf.shape, `${label} B=${B} T=${T}: shape`);
    const want = yTf.dataSync();
    yTf.dispose();
    // Outputs that do not vary (all clipped to 0 by a relu, say) could not tell a wrong model from a right one.
    assert.ok(Math.max(...want) - Math.min(...want) > 1e-3, `${label} B=${B} T=${T}: TF.js's outputs vary`);
    worst = Math.max(worst, assertClose(got.data, want, `${label} B=${B} T=${T}: rnnkit vs TF.js`));
  }
  return worst;
}

/** Sizes other than any the models declare (their batch is always dynamic; T is dynamic unless noted). */
const SIZES = [{ B: 3, T: 7 }, { B: 1, T: 2 }];

interface Config {
  label: string;
  build: () => tf.LayersModel;
  type: "SequenceToSequence" | "SequenceToVector" | "KerasLayersModel";
  activation?: string;
  sizes?: Array<{ B: number; T: number }>;
  /** The model reads token ids in [0, vocab). */
  vocab?: number;
}

const lstm = (units: number, returnSequences: boolean, extra: Record<string, unknown> = {}) =>
  tf.layers.lstm({ units, recurrentActivation: "sigmoid", returnSequences, ...init(), ...extra });
const rnn = (units: number, activation: "tanh" | "relu" | "sigmoid", returnSequences: boolean, extra: Record<string, unknown> = {}) =>
  tf.layers.simpleRNN({ units, activation, returnSequences, ...init(), ...extra });

/** TF.js's GRU with its defaults (recurrentActivation hardSigmoid, the reset before the recurrent product). */
const gru = (units: number, returnSequences: boolean, extra: Record<string, unknown> = {}) =>
  tf.layers.gru({ units, returnSequences, ...init(), ...extra });

function seq(...layers: tf.layers.Layer[]): tf.Sequential {
  const m = tf.sequential();
  for (const l of layers) m.add(l);
  return m;
}

const CONFIGS: Config[] = [
  {
    label: "SimpleRNN tanh → Dense (seq)", type: "SequenceToSequence",
    build: () => seq(rnn(5, "tanh", true, { inputShape: [null, I] }), tf.layers.dense({ units: 2, ...denseInit() })),
  },
  {
    label: "SimpleRNN relu ×2 → Dense softmax (vec)", type: "SequenceToVector", activation: "softmax",
    build: () => seq(rnn(4, "relu", true, { inputShape: [null, I] }), rnn(4, "relu", false), tf.layers.dense({ units: 3, activation: "softmax", ...denseInit() })),
  },
  {
    label: "LSTM (fixed T 4) → Dense (vec)", type: "SequenceToVector", sizes: [{ B: 3, T: 4 }, { B: 1, T: 4 }],
    build: () => seq(lstm(6, false, { inputShape: [4, I] }), tf.layers.dense({ units: 2, ...denseInit() })),
  },
  {
    label: "InputLayer → Bidirectional LSTM ×2 + Dropout → TimeDistributed(Dense) (seq)", type: "SequenceToSequence",
    build: () => seq(
      tf.layers.inputLayer({ batchInputShape: [null, null, I] }),
      tf.layers.bidirectional({ layer: lstm(4, true) as tf.RNN }),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.bidirectional({ layer: lstm(4, true, { dropout: 0.1, recurrentDropout: 0.2 }) as tf.RNN }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2, ...denseInit() }) }),
    ),
  },
  {
    label: "Bidirectional SimpleRNN sigmoid → Dense sigmoid (vec)", type: "SequenceToVector", activation: "sigmoid",
    build: () => seq(
      tf.layers.bidirectional({ layer: rnn(5, "sigmoid", false) as tf.RNN, inputShape: [null, I] }),
      tf.layers.dense({ units: 2, activation: "sigmoid", ...denseInit() }),
    ),
  },
  {
    label: "LSTM useBias false ×2 → Dense tanh (seq)", type: "SequenceToSequence", activation: "tanh",
    build: () => seq(lstm(3, true, { inputShape: [null, I], useBias: false }), lstm(3, true, { useBias: false }), tf.layers.dense({ units: 2, activation: "tanh", ...denseInit() })),
  },
  {
    label: "functional: input → LSTM → Dropout → Dense relu (vec)", type: "SequenceToVector", activation: "relu",
    build: () => {
      const input = tf.input({ shape: [null, I] });
      const h = lstm(5, false).apply(input) as tf.SymbolicTensor;
      const d = tf.layers.dropout({ rate: 0.5 }).apply(h) as tf.SymbolicTensor;
      // Positive biases, so that the relu passes most outputs instead of clipping them all to zero.
      const positive = { biasInitializer: tf.initializers.randomUniform({ minval: 0.3, maxval: 0.8, seed: 71 }) };
      return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, activation: "relu", ...denseInit(), ...positive }).apply(d) as tf.SymbolicTensor });
    },
  },
  // TF.js's own defaults: hardSigmoid gates (clip(0.2x + 0.5, 0, 1)) and the reset-before GRU.
  {
    label: "LSTM with TF.js's default recurrentActivation (hardSigmoid) → Dense (vec)", type: "SequenceToVector",
    build: () => seq(tf.layers.lstm({ units: 5, inputShape: [null, I], ...init() }), tf.layers.dense({ units: 2, ...denseInit() })),
  },
  {
    label: "GRU (TF.js defaults) ×2 → Dense (seq)", type: "SequenceToSequence",
    build: () => seq(gru(4, true, { inputShape: [null, I] }), gru(4, true), tf.layers.dense({ units: 2, ...denseInit() })),
  },
  {
    label: "Bidirectional GRU (TF.js defaults) → Dense (vec)", type: "SequenceToVector",
    build: () => seq(tf.layers.bidirectional({ layer: gru(3, false) as tf.RNN, inputShape: [null, I] }), tf.layers.dense({ units: 2, ...denseInit() })),
  },
  {
    // Kernels uniform in ±1.5 on unit-normal inputs: gate pre-activations have a spread of about 1.5,
    // so TF.js's hardSigmoid clips (|x| > 2.5) at many units and steps, not only its linear part.
    label: "GRU and LSTM (TF.js defaults) with wide kernels, so the hard sigmoids clip → Dense (vec)", type: "KerasLayersModel",
    build: () => {
      const wide = (seed: number) => ({
        kernelInitializer: tf.initializers.randomUniform({ minval: -1.5, maxval: 1.5, seed }),
        recurrentInitializer: tf.initializers.randomUniform({ minval: -1.5, maxval: 1.5, seed: seed + 1 }),
      });
      return seq(gru(4, true, { inputShape: [null, I], ...wide(61) }), tf.layers.lstm({ units: 3, ...init(), ...wide(63) }), tf.layers.dense({ units: 2, ...denseInit() }));
    },
  },
  {
    label: "GRU recurrentActivation sigmoid, no bias → Dense (vec)", type: "SequenceToVector",
    build: () => seq(gru(4, false, { inputShape: [null, I], recurrentActivation: "sigmoid", useBias: false }), tf.layers.dense({ units: 2, ...denseInit() })),
  },
  // Token ids through an Embedding into one stack with a head: the topology with its embedding.
  {
    label: "Embedding → LSTM ×2 → Dense (seq)", type: "SequenceToSequence", vocab: 7,
    build: () => seq(
      tf.layers.embedding({ inputDim: 7, outputDim: 3, inputShape: [null], embeddingsInitializer: tf.initializers.randomNormal({ seed: 95 }) }),
      lstm(4, true), lstm(4, true), tf.layers.dense({ units: 2, ...denseInit() }),
    ),
  },
  {
    label: "Embedding → GRU (TF.js defaults) → Dense softmax (vec)", type: "SequenceToVector", activation: "softmax", vocab: 9,
    build: () => seq(
      tf.layers.embedding({ inputDim: 9, outputDim: 4, inputShape: [null], embeddingsInitializer: tf.initializers.randomNormal({ seed: 93 }) }),
      gru(5, false), tf.layers.dense({ units: 3, activation: "softmax", ...denseInit() }),
    ),
  },
  // Graphs beyond one stack with a head: KerasLayersModel.
  {
    label: "Embedding → LSTM ×2 of other widths → Dense softmax (vec)", type: "KerasLayersModel", vocab: 11,
    build: () => seq(
      tf.layers.embedding({ inputDim: 11, outputDim: 4, inputShape: [null], embeddingsInitializer: tf.initializers.randomNormal({ seed: 91 }) }),
      lstm(5, true), lstm(3, false), tf.layers.dense({ units: 3, activation: "softmax", ...denseInit() }),
    ),
  },
  {
    label: "Bidirectional GRU merge sum (seq) → LSTM hardSigmoid go_backwards (vec) → Dense", type: "KerasLayersModel",
    build: () => seq(
      tf.layers.bidirectional({ layer: gru(4, true) as tf.RNN, mergeMode: "sum", inputShape: [null, I] }),
      tf.layers.lstm({ units: 3, goBackwards: true, ...init() }),
      tf.layers.dense({ units: 2, ...denseInit() }),
    ),
  },
  {
    label: "SimpleRNN go_backwards (seq) → LSTM go_backwards (vec) → Dense", type: "KerasLayersModel",
    build: () => seq(rnn(4, "tanh", true, { inputShape: [null, I], goBackwards: true }), lstm(3, false, { goBackwards: true }), tf.layers.dense({ units: 2, ...denseInit() })),
  },
  ...(["sum", "mul", "ave"] as const).map((mergeMode): Config => ({
    label: `Bidirectional LSTM merge ${mergeMode} (seq) → Bidirectional SimpleRNN merge ${mergeMode} (vec) → Dense`, type: "KerasLayersModel",
    build: () => seq(
      tf.layers.bidirectional({ layer: lstm(4, true) as tf.RNN, mergeMode, inputShape: [null, I] }),
      tf.layers.bidirectional({ layer: rnn(3, "tanh", false) as tf.RNN, mergeMode }),
      tf.layers.dense({ units: 2, ...denseInit() }),
    ),
  })),
  {
    label: "LSTM → TimeDistributed(Dense tanh) → Dense without bias (seq)", type: "KerasLayersModel",
    build: () => seq(
      lstm(4, true, { inputShape: [null, I] }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: "tanh", ...denseInit() }) }),
      tf.layers.dense({ units: 2, useBias: false, ...denseInit() }),
    ),
  },
  {
    label: "a model ending in its recurrent layer (vec)", type: "KerasLayersModel",
    build: () => seq(rnn(3, "sigmoid", true, { inputShape: [null, I] }), lstm(4, false)),
  },
  {
    label: "functional branches: LSTM and SimpleRNN on the input, concatenate, LSTM, add with a Dense of the input's last state (vec)", type: "KerasLayersModel",
    build: () => {
      const input = tf.input({ shape: [null, I] });
      const a = lstm(3, true).apply(input) as tf.SymbolicTensor;
      const b = rnn(2, "relu", true).apply(input) as tf.SymbolicTensor;
      const joined = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
      const top = lstm(4, false).apply(joined) as tf.SymbolicTensor;
      const side = tf.layers.dense({ units: 4, activation: "tanh", ...denseInit() }).apply(rnn(3, "tanh", false).apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
      const sum = tf.layers.add().apply([top, side]) as tf.SymbolicTensor;
      return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, ...denseInit() }).apply(sum) as tf.SymbolicTensor });
    },
  },
];

test("TF.js models saved by TF.js import into rnnkit and match model.predict at other batch and time sizes", async (t) => {
  const lines: string[] = [];
  let seed = 500;
  for (const c of CONFIGS) {
    const tfModel = c.build();
    const saved = await saveTf(tfModel);
    const { model, spec, outputActivation, notes } = importLayersModel(saved.modelJson, saved.weightData);
    assert.equal(spec.type, c.type, `${c.label}: type`);
    if (c.type === "KerasLayersModel") {
      assert.ok(model instanceof KerasLayersModel, `${c.label}: a KerasLayersModel`);
      assert.equal(outputActivation, "linear", `${c.label}: activations inside the graph`);
    } else {
      assert.equal(spec.options.batchFirst, true, `${c.label}: batch-first`);
      assert.equal(outputActivation, c.activation ?? "linear", `${c.label}: activation`);
      if (c.activation === undefined) assert.ok(model instanceof (c.type === "SequenceToSequence" ? SequenceToSequence : SequenceToVector));
      else assert.ok(model instanceof TfjsOutputActivationModule, `${c.label}: wrapped`);
    }
    if (/Dropout/.test(c.label)) assert.ok(notes.some((n) => /Dropout.*skipped/.test(n)), `${c.label}: a note says Dropout was skipped`);
    const worst = parity(model, tfModel, c.sizes ?? SIZES, seed++, c.label, c.vocab);
    lines.push(`${c.label} ${worst.toExponential(2)}`);
    tfModel.dispose();
  }
  t.diagnostic(`worst |rnnkit − TF.js| per config: ${lines.join("; ")}`);
});

test("rnnkit → exportLayersModel → importLayersModel: weights bit for bit, biases folded into bias_ih, and export again is byte-identical", (t) => {
  const lines: string[] = [];
  for (const [label, model] of [
    ["LSTM L=2 bi seq", new SequenceToSequence({ cell: "lstm", inputSize: I, hiddenSize: 4, numLayers: 2, bidirectional: true, outputSize: 2, rng: new Rng(1) })],
    ["RNN relu L=1 vec", new SequenceToVector({ cell: "rnn", nonlinearity: "relu", inputSize: I, hiddenSize: 5, outputSize: 3, rng: new Rng(2) })],
    ["LSTM no bias vec", new SequenceToVector({ cell: "lstm", inputSize: I, hiddenSize: 3, bias: false, outputSize: 1, rng: new Rng(3) })],
    ["LSTM hardSigmoid L=1 seq", new SequenceToSequence({ cell: "lstm", gateActivation: "hardSigmoid", inputSize: I, hiddenSize: 4, outputSize: 2, rng: new Rng(4) })],
    ["GRU reset-before hardSigmoid L=2 bi vec", new SequenceToVector({
      cell: "gru", gateActivation: "hardSigmoid", resetAfter: false, inputSize: I, hiddenSize: 4, numLayers: 2, bidirectional: true, outputSize: 3, rng: new Rng(5),
    })],
  ] as const) {
    const exported = exportLayersModel(model);
    const imported = importLayersModel(JSON.parse(JSON.stringify(exported.modelJson)), exported.weightData).model as SequenceToSequence | SequenceToVector;
    const a = model.stateDict();
    const b = imported.stateDict();
    // The gate activation and GRU form travel through TF.js's config.
    assert.deepEqual(imported.rnn.spec, { ...model.rnn.spec, batchFirst: true }, `${label}: recurrent spec`);
    assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort(), `${label}: names`);
    for (const name of Object.keys(a)) {
      const want = /bias_ih/.test(name)
        ? a[name].data.map((v, j) => Math.fround(v + a[name.replace("bias_ih", "bias_hh")].data[j]))
        : /bias_hh/.test(name) ? new Float32Array(a[name].size) : a[name].data;
      assert.deepEqual(b[name].data, want, `${label}: ${name}`);
    }
    const again = exportLayersModel(imported);
    assert.deepEqual(again.weightData, exported.weightData, `${label}: export of the import is byte-identical`);
    // The imported model is batch-first; the original time-major.
    const rng = new Rng(9);
    const x = new Tensor(Float32Array.from({ length: 2 * 5 * I }, () => rng.normal()), [2, 5, I]);
    const yA = noGrad(() => model.forward(transpose(x, [1, 0, 2])));
    const yB = noGrad(() => imported.forward(x));
    const want = model instanceof SequenceToSequence ? noGrad(() => transpose(yA, [1, 0, 2])).data : yA.data;
    let worst = 0;
    want.forEach((v, k) => {
      worst = Math.max(worst, Math.abs(v - yB.data[k]));
    });
    // b_ih + b_hh added once instead of in two places: a float32 rounding apart at most.
    assert.ok(worst <= FLOAT32_FORWARD.atol, `${label}: forward ${worst}`);
    lines.push(`${label} ${worst.toExponential(2)}`);
  }
  t.diagnostic(`round trip forward |original − imported|: ${lines.join("; ")}`);
});

test("fromTfjsGateOrder inverts toTfjsGateOrder for every cell", () => {
  const data = Float32Array.from({ length: 3 * 2 * 4 }, (_, k) => k);
  for (const cell of ["gru"] as const) assert.deepEqual(fromTfjsGateOrder(cell, toTfjsGateOrder(cell, data, 2), 2), data);
  const lstmData = Float32Array.from({ length: 4 * 2 * 3 }, (_, k) => k);
  assert.deepEqual(fromTfjsGateOrder("lstm", toTfjsGateOrder("lstm", lstmData, 2), 2), lstmData);
  assert.throws(() => fromTfjsGateOrder("lstm", new Float32Array(10), 2), /10 values are not 4 gate blocks/);
});

test("imported models train: a few Adam steps lower the loss of a TF.js LSTM and of a TF.js GRU (reset before, hardSigmoid)", async (t) => {
  const lines: string[] = [];
  for (const [label, recurrent] of [["LSTM", lstm(6, false, { inputShape: [null, I] })], ["GRU", gru(6, false, { inputShape: [null, I] })]] as const) {
    const tfModel = seq(recurrent, tf.layers.dense({ units: 2, ...denseInit() }));
    const saved = await saveTf(tfModel);
    tfModel.dispose();
    const model = importLayersModel(saved.modelJson, saved.weightData).model as SequenceToVector;
    assert.equal(model.rnn.spec.cell, label.toLowerCase());
    const rng = new Rng(4);
    const x = new Tensor(Float32Array.from({ length: 8 * 5 * I }, () => rng.normal()), [8, 5, I]);
    const y = new Tensor(Float32Array.from({ length: 8 * 2 }, () => rng.normal()), [8, 2]);
    const opt = new Adam(model.parameters(), { lr: 0.02 });
    const losses: number[] = [];
    for (let s = 0; s < 15; s++) {
      model.zeroGrad();
      const loss = mseLoss(model.forward(x), y);
      losses.push(loss.data[0]);
      loss.backward();
      opt.step();
    }
    lines.push(`${label} ${losses[0].toFixed(4)} → ${losses[losses.length - 1].toFixed(4)}`);
    assert.ok(losses[losses.length - 1] < 0.8 * losses[0], `${label}: loss fell: ${losses.join(", ")}`);
  }
  t.diagnostic(`loss in 15 Adam steps: ${lines.join("; ")}`);
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("loadLayersModel reads model.json and its weight files (two shards) from disk; a missing shard is refused by name", async (t) => {
  const tfModel = seq(tf.layers.bidirectional({ layer: lstm(4, true) as tf.RNN, inputShape: [null, I] }), tf.layers.dense({ units: 2, ...denseInit() }));
  const saved = await saveTf(tfModel);
  const dir = mkdtempSync(join(tmpdir(), "rnnkit-tfjs-import-"));
  dirs.push(dir);
  const cut = 4 * 10; // shard boundaries need not fall between weights
  const manifest = [{ paths: ["group1-shard1of2.bin", "group1-shard2of2.bin"], weights: saved.modelJson.weightsManifest[0].weights }];
  writeFileSync(join(dir, "model.json"), JSON.stringify({ ...saved.modelJson, weightsManifest: manifest }));
  writeFileSync(join(dir, "group1-shard1of2.bin"), saved.weightData.subarray(0, cut));
  writeFileSync(join(dir, "group1-shard2of2.bin"), saved.weightData.subarray(cut));
  const { model } = loadLayersModel(join(dir, "model.json"));
  t.diagnostic(`from disk: worst |rnnkit − TF.js| ${parity(model, tfModel, SIZES, 77, "disk").toExponential(2)}`);
  tfModel.dispose();
  rmSync(join(dir, "group1-shard2of2.bin"));
  assert.throws(
    () => loadLayersModel(join(dir, "model.json")),
    (e: Error) => e instanceof TfjsImportError && e.message.includes("model.json: weight file 'group1-shard2of2.bin' is missing"),
  );
  writeFileSync(join(dir, "bad.json"), "{ not json");
  assert.throws(() => loadLayersModel(join(dir, "bad.json")), /bad\.json: cannot be read as JSON/);
  writeFileSync(join(dir, "escape.json"), JSON.stringify({ ...saved.modelJson, weightsManifest: [{ paths: ["../x.bin"], weights: [] }] }));
  assert.throws(() => loadLayersModel(join(dir, "escape.json")), /weight file '\.\.\/x\.bin' is not a path inside the model's folder/);
});

/** Saves a TF.js model and returns the import's error message. */
async function refusalOf(build: () => tf.LayersModel, edit?: (s: Saved) => void): Promise<string> {
  const m = build();
  const saved = await saveTf(m);
  m.dispose();
  edit?.(saved);
  try {
    importLayersModel(saved.modelJson, saved.weightData);
  } catch (e) {
    assert.ok(e instanceof TfjsImportError, `a TfjsImportError, got ${String(e)}`);
    return e.message;
  }
  return assert.fail("importLayersModel accepted the model");
}

test("refusals name the file, the layer and the option: gate activations rnnkit lacks, Conv1D, masks, two inputs, shared layers", async () => {
  const relu = await refusalOf(() => seq(gru(3, false, { inputShape: [null, I], recurrentActivation: "relu", name: "my_gru" }), tf.layers.dense({ units: 1 })));
  assert.equal(relu, "importLayersModel: model.json: layer 'my_gru' (GRU): recurrent_activation \"relu\" is not supported; rnnkit's gates use sigmoid or hard_sigmoid");
  const biTanh = await refusalOf(() => seq(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 3, recurrentActivation: "tanh" }) as tf.RNN, inputShape: [null, I] }), tf.layers.dense({ units: 1 })));
  assert.match(biTanh, /\(Bidirectional\), inner LSTM: recurrent_activation "tanh" is not supported/);

  const conv = await refusalOf(() => seq(tf.layers.conv1d({ filters: 2, kernelSize: 2, inputShape: [null, I], name: "conv" }), lstm(3, false), tf.layers.dense({ units: 1 })));
  assert.equal(conv, `importLayersModel: model.json: layer 'conv' (Conv1D) is not supported; supported: ${SUPPORTED_KERAS_LAYERS}`);

  const mask = await refusalOf(() => seq(tf.layers.embedding({ inputDim: 10, outputDim: I, inputLength: 4, maskZero: true, name: "emb" }), lstm(3, false), tf.layers.dense({ units: 1 })));
  assert.match(mask, /layer 'emb' \(Embedding\): mask_zero true is not supported/);

  const stateful = await refusalOf(() => seq(lstm(3, false, { batchInputShape: [2, 4, I], stateful: true, name: "st" }), tf.layers.dense({ units: 1 })));
  assert.match(stateful, /layer 'st' \(LSTM\): stateful true is not supported/);

  // merge_mode null (the two directions' outputs as a list) cannot be built in a Sequential: edited into the saved config.
  const merge = await refusalOf(() => seq(tf.layers.bidirectional({ layer: lstm(3, false) as tf.RNN, inputShape: [null, I], name: "bi" }), tf.layers.dense({ units: 1 })), (s) => {
    const topology = s.modelJson.modelTopology as { config: { layers: Array<{ config: Record<string, unknown> }> } };
    topology.config.layers[0].config.merge_mode = null;
  });
  assert.match(merge, /layer 'bi' \(Bidirectional\): merge_mode null is not supported; supported: concat, sum, mul, ave/);

  const twoInputs = await refusalOf(() => {
    const a = tf.input({ shape: [null, I], name: "a" });
    const b = tf.input({ shape: [null, I], name: "b" });
    const y = tf.layers.add().apply([lstm(2, false).apply(a) as tf.SymbolicTensor, lstm(2, false).apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    return tf.model({ inputs: [a, b], outputs: y });
  });
  assert.match(twoInputs, /^importLayersModel: model\.json: the model has 2 inputs \(a, b\); one input is supported$/);

  const shared = await refusalOf(() => {
    const input = tf.input({ shape: [null, I] });
    const layer = lstm(I, true, { name: "twice" });
    const y = layer.apply(layer.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(y) as tf.SymbolicTensor });
  });
  assert.match(shared, /layer 'twice' \(LSTM\) is called 2 times; shared layers are not supported/);
});

test("refusals of the weights: truncated, extra bytes, a missing weight, a wrong shape, a non-float32 dtype; and of malformed JSON", async () => {
  const build = () => seq(lstm(3, false, { inputShape: [null, I], name: "l" }), tf.layers.dense({ units: 2, name: "d" }));
  const truncated = await refusalOf(build, (s) => {
    s.weightData = s.weightData.subarray(0, s.weightData.length - 4);
  });
  assert.equal(truncated, "importLayersModel: model.json: weight 'd/bias' [2] needs bytes 360..368 but the weight data (weights.bin) holds 364 bytes; the manifest declares 368");
  const extra = await refusalOf(build, (s) => {
    s.weightData = Uint8Array.from([...s.weightData, 0, 0, 0, 0]);
  });
  assert.match(extra, /the weight data \(weights\.bin\) holds 372 bytes, 4 more than the 368 the manifest declares/);
  const missing = await refusalOf(build, (s) => {
    const ws = s.modelJson.weightsManifest[0].weights;
    ws.splice(ws.findIndex((w) => w.name === "l/recurrent_kernel"), 1);
    s.weightData = s.weightData.subarray(0, s.weightData.length - 4 * 3 * 12);
  });
  assert.match(missing, /layer 'l' \(LSTM\) recurrent_kernel: no weight 'l\/…\/recurrent_kernel' in weightsManifest/);
  const shape = await refusalOf(build, (s) => {
    s.modelJson.weightsManifest[0].weights[3].shape = [2, 3]; // d/kernel is [3, 2]: same bytes, wrong shape
  });
  assert.match(shape, /layer 'd' \(Dense\) kernel: weight 'd\/kernel' has shape \[2,3\], expected \[3,2\]/);
  const dtype = await refusalOf(build, (s) => {
    s.modelJson.weightsManifest[0].weights[0].dtype = "int32";
  });
  assert.match(dtype, /weightsManifest\[0\]\.weights\[0\] 'l\/kernel': dtype "int32" is not supported; float32 only/);

  const bad = (json: unknown) => () => importLayersModel(json, new Uint8Array(0), "m.json");
  assert.throws(bad(null), /importLayersModel: m\.json: must be a JSON object/);
  assert.throws(bad({ modelTopology: { class_name: "Sequential", config: { layers: "x" } }, weightsManifest: [] }), /m\.json: modelTopology\.config\.layers must be a non-empty array/);
  assert.throws(bad({ modelTopology: { class_name: "Sequential", config: { layers: [{ class_name: "LSTM" }] } } }), /m\.json: modelTopology\.config\.layers\[0\] must be \{ class_name, config \}/);
  assert.throws(bad({ format: "graph-model", modelTopology: {} }), /format 'graph-model' is not a layers model/);
});

test("docs/tfjs.md's import example runs as written and prints what the page says", () => {
  const { block, stdout } = runDocExample("docs/tfjs.md", "Import", resolve("."));
  assert.equal(stdout.trim().split("\n").at(-1), /^\/\/ (SequenceToVector .*)$/m.exec(block)?.[1]);
});
