/**
 * `rnnkit convert` and `rnnkit predict` with TensorFlow.js layers models, end to end through the
 * published program in child processes: an rnnkit model written as DIR/model.json is what
 * `tf.loadLayersModel` loads and predicts like the model; model.json read back into an rnnkit
 * model file gives the same outputs; `predict` runs a model.json on a .npy; a Dense activation
 * that rnnkit model files cannot hold is said, and recorded in the metadata; TF.js GRU models
 * (reset before the recurrent product, hardSigmoid gates: TF.js's defaults) converted to .onnx run
 * in onnxruntime like `model.predict`; a JSON output not named model.json is refused.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { Rng, SequenceToVector, Tensor, noGrad, specOf } from "../src/index.js";
import { loadModel, readNpyFile, saveModel, writeNpyFile } from "../src/node/index.js";
import { OUTPUT_ACTIVATION_KEY } from "../src/node/model-formats.js";
import { assertClose } from "./support/close.js";

const dir = mkdtempSync(join(tmpdir(), "rnnkit-convert-tfjs-"));
after(() => rmSync(dir, { recursive: true, force: true }));
before(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});

const main = resolve("build/src/cli/main.js");
const register = resolve("build/src/node/register.js");
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", register, main, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}


// A batch-first bidirectional LSTM classifier: x [B, T, I] → [B, O].
const I = 3, H = 5, O = 4, B = 2, T = 6;
const model = new SequenceToVector({ cell: "lstm", inputSize: I, hiddenSize: H, outputSize: O, numLayers: 2, bidirectional: true, batchFirst: true, rng: new Rng(11) });
const rng = new Rng(12);
const x = new Tensor(Float32Array.from({ length: B * T * I }, () => rng.normal()), [B, T, I]);
const want = noGrad(() => Float32Array.from(model.forward(x).data));

test("convert model.safetensors DIR/model.json: tf.loadLayersModel predicts like the model; convert back and predict give its outputs", async (t) => {
  saveModel(join(dir, "m.safetensors"), model, specOf(model));
  mkdirSync(join(dir, "tfjs"));
  let r = cli("convert", "m.safetensors", "tfjs/model.json");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "wrote tfjs/model.json: SequenceToVector as TensorFlow.js layers models\n");

  const json = JSON.parse(readFileSync(join(dir, "tfjs/model.json"), "utf8"));
  const weights = readFileSync(join(dir, "tfjs", json.weightsManifest[0].paths[0]));
  const tfModel = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  }));
  const y = tfModel.predict(tf.tensor(x.data, [B, T, I])) as tf.Tensor;
  t.diagnostic(`TF.js on the converted file: worst |error| ${assertClose(y.dataSync(), want, "TF.js").toExponential(2)}`);

  r = cli("convert", "tfjs/model.json", "back.safetensors");
  assert.equal(r.code, 0, r.stderr);
  const back = loadModel<SequenceToVector>(join(dir, "back.safetensors")).model;
  assert.equal(back.rnn.spec.cell, "lstm");
  assert.equal(back.rnn.spec.numLayers, 2);
  assert.equal(back.rnn.spec.bidirectional, true);
  t.diagnostic(`model.json → rnnkit model file: worst |error| ${assertClose(noGrad(() => back.forward(x).data), want, "back").toExponential(2)}`);

  writeNpyFile(join(dir, "x.npy"), { dtype: "float32", shape: [B, T, I], data: Float32Array.from(x.data) });
  r = cli("predict", "tfjs/model.json", "x.npy", "-o", "y.npy");
  assert.equal(r.code, 0, r.stderr);
  const out = readNpyFile(join(dir, "y.npy"));
  assert.deepEqual(out.shape, [B, O]);
  assertClose(out.data as Float32Array, want, "predict model.json");
});

test("a Dense activation on a TF.js model is applied by predict, and said when convert writes an rnnkit model file", async () => {
  const tfModel = tf.sequential({
    layers: [
      tf.layers.lstm({ inputShape: [null, I], units: H, recurrentActivation: "sigmoid", kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      tf.layers.dense({ units: O, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
    ],
  });
  mkdirSync(join(dir, "soft"));
  await tfModel.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(join(dir, "soft/weights.bin"), new Uint8Array(a.weightData as ArrayBuffer));
    writeFileSync(join(dir, "soft/model.json"), JSON.stringify({ modelTopology: a.modelTopology, format: a.format, weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }] }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  writeNpyFile(join(dir, "xs.npy"), { dtype: "float32", shape: [B, T, I], data: Float32Array.from(x.data) });
  let r = cli("predict", "soft/model.json", "xs.npy", "-o", "ys.npy");
  assert.equal(r.code, 0, r.stderr);
  const expected = (tfModel.predict(tf.tensor(x.data, [B, T, I])) as tf.Tensor).dataSync();
  assertClose(readNpyFile(join(dir, "ys.npy")).data as Float32Array, expected, "predict with softmax");

  r = cli("convert", "soft/model.json", "soft.safetensors");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `wrote soft.safetensors: SequenceToVector as rnnkit model files (the softmax on its output is not part of an rnnkit model file: it is recorded in the metadata as ${OUTPUT_ACTIVATION_KEY}; apply it to the outputs)\n`);
  assert.equal(loadModel(join(dir, "soft.safetensors")).metadata[OUTPUT_ACTIVATION_KEY], "softmax");
});

/** Saves a TF.js model as DIR/model.json + DIR/weights.bin, as tf.io's file handlers lay it out. */
async function saveTfjs(tfModel: tf.LayersModel, sub: string): Promise<void> {
  mkdirSync(join(dir, sub));
  await tfModel.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(join(dir, sub, "weights.bin"), new Uint8Array(a.weightData as ArrayBuffer));
    writeFileSync(join(dir, sub, "model.json"), JSON.stringify({ modelTopology: a.modelTopology, format: a.format, weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs }] }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
}

