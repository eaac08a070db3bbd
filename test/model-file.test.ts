import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  Rng, Tensor, LSTM, GRU, SequenceToVector, EncoderDecoder, noGrad,
} from "../src/index.js";
import { saveModel, loadModel, loadSafetensors, saveSafetensors } from "../src/node/index.js";

const tmp = () => mkdtempSync(join(tmpdir(), "rnnkit-model-"));

function input(seed: number, shape: number[]): Tensor {
  const rng = new Rng(seed);
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

test("a bare LSTM file holds exactly torch.nn.LSTM's state-dict names and shapes", () => {
  const path = join(tmp(), "lstm.safetensors");
  saveModel(path, new LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, rng: new Rng(1) }));
  const { tensors, metadata } = loadSafetensors(path);
  const names = [...tensors.keys()];
  const expected: string[] = [];
  for (let k = 0; k < 2; k++) for (const sfx of ["", "_reverse"]) for (const n of ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]) expected.push(`${n}_l${k}${sfx}`);
  assert.deepEqual(names, expected);
  assert.deepEqual(tensors.get("weight_ih_l0")!.shape, [20, 3]);
  assert.deepEqual(tensors.get("weight_ih_l1")!.shape, [20, 10]);
  assert.deepEqual(tensors.get("weight_hh_l1_reverse")!.shape, [20, 5]);
  assert.deepEqual(JSON.parse(metadata["rnnkit.model"]).type, "LSTM");
});

test("loading in a fresh process reproduces the outputs bit for bit", () => {
  const dir = tmp();
  const path = join(dir, "gru.safetensors");
  const gru = new GRU({ inputSize: 4, hiddenSize: 6, numLayers: 2, rng: new Rng(2) });
  saveModel(path, gru);
  const x = input(3, [7, 2, 4]);
  const here = noGrad(() => gru.forward(x).output);
  const outPath = join(dir, "out.bin");
  const index = pathToFileURL(join(import.meta.dirname, "..", "src", "index.js")).href;
  const nodeLayer = pathToFileURL(join(import.meta.dirname, "..", "src", "node", "index.js")).href;
  const child = `
    import { writeFileSync } from "node:fs";
    import { Rng, Tensor } from ${JSON.stringify(index)};
    import { loadModel } from ${JSON.stringify(nodeLayer)};
    const { model } = loadModel(${JSON.stringify(path)});
    const rng = new Rng(3);
    const x = Tensor.zeros([7, 2, 4]);
    for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
    writeFileSync(${JSON.stringify(outPath)}, new Uint8Array(model.forward(x).output.data.buffer));
  `;
  const res = spawnSync(process.execPath, ["--input-type=module", "-e", child], { encoding: "utf8" });
  assert.equal(res.status, 0, res.stderr);
  const there = new Float32Array(new Uint8Array(readFileSync(outPath)).buffer);
  assert.deepEqual(Array.from(there), Array.from(here.data));
});

test("topologies round-trip through model files", () => {
  const dir = tmp();
  const s2v = new SequenceToVector({ cell: "lstm", inputSize: 2, hiddenSize: 4, outputSize: 3, bidirectional: true, rng: new Rng(4) });
  saveModel(join(dir, "s2v.safetensors"), s2v);
  const loaded = loadModel<SequenceToVector>(join(dir, "s2v.safetensors")).model;
  const x = input(5, [6, 3, 2]);
  assert.deepEqual(Array.from(noGrad(() => loaded.forward(x, { lengths: [6, 2, 4] })).data), Array.from(noGrad(() => s2v.forward(x, { lengths: [6, 2, 4] })).data));
  const ed = new EncoderDecoder({ cell: "gru", sourceVocabSize: 5, targetVocabSize: 6, embeddingSize: 3, hiddenSize: 4, rng: new Rng(6) });
  saveModel(join(dir, "ed.safetensors"), ed);
  const ed2 = loadModel<EncoderDecoder>(join(dir, "ed.safetensors")).model;
  assert.deepEqual(ed2.namedParameters().map(([n, p]) => [n, Array.from(p.data)]), ed.namedParameters().map(([n, p]) => [n, Array.from(p.data)]));
});

test("float64 models keep their dtype", () => {
  const path = join(tmp(), "f64.safetensors");
  const lstm = new LSTM({ inputSize: 1, hiddenSize: 2, rng: new Rng(7), dtype: "float64" });
  saveModel(path, lstm);
  const back = loadModel<LSTM>(path).model;
  assert.equal(back.parameters()[0].dtype, "float64");
  const x = Tensor.zeros([2, 1, 1], { dtype: "float64" }).clone();
  x.data[0] = 0.3;
  assert.deepEqual(Array.from(back.forward(x).state.h.data), Array.from(lstm.forward(x).state.h.data));
});

test("truncated, corrupted, foreign and mismatched files are refused with a message", () => {
  const dir = tmp();
  const path = join(dir, "m.safetensors");
  saveModel(path, new LSTM({ inputSize: 2, hiddenSize: 3, rng: new Rng(8) }));
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 1));
  assert.throws(() => loadModel(path), /truncated|trailing|ends at/);
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length - 1] ^= 0x10;
  writeFileSync(path, flipped);
  assert.throws(() => loadModel(path), /checksum mismatch/);
  const bare = join(dir, "bare.safetensors");
  saveSafetensors(bare, [["w", { shape: [1], data: Float32Array.from([1]) }]]);
  assert.throws(() => loadModel(bare), /not an rnnkit model file/);
  const wrong = join(dir, "wrong.safetensors");
  saveSafetensors(wrong, [["weight_ih_l0", { shape: [12, 2], data: new Float32Array(24) }]], { "rnnkit.format": "model/1", "rnnkit.model": JSON.stringify({ type: "LSTM", options: { inputSize: 2, hiddenSize: 3 } }) });
  assert.throws(() => loadModel(wrong), /missing: "weight_hh_l0"/);
  const unknown = join(dir, "unknown.safetensors");
  saveSafetensors(unknown, [], { "rnnkit.format": "model/1", "rnnkit.model": JSON.stringify({ type: "Transformer", options: {} }) });
  assert.throws(() => loadModel(unknown), /model type "Transformer" is not registered/);
});
