/**
 * Mutation fuzzer over the foreign model formats rnnkit reads: ONNX (a lifted recurrent stack
 * and a general graph, as PyTorch's exporter wrote them), Keras 3 `.keras` zips and `.h5` files
 * (as Keras wrote them) and TF.js layers models (as TF.js's `model.save` writes them). Every
 * mutant must either be refused by the importer with an Error whose message names the file,
 * or be accepted as a module that then runs the fixture's input through `predictArrays` (the
 * path of `rnnkit predict`) to an output (of the original's shape, unless the edit made another
 * valid model, such as return_sequences flipped), or is refused there with a message naming
 * the input. Nothing else may escape (a TypeError, a WebAssembly trap, a
 * half-built module), and each case must finish within a second.
 *
 * These formats carry no checksum, so a mutant that only changes weight values is a valid
 * file with other weights: accepted, and counted as such. Seeded and bounded: a few hundred
 * cases in `npm test`; RNNKIT_FUZZ=20 runs twenty times as many with other seeds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { unzipSync, zipSync } from "fflate";
import { Rng, importLayersModel, type Module } from "../src/index.js";
import { importOnnx } from "../src/onnx.js";
import { closeKerasReader, importKerasIsolated } from "../src/node/keras-reader.js";
import { loadKerasModel } from "../src/node/index.js";
import { predictArrays } from "../src/io/predict-arrays.js";
import type { NpyArray } from "../src/io/npy.js";
import { byteMutant, jsonEdit } from "./support/mutate.js";

const SCALE = Math.max(1, Number(process.env.RNNKIT_FUZZ ?? 1));
const SEED = 31_337 + (SCALE > 1 ? SCALE * 1000 : 0);
const CASE_LIMIT_MS = 1000;
/** How long reading one Keras mutant may take before the reader refuses it (a legitimate read takes well under 0.4 s). */
const KERAS_LIMIT_MS = 2000;

interface Tally { mutants: number; refused: number; accepted: number; reshaped: number; refusedAtRun: number; other: string[]; slowestMs: number }
const tally = (): Tally => ({ mutants: 0, refused: 0, accepted: 0, reshaped: 0, refusedAtRun: 0, other: [], slowestMs: 0 });
const report = (name: string, t: Tally) =>
  `${name}: ${t.mutants} mutants: ${t.refused} refused on import, ${t.accepted} accepted and ran, ` +
  `${t.reshaped} accepted as another valid model (another output shape), ${t.refusedAtRun} accepted and refused the input, ` +
  `${t.other.length} other; slowest case ${t.slowestMs.toFixed(1)} ms`;

interface Fixture { file: string; input: NpyArray; outputShape: number[] }

/** A float32 array from a fixture's {shape, data}. */
const f32 = (t: { shape: number[]; data: number[] }): NpyArray => ({ dtype: "float32", shape: t.shape, data: Float32Array.from(t.data) } as NpyArray);

/**
 * Imports one mutant and runs the input through it; tallies the outcome. `name` is the file
 * name the importer is given, which a refusal must name.
 */
async function trial(t: Tally, label: string, name: string, fixture: Fixture, load: () => Promise<Module>, limitMs = CASE_LIMIT_MS): Promise<void> {
  t.mutants++;
  const t0 = performance.now();
  let model: Module | null = null;
  try {
    try {
      model = await load();
    } catch (e) {
      if (!(e instanceof Error) || e instanceof TypeError || !e.message.includes(name)) {
        t.other.push(`${label}: import threw ${e instanceof Error ? `${e.name}: ${e.message.slice(0, 160)}` : String(e)}`);
      } else t.refused++;
      return;
    }
    try {
      const { output } = predictArrays(model, [{ name: "x.npy", array: fixture.input }]);
      // An edit can make another valid model (return_sequences flipped, say): it runs, to another shape.
      if (JSON.stringify(output.shape) === JSON.stringify(fixture.outputShape)) t.accepted++;
      else if (output.shape.length > 0 && output.data.length === output.shape.reduce((a, b) => a * b, 1)) t.reshaped++;
      else t.other.push(`${label}: accepted, output shape [${output.shape.join(", ")}] with ${output.data.length} values`);
    } catch (e) {
      if (!(e instanceof Error) || e instanceof TypeError || e.constructor.name === "RuntimeError" || !/x\.npy|reads|expects|must be/.test(e.message)) {
        t.other.push(`${label}: accepted, then forward threw ${e instanceof Error ? `${e.name}: ${e.message.slice(0, 160)}` : String(e)}`);
      } else t.refusedAtRun++;
    }
  } finally {
    model?.dispose();
    const ms = performance.now() - t0;
    t.slowestMs = Math.max(t.slowestMs, ms);
    if (ms > limitMs) t.other.push(`${label}: took ${ms.toFixed(0)} ms (limit ${limitMs})`);
  }
}

