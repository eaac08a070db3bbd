/**
 * ONNX export of the model types beyond the single headed stacks (onnx-export.test.ts), each
 * checked by onnxruntime at batch and time sizes never used to build or export it: Linear,
 * VectorToSequence (steps as a graph input), EncoderDecoder (token and feature sources, the
 * encoder's state handed to the decoder), topologies with a Dense output activation, and every
 * model Keras 3 saved in test/fixtures/keras (SequenceToVector / SequenceToSequence chains, with
 * their softmax, and KerasLayersModel graphs: embeddings, go_backwards, Bidirectional merges,
 * merge layers) — these also against Keras's own model.predict outputs, directly and through
 * `rnnkit convert`. Each export is read back by importOnnx and run by rnnkit as well.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import {
  EncoderDecoder, KerasLayersModel, Linear, Rng, SequenceToSequence, SequenceToVector, Tensor, TfjsOutputActivationModule, VectorToSequence,
  noGrad, type Module,
} from "../src/index.js";
import { importKeras } from "../src/keras.js";
import { exportOnnx, importOnnx, readOnnxInfo } from "../src/onnx.js";
import { assertClose } from "./support/close.js";
import { mergeTestGraphs } from "./support/keras-graphs.js";
import { runDocExample } from "./support/doc-example.js";

type Cell = "lstm" | "gru" | "rnn";
/** [cell, numLayers, bidirectional, batchFirst] */
const SHAPES: Array<[Cell, number, boolean, boolean]> = [["lstm", 1, false, false], ["gru", 2, true, true], ["rnn", 2, false, true], ["lstm", 2, true, false], ["gru", 1, false, false]];

const normal = (rng: Rng, n: number) => Float32Array.from({ length: n }, () => rng.normal());
const ids = (rng: Rng, n: number, V: number) => Array.from({ length: n }, () => rng.int(V));
const floatTensor = (data: Float32Array, shape: number[]) => new ort.Tensor("float32", data, shape);
const idTensor = (data: number[], shape: number[]) => new ort.Tensor("int64", BigInt64Array.from(data, (v) => BigInt(v)), shape);

/** Runs `bytes` in onnxruntime on `feeds` and compares its first output with `want`; returns the worst |error|. */
async function ortWorst(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, want: Tensor, label: string): Promise<number> {
  const got = await session.run(feeds);
  const y = got[session.outputNames[0]];
  assert.deepEqual(y.dims, want.shape, `${label}: shape`);
  return assertClose(y.data as Float32Array, want.data, label);
}

/** importOnnx of an rnnkit export runs (lifted or as a graph) and matches rnnkit on `inputs`; returns the worst |error| and the kind. */
async function reimportWorst(bytes: Uint8Array, inputs: Tensor[], want: Tensor, label: string): Promise<string> {
  const { kind, model } = await importOnnx(bytes, `${label}.onnx`);
  const y = noGrad(() => (model as unknown as { forward(...x: Tensor[]): Tensor }).forward(...inputs));
  assert.deepEqual(y.shape, want.shape, `${label} re-imported: shape`);
  return `${kind} ${assertClose(y.data, want.data, `${label} re-imported`).toExponential(2)}`;
}

test("Linear: onnxruntime matches rnnkit, with and without bias", async (t) => {
  const lines: string[] = [];
  for (const bias of [true, false]) {
    const model = new Linear({ inFeatures: 4, outFeatures: 3, bias, rng: new Rng(bias ? 1 : 2) });
    const bytes = await exportOnnx(model);
    const session = await ort.InferenceSession.create(bytes);
    const rng = new Rng(3);
    let worst = 0;
    for (const B of [5, 1]) {
      const x = normal(rng, B * 4);
      const want = noGrad(() => model.forward(new Tensor(x, [B, 4])));
      worst = Math.max(worst, await ortWorst(session, { x: floatTensor(x, [B, 4]) }, want, `Linear bias=${bias} B=${B}`));
    }
    const x = normal(rng, 8);
    const back = await reimportWorst(bytes, [new Tensor(x, [2, 4])], noGrad(() => model.forward(new Tensor(x, [2, 4]))), `Linear bias=${bias}`);
    lines.push(`bias=${bias} ${worst.toExponential(2)} (re-import ${back})`);
    await session.release();
  }
  t.diagnostic(`worst |onnxruntime − rnnkit|: ${lines.join("; ")}`);
});

