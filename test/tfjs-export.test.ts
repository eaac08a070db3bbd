/**
 * TF.js layers-model export (src/interop/tfjs-export.ts) checked by its real consumer,
 * TensorFlow.js itself: models built with seeded generators over a grid of cells (RNN tanh /
 * relu / sigmoid, LSTM), layers (1, 2), directions and rnnkit layouts (time-major, batchFirst),
 * as SequenceToSequence and SequenceToVector, exported once, loaded with `tf.loadLayersModel`
 * and run by `model.predict` (cpu backend) at batch and time sizes never seen at export,
 * against rnnkit's own forward. Also: the gate-order conversion block by block, the model.json
 * envelope and manifest, the refusals (GRU, other modules, float64), `saveLayersModel` on disk and
 * docs/tfjs.md's library example as written.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  EncoderDecoder, LSTM, Rng, SequenceToSequence, SequenceToVector, Tensor, VectorToSequence, noGrad, transpose,
  exportLayersModel, importLayersModel, toTfjsGateOrder, TFJS_GATE_SOURCE, TFJS_GRU_REFUSAL, type ExportedLayersModel,
} from "../src/index.js";
import { saveLayersModel } from "../src/node/index.js";
import { assertClose } from "./support/close.js";
import { artifactsOf } from "./support/tfjs-artifacts.js";
import { runDocExample } from "./support/doc-example.js";

/** Sizes of the runs: none is used when the model is built or exported (export has no sizes at all). */
const RUNS = [{ B: 3, T: 7 }, { B: 1, T: 2 }];
const I = 3, H = 5, O = 2;

type CellVariant = "lstm" | "rnn-tanh" | "rnn-relu" | "rnn-sigmoid";
const CELLS: CellVariant[] = ["lstm", "rnn-tanh", "rnn-relu", "rnn-sigmoid"];
/** [numLayers, bidirectional, batchFirst]: each axis at both values, and the two- and three-way mixes. */
const SHAPES: Array<[number, boolean, boolean]> = [[1, false, false], [2, true, false], [1, true, true], [2, false, true]];

function blockOptions(cell: CellVariant, numLayers: number, bidirectional: boolean, batchFirst: boolean) {
  const [kind, act] = cell.split("-") as ["lstm" | "rnn", "tanh" | "relu" | "sigmoid" | undefined];
  return { cell: kind, ...(act === undefined ? {} : { nonlinearity: act }), inputSize: I, hiddenSize: H, numLayers, bidirectional, batchFirst };
}

before(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});



/** Loads the export in TF.js and runs every RUNS size against rnnkit's forward; returns the worst |error|. */
async function parity(e: ExportedLayersModel, model: SequenceToSequence | SequenceToVector, seed: number, label: string): Promise<number> {
  const tfModel = await tf.loadLayersModel(tf.io.fromMemory(artifactsOf(e)));
  const rng = new Rng(seed);
  const batchFirst = model.rnn.spec.batchFirst;
  let worst = 0;
  for (const { B, T } of RUNS) {
    // TF.js is batch-first: x [B, T, I]; a time-major rnnkit model reads it transposed.
    const xBT = new Tensor(Float32Array.from({ length: B * T * I }, () => rng.normal()), [B, T, I]);
    const want = noGrad(() => {
      const x = batchFirst ? xBT : transpose(xBT, [1, 0, 2]);
      const y = model.forward(x);
      return model instanceof SequenceToSequence && !batchFirst ? transpose(y, [1, 0, 2]) : y;
    });
    const yTf = tfModel.predict(tf.tensor3d(xBT.data as Float32Array, [B, T, I])) as tf.Tensor;
    const wantShape = model instanceof SequenceToSequence ? [B, T, O] : [B, O];
    assert.deepEqual(yTf.shape, wantShape, `${label} B=${B} T=${T}: output shape`);
    worst = Math.max(worst, assertClose(yTf.dataSync(), want.data, `${label} B=${B} T=${T}`));
    yTf.dispose();
  }
  tfModel.dispose();
  return worst;
}