function finish(t: Tally, name: string, diag: (s: string) => void): void {
  diag(report(name, t));
  assert.deepEqual(t.other.slice(0, 5), [], `${name}: ${t.other.length} mutants neither refused nor run`);
  assert.ok(t.refused > 0 && t.accepted > 0, `${name}: the mutants both refuse and pass (a fuzzer that only does one is not testing)`);
}

const ONNX = "test/fixtures/onnx";
const KERAS = "test/fixtures/keras";

test("ONNX files from PyTorch's exporter (a lifted LSTM, a general graph): every mutant is refused naming the file, or runs", async (t) => {
  const lifted = (JSON.parse(readFileSync(join(ONNX, "cases.json"), "utf8")) as { cases: Array<{ file: string; runs: Array<{ x: { shape: number[]; data: number[] }; y: { shape: number[] } }> }> }).cases;
  const graphs = (JSON.parse(readFileSync(join(ONNX, "graph_cases.json"), "utf8")) as { cases: Array<{ file: string; runs: Array<{ inputs: Record<string, { shape: number[]; data: number[] }>; outputs: Record<string, { shape: number[] }> }> }> }).cases;
  const fixtures: Fixture[] = [];
  const seq = lifted.find((c) => c.file === "lstm_seq.onnx");
  assert.ok(seq !== undefined, "lstm_seq.onnx in cases.json");
  fixtures.push({ file: seq.file, input: f32(seq.runs[0].x), outputShape: seq.runs[0].y.shape });
  const residual = graphs.find((c) => c.file === "gru_residual.onnx");
  assert.ok(residual !== undefined, "gru_residual.onnx in graph_cases.json");
  fixtures.push({ file: residual.file, input: f32(residual.runs[0].inputs.x), outputShape: residual.runs[0].outputs.y.shape });
  for (const fixture of fixtures) {
    const bytes = new Uint8Array(readFileSync(join(ONNX, fixture.file)));
    const tl = tally();
    const rng = new Rng(SEED + fixture.file.length);
    for (let k = 0; k < 150 * SCALE; k++) {
      const m = byteMutant(rng, bytes);
      await trial(tl, `${fixture.file} ${m.label}`, "m.onnx", fixture, async () => (await importOnnx(m.bytes, "m.onnx")).model);
    }
    finish(tl, fixture.file, (s) => t.diagnostic(s));
  }
});