test("convert a TF.js GRU model.json (its defaults: reset before, hardSigmoid) to .onnx: onnxruntime predicts like TF.js", async (t) => {
  let seed = 40;
  const init = () => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }), recurrentInitializer: tf.initializers.glorotUniform({ seed: seed++ }),
    biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed++ }),
  });
  const dense = () => tf.layers.dense({ units: O, kernelInitializer: tf.initializers.glorotUniform({ seed: seed++ }), biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed++ }) });
  const lines: string[] = [];
  for (const [label, build] of [
    ["GRU ×2 → Dense (seq)", () => tf.sequential({ layers: [tf.layers.gru({ inputShape: [null, I], units: H, returnSequences: true, ...init() }), tf.layers.gru({ units: H, returnSequences: true, ...init() }), dense()] })],
    ["Bidirectional GRU → Dense (vec)", () => tf.sequential({ layers: [tf.layers.bidirectional({ layer: tf.layers.gru({ units: H, ...init() }) as tf.RNN, inputShape: [null, I] }), dense()] })],
  ] as const) {
    const tfModel = build();
    const sub = `gru${lines.length}`;
    await saveTfjs(tfModel, sub);
    const r = cli("convert", `${sub}/model.json`, `${sub}.onnx`);
    assert.equal(r.code, 0, r.stderr);
    const session = await ort.InferenceSession.create(readFileSync(join(dir, `${sub}.onnx`)));
    let worst = 0;
    for (const [b, steps] of [[B, T], [1, 3]]) {
      const xs = Float32Array.from({ length: b * steps * I }, () => rng.normal());
      const got = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", xs, [b, steps, I]) });
      const yTf = tfModel.predict(tf.tensor(xs, [b, steps, I])) as tf.Tensor;
      const out = got[session.outputNames[0]];
      assert.deepEqual(out.dims, yTf.shape, `${label}: output shape`);
      worst = Math.max(worst, assertClose(out.data as Float32Array, yTf.dataSync(), `${label} B=${b} T=${steps}: onnxruntime vs TF.js`));
      yTf.dispose();
    }
    lines.push(`${label} ${worst.toExponential(2)}`);
    tfModel.dispose();
  }
  t.diagnostic(`worst |onnxruntime − TF.js|: ${lines.join("; ")}`);
});

test("a TF.js output not named model.json is refused, and nothing is written", () => {
  const r = cli("convert", "m.safetensors", "other.json");
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "rnnkit: convert: m.safetensors → other.json: a TensorFlow.js layers model is written as DIR/model.json (weights.bin beside it); name the output …/model.json\n");
});