for (const topology of ["SequenceToSequence", "SequenceToVector"] as const) {
  test(`${topology}: TF.js's loadLayersModel + predict matches rnnkit for RNN tanh/relu/sigmoid and LSTM, 1–2 layers, uni/bidirectional`, async (t) => {
    let seed = topology === "SequenceToSequence" ? 100 : 200;
    const lines: string[] = [];
    for (const cell of CELLS) {
      for (const [L, bi, bf] of SHAPES) {
        seed++;
        const options = { ...blockOptions(cell, L, bi, bf), outputSize: O, rng: new Rng(seed) };
        const model = topology === "SequenceToSequence" ? new SequenceToSequence(options) : new SequenceToVector(options);
        const label = `${cell} L=${L}${bi ? " bi" : ""}${bf ? " batchFirst" : " time-major"}`;
        lines.push(`${label} ${(await parity(exportLayersModel(model), model, seed + 1000, `${topology} ${label}`)).toExponential(2)}`);
      }
    }
    t.diagnostic(`${topology} worst |TF.js − rnnkit| over ${RUNS.length} sizes: ${lines.join("; ")}`);
  });
}

test("token input: InputLayer int32 [null, null] → Embedding first; TF.js's loadLayersModel + predict on ids matches rnnkit; importLayersModel gives the topology back", async (t) => {
  const V = 8, E = 3;
  const cases: Array<[string, SequenceToSequence | SequenceToVector]> = [
    ["LSTM L=2 seq time-major", new SequenceToSequence({ cell: "lstm", vocabSize: V, embeddingSize: E, hiddenSize: H, numLayers: 2, outputSize: O, rng: new Rng(70) })],
    ["RNN relu bi vec batchFirst", new SequenceToVector({ cell: "rnn", nonlinearity: "relu", vocabSize: V, embeddingSize: E, hiddenSize: H, bidirectional: true, batchFirst: true, outputSize: O, rng: new Rng(71) })],
    ["GRU reset-before hardSigmoid vec", new SequenceToVector({ cell: "gru", resetAfter: false, gateActivation: "hardSigmoid", vocabSize: V, embeddingSize: E, inputSize: E, hiddenSize: H, outputSize: O, rng: new Rng(72) })],
  ];
  const lines: string[] = [];
  for (const [label, model] of cases) {
    const e = exportLayersModel(model);
    const layers = (e.modelJson.modelTopology.config as { layers: Array<{ class_name: string; config: Record<string, unknown> }> }).layers;
    assert.deepEqual(layers.slice(0, 2).map((l) => l.class_name), ["InputLayer", "Embedding"], label);
    assert.deepEqual([layers[0].config.batch_input_shape, layers[0].config.dtype], [[null, null], "int32"], label);
    assert.deepEqual(e.modelJson.weightsManifest[0].weights[0], { name: "embedding/embeddings", shape: [V, E], dtype: "float32" }, label);
    const tfModel = await tf.loadLayersModel(tf.io.fromMemory(artifactsOf(e)));
    const rng = new Rng(73);
    let worst = 0;
    for (const { B, T } of RUNS) {
      const ids = Array.from({ length: B * T }, () => rng.int(V)); // [B, T] row-major
      const bt = new Tensor(Float32Array.from(ids), [B, T]);
      const want = noGrad(() => {
        const x = model.rnn.spec.batchFirst ? bt : transpose(bt, [1, 0]);
        const y = model.forward(x);
        return model instanceof SequenceToSequence && !model.rnn.spec.batchFirst ? transpose(y, [1, 0, 2]) : y;
      });
      const yTf = tfModel.predict(tf.tensor2d(Int32Array.from(ids), [B, T], "int32")) as tf.Tensor;
      assert.deepEqual(yTf.shape, want.shape, `${label} B=${B} T=${T}: shape`);
      worst = Math.max(worst, assertClose(yTf.dataSync(), want.data, `${label} B=${B} T=${T}`));
      yTf.dispose();
    }
    tfModel.dispose();
    const back = importLayersModel(e.modelJson, e.weightData).model as SequenceToSequence | SequenceToVector;
    assert.equal(back.constructor, model.constructor, `${label}: imported back as ${back.constructor.name}`);
    assert.deepEqual(Array.from(back.embedding!.weight.data), Array.from(model.embedding!.weight.data), `${label}: the table bit for bit`);
    lines.push(`${label} ${worst.toExponential(2)}`);
  }
  t.diagnostic(`token input worst |TF.js − rnnkit|: ${lines.join("; ")}`);
});

