/**
 * ONNX export (src/onnx/) checked by its real consumer, onnxruntime: models built with seeded
 * generators over a grid of cells (LSTM, GRU, RNN tanh / relu / sigmoid), layers (1, 2),
 * directions and batchFirst, as SequenceToSequence, SequenceToVector and bare layer stacks,
 * exported once and run by onnxruntime at batch and time sizes never seen at export, against
 * rnnkit's own forward (the other model types: onnx-export-models.test.ts). Also: the gate-order
 * conversion block by block, the graph's declared inputs, outputs and metadata, the refusals, the missing-protobufjs message, `rnnkit convert`
 * end to end and docs/onnx.md's library example as written.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import {
  Dropout, Embedding, EncoderDecoder, GRU, LSTM, Module, RNN, Rng, SequenceToSequence, SequenceToVector, Tensor, noGrad, specOf,
  type RecurrentLayerModule,
} from "../src/index.js";
import { saveModel } from "../src/node/index.js";
import { exportOnnx, readOnnxInfo, toOnnxGateOrder, ONNX_GATE_SOURCE, PROTOBUFJS_MISSING } from "../src/onnx.js";
import { loadOnnxProto } from "../src/onnx/proto.js";
import { assertClose } from "./support/close.js";
import { runDocExample } from "./support/doc-example.js";


/** Sizes of the runs: none is used when the model is built or exported (export has no sizes at all). */
const RUNS = [{ B: 3, T: 7 }, { B: 1, T: 2 }];
const I = 3, H = 5, O = 2;

type CellVariant = "lstm" | "gru" | "rnn-tanh" | "rnn-relu" | "rnn-sigmoid";
const CELLS: CellVariant[] = ["lstm", "gru", "rnn-tanh", "rnn-relu", "rnn-sigmoid"];
/** [numLayers, bidirectional, batchFirst]: each axis at both values, and the two- and three-way mixes. */
const SHAPES: Array<[number, boolean, boolean]> = [[1, false, false], [2, true, false], [1, true, true], [2, false, true]];

function blockOptions(cell: CellVariant, numLayers: number, bidirectional: boolean, batchFirst: boolean) {
  const [kind, act] = cell.split("-") as ["lstm" | "gru" | "rnn", "tanh" | "relu" | "sigmoid" | undefined];
  return { cell: kind, ...(act === undefined ? {} : { nonlinearity: act }), inputSize: I, hiddenSize: H, numLayers, bidirectional, batchFirst };
}

function normal(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}


/** Input x of a run, shaped for the model's layout. */
function inputFor(rng: Rng, batchFirst: boolean, B: number, T: number): { data: Float32Array; shape: number[] } {
  return { data: normal(rng, T * B * I), shape: batchFirst ? [B, T, I] : [T, B, I] };
}

