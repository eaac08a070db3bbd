/**
 * Keras import (src/interop/keras-*.ts, src/node/keras-load.ts) checked against its producer:
 * models saved by Keras 3.15.1 itself as `.keras` and `.h5` (test/fixtures/keras/, written by
 * tools/make_keras_fixtures.py with Keras's `model.predict` outputs at batch and time sizes other
 * than any used while building). Also: model files of the imported graphs give bit-identical
 * outputs, an imported model fine-tunes, hard_sigmoid read by the dialect that wrote the file
 * (Keras 3: clip(x/6 + 0.5, 0, 1); Keras 2: clip(0.2x + 0.5, 0, 1)), the reset-before GRU
 * (reset_after=False), the refusals (unsupported layers and options, bad files, missing packages),
 * `rnnkit predict model.keras` / `rnnkit convert model.keras …`, and docs/keras.md's example.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { unzipSync, zipSync, strToU8, strFromU8 } from "fflate";
import {
  Adam, KerasLayersModel, Rng, SequenceToSequence, fit, SequenceToVector, Tensor, TfjsOutputActivationModule,
  checkKerasLayersOptions, crossEntropy, decodeModel, encodeModel, noGrad, type Module,
} from "../src/index.js";
import { FFLATE_MISSING, H5WASM_MISSING, importKeras, KerasImportError } from "../src/keras.js";
import { readKerasContainer } from "../src/interop/keras-files.js";
import { importKerasSource } from "../src/interop/keras-import.js";
import { loadKerasModel, readNpyFile, writeNpyFile } from "../src/node/index.js";
import { assertClose } from "./support/close.js";
import { runDocExample } from "./support/doc-example.js";

const FIXTURES = "test/fixtures/keras";
interface TensorJson { shape: number[]; data: number[] }
interface FixtureCase { name: string; file: string; input?: TensorJson; expected?: TensorJson; refused?: string }
const fixtures = JSON.parse(readFileSync(join(FIXTURES, "cases.json"), "utf8")) as { keras: string; backend: string; cases: FixtureCase[] };
const bytesOf = (file: string) => new Uint8Array(readFileSync(join(FIXTURES, file)));
const caseNamed = (name: string) => fixtures.cases.find((c) => c.name === name)!;
const inputOf = (c: FixtureCase) => new Tensor(Float32Array.from(c.input!.data), c.input!.shape);
const forward = (m: Module, x: Tensor) => noGrad(() => (m as unknown as { forward(x: Tensor): Tensor }).forward(x));

const dir = mkdtempSync(join(tmpdir(), "rnnkit-keras-import-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What each supported fixture becomes: a chain lifted into a topology, or a KerasLayersModel. */
const TYPES: Record<string, string> = {
  lstm_softmax: "SequenceToVector", lstm_softmax_h5: "SequenceToVector", gru_seq: "SequenceToSequence", gru_seq_h5: "SequenceToSequence",
  simplernn_relu: "SequenceToSequence", bi_lstm_concat: "SequenceToSequence",
  embed_gru: "SequenceToVector", embed_gru_lstm_h5: "KerasLayersModel", bi_concat_sum: "KerasLayersModel", bi_ave_mul_h5: "KerasLayersModel",
  go_backwards: "KerasLayersModel", go_backwards_h5: "KerasLayersModel", functional: "KerasLayersModel", functional_h5: "KerasLayersModel",
  branches: "KerasLayersModel", mixed_h5: "KerasLayersModel", trained_gru: "SequenceToVector", trained_gru_h5: "SequenceToVector",
  lstm_hard_sigmoid: "SequenceToVector", gru_reset_before_h5: "SequenceToVector", gru_hard_reset_before: "SequenceToSequence",
  bi_gru_reset_before_h5: "KerasLayersModel", hard_sigmoid_wide: "KerasLayersModel",
};