test("VectorToSequence: steps is an int64 scalar input; onnxruntime matches forward(v, steps) for every cell and shape", async (t) => {
  const lines: string[] = [];
  let seed = 10;
  for (const [cell, numLayers, bidirectional, batchFirst] of SHAPES) {
    const model = new VectorToSequence({ cell, inputSize: 3, hiddenSize: 5, outputSize: 2, numLayers, bidirectional, batchFirst, rng: new Rng(seed++) });
    const label = `VectorToSequence ${cell} L=${numLayers}${bidirectional ? " bidirectional" : ""}${batchFirst ? " batchFirst" : ""}`;
    const bytes = await exportOnnx(model);
    const info = await readOnnxInfo(bytes);
    assert.deepEqual(info.inputs, [{ name: "v", shape: ["batch", 3] }, { name: "steps", shape: [] }], `${label}: inputs`);
    assert.deepEqual(info.outputs, [{ name: "y", shape: batchFirst ? ["batch", "steps", 2] : ["steps", "batch", 2] }], `${label}: outputs`);
    const session = await ort.InferenceSession.create(bytes);
    const rng = new Rng(seed++);
    let worst = 0;
    for (const [B, steps] of [[3, 7], [1, 2]]) {
      const v = normal(rng, B * 3);
      const want = noGrad(() => model.forward(new Tensor(v, [B, 3]), steps));
      worst = Math.max(worst, await ortWorst(session, { v: floatTensor(v, [B, 3]), steps: idTensor([steps], []) }, want, `${label} B=${B} steps=${steps}`));
    }
    await session.release();
    const v = normal(rng, 6);
    const back = await reimportWorst(bytes, [new Tensor(v, [2, 3]), new Tensor(Float32Array.of(4), [])], noGrad(() => model.forward(new Tensor(v, [2, 3]), 4)), label);
    lines.push(`${label} ${worst.toExponential(2)} (re-import ${back})`);
  }
  t.diagnostic(`worst |onnxruntime − rnnkit|: ${lines.join("; ")}`);
});

test("EncoderDecoder: src and tgt_in token ids (or source features) in, logits out; onnxruntime matches the teacher-forced forward", async (t) => {
  const cases: Array<[string, Cell, number, boolean, object]> = [
    ["GRU tokens", "gru", 1, true, {}],
    ["LSTM tokens L=2", "lstm", 2, true, {}],
    ["RNN relu features L=2", "rnn", 2, false, { nonlinearity: "relu" }],
    ["LSTM features", "lstm", 1, false, {}],
    ["GRU tokens reset-before hardSigmoid L=2", "gru", 2, true, { resetAfter: false, gateActivation: "hardSigmoid" }],
  ];
  const Vs = 6, V = 7, I = 3;
  const lines: string[] = [];
  let seed = 40;
  for (const [label, cell, numLayers, tokens, extra] of cases) {
    const source = tokens ? { sourceVocabSize: Vs } : { sourceInputSize: I };
    const model = new EncoderDecoder({ cell, ...source, targetVocabSize: V, embeddingSize: 4, hiddenSize: 5, numLayers, ...extra, rng: new Rng(seed++) });
    const bytes = await exportOnnx(model);
    const info = await readOnnxInfo(bytes);
    assert.deepEqual(info.inputs, [{ name: "src", shape: tokens ? ["src_time", "batch"] : ["src_time", "batch", I] }, { name: "tgt_in", shape: ["tgt_time", "batch"] }]);
    assert.deepEqual(info.outputs, [{ name: "logits", shape: ["tgt_time", "batch", V] }]);
    const session = await ort.InferenceSession.create(bytes);
    const rng = new Rng(seed++);
    let worst = 0;
    const draw = (B: number, Tin: number, Tout: number) => {
      const src = tokens ? Float32Array.from(ids(rng, Tin * B, Vs)) : normal(rng, Tin * B * I);
      const srcShape = tokens ? [Tin, B] : [Tin, B, I];
      const tgt = ids(rng, Tout * B, V);
      return { src, srcShape, tgt, inputs: [new Tensor(src, srcShape), new Tensor(Float32Array.from(tgt), [Tout, B])] };
    };
    for (const [B, Tin, Tout] of [[3, 5, 4], [1, 2, 1]]) {
      const d = draw(B, Tin, Tout);
      const want = noGrad(() => model.forward(d.inputs[0], d.inputs[1]));
      const feeds = { src: tokens ? idTensor(Array.from(d.src), d.srcShape) : floatTensor(d.src, d.srcShape), tgt_in: idTensor(d.tgt, [Tout, B]) };
      worst = Math.max(worst, await ortWorst(session, feeds, want, `EncoderDecoder ${label} B=${B} T_in=${Tin} T_out=${Tout}`));
    }
    await session.release();
    const d = draw(2, 3, 3);
    const back = await reimportWorst(bytes, d.inputs, noGrad(() => model.forward(d.inputs[0], d.inputs[1])), `EncoderDecoder ${label}`);
    lines.push(`${label} ${worst.toExponential(2)} (re-import ${back})`);
  }
  t.diagnostic(`worst |onnxruntime − rnnkit|: ${lines.join("; ")}`);
});