/** Runs the exported bytes in onnxruntime at every RUNS size against rnnkit's forward; returns the worst |error|. */
async function parity(bytes: Uint8Array, model: Module, batchFirst: boolean, seed: number, label: string): Promise<number> {
  const session = await ort.InferenceSession.create(bytes);
  const rng = new Rng(seed);
  let worst = 0;
  for (const { B, T } of RUNS) {
    const x = inputFor(rng, batchFirst, B, T);
    const got = await session.run({ x: new ort.Tensor("float32", x.data, x.shape) });
    const xt = new Tensor(x.data, x.shape);
    const want = noGrad((): Record<string, Tensor> => {
      if (model instanceof SequenceToSequence || model instanceof SequenceToVector) return { y: model.forward(xt) };
      const r = (model as RecurrentLayerModule).forward(xt);
      return r.state.c === undefined ? { output: r.output, h: r.state.h } : { output: r.output, h: r.state.h, c: r.state.c };
    });
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${label}: outputs`);
    for (const [name, w] of Object.entries(want)) {
      assert.deepEqual(got[name].dims, w.shape, `${label} B=${B} T=${T}: ${name} shape`);
      worst = Math.max(worst, assertClose(got[name].data as Float32Array, w.data, `${label} B=${B} T=${T} ${name}`));
    }
  }
  await session.release();
  return worst;
}

for (const topology of ["SequenceToSequence", "SequenceToVector"] as const) {
  test(`${topology}: onnxruntime matches rnnkit for every cell, 1–2 layers, uni/bidirectional, batchFirst`, async (t) => {
    let seed = topology === "SequenceToSequence" ? 100 : 200;
    const worstPerCell: string[] = [];
    for (const cell of CELLS) {
      let worst = 0;
      for (const [L, bi, bf] of SHAPES) {
        seed++;
        const options = { ...blockOptions(cell, L, bi, bf), outputSize: O, rng: new Rng(seed) };
        const model = topology === "SequenceToSequence" ? new SequenceToSequence(options) : new SequenceToVector(options);
        const label = `${topology} ${cell} L=${L}${bi ? " bidirectional" : ""}${bf ? " batchFirst" : ""}`;
        worst = Math.max(worst, await parity(await exportOnnx(model), model, bf, seed + 1000, label));
      }
      worstPerCell.push(`${cell} ${worst.toExponential(2)}`);
    }
    t.diagnostic(`${topology} worst |onnxruntime − rnnkit| over ${SHAPES.length} shapes × ${RUNS.length} sizes: ${worstPerCell.join(", ")}`);
  });
}

test("bare RNN, LSTM and GRU stacks: output, h and c all match, with and without bias", async (t) => {
  const cases: Array<[string, () => RecurrentLayerModule, boolean]> = [
    ["LSTM L=2 bidirectional batchFirst", () => new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, batchFirst: true, rng: new Rng(1) }), true],
    ["LSTM L=1 no bias", () => new LSTM({ inputSize: I, hiddenSize: H, bias: false, rng: new Rng(2) }), false],
    ["GRU L=2 bidirectional", () => new GRU({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, rng: new Rng(3) }), false],
    ["GRU L=1 batchFirst no bias", () => new GRU({ inputSize: I, hiddenSize: H, batchFirst: true, bias: false, rng: new Rng(4) }), true],
    ["RNN relu L=2 bidirectional", () => new RNN({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, nonlinearity: "relu", rng: new Rng(5) }), false],
    ["RNN tanh L=1 batchFirst", () => new RNN({ inputSize: I, hiddenSize: H, batchFirst: true, rng: new Rng(6) }), true],
  ];
  const lines: string[] = [];
  for (const [label, make, bf] of cases) {
    const model = make();
    lines.push(`${label} ${(await parity(await exportOnnx(model), model, bf, 7, label)).toExponential(2)}`);
  }
  t.diagnostic(`worst |onnxruntime − rnnkit|: ${lines.join("; ")}`);
});

/** The attributes of the first LSTM / GRU node: ints as numbers, strings decoded, float lists as numbers. */
async function recurrentAttributes(bytes: Uint8Array): Promise<Record<string, unknown>> {
  const { ModelProto } = await loadOnnxProto();
  const m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, arrays: true }) as {
    graph: { node: Array<{ op_type: string; attribute: Array<{ name: string; i?: number; floats?: number[]; strings?: Uint8Array[] }> }> };
  };
  const node = m.graph.node.find((n) => n.op_type === "LSTM" || n.op_type === "GRU")!;
  return Object.fromEntries(node.attribute.map((a) => [
    a.name, a.strings?.length ? a.strings.map((x) => new TextDecoder().decode(x)) : a.floats?.length ? a.floats : (a.i ?? 0), // protobufjs leaves a 0 out
  ]));
}

test("hard-sigmoid gates and the reset-before GRU: onnxruntime runs activations HardSigmoid (alpha, beta) and linear_before_reset 0 as rnnkit does", async (t) => {
  const cases: Array<[string, () => Module, boolean]> = [
    ["LSTM hardSigmoid L=2 bidirectional", () => new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, gateActivation: "hardSigmoid", rng: new Rng(11) }), false],
    ["LSTM hardSigmoid6 batchFirst", () => new LSTM({ inputSize: I, hiddenSize: H, batchFirst: true, gateActivation: "hardSigmoid6", rng: new Rng(12) }), true],
    ["GRU hardSigmoid bidirectional", () => new GRU({ inputSize: I, hiddenSize: H, bidirectional: true, gateActivation: "hardSigmoid", rng: new Rng(13) }), false],
    ["GRU reset-before L=2", () => new GRU({ inputSize: I, hiddenSize: H, numLayers: 2, resetAfter: false, rng: new Rng(14) }), false],
    ["GRU reset-before hardSigmoid L=2 bidirectional", () => new GRU({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, resetAfter: false, gateActivation: "hardSigmoid", rng: new Rng(15) }), false],
    ["GRU reset-before hardSigmoid6 no bias", () => new GRU({ inputSize: I, hiddenSize: H, bias: false, resetAfter: false, gateActivation: "hardSigmoid6", rng: new Rng(16) }), false],
    ["SequenceToSequence GRU reset-before hardSigmoid batchFirst", () => new SequenceToSequence({ cell: "gru", inputSize: I, hiddenSize: H, outputSize: O, batchFirst: true, resetAfter: false, gateActivation: "hardSigmoid", rng: new Rng(17) }), true],
    ["SequenceToVector LSTM hardSigmoid6 L=2", () => new SequenceToVector({ cell: "lstm", inputSize: I, hiddenSize: H, numLayers: 2, outputSize: O, gateActivation: "hardSigmoid6", rng: new Rng(18) }), false],
  ];
  const lines: string[] = [];
  for (const [label, make, bf] of cases) {
    const model = make();
    // Weights 3× PyTorch's init range, so that gate pre-activations leave [−2.5, 2.5] and the
    // hard sigmoids clip as well as run linearly.
    for (const p of model.parameters()) for (let k = 0; k < p.size; k++) p.data[k] *= 3;
    const bytes = await exportOnnx(model);
    const attrs = await recurrentAttributes(bytes);
    const gate = label.includes("hardSigmoid6") ? "hardSigmoid6" : "hardSigmoid";
    if (label.includes("GRU")) assert.equal(attrs.linear_before_reset, label.includes("reset-before") ? 0 : 1, `${label}: linear_before_reset`);
    if (label.includes("hardSigmoid")) {
      assert.equal((attrs.activations as string[])[0], "HardSigmoid", `${label}: activations`);
      assert.equal((attrs.activation_alpha as number[])[0], Math.fround(gate === "hardSigmoid6" ? 1 / 6 : 0.2), `${label}: alpha`);
      assert.equal((attrs.activation_beta as number[])[0], 0.5, `${label}: beta`);
    }
    lines.push(`${label} ${(await parity(bytes, model, bf, 9, label)).toExponential(2)}`);
  }
  t.diagnostic(`worst |onnxruntime − rnnkit|: ${lines.join("; ")}`);
});

test("gate order: each PyTorch gate block lands in ONNX's place (LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h)", async () => {
  // The conversion itself, on a [G·H, C] matrix whose PyTorch block g holds the constant g + 1.
  const Hs = 2, C = 3;
  const blocks = (values: number[]) => Float32Array.from(values.flatMap((v) => new Array<number>(Hs * C).fill(v)));
  assert.deepEqual(toOnnxGateOrder("lstm", blocks([1, 2, 3, 4]), Hs), blocks([1, 4, 2, 3]));
  assert.deepEqual(toOnnxGateOrder("gru", blocks([1, 2, 3]), Hs), blocks([2, 1, 3]));
  assert.deepEqual(toOnnxGateOrder("rnn", blocks([7]), Hs), blocks([7]));
  assert.deepEqual(ONNX_GATE_SOURCE, { rnn: [0], lstm: [0, 3, 1, 2], gru: [1, 0, 2] });
  assert.throws(() => toOnnxGateOrder("lstm", new Float32Array(10), 2), /\(lstm\): 10 values are not 4 gate blocks of hiddenSize 2 rows/);

  // And through an export: a tiny bidirectional layer whose every block holds a distinct constant.
  for (const [cell, onnxOrder] of [["lstm", [1, 4, 2, 3]], ["gru", [2, 1, 3]]] as const) {
    const Hl = 2, Il = 1, G = onnxOrder.length;
    const layer = cell === "lstm"
      ? new LSTM({ inputSize: Il, hiddenSize: Hl, bidirectional: true, rng: new Rng(0) })
      : new GRU({ inputSize: Il, hiddenSize: Hl, bidirectional: true, rng: new Rng(0) });
    for (const [name, p] of layer.namedParameters()) {
      const base = (name.startsWith("weight_ih") ? 10 : name.startsWith("weight_hh") ? 20 : name.startsWith("bias_ih") ? 30 : 40) + (name.endsWith("_reverse") ? 100 : 0);
      const per = p.data.length / G;
      for (let g = 0; g < G; g++) p.data.fill(base + g + 1, g * per, (g + 1) * per);
    }
    const { initializers } = await readOnnxInfo(await exportOnnx(layer));
    const blockValues = (name: string, blocksPerDirection: number) => {
      const data = initializers[name].data as Float32Array;
      const per = data.length / (2 * blocksPerDirection);
      return Array.from({ length: 2 * blocksPerDirection }, (_, k) => {
        const values = new Set(data.subarray(k * per, (k + 1) * per));
        assert.equal(values.size, 1, `${cell} ${name} block ${k} is one constant`);
        return [...values][0];
      });
    };
    const onnx = (base: number) => onnxOrder.map((g) => base + g);
    assert.deepEqual(initializers.l0_W.dims, [2, G * Hl, Il]);
    assert.deepEqual(blockValues("l0_W", G), [...onnx(10), ...onnx(110)], `${cell} W`);
    assert.deepEqual(blockValues("l0_R", G), [...onnx(20), ...onnx(120)], `${cell} R`);
    // B per direction is [Wb | Rb]: bias_ih then bias_hh, each in ONNX gate order.
    assert.deepEqual(blockValues("l0_B", 2 * G), [...onnx(30), ...onnx(40), ...onnx(130), ...onnx(140)], `${cell} B`);
  }
});

test("the graph: dynamic batch and time axes, float32, opset 14 by default, the spec in metadata_props", async () => {
  const model = new SequenceToVector({ cell: "gru", inputSize: I, hiddenSize: H, outputSize: O, bidirectional: true, batchFirst: true, rng: new Rng(9) });
  const info = await readOnnxInfo(await exportOnnx(model, { producerVersion: "9.9.9", metadata: { note: "kept", "rnnkit.model": "overwritten" } }));
  assert.equal(info.producerName, "rnnkit");
  assert.equal(info.producerVersion, "9.9.9");
  assert.deepEqual(info.opsets, { "": 14 });
  assert.equal(info.irVersion, 8);
  assert.deepEqual(info.inputs, [{ name: "x", shape: ["batch", "time", I] }]);
  assert.deepEqual(info.outputs, [{ name: "y", shape: ["batch", O] }]);
  assert.deepEqual(info.ops, ["Transpose", "GRU", "Transpose", "Reshape", "MatMul", "Add"]);
  assert.deepEqual(JSON.parse(info.metadata["rnnkit.model"]), JSON.parse(JSON.stringify(specOf(model))));
  assert.equal(info.metadata["rnnkit.format"], "onnx/1");
  assert.equal(info.metadata.note, "kept");

  const s2s = new SequenceToSequence({ cell: "lstm", inputSize: I, hiddenSize: H, outputSize: O, numLayers: 2, rng: new Rng(10) });
  const latest = await exportOnnx(s2s, { opset: 21 });
  const latestInfo = await readOnnxInfo(latest);
  assert.deepEqual(latestInfo.opsets, { "": 21 });
  assert.equal(latestInfo.irVersion, 10);
  assert.deepEqual(latestInfo.outputs, [{ name: "y", shape: ["time", "batch", O] }]);
  await parity(latest, s2s, false, 11, "opset 21");
});

test("refusals name the module or option and what is supported", async () => {
  const supported = new RegExp(
    "ONNX export supports RNN, LSTM, GRU, Linear, SequenceToSequence, SequenceToVector, VectorToSequence, EncoderDecoder, " +
    "TfjsOutputActivationModule, KerasLayersModel and OnnxGraph \\(float32\\)",
  );
  const rng = new Rng(0);
  const refused: Array<[Module, RegExp]> = [
    [new Embedding({ numEmbeddings: 4, embeddingDim: 2, rng }), /cannot export Embedding;/],
    [new Dropout({ p: 0.5, rng: new Rng(1) }), /cannot export Dropout;/],
    [new (class Custom extends Module {})(), /cannot export Custom;/],
    [new EncoderDecoder({ cell: "gru", sourceVocabSize: 4, targetVocabSize: 4, embeddingSize: 3, hiddenSize: 4, dtype: "float64", rng }), /EncoderDecoder parameter 'sourceEmbedding\.weight' is float64/],
    [new SequenceToVector({ cell: "lstm", inputSize: 2, hiddenSize: 3, outputSize: 1, dtype: "float64", rng }), /SequenceToVector parameter 'rnn\.weight_ih_l0' is float64/],
    [new GRU({ inputSize: 2, hiddenSize: 3, dtype: "float64", rng }), /GRU parameter 'weight_ih_l0' is float64/],
  ];
  for (const [model, message] of refused) {
    await assert.rejects(exportOnnx(model), (e: Error) => message.test(e.message) && supported.test(e.message));
  }
  const lstm = new LSTM({ inputSize: 2, hiddenSize: 3, rng });
  for (const opset of [13, 22, 14.5]) {
    await assert.rejects(exportOnnx(lstm, { opset }), new RegExp(`options\\.opset must be an integer in 14\\.\\.21, got ${opset}`));
  }
  await assert.rejects(readOnnxInfo(new Uint8Array([0xff, 0xff, 0xff]), "junk.onnx"), /^Error: junk\.onnx: not an ONNX model/);
});

test("without protobufjs the ONNX functions say which package to install", async () => {
  const missing = () => Promise.reject(new Error("Cannot find package 'protobufjs' imported from …"));
  await assert.rejects(loadOnnxProto(missing), (e: Error) => e.message.startsWith(`${PROTOBUFJS_MISSING} (Cannot find package 'protobufjs'`));
  assert.equal(PROTOBUFJS_MISSING, "ONNX support needs the protobufjs package: npm install protobufjs");
});

const dir = mkdtempSync(join(tmpdir(), "rnnkit-onnx-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const main = resolve("build/src/cli/main.js");
  const r = spawnSync(process.execPath, [main, "convert", ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("rnnkit convert model.safetensors model.onnx: onnxruntime runs the written file like the model", async (t) => {
  const model = new SequenceToSequence({ cell: "lstm", inputSize: I, hiddenSize: H, outputSize: O, numLayers: 2, bidirectional: true, batchFirst: true, rng: new Rng(21) });
  saveModel(join(dir, "model.safetensors"), model, specOf(model), { "rnnkit.vocab": "abc" });
  const r = cli("model.safetensors", "model.onnx");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "wrote model.onnx: SequenceToSequence as ONNX\n");
  const bytes = new Uint8Array(readFileSync(join(dir, "model.onnx")));
  const info = await readOnnxInfo(bytes, "model.onnx");
  assert.equal(info.producerVersion, (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version);
  assert.equal(info.metadata["rnnkit.vocab"], "abc", "the model file's own metadata is carried over");
  assert.equal(info.metadata["rnnkit.file-sha256"], undefined, "the safetensors checksums are not");
  t.diagnostic(`convert: worst |onnxruntime − rnnkit| ${(await parity(bytes, model, true, 22, "convert")).toExponential(2)}`);

  const again = cli("model.safetensors", "copy.safetensors");
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, "wrote copy.safetensors: SequenceToSequence as rnnkit model files\n");

  // Every model type converts; an encoder–decoder's graph takes the token ids src and tgt_in.
  const encoderDecoder = new EncoderDecoder({ cell: "gru", sourceVocabSize: 4, targetVocabSize: 4, embeddingSize: 3, hiddenSize: 4, rng: new Rng(0) });
  saveModel(join(dir, "seq2seq.safetensors"), encoderDecoder, specOf(encoderDecoder));
  const seq2seq = cli("seq2seq.safetensors", "seq2seq.onnx");
  assert.equal(seq2seq.code, 0, seq2seq.stderr);
  assert.equal(seq2seq.stdout, "wrote seq2seq.onnx: EncoderDecoder as ONNX\n");
  const session = await ort.InferenceSession.create(join(dir, "seq2seq.onnx"));
  const [src, tgtIn] = [[0, 3, 2, 1, 1, 0], [1, 2, 3, 0]];
  const got = await session.run({
    src: new ort.Tensor("int64", BigInt64Array.from(src, BigInt), [3, 2]), tgt_in: new ort.Tensor("int64", BigInt64Array.from(tgtIn, BigInt), [2, 2]),
  });
  const want = noGrad(() => encoderDecoder.forward(new Tensor(Float32Array.from(src), [3, 2]), new Tensor(Float32Array.from(tgtIn), [2, 2])));
  assert.deepEqual(got.logits.dims, [2, 2, 4]);
  assertClose(got.logits.data as Float32Array, want.data, "convert EncoderDecoder");
  await session.release();
  const refusals: Array<[string[], string]> = [
    [["model.safetensors", "model.pt"], "rnnkit: convert: model.pt: a .pt file; convert writes ONNX (.onnx), TensorFlow.js layers models (.json), rnnkit model files (.safetensors) today\n"],
    [["model.pt", "back.safetensors"], "rnnkit: model.pt: a PyTorch pickle; convert reads rnnkit model files (.safetensors), ONNX models (.onnx), TensorFlow.js layers models (.json), Keras models (.keras, .h5, .hdf5) today\n"],
    [["missing.safetensors", "out.onnx"], "rnnkit: missing.safetensors: no such file; expected a model file: rnnkit model files (.safetensors), ONNX models (.onnx), TensorFlow.js layers models (.json), Keras models (.keras, .h5, .hdf5)\n"],
  ];
  for (const [args, stderr] of refusals) {
    const bad = cli(...args);
    assert.equal(bad.code, 2, args.join(" "));
    assert.equal(bad.stderr, stderr);
    assert.ok(!existsSync(join(dir, args[1])), `${args[1]} is not written`);
  }
});

test("docs/onnx.md's library example runs as written and prints what the page says", () => {
  const { block, stdout } = runDocExample("docs/onnx.md", "In code", dir);
  assert.equal(stdout, `${/^\/\/ (y .*)$/m.exec(block)?.[1]}\n`);
  assert.ok(existsSync(join(dir, "classifier.onnx")));
});