test("models saved by Keras (.keras and .h5) import and match Keras's model.predict at other batch and time sizes", async (t) => {
  const supported = fixtures.cases.filter((c) => c.refused === undefined);
  assert.deepEqual(supported.map((c) => c.name).sort(), Object.keys(TYPES).sort(), "every fixture is checked");
  const lines: string[] = [];
  for (const c of supported) {
    // A fixture whose outputs do not vary could not tell a wrong model from a right one.
    const want = c.expected!.data;
    assert.ok(Math.max(...want) - Math.min(...want) > 1e-3, `${c.name}: Keras's outputs vary`);
    const { model, spec, notes, dialect } = await importKeras(bytesOf(c.file), c.file);
    assert.equal(spec.type, TYPES[c.name], `${c.name}: imported as ${spec.type}`);
    assert.equal(dialect, "keras3", `${c.name}: written by Keras 3 (.keras, or .h5 with keras_version 3.x)`);
    const y = forward(model, inputOf(c));
    assert.deepEqual(y.shape, c.expected!.shape, `${c.name}: output shape`);
    const worst = assertClose(y.data, want, `${c.name}: rnnkit vs Keras`);
    lines.push(`${c.name} (${spec.type}) ${worst.toExponential(2)}`);
    if (/functional|mixed/.test(c.name)) assert.ok(notes.some((n) => /Dropout.*skipped/.test(n)), `${c.name}: Dropout is noted`);
    if (/trained/.test(c.name)) assert.ok(notes.some((n) => /optimizer's state .* is not read/.test(n)), `${c.name}: the optimizer state is noted`);
    model.dispose();
  }
  t.diagnostic(`Keras ${fixtures.keras} (${fixtures.backend}), worst |rnnkit − Keras| per case: ${lines.join("; ")}`);
});

test("a non-linear Dense on a chain is applied by TfjsOutputActivationModule; graphs keep their activations in KerasLayersModel's spec", async () => {
  const { model, outputActivation } = await importKeras(bytesOf("lstm_softmax.keras"), "lstm_softmax.keras");
  assert.ok(model instanceof TfjsOutputActivationModule && model.inner instanceof SequenceToVector);
  assert.equal(outputActivation, "softmax");
  const graph = await importKeras(bytesOf("mixed_h5.h5"), "mixed_h5.h5");
  assert.ok(graph.model instanceof KerasLayersModel);
  assert.equal(graph.outputActivation, "linear");
  const dense = graph.model.options.nodes.find((n) => n.op === "dense");
  assert.equal(dense?.op === "dense" ? dense.activation : undefined, "relu");
});

test("model files of imported graphs load with bit-identical outputs; the options schema refuses what does not fit", async (t) => {
  let count = 0;
  for (const c of fixtures.cases.filter((f) => f.refused === undefined)) {
    const { model, spec } = await importKeras(bytesOf(c.file), c.file);
    const x = inputOf(c);
    const bytes = encodeModel(model instanceof TfjsOutputActivationModule ? model.inner : model, spec);
    const loaded = decodeModel(bytes, `${c.name}.safetensors`);
    const inner = model instanceof TfjsOutputActivationModule ? model.inner : model;
    assert.deepEqual(forward(loaded.model, x).data, forward(inner, x).data, `${c.name}: outputs after save and load`);
    if (loaded.model instanceof KerasLayersModel) count++;
    loaded.model.dispose();
    model.dispose();
  }
  t.diagnostic(`${count} KerasLayersModel files round-tripped`);
  const { model } = await importKeras(bytesOf("branches.keras"), "branches.keras");
  const options = (model as KerasLayersModel).options;
  const mutate = (f: (o: Record<string, unknown>) => void) => () => {
    const o = JSON.parse(JSON.stringify(options)) as Record<string, unknown>;
    f(o);
    checkKerasLayersOptions(o);
  };
  const nodes = (o: Record<string, unknown>) => o.nodes as Array<Record<string, unknown>>;
  assert.throws(mutate((o) => { nodes(o)[0].extra = 1; }), /nodes\[0\]: unknown key 'extra'/);
  assert.throws(mutate((o) => { nodes(o)[0].inputSize = 4; }), /inputSize 4, but '.*' gives width 3/);
  assert.throws(mutate((o) => { nodes(o)[2].inputs = [nodes(o)[0].name]; }), /inputs must list two or more nodes/);
  assert.throws(mutate((o) => { o.output = "nowhere"; }), /output "nowhere" \(a string\) names no earlier node or the input/);
  assert.throws(mutate((o) => { nodes(o)[1].name = nodes(o)[0].name; }), /is used twice/);
  const cellAt = (o: Record<string, unknown>, cell: string) => nodes(o).find((n) => n.cell === cell)!;
  assert.throws(mutate((o) => { cellAt(o, "lstm").resetAfter = false; }), /\(recurrent\): resetAfter is for cell "gru" only/);
  assert.throws(mutate((o) => { cellAt(o, "rnn").gateActivation = "hardSigmoid"; }), /gateActivation is for cells "lstm" and "gru" only/);
  assert.throws(mutate((o) => { cellAt(o, "gru").gateActivation = "hard"; }), /gateActivation must be one of sigmoid, hardSigmoid, hardSigmoid6, got "hard"/);
  assert.throws(mutate((o) => { cellAt(o, "gru").resetAfter = "no"; }), /resetAfter must be true or false, got "no"/);
  mutate((o) => { Object.assign(cellAt(o, "gru"), { gateActivation: "hardSigmoid6", resetAfter: false }); })();
  assert.throws(() => decodeModel(encodeModel(model, { type: "KerasLayersModel", options: { ...options, output: 3 } }), "bad.safetensors"), /bad\.safetensors|KerasLayersModel options/);
  model.dispose();
});

test("an imported Keras Embedding → GRU → Dense fine-tunes with fit: a few Adam epochs on token ids lower its loss", async (t) => {
  const { model } = await importKeras(bytesOf("embed_gru.keras"), "embed_gru.keras");
  assert.ok(model instanceof SequenceToVector && model.embedding !== null, "the chain is lifted with its embedding");
  assert.deepEqual(model.namedParameters().map(([n]) => n)[0], "embedding.weight");
  assert.ok(model.parameters().every((p) => p.requiresGrad), "every parameter is trainable");
  // 12 sequences of 6 token ids in [0, 10), each labelled with one of the model's 3 classes.
  const rng = new Rng(21);
  const ids = Array.from({ length: 12 * 6 }, () => rng.int(10));
  const labels = Array.from({ length: 12 }, () => rng.int(3));
  const data = {
    length: 12,
    batch: (rows: readonly number[]) => ({
      x: new Tensor(Float32Array.from(rows.flatMap((r) => ids.slice(6 * r, 6 * r + 6))), [rows.length, 6]),
      y: rows.map((r) => labels[r]),
    }),
  };
  const { history } = fit(model, data, {
    forward: ({ x, y }) => ({ loss: crossEntropy(model.forward(x), y) }),
    optimizer: new Adam(model.parameters(), { lr: 0.05 }), rng: new Rng(5), epochs: 8, batchSize: 4,
  });
  const losses = history.map((h) => h.loss);
  t.diagnostic(`fit: epoch loss ${losses[0].toFixed(4)} → ${losses[losses.length - 1].toFixed(4)} in ${losses.length} epochs`);
  assert.ok(losses[losses.length - 1] < 0.5 * losses[0], `loss fell: ${losses.join(", ")}`);
  model.dispose();
});

test("hard_sigmoid follows the Keras that wrote the file; reset_after=False imports as resetAfter false; Conv1D is refused", async () => {
  const recurrentOptions = (spec: { type: string; options: Record<string, unknown> }) =>
    spec.type === "KerasLayersModel"
      ? (spec.options.nodes as Array<Record<string, unknown>>).filter((n) => n.op === "recurrent").map((n) => [n.gateActivation, n.resetAfter])
      : [[spec.options.gateActivation, spec.options.resetAfter]];
  const optionsOf = async (file: string) => recurrentOptions((await importKeras(bytesOf(file), file)).spec);
  assert.deepEqual(await optionsOf("lstm_hard_sigmoid.keras"), [["hardSigmoid6", undefined]]);
  assert.deepEqual(await optionsOf("gru_reset_before_h5.h5"), [[undefined, false]]);
  assert.deepEqual(await optionsOf("gru_hard_reset_before.keras"), [["hardSigmoid6", false]]);
  assert.deepEqual(await optionsOf("bi_gru_reset_before_h5.h5"), [[undefined, false], [undefined, false]]);
  assert.deepEqual(await optionsOf("hard_sigmoid_wide.keras"), [["hardSigmoid6", undefined], ["hardSigmoid6", false]]);

  // The same file read as if Keras 2 had written it: hard_sigmoid is then clip(0.2x + 0.5, 0, 1),
  // a different function, so Keras 3's outputs are not matched (the fixture tells the two apart).
  const fail = (part: string): never => {
    throw new KerasImportError(`test: ${part}`);
  };
  const c = caseNamed("gru_hard_reset_before");
  const source = await readKerasContainer(bytesOf(c.file), fail);
  const asKeras2 = importKerasSource({ ...source, dialect: "keras2" }, fail);
  assert.deepEqual(recurrentOptions(asKeras2.spec), [["hardSigmoid", false]]);
  const y2 = forward(asKeras2.model, inputOf(c)).data;
  const gap = Math.max(...Array.from(y2, (v, k) => Math.abs(v - c.expected!.data[k])));
  assert.ok(gap > 1e-3, `Keras 2's hard_sigmoid gives other outputs than Keras 3's (gap ${gap})`);

  const refusals = fixtures.cases.filter((f) => f.refused !== undefined);
  assert.deepEqual(refusals.map((f) => f.name), ["conv_refused"]);
  await assert.rejects(importKeras(bytesOf("conv_refused.keras"), "conv_refused.keras"), (e: Error) => {
    assert.ok(e instanceof KerasImportError, String(e));
    assert.match(e.message, /^importKeras: conv_refused\.keras: layer 'conv1d' \(Conv1D\) is not supported; supported: InputLayer, LSTM/);
    return true;
  });
});

/** A .keras file's parts, changed by `edit`, zipped again. */
function rezip(file: string, edit: (parts: Record<string, Uint8Array>) => void): Uint8Array {
  const parts = unzipSync(bytesOf(file));
  edit(parts);
  return zipSync(parts);
}
function editConfig(file: string, edit: (config: { config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } }) => void): Uint8Array {
  return rezip(file, (parts) => {
    const config = JSON.parse(strFromU8(parts["config.json"])) as Parameters<typeof edit>[0];
    edit(config);
    parts["config.json"] = strToU8(JSON.stringify(config));
  });
}

test("bad files are refused naming the file and the part: magic, truncation, zip parts, options, weights", async () => {
  const refusal = async (bytes: Uint8Array, name: string, pattern: RegExp) => {
    await assert.rejects(importKeras(bytes, name), (e: Error) => {
      assert.ok(e instanceof KerasImportError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  };
  await refusal(new Uint8Array(0), "empty.keras", /^importKeras: empty\.keras: not a Keras model: the file starts with nothing \(it is empty\)/);
  await refusal(strToU8("{\"class_name\": 1}"), "m.keras", /^importKeras: m\.keras: not a Keras model: the file starts with 7b 22 63 6c/);
  const zip = bytesOf("functional.keras");
  await refusal(zip.subarray(0, zip.length - 100), "cut.keras", /^importKeras: cut\.keras: cannot be read as a zip \(truncated or corrupt\?\)/);
  const h5 = bytesOf("functional_h5.h5");
  await refusal(h5.subarray(0, 2000), "cut.h5", new RegExp(`^importKeras: cut\\.h5: the HDF5 file is truncated: its HDF5 superblock declares ${h5.length} bytes, it has 2000$`));
  await refusal(rezip("functional.keras", (p) => { delete p["config.json"]; }), "noconfig.keras",
    /^importKeras: noconfig\.keras: the zip has no config\.json \(it holds metadata\.json, model\.weights\.h5\)/);
  await refusal(rezip("functional.keras", (p) => { delete p["model.weights.h5"]; }), "noweights.keras", /the zip has no model\.weights\.h5/);
  await refusal(rezip("functional.keras", (p) => { p["model.weights.h5"] = p["model.weights.h5"].subarray(0, 3000); }), "cutweights.keras",
    /^importKeras: cutweights\.keras: model\.weights\.h5 is truncated: its HDF5 superblock declares \d+ bytes, it has 3000$/);
  await refusal(editConfig("functional.keras", (c) => { c.config.layers[1].config.stateful = true; }), "stateful.keras",
    /^importKeras: stateful\.keras: layer 'enc' \(LSTM\): stateful true is not supported/);
  await refusal(editConfig("functional.keras", (c) => { c.config.layers[1].config.recurrent_activation = "relu"; }), "act.keras",
    /layer 'enc' \(LSTM\): recurrent_activation "relu" is not supported; rnnkit's gates use sigmoid or hard_sigmoid$/);
  await refusal(editConfig("functional.keras", (c) => { c.config.layers[1].config.use_cudnn = "yes"; }), "opt.keras",
    /layer 'enc' \(LSTM\): option use_cudnn "yes" is not supported/);
  await refusal(editConfig("embed_gru.keras", (c) => { c.config.layers[1].config.mask_zero = true; }), "mask.keras",
    /layer 'embedding' \(Embedding\): mask_zero true is not supported/);
  await refusal(editConfig("functional.keras", (c) => { c.config.layers[1].config.units = 5; }), "units.keras",
    /layer 'enc' \(LSTM\) kernel: weight 'layers\/lstm\/cell\/vars\/0' has shape \[3,16\], expected \[3,20\]/);
  await refusal(editConfig("bi_concat_sum.keras", (c) => { c.config.layers[1].config.merge_mode = null; }), "merge.keras",
    /layer 'bidirectional' \(Bidirectional\): merge_mode null is not supported; supported: concat, sum, mul, ave/);

  // A weight missing from a real file's contents, and one left over: the shared importer names them.
  const fail = (part: string): never => {
    throw new KerasImportError(`test: ${part}`);
  };
  const source = await readKerasContainer(bytesOf("functional_h5.h5"), fail);
  const without = { ...source, weights: source.weights.filter((w) => !(w.layer === "dec" && w.role === "recurrent_kernel")) };
  assert.throws(() => importKerasSource(without, fail), /^KerasImportError: test: layer 'dec' \(GRU\) recurrent_kernel: no weight 'dec\/…\/recurrent_kernel' in model_weights$/);
  const extra = { ...source, weights: [...source.weights, { ...source.weights[0], layer: "ghost", path: "model_weights/ghost/kernel" }] };
  assert.throws(() => importKerasSource(extra, fail), /weight 'model_weights\/ghost\/kernel' in model_weights belongs to no imported layer/);
});

test("without h5wasm or fflate installed, reading a Keras file says which package to install", async () => {
  const missing = () => Promise.reject(new Error("Cannot find package"));
  const fflate = () => import("fflate");
  await assert.rejects(importKeras(bytesOf("functional_h5.h5"), "m.h5", { h5wasm: missing, fflate }), (e: Error) => e.message.startsWith(`${H5WASM_MISSING} (Cannot find package)`));
  await assert.rejects(importKeras(bytesOf("functional.keras"), "m.keras", { h5wasm: () => import("h5wasm"), fflate: missing }), (e: Error) => e.message.startsWith(FFLATE_MISSING));
});

test("loadKerasModel reads from disk and names a missing file", async () => {
  const { model } = await loadKerasModel(join(FIXTURES, "go_backwards_h5.h5"));
  const c = caseNamed("go_backwards_h5");
  assertClose(forward(model, inputOf(c)).data, c.expected!.data, "loadKerasModel");
  model.dispose();
  await assert.rejects(loadKerasModel(join(dir, "nope.keras")), /^KerasImportError: loadKerasModel: .*nope\.keras: cannot be read: ENOENT/);
});

// ---- the CLI: predict and convert read .keras and .h5 ----

const main = resolve("build/src/cli/main.js");
const register = resolve("build/src/node/register.js");
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", register, main, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("rnnkit predict model.keras ids.npy and model.h5 x.npy match Keras; convert to .safetensors predicts the same", (t) => {
  const embed = caseNamed("embed_gru");
  writeFileSync(join(dir, "embed.keras"), bytesOf(embed.file));
  writeNpyFile(join(dir, "ids.npy"), { dtype: "int32", shape: embed.input!.shape, data: Int32Array.from(embed.input!.data) });
  let r = cli("predict", "embed.keras", "ids.npy", "-o", "y.npy");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `wrote y.npy: float32 (${embed.expected!.shape.join(", ")}), the output of SequenceToVector(gru, token ids, vocabulary 10)\n`);
  const y = readNpyFile(join(dir, "y.npy"));
  t.diagnostic(`predict embed.keras: worst |rnnkit − Keras| ${assertClose(y.data as Float32Array, embed.expected!.data, "predict .keras").toExponential(2)}`);

  r = cli("convert", "embed.keras", "embed.safetensors");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "wrote embed.safetensors: SequenceToVector as rnnkit model files\n");
  r = cli("predict", "embed.safetensors", "ids.npy", "-o", "y2.npy");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readNpyFile(join(dir, "y2.npy")).data, y.data, "the converted model predicts bit for bit the same");

  const mixed = caseNamed("mixed_h5");
  writeFileSync(join(dir, "mixed.h5"), bytesOf(mixed.file));
  writeNpyFile(join(dir, "x.npy"), { dtype: "float32", shape: mixed.input!.shape, data: Float32Array.from(mixed.input!.data) });
  r = cli("predict", "mixed.h5", "x.npy", "-o", "y3.npy");
  assert.equal(r.code, 0, r.stderr);
  assertClose(readNpyFile(join(dir, "y3.npy")).data as Float32Array, mixed.expected!.data, "predict .h5");
});