test("SequenceToSequence / SequenceToVector with a token input: int64 ids x in, Gather first; onnxruntime matches forward for every cell and shape", async (t) => {
  const lines: string[] = [];
  let seed = 80;
  const V = 9;
  for (const [cell, numLayers, bidirectional, batchFirst] of SHAPES) {
    for (const Topology of [SequenceToSequence, SequenceToVector]) {
      const model = new Topology({ cell, vocabSize: V, embeddingSize: 3, hiddenSize: 5, outputSize: 2, numLayers, bidirectional, batchFirst, rng: new Rng(seed++) });
      const label = `${Topology.name} tokens ${cell} L=${numLayers}${bidirectional ? " bidirectional" : ""}${batchFirst ? " batchFirst" : ""}`;
      const bytes = await exportOnnx(model);
      const info = await readOnnxInfo(bytes);
      assert.deepEqual(info.inputs, [{ name: "x", shape: batchFirst ? ["batch", "time"] : ["time", "batch"] }], `${label}: inputs`);
      const session = await ort.InferenceSession.create(bytes);
      assert.equal(session.inputMetadata[0].isTensor && session.inputMetadata[0].type, "int64", `${label}: ids are int64`);
      const rng = new Rng(seed++);
      let worst = 0;
      for (const [B, T] of [[3, 7], [1, 2]]) {
        const shape = batchFirst ? [B, T] : [T, B];
        const x = ids(rng, B * T, V);
        const want = noGrad(() => model.forward(new Tensor(Float32Array.from(x), shape)));
        worst = Math.max(worst, await ortWorst(session, { x: idTensor(x, shape) }, want, `${label} B=${B} T=${T}`));
      }
      await session.release();
      const x = new Tensor(Float32Array.from(ids(rng, 6, V)), batchFirst ? [2, 3] : [3, 2]);
      const back = await reimportWorst(bytes, [x], noGrad(() => model.forward(x)), label);
      assert.ok(back.startsWith("lifted "), `${label}: re-imported as ${back}`);
      lines.push(`${label} ${worst.toExponential(2)} (re-import ${back})`);
    }
  }
  t.diagnostic(`worst |onnxruntime − rnnkit|: ${lines.join("; ")}`);
});

