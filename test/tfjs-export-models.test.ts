/**
 * TF.js layers-model export of the imported model kinds (src/interop/tfjs-export*.ts), checked by
 * TensorFlow.js itself (`tf.loadLayersModel` + `predict`, cpu backend) at batch and time sizes
 * never used to build or export: a topology with a Dense activation (TfjsOutputActivationModule)
 * as a Sequential ending in that Dense, and KerasLayersModel graphs as functional models — the
 * models Keras saved in test/fixtures/keras (also against Keras's own model.predict outputs) and
 * graphs with every merge layer, Embedding input, go_backwards and Bidirectional merge modes.
 * Also the refusals: reset-after GRUs (every GRU a Keras 3 graph has) and hardSigmoid6, with the
 * reason and ONNX suggested.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  GRU, KerasLayersModel, LSTM, Rng, SequenceToSequence, SequenceToVector, Tensor, TfjsOutputActivationModule, TFJS_GRU_REFUSAL,
  exportLayersModel, noGrad, transpose, type Module,
} from "../src/index.js";
import { importKeras } from "../src/keras.js";
import { assertClose } from "./support/close.js";
import { mergeTestGraphs } from "./support/keras-graphs.js";
import { artifactsOf } from "./support/tfjs-artifacts.js";

before(async () => {
  await tf.setBackend("cpu");
  await tf.ready();
});


const normal = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal());

/** TF.js's prediction for batch-first `x` (int32 when `tokens`) against `want`; returns the worst |error|. */
function tfWorst(tfModel: tf.LayersModel, x: Float32Array, shape: number[], tokens: boolean, want: ArrayLike<number>, wantShape: number[], label: string): number {
  const input = tokens ? tf.tensor(Int32Array.from(x), shape, "int32") : tf.tensor(x, shape);
  const y = tfModel.predict(input) as tf.Tensor;
  assert.deepEqual(y.shape, wantShape, `${label}: shape`);
  const worst = assertClose(y.dataSync(), want, label);
  y.dispose();
  input.dispose();
  return worst;
}

test("a topology with a Dense activation: a Sequential ending in Dense(softmax | sigmoid | tanh | relu); TF.js matches rnnkit", async (t) => {
  const I = 3, O = 4;
  const lines: string[] = [];
  let seed = 1;
  for (const activation of ["softmax", "sigmoid", "tanh", "relu"] as const) {
    for (const [cell, kind, numLayers, bidirectional, batchFirst] of [["lstm", "s2v", 2, true, false], ["rnn", "s2s", 1, false, true], ["gru", "s2s", 1, true, false]] as const) {
      const options = { cell, inputSize: I, hiddenSize: 5, outputSize: O, numLayers, bidirectional, batchFirst, rng: new Rng(seed++), ...(cell === "gru" ? { resetAfter: false } : {}) };
      const inner = kind === "s2s" ? new SequenceToSequence(options) : new SequenceToVector(options);
      const model = new TfjsOutputActivationModule(inner, activation);
      const e = exportLayersModel(model);
      const layers = (e.modelJson.modelTopology.config as { layers: Array<{ class_name: string; config: { activation?: string } }> }).layers;
      assert.deepEqual([layers[layers.length - 1].class_name, layers[layers.length - 1].config.activation], ["Dense", activation]);
      const tfModel = await tf.loadLayersModel(tf.io.fromMemory(artifactsOf(e)));
      const rng = new Rng(seed++);
      let worst = 0;
      const label = `${activation} on ${inner.constructor.name} ${cell}${batchFirst ? " batchFirst" : " time-major"}`;
      for (const [B, T] of [[3, 7], [1, 2]]) {
        const x = normal(rng, B * T * I); // batch-first, as TF.js reads it
        const want = noGrad(() => {
          const xb = new Tensor(x, [B, T, I]);
          const y = model.forward(batchFirst ? xb : transpose(xb, [1, 0, 2]));
          return kind === "s2s" && !batchFirst ? transpose(y, [1, 0, 2]) : y;
        });
        worst = Math.max(worst, tfWorst(tfModel, x, [B, T, I], false, want.data, kind === "s2s" ? [B, T, O] : [B, O], `${label} B=${B} T=${T}`));
      }
      tfModel.dispose();
      lines.push(`${label} ${worst.toExponential(2)}`);
    }
  }
  t.diagnostic(`worst |TF.js − rnnkit|: ${lines.join("; ")}`);
});

const FIXTURES = "test/fixtures/keras";
interface TensorJson { shape: number[]; data: number[] }
interface FixtureCase { name: string; file: string; input: TensorJson; expected: TensorJson; refused?: string }
const fixtures = JSON.parse(readFileSync(join(FIXTURES, "cases.json"), "utf8")) as { keras: string; cases: FixtureCase[] };

/**
 * Why TF.js's layers cannot express a model, or null: a reset-after GRU (Keras 3's default) or
 * Keras 3's hard sigmoid (x/6 + 0.5); the expected end of the refusal message.
 */