test("rnnkit convert of a Keras chain writes ONNX and TF.js; a graph with a GRU goes to ONNX, and TF.js refuses it naming both files", () => {
  writeFileSync(join(dir, "gru.keras"), bytesOf("gru_seq.keras"));
  let r = cli("convert", "gru.keras", "gru.onnx");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "wrote gru.onnx: SequenceToSequence as ONNX\n");
  writeFileSync(join(dir, "relu.keras"), bytesOf("simplernn_relu.keras"));
  r = cli("convert", "relu.keras", "web/model.json");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "wrote web/model.json: SequenceToSequence as TensorFlow.js layers models\n");
  const c = caseNamed("simplernn_relu");
  writeNpyFile(join(dir, "xs.npy"), { dtype: "float32", shape: c.input!.shape, data: Float32Array.from(c.input!.data) });
  r = cli("predict", "web/model.json", "xs.npy", "-o", "ys.npy");
  assert.equal(r.code, 0, r.stderr);
  assertClose(readNpyFile(join(dir, "ys.npy")).data as Float32Array, c.expected!.data, "Keras .keras → TF.js model.json → predict");
  writeFileSync(join(dir, "branches.keras"), bytesOf("branches.keras"));
  r = cli("convert", "branches.keras", "branches.onnx");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "wrote branches.onnx: KerasLayersModel as ONNX\n");
  r = cli("convert", "branches.keras", "tf/model.json");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /convert: branches\.keras → tf\/model\.json: .*GRU .*cannot be written as a TF\.js layers model/);
  writeFileSync(join(dir, "bad.keras"), "not a model");
  r = cli("predict", "bad.keras", "x.npy");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /importKeras: bad\.keras: not a Keras model/);
});

test("docs/keras.md's example runs as written and prints what the page says", () => {
  const { block, stdout } = runDocExample("docs/keras.md", "Importing a Keras model", resolve("."));
  for (const line of stdout.trim().split("\n")) assert.ok(block.includes(line.trim()), `the page shows the printed line '${line}'`);
});

test("SequenceToSequence chains stay ONNX-exportable topologies", async () => {
  const { model } = await importKeras(bytesOf("bi_lstm_concat.keras"), "bi_lstm_concat.keras");
  assert.ok(model instanceof SequenceToSequence);
  assert.equal(model.rnn.spec.numLayers, 2);
  assert.equal(model.rnn.spec.bidirectional, true);
  model.dispose();
});