test("a topology with a Dense output activation: the same graph plus Softmax / Sigmoid / Tanh / Relu", async (t) => {
  const lines: string[] = [];
  let seed = 70;
  for (const activation of ["softmax", "sigmoid", "tanh", "relu"] as const) {
    for (const [k, [cell, numLayers, bidirectional, batchFirst]] of SHAPES.slice(0, 2).entries()) {
      const options = { cell, inputSize: 3, hiddenSize: 5, outputSize: 4, numLayers, bidirectional, batchFirst, rng: new Rng(seed++) };
      const inner = k === 0 ? new SequenceToSequence(options) : new SequenceToVector(options);
      const model = new TfjsOutputActivationModule(inner, activation);
      const label = `${activation} on ${inner.constructor.name} ${cell}${batchFirst ? " batchFirst" : ""}`;
      const bytes = await exportOnnx(model);
      const info = await readOnnxInfo(bytes);
      assert.equal(info.ops[info.ops.length - 1], activation === "softmax" ? "Softmax" : activation[0].toUpperCase() + activation.slice(1), `${label}: last node`);
      assert.deepEqual(JSON.parse(info.metadata["rnnkit.model"]), { type: "TfjsOutputActivationModule", options: { activation, inner: JSON.parse(JSON.stringify(inner.modelSpec())) } });
      const session = await ort.InferenceSession.create(bytes);
      const rng = new Rng(seed++);
      let worst = 0;
      for (const [B, T] of [[3, 6], [1, 2]]) {
        const shape = batchFirst ? [B, T, 3] : [T, B, 3];
        const x = normal(rng, B * T * 3);
        worst = Math.max(worst, await ortWorst(session, { x: floatTensor(x, shape) }, noGrad(() => model.forward(new Tensor(x, shape))), `${label} B=${B} T=${T}`));
      }
      await session.release();
      const shape = batchFirst ? [2, 4, 3] : [4, 2, 3];
      const x = new Tensor(normal(rng, 24), shape);
      lines.push(`${label} ${worst.toExponential(2)} (re-import ${await reimportWorst(bytes, [x], noGrad(() => model.forward(x)), label)})`);
    }
  }
  t.diagnostic(`worst |onnxruntime − rnnkit|: ${lines.join("; ")}`);
});

const FIXTURES = "test/fixtures/keras";
interface TensorJson { shape: number[]; data: number[] }
interface FixtureCase { name: string; file: string; input: TensorJson; expected: TensorJson; refused?: string }
const fixtures = JSON.parse(readFileSync(join(FIXTURES, "cases.json"), "utf8")) as { keras: string; cases: FixtureCase[] };

/** The vocabulary of a model's token input (its first Embedding, or a topology's embedding), or null for float input. */
function tokenVocabulary(model: Module): number | null {
  const topology = model instanceof TfjsOutputActivationModule ? model.inner : model;
  if (topology instanceof SequenceToSequence || topology instanceof SequenceToVector) return topology.embedding?.numEmbeddings ?? null;
  if (!(model instanceof KerasLayersModel) || model.options.input.kind !== "tokens") return null;
  const first = model.options.nodes.find((n) => n.op === "embedding");
  return first?.op === "embedding" ? first.vocabulary : null;
}

test("every model Keras saved (.keras, .h5): onnxruntime matches Keras's model.predict and rnnkit at other sizes", async (t) => {
  const lines: string[] = [];
  const kinds = new Set<string>();
  for (const c of fixtures.cases.filter((f) => f.refused === undefined)) {
    const { model } = await importKeras(new Uint8Array(readFileSync(join(FIXTURES, c.file))), c.file);
    kinds.add(model.constructor.name);
    const forward = (x: Tensor) => noGrad(() => (model as unknown as { forward(x: Tensor): Tensor }).forward(x));
    const bytes = await exportOnnx(model);
    const session = await ort.InferenceSession.create(bytes);
    const V = tokenVocabulary(model);
    const feed = (data: number[] | Float32Array, shape: number[]) => ({ x: V === null ? floatTensor(Float32Array.from(data), shape) : idTensor(Array.from(data), shape) });
    // Keras's own outputs on the fixture's input.
    const got = await session.run(feed(c.input.data, c.input.shape));
    assert.deepEqual(got.y.dims, c.expected.shape, `${c.name}: shape`);
    const vsKeras = assertClose(got.y.data as Float32Array, c.expected.data, `${c.name}: onnxruntime vs Keras`);
    // rnnkit's forward at sizes other than the fixture's (all Keras inputs are batch-first).
    const rng = new Rng(c.name.length);
    let vsRnnkit = 0;
    const width = c.input.shape[2];
    const draw = (B: number, T: number) => {
      const shape = V === null ? [B, T, width] : [B, T];
      return { data: V === null ? normal(rng, B * T * width) : Float32Array.from(ids(rng, B * T, V)), shape };
    };
    for (const [B, T] of [[4, 9], [1, 1]]) {
      const x = draw(B, T);
      vsRnnkit = Math.max(vsRnnkit, await ortWorst(session, feed(x.data, x.shape), forward(new Tensor(x.data, x.shape)), `${c.name} B=${B} T=${T}`));
    }
    await session.release();
    const x = draw(2, 3);
    const back = await reimportWorst(bytes, [new Tensor(x.data, x.shape)], forward(new Tensor(x.data, x.shape)), c.name);
    lines.push(`${c.name} (${model.constructor.name}) vs Keras ${vsKeras.toExponential(2)}, vs rnnkit ${vsRnnkit.toExponential(2)}, re-import ${back}`);
    model.dispose();
  }
  assert.deepEqual([...kinds].sort(), ["KerasLayersModel", "SequenceToSequence", "SequenceToVector", "TfjsOutputActivationModule"]);
  t.diagnostic(`Keras ${fixtures.keras}: ${lines.join("; ")}`);
});