test("Keras files from Keras 3 (.keras zips, .h5): every mutant is refused naming the file, or runs", async (t) => {
  const cases = (JSON.parse(readFileSync(join(KERAS, "cases.json"), "utf8")) as { cases: Array<{ file: string; input: { shape: number[]; data: number[] }; expected: { shape: number[] } }> }).cases;
  for (const file of ["lstm_softmax.keras", "functional.keras", "gru_seq_h5.h5", "mixed_h5.h5"]) {
    const c = cases.find((x) => x.file === file);
    assert.ok(c !== undefined, `${file} in cases.json`);
    const fixture: Fixture = { file, input: f32(c.input), outputShape: c.expected.shape };
    const bytes = new Uint8Array(readFileSync(join(KERAS, file)));
    const name = file.endsWith(".keras") ? "m.keras" : "m.h5";
    const tl = tally();
    const rng = new Rng(SEED + file.length);
    for (let k = 0; k < 100 * SCALE; k++) {
      let label: string;
      let mutant: Uint8Array;
      if (file.endsWith(".keras") && rng.int(2) === 0) {
        // Inside the zip: an edit of config.json, or damage to the weights' HDF5 bytes, re-zipped.
        const entries = unzipSync(bytes);
        if (rng.int(2) === 0) {
          const config = JSON.parse(new TextDecoder().decode(entries["config.json"])) as unknown;
          label = `config.json: ${jsonEdit(rng, config)}`;
          entries["config.json"] = new TextEncoder().encode(JSON.stringify(config));
        } else {
          const m = byteMutant(rng, entries["model.weights.h5"]);
          label = `model.weights.h5: ${m.label}`;
          entries["model.weights.h5"] = Uint8Array.from(m.bytes);
        }
        mutant = zipSync(entries);
      } else {
        const m = byteMutant(rng, bytes);
        label = m.label;
        mutant = m.bytes;
      }
      // Read as loadKerasModel and the commands read: in a worker, stopped after KERAS_LIMIT_MS.
      await trial(tl, `${file} ${label}`, name, fixture, async () => (await importKerasIsolated(mutant, name, KERAS_LIMIT_MS)).model, KERAS_LIMIT_MS + CASE_LIMIT_MS);
    }
    finish(tl, file, (s) => t.diagnostic(s));
  }
  await closeKerasReader();
});

test("TF.js layers models saved by TF.js: every mutant of model.json or of the weights is refused naming the file, or runs", async (t) => {
  await tf.setBackend("cpu");
  // A model as TF.js's model.save writes it, captured in memory.
  const input = tf.input({ shape: [null, 3] });
  const lstm = tf.layers.lstm({ units: 4, returnSequences: true, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(input) as tf.SymbolicTensor;
  const gru = tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 4 }) }), mergeMode: "sum" }).apply(lstm) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(gru) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
  }));
  assert.ok(saved !== null);
  const artifacts: tf.io.ModelArtifacts = saved;
  const modelJson = {
    modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
  };
  const weights = new Uint8Array(artifacts.weightData as ArrayBuffer);
  const rngX = new Rng(9);
  const x = Float32Array.from({ length: 2 * 5 * 3 }, () => rngX.normal());
  const fixture: Fixture = { file: "model.json", input: { dtype: "float32", shape: [2, 5, 3], data: x } as NpyArray, outputShape: [2, 2] };
  model.dispose();
  const tl = tally();
  const rng = new Rng(SEED);
  for (let k = 0; k < 200 * SCALE; k++) {
    let label: string;
    let json: unknown = modelJson;
    let bin: Uint8Array<ArrayBufferLike> = weights;
    const what = rng.int(3);
    if (what === 0) {
      json = JSON.parse(JSON.stringify(modelJson));
      label = jsonEdit(rng, json);
    } else if (what === 1) {
      const m = byteMutant(rng, weights);
      label = `weights.bin: ${m.label}`;
      bin = m.bytes;
    } else {
      const text = JSON.stringify(modelJson);
      const m = byteMutant(rng, new TextEncoder().encode(text));
      label = `model.json bytes: ${m.label}`;
      try {
        json = JSON.parse(new TextDecoder().decode(m.bytes));
      } catch {
        tl.mutants++;
        tl.refused++; // not JSON: the file reader refuses it before the importer (src/node/tfjs-load.ts)
        continue;
      }
    }
    await trial(tl, label, "m/model.json", fixture, async () => importLayersModel(json, bin, "m/model.json").model);
  }
  finish(tl, "TF.js model.json + weights.bin", (s) => t.diagnostic(s));
});

test("a Keras file on which the HDF5 library loops forever (found by this fuzzer) is refused after the time limit, naming the file; the next file reads", async () => {
  const hostile = join(KERAS, "hostile_hdf5_loop.keras");
  const t0 = performance.now();
  await assert.rejects(loadKerasModel(hostile, { timeoutMs: 1500 }), (e: Error) =>
    e.message === `importKeras: ${hostile}: reading it did not finish within 1.5 s (a corrupt HDF5 file can make the HDF5 library loop); refused`);
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `refused after ${ms.toFixed(0)} ms`);
  const { model } = await loadKerasModel(join(KERAS, "gru_seq_h5.h5"));
  assert.equal(model.constructor.name, "SequenceToSequence");
  model.dispose();
  await closeKerasReader();
});