test("hard-sigmoid gates and the reset-before GRU: written as recurrent_activation 'hard_sigmoid' and TF.js's GRU; TF.js matches", async (t) => {
  const cases: Array<[string, SequenceToSequence | SequenceToVector, string]> = [
    ["GRU reset-before hardSigmoid L=2 bi", new SequenceToSequence({
      cell: "gru", inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, outputSize: O, resetAfter: false, gateActivation: "hardSigmoid", rng: new Rng(21),
    }), "hard_sigmoid"],
    ["GRU reset-before sigmoid batchFirst", new SequenceToVector({
      cell: "gru", inputSize: I, hiddenSize: H, batchFirst: true, outputSize: O, resetAfter: false, rng: new Rng(22),
    }), "sigmoid"],
    ["GRU reset-before hardSigmoid no bias", new SequenceToVector({
      cell: "gru", inputSize: I, hiddenSize: H, bias: false, outputSize: O, resetAfter: false, gateActivation: "hardSigmoid", rng: new Rng(23),
    }), "hard_sigmoid"],
    ["LSTM hardSigmoid L=2", new SequenceToSequence({
      cell: "lstm", inputSize: I, hiddenSize: H, numLayers: 2, outputSize: O, gateActivation: "hardSigmoid", rng: new Rng(24),
    }), "hard_sigmoid"],
  ];
  const lines: string[] = [];
  for (const [label, model, activation] of cases) {
    // Weights 3× the init range, so that the hard sigmoid clips as well as runs linearly.
    for (const p of model.parameters()) for (let k = 0; k < p.size; k++) p.data[k] *= 3;
    const e = exportLayersModel(model);
    const layers = (e.modelJson.modelTopology as { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }).config.layers;
    const inner = layers.filter((l) => l.class_name !== "InputLayer" && l.class_name !== "Dense")
      .map((l) => (l.class_name === "Bidirectional" ? (l.config.layer as { class_name: string; config: Record<string, unknown> }) : l));
    for (const l of inner) {
      assert.equal(l.class_name, label.startsWith("GRU") ? "GRU" : "LSTM", `${label}: class`);
      assert.equal(l.config.recurrent_activation, activation, `${label}: recurrent_activation`);
      if (l.class_name === "GRU") assert.equal(l.config.reset_after, false, `${label}: reset_after`);
    }
    lines.push(`${label} ${(await parity(e, model, 25, label)).toExponential(2)}`);
  }
  t.diagnostic(`worst |TF.js − rnnkit|: ${lines.join("; ")}`);

  // Keras 3's hard sigmoid (x/6 + 0.5) has no TF.js activation: refused, naming it.
  for (const cell of ["lstm", "gru"] as const) {
    const m = new SequenceToVector({ cell, inputSize: I, hiddenSize: H, outputSize: O, gateActivation: "hardSigmoid6", ...(cell === "gru" ? { resetAfter: false } : {}), rng: new Rng(26) });
    assert.throws(() => exportLayersModel(m), /gateActivation "hardSigmoid6" \(Keras 3's clip\(x\/6 \+ 0\.5, 0, 1\)\): TF\.js has no such activation/);
  }
});

test("recurrent layers without biases (bias: false): no bias is written and TF.js still matches", async (t) => {
  const lstm = new SequenceToSequence({ cell: "lstm", inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, bias: false, outputSize: O, rng: new Rng(7) });
  const rnn = new SequenceToVector({ cell: "rnn", inputSize: I, hiddenSize: H, bias: false, outputSize: O, rng: new Rng(8) });
  const lines: string[] = [];
  for (const [label, model] of [["LSTM L=2 bi", lstm], ["RNN tanh L=1", rnn]] as const) {
    const e = exportLayersModel(model);
    assert.ok(!e.modelJson.weightsManifest[0].weights.some((w) => /_l\d+\/bias$/.test(w.name)), `${label}: no recurrent bias is written`);
    lines.push(`${label} ${(await parity(e, model, 9, `${label} no bias`)).toExponential(2)}`);
  }
  t.diagnostic(`no bias: worst |TF.js − rnnkit| ${lines.join("; ")}`);
});

test("gate order: each PyTorch gate block lands in TF.js's place (LSTM i,f,g,o → i,f,c,o; GRU r,z,n → z,r,h)", () => {
  // The conversion itself, on a [G·H, C] matrix whose PyTorch block g holds the constant g + 1.
  const Hs = 2, C = 3;
  const blocks = (values: number[]) => Float32Array.from(values.flatMap((v) => new Array<number>(Hs * C).fill(v)));
  assert.deepEqual(toTfjsGateOrder("lstm", blocks([1, 2, 3, 4]), Hs), blocks([1, 2, 3, 4]));
  assert.deepEqual(toTfjsGateOrder("gru", blocks([1, 2, 3]), Hs), blocks([2, 1, 3]));
  assert.deepEqual(toTfjsGateOrder("rnn", blocks([7]), Hs), blocks([7]));
  assert.deepEqual(TFJS_GATE_SOURCE, { rnn: [0], lstm: [0, 1, 2, 3], gru: [1, 0, 2] });
  // A bias [G·H] (C = 1) moves the same way.
  assert.deepEqual(toTfjsGateOrder("gru", Float32Array.from([1, 1, 2, 2, 3, 3]), Hs), Float32Array.from([2, 2, 1, 1, 3, 3]));
  assert.throws(() => toTfjsGateOrder("lstm", new Float32Array(10), 2), /\(lstm\): 10 values are not 4 gate blocks of hiddenSize 2 rows/);
});

test("the exported kernel is W_ihᵀ and the bias is b_ih + b_hh, in the manifest's order and shapes", () => {
  const model = new SequenceToVector({ cell: "lstm", inputSize: I, hiddenSize: H, outputSize: O, rng: new Rng(11) });
  const e = exportLayersModel(model);
  const specs = e.modelJson.weightsManifest[0].weights;
  assert.deepEqual(specs.map((s) => [s.name, s.shape]), [
    ["lstm_l0/kernel", [I, 4 * H]], ["lstm_l0/recurrent_kernel", [H, 4 * H]], ["lstm_l0/bias", [4 * H]], ["head/kernel", [H, O]], ["head/bias", [O]],
  ]);
  const f32 = new Float32Array(e.weightData.buffer.slice(e.weightData.byteOffset, e.weightData.byteOffset + e.weightData.byteLength));
  const sd = model.stateDict();
  const wih = sd["rnn.weight_ih_l0"].data; // [4H, I]
  for (let i = 0; i < I; i++) for (let j = 0; j < 4 * H; j++) assert.equal(f32[i * 4 * H + j], wih[j * I + i]);
  const biasOff = I * 4 * H + H * 4 * H;
  for (let j = 0; j < 4 * H; j++) assert.equal(f32[biasOff + j], Math.fround(sd["rnn.bias_ih_l0"].data[j] + sd["rnn.bias_hh_l0"].data[j]));
});

test("model.json: format layers-model, a Sequential with a dynamic batch-first input, a manifest whose bytes equal weights.bin", () => {
  const model = new SequenceToSequence({ cell: "lstm", inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, outputSize: O, rng: new Rng(12) });
  const e = exportLayersModel(model, { weightsFile: "w.bin" });
  const json = JSON.parse(JSON.stringify(e.modelJson)) as typeof e.modelJson;
  assert.equal(json.format, "layers-model");
  assert.equal(json.generatedBy, "rnnkit");
  assert.equal(e.weightsFile, "w.bin");
  assert.deepEqual(json.weightsManifest.map((g) => g.paths), [["w.bin"]]);
  const bytes = json.weightsManifest.flatMap((g) => g.weights).reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
  assert.equal(bytes, e.weightData.length);
  const topo = json.modelTopology as { class_name: string; config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } };
  assert.equal(topo.class_name, "Sequential");
  assert.deepEqual(topo.config.layers.map((l) => l.class_name), ["InputLayer", "Bidirectional", "Bidirectional", "Dense"]);
  assert.deepEqual(topo.config.layers[0].config.batch_input_shape, [null, null, I]);
  assert.equal(topo.config.layers[1].config.merge_mode, "concat");
  const inner = (topo.config.layers[1].config.layer as { config: Record<string, unknown> }).config;
  assert.equal(inner.recurrent_activation, "sigmoid");
  assert.equal(inner.unit_forget_bias, false);
});

test("refusals: GRU (with the reason), other modules, float64, a weightsFile with a directory", () => {
  const gru = new SequenceToVector({ cell: "gru", inputSize: I, hiddenSize: H, outputSize: O, rng: new Rng(1) });
  assert.throws(() => exportLayersModel(gru), (e: Error) => e.message === `exportLayersModel: SequenceToVector over a GRU: ${TFJS_GRU_REFUSAL}`);
  assert.match(TFJS_GRU_REFUSAL, /^a GRU \(reset applied after the recurrent product, PyTorch's and Keras 3's form\) cannot be written as a TF\.js layers model: TF\.js's GRU applies the reset before it \(build the GRU with resetAfter: false for that form\); export to ONNX instead$/);
  const supported = /supported: SequenceToSequence or SequenceToVector over RNN \(tanh, relu, sigmoid\), LSTM or GRU \(resetAfter: false\) layers/;
  const ed = new EncoderDecoder({ cell: "lstm", sourceVocabSize: 5, targetVocabSize: 5, embeddingSize: 4, hiddenSize: 4, rng: new Rng(2) });
  assert.throws(() => exportLayersModel(ed), (e: Error) => /cannot export EncoderDecoder/.test(e.message) && supported.test(e.message));
  const v2s = new VectorToSequence({ cell: "lstm", inputSize: 2, hiddenSize: 4, outputSize: 1, rng: new Rng(3) });
  assert.throws(() => exportLayersModel(v2s), /cannot export VectorToSequence/);
  assert.throws(() => exportLayersModel(new LSTM({ inputSize: 2, hiddenSize: 4, rng: new Rng(4) })), /cannot export LSTM/);
  class Custom extends SequenceToVector {}
  assert.throws(() => exportLayersModel(new Custom({ cell: "lstm", inputSize: 2, hiddenSize: 4, outputSize: 1, rng: new Rng(5) })), /cannot export Custom; .*not subclasses/);
  const f64 = new SequenceToVector({ cell: "lstm", inputSize: 2, hiddenSize: 4, outputSize: 1, dtype: "float64", rng: new Rng(6) });
  assert.throws(() => exportLayersModel(f64), /parameter 'rnn\.weight_ih_l0' is float64; TF\.js layers models hold float32 weights/);
  assert.throws(() => exportLayersModel(gru, { weightsFile: "a/b.bin" }), /options\.weightsFile must be a plain file name/);
  assert.throws(() => exportLayersModel(gru, { weightFile: "x" } as never), /weightFile/);
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("saveLayersModel writes model.json and weights.bin that TF.js loads", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rnnkit-tfjs-"));
  dirs.push(dir);
  const model = new SequenceToVector({ cell: "rnn", nonlinearity: "relu", inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, outputSize: O, rng: new Rng(13) });
  const out = saveLayersModel(join(dir, "web", "model"), model);
  assert.deepEqual(out, { modelJsonPath: join(dir, "web", "model", "model.json"), weightsPath: join(dir, "web", "model", "weights.bin") });
  const modelJson = JSON.parse(readFileSync(out.modelJsonPath, "utf8")) as ExportedLayersModel["modelJson"];
  const weightData = new Uint8Array(readFileSync(out.weightsPath));
  assert.deepEqual(modelJson.weightsManifest[0].paths, ["weights.bin"]);
  t.diagnostic(`from disk: worst |TF.js − rnnkit| ${(await parity({ modelJson, weightData, weightsFile: "weights.bin" }, model, 14, "disk")).toExponential(2)}`);
  assert.throws(() => saveLayersModel(join(dir, "gru"), new SequenceToVector({ cell: "gru", inputSize: I, hiddenSize: H, outputSize: O, rng: new Rng(1) })), /GRU/);
  assert.throws(() => readFileSync(join(dir, "gru", "model.json")), /ENOENT/, "nothing is written for a refused model");
});

test("docs/tfjs.md's library example runs as written and prints what the page says", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnkit-tfjs-doc-"));
  dirs.push(dir);
  const { block, stdout } = runDocExample("docs/tfjs.md", "In code", dir);
  // TF.js prints a banner suggesting tfjs-node; the example's own line is the last.
  assert.equal(stdout.trim().split("\n").at(-1), /^\/\/ (y .*)$/m.exec(block)?.[1]);
  assert.ok(existsSync(join(dir, "tfjs-model", "model.json")) && existsSync(join(dir, "tfjs-model", "weights.bin")));
});