function tfjsCannot(model: Module): RegExp | null {
  const layers = model.namedModules().map(([, m]) => m).filter((m): m is RecurrentLayer => m instanceof LSTM || m instanceof GRU);
  if (layers.some((m) => m instanceof GRU && m.spec.resetAfter !== false)) return new RegExp(`${escape(TFJS_GRU_REFUSAL)}$`);
  if (layers.some((m) => m.spec.gateActivation === "hardSigmoid6")) return /TF\.js has no such activation .*; export to ONNX instead$/;
  return null;
}
type RecurrentLayer = LSTM | GRU;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("models Keras saved: exported as TF.js layers models that match Keras's model.predict; those with reset-after GRUs or Keras 3 hard sigmoids are refused with the reason", async (t) => {
  const lines: string[] = [];
  const refused: string[] = [];
  for (const c of fixtures.cases.filter((f) => f.refused === undefined)) {
    const { model } = await importKeras(new Uint8Array(readFileSync(join(FIXTURES, c.file))), c.file);
    const why = tfjsCannot(model);
    if (why !== null) {
      assert.throws(() => exportLayersModel(model), why, `${c.name}: refused`);
      refused.push(c.name);
      model.dispose();
      continue;
    }
    const tfModel = await tf.loadLayersModel(tf.io.fromMemory(artifactsOf(exportLayersModel(model))));
    const tokens = model instanceof KerasLayersModel && model.options.input.kind === "tokens";
    const vsKeras = tfWorst(tfModel, Float32Array.from(c.input.data), c.input.shape, tokens, c.expected.data, c.expected.shape, `${c.name} vs Keras`);
    // rnnkit at other sizes (Keras models are batch-first).
    const rng = new Rng(c.name.length);
    let vsRnnkit = 0;
    for (const [B, T] of [[4, 9], [1, 1]]) {
      const shape = [B, T, c.input.shape[2]];
      const x = normal(rng, B * T * shape[2]);
      const want = noGrad(() => (model as unknown as { forward(x: Tensor): Tensor }).forward(new Tensor(x, shape)));
      vsRnnkit = Math.max(vsRnnkit, tfWorst(tfModel, x, shape, false, want.data, [...want.shape], `${c.name} B=${B} T=${T}`));
    }
    tfModel.dispose();
    lines.push(`${c.name} (${model.constructor.name}) vs Keras ${vsKeras.toExponential(2)}, vs rnnkit ${vsRnnkit.toExponential(2)}`);
    model.dispose();
  }
  assert.ok(lines.length >= 5, "some fixtures export");
  t.diagnostic(`Keras ${fixtures.keras}: ${lines.join("; ")}; refused (reset-after GRU or hardSigmoid6): ${refused.join(", ")}`);
});


test("KerasLayersModel graphs with an Embedding input, every merge layer, go_backwards and every Bidirectional merge mode: TF.js matches rnnkit", async (t) => {
  const graphs = mergeTestGraphs("lstm");
  const lines: string[] = [];
  for (const [label, options] of graphs) {
    const model = new KerasLayersModel(options, new Rng(label.length));
    const tokens = options.input.kind === "tokens";
    const tfModel = await tf.loadLayersModel(tf.io.fromMemory(artifactsOf(exportLayersModel(model))));
    const rng = new Rng(5);
    let worst = 0;
    for (const [B, T] of [[3, 6], [1, 1], [2, 2]]) {
      const shape = tokens ? [B, T] : [B, T, 3];
      const x = tokens ? Float32Array.from({ length: B * T }, () => rng.int(9)) : normal(rng, B * T * 3);
      const want = noGrad(() => model.forward(new Tensor(x, shape)));
      worst = Math.max(worst, tfWorst(tfModel, x, shape, tokens, want.data, [...want.shape], `${label} B=${B} T=${T}`));
    }
    tfModel.dispose();
    lines.push(`${label} ${worst.toExponential(2)}`);
  }
  t.diagnostic(`worst |TF.js − rnnkit|: ${lines.join("; ")}`);
});

test("refusals: a KerasLayersModel GRU (reset-after) and hardSigmoid6 gates name the node or model, say why and suggest ONNX", () => {
  const graph = new KerasLayersModel({
    input: { name: "x", kind: "sequence", size: 3 },
    nodes: [{ op: "recurrent", name: "gru_1", input: "x", cell: "gru", inputSize: 3, hiddenSize: 2, bias: true, bidirectional: false, merge: "concat", returnSequences: false, goBackwards: false }],
    output: "gru_1",
  }, new Rng(0));
  assert.throws(() => exportLayersModel(graph), (e: Error) => e.message === `exportLayersModel: KerasLayersModel node 'gru_1' (GRU): ${TFJS_GRU_REFUSAL}`);
  const hard6 = new TfjsOutputActivationModule(new SequenceToVector({ cell: "lstm", inputSize: 3, hiddenSize: 2, outputSize: 2, gateActivation: "hardSigmoid6", rng: new Rng(1) }), "softmax");
  assert.throws(() => exportLayersModel(hard6), /SequenceToVector over a LSTM with gateActivation "hardSigmoid6" .*TF\.js has no such activation.*export to ONNX instead/);
  assert.throws(() => exportLayersModel(new LSTM({ inputSize: 2, hiddenSize: 2, rng: new Rng(2) })), /cannot export LSTM; supported: .*TfjsOutputActivationModule.*KerasLayersModel/);
});