test("KerasLayersModel graphs with every merge layer, go_backwards in both directions and Bidirectional merges on sequences and states", async (t) => {
  const graphs = mergeTestGraphs("gru");
  const lines: string[] = [];
  for (const [label, options] of graphs) {
    const model = new KerasLayersModel(options, new Rng(label.length));
    const tokens = options.input.kind === "tokens";
    const bytes = await exportOnnx(model);
    const session = await ort.InferenceSession.create(bytes);
    const rng = new Rng(5);
    let worst = 0;
    for (const [B, T] of [[3, 6], [1, 1], [2, 2]]) {
      const shape = tokens ? [B, T] : [B, T, 3];
      const data = tokens ? Float32Array.from(ids(rng, B * T, 9)) : normal(rng, B * T * 3);
      const want = noGrad(() => model.forward(new Tensor(data, shape)));
      worst = Math.max(worst, await ortWorst(session, { x: tokens ? idTensor(Array.from(data), shape) : floatTensor(data, shape) }, want, `${label} B=${B} T=${T}`));
    }
    await session.release();
    const shape = tokens ? [2, 4] : [2, 4, 3];
    const x = new Tensor(tokens ? Float32Array.from(ids(rng, 8, 9)) : normal(rng, 24), shape);
    lines.push(`${label} ${worst.toExponential(2)} (re-import ${await reimportWorst(bytes, [x], noGrad(() => model.forward(x)), label)})`);
  }
  t.diagnostic(`worst |onnxruntime − rnnkit|: ${lines.join("; ")}`);
});

test("rnnkit convert model.keras model.onnx, and via an rnnkit model file: the graph applies the Dense activation; onnxruntime matches Keras", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rnnkit-onnx-models-"));
  try {
    const cli = (...args: string[]) => spawnSync(process.execPath, [resolve("build/src/cli/main.js"), "convert", ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "1" } });
    const lines: string[] = [];
    for (const name of ["lstm_softmax", "mixed_h5"]) {
      const c = fixtures.cases.find((f) => f.name === name)!;
      const source = resolve(FIXTURES, c.file);
      const steps: string[][] = [[source, `${name}.onnx`], [source, `${name}.safetensors`], [`${name}.safetensors`, `${name}-again.onnx`]];
      for (const [from, to] of steps) {
        const r = cli(from, to);
        assert.equal(r.status, 0, r.stderr);
      }
      for (const file of [`${name}.onnx`, `${name}-again.onnx`]) {
        const bytes = new Uint8Array(readFileSync(join(dir, file)));
        assert.equal((await readOnnxInfo(bytes)).metadata["rnnkit.outputActivation"], undefined, `${file}: the activation is in the graph, not in the metadata`);
        const session = await ort.InferenceSession.create(bytes);
        const got = await session.run({ x: floatTensor(Float32Array.from(c.input.data), c.input.shape) });
        lines.push(`${file} ${assertClose(got.y.data as Float32Array, c.expected.data, `${file} vs Keras`).toExponential(2)}`);
        await session.release();
      }
    }
    t.diagnostic(`worst |onnxruntime − Keras|: ${lines.join("; ")}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("docs/onnx.md's example of the other model types runs as written and prints what the page says", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnkit-onnx-doc-"));
  try {
    const { block, stdout } = runDocExample("docs/onnx.md", "Every model type", dir);
    assert.equal(stdout, `${[...block.matchAll(/^\/\/ (.*)$/gm)].map((m) => m[1]).join("\n")}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
