/**
 * ONNX import (src/onnx/import.ts) checked against its real producers: PyTorch's own exporter
 * (test/fixtures/onnx/, written by tools/make_onnx_fixtures.py with PyTorch's outputs at batch
 * and time sizes other than the export's) and rnnkit's `exportOnnx` (round trips must give back
 * every parameter bit for bit). Also: an imported model trains, the refusals (each message
 * checked), and `rnnkit predict model.onnx` / `rnnkit convert model.onnx model.safetensors`.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  Adam, GRU, LSTM, Module, RNN, Rng, SequenceToSequence, SequenceToVector, Tensor, mseLoss, noGrad, specOf,
} from "../src/index.js";
import { loadModel, readNpyFile, writeNpyFile } from "../src/node/index.js";
import { exportOnnx, importOnnx } from "../src/onnx.js";
import { loadOnnxProto } from "../src/onnx/proto.js";
import { assertClose } from "./support/close.js";


const FIXTURES = "test/fixtures/onnx";
interface TensorJson { shape: number[]; data: number[] }
interface FixtureCase {
  name: string; file: string;
  config: { cell: "lstm" | "gru" | "rnn"; nonlinearity?: string; inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean; batchFirst: boolean; outputSize: number; topology: string };
  runs: Array<{ x: TensorJson; y: TensorJson }>;
}
const fixtures = JSON.parse(readFileSync(join(FIXTURES, "cases.json"), "utf8")) as { producer: string; opset: number; cases: FixtureCase[] };
const fixtureBytes = (c: FixtureCase) => new Uint8Array(readFileSync(join(FIXTURES, c.file)));

const dir = mkdtempSync(join(tmpdir(), "rnnkit-onnx-import-"));
after(() => rmSync(dir, { recursive: true, force: true }));


test("PyTorch's exports (LSTM, 2-layer bidirectional GRU, batch-first RNN relu, heads per step, on the last step and on h_n[-1]) import and match PyTorch", async (t) => {
  assert.equal(fixtures.cases.length, 6);
  const lines: string[] = [];
  for (const c of fixtures.cases) {
    const { model, spec, notes } = await importOnnx(fixtureBytes(c), c.file);
    const cfg = c.config;
    assert.ok(cfg.topology === "SequenceToSequence" ? model instanceof SequenceToSequence : model instanceof SequenceToVector, `${c.name}: ${spec.type}`);
    assert.equal(spec.type, cfg.topology, c.name);
    const m = model as SequenceToSequence | SequenceToVector;
    const want = { cell: cfg.cell, inputSize: cfg.inputSize, hiddenSize: cfg.hiddenSize, numLayers: cfg.numLayers, bidirectional: cfg.bidirectional, batchFirst: cfg.batchFirst, bias: true };
    const { nonlinearity, ...got } = m.rnn.spec;
    assert.deepEqual(got, want, `${c.name}: layer spec`);
    if (cfg.cell === "rnn") assert.equal(nonlinearity, cfg.nonlinearity, c.name);
    assert.deepEqual(m.head.weight.shape, [cfg.outputSize, cfg.hiddenSize * (cfg.bidirectional ? 2 : 1)], `${c.name}: head`);
    assert.ok(notes.some((n) => n.startsWith("initial states: ")), `${c.name}: PyTorch's zero h0 subgraph is noted: ${notes.join(" | ")}`);
    let worst = 0;
    for (const run of c.runs) {
      const y = noGrad(() => m.forward(new Tensor(Float32Array.from(run.x.data), run.x.shape)));
      assert.deepEqual(y.shape, run.y.shape, `${c.name}: output shape`);
      worst = Math.max(worst, assertClose(y.data, run.y.data, `${c.name} x ${JSON.stringify(run.x.shape)}`));
    }
    lines.push(`${c.name} ${worst.toExponential(2)}`);
    model.dispose();
  }
  t.diagnostic(`worst |rnnkit − PyTorch| per fixture (${fixtures.producer}, opset ${fixtures.opset}): ${lines.join(", ")}`);
});

interface TokenCase { name: string; file: string; module: string; runs: Array<{ inputs: { ids: TensorJson }; outputs: { y: TensorJson } }> }
const tokenCases = JSON.parse(readFileSync(join(FIXTURES, "token_cases.json"), "utf8")) as { producer: string; cases: TokenCase[] };

test("PyTorch's Embedding → LSTM / GRU → Linear exports (time-major and batch-first, per step and on h_n[-1]) lift with the embedding and match PyTorch", async (t) => {
  // [name, type, cell, batchFirst, bidirectional, numLayers, V, E]
  const expected: Array<[string, string, string, boolean, boolean, number, number, number]> = [
    ["emb_lstm_seq", "SequenceToSequence", "lstm", false, false, 1, 10, 4],
    ["emb_gru_bf_seq", "SequenceToSequence", "gru", true, true, 1, 10, 3],
    ["emb_gru2_bf_hn", "SequenceToVector", "gru", true, false, 2, 10, 3],
  ];
  assert.deepEqual(tokenCases.cases.map((c) => c.name), expected.map((e) => e[0]));
  const lines: string[] = [];
  for (const [k, c] of tokenCases.cases.entries()) {
    const [, type, cell, batchFirst, bidirectional, numLayers, V, E] = expected[k];
    const { kind, model, spec, notes } = await importOnnx(new Uint8Array(readFileSync(join(FIXTURES, c.file))), c.file);
    assert.equal(kind, "lifted", `${c.name}: ${notes.join(" | ")}`);
    assert.equal(spec.type, type, c.name);
    const m = model as SequenceToSequence | SequenceToVector;
    assert.deepEqual(
      { cell: m.rnn.spec.cell, batchFirst: m.rnn.spec.batchFirst, bidirectional: m.rnn.spec.bidirectional, numLayers: m.rnn.spec.numLayers, table: m.embedding?.weight.shape },
      { cell, batchFirst, bidirectional, numLayers, table: [V, E] }, c.name,
    );
    assert.equal(spec.options.vocabSize, V);
    assert.equal(spec.options.embeddingSize, E);
    assert.match(notes[0], new RegExp(`token ids → embedding \\[${V}, ${E}\\] \\(Gather '[^']+'\\)`), c.name);
    let worst = 0;
    for (const run of c.runs) {
      const y = noGrad(() => m.forward(new Tensor(Float32Array.from(run.inputs.ids.data), run.inputs.ids.shape)));
      assert.deepEqual(y.shape, run.outputs.y.shape, `${c.name}: output shape`);
      worst = Math.max(worst, assertClose(y.data, run.outputs.y.data, `${c.name} ids ${JSON.stringify(run.inputs.ids.shape)}`));
    }
    lines.push(`${c.name} ${worst.toExponential(2)}`);
    model.dispose();
  }
  t.diagnostic(`worst |rnnkit − PyTorch| per token fixture (${tokenCases.producer}): ${lines.join(", ")}`);
});

test("token-input topologies round trip rnnkit → exportOnnx → importOnnx lifted, with identical parameters", async () => {
  const models = [
    new SequenceToSequence({ cell: "lstm", vocabSize: 7, embeddingSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(1) }),
    new SequenceToVector({ cell: "gru", vocabSize: 5, embeddingSize: 2, hiddenSize: 3, numLayers: 2, bidirectional: true, batchFirst: true, outputSize: 3, rng: new Rng(2) }),
    new SequenceToSequence({ cell: "rnn", nonlinearity: "relu", vocabSize: 6, embeddingSize: 4, inputSize: 4, hiddenSize: 3, batchFirst: true, outputSize: 2, rng: new Rng(3) }),
  ];
  for (const model of models) {
    const what = `${model.constructor.name} ${model.rnn.spec.cell}`;
    const { kind, model: back, notes } = await importOnnx(await exportOnnx(model), `${what}.onnx`);
    assert.equal(kind, "lifted", `${what}: ${notes.join(" | ")}`);
    assert.ok(notes.includes("rnnkit export: the graph agrees with its metadata 'rnnkit.model'"), notes.join(" | "));
    assert.equal(back.constructor, model.constructor);
    assertSameParameters(model, back, what);
  }
  // A bare stack reads features: ids → Gather → LSTM with no head stays a graph.
  const lstm = new SequenceToSequence({ cell: "lstm", vocabSize: 4, embeddingSize: 2, hiddenSize: 3, outputSize: 2, rng: new Rng(4) });
  const { ModelProto } = await loadOnnxProto();
  const proto = ModelProto.decode(await exportOnnx(lstm)) as unknown as { graph: { node: Array<{ op_type: string }>; output: Array<{ name: string }> }; metadata_props: unknown[] };
  proto.graph.node = proto.graph.node.filter((n) => n.op_type !== "MatMul" && n.op_type !== "Add");
  proto.metadata_props = [];
  const lastY = (proto.graph.node as unknown as Array<{ output: string[] }>).at(-1)!.output[0];
  proto.graph.output[0].name = lastY;
  const bare = await importOnnx(ModelProto.encode(proto as never).finish(), "bare.onnx");
  assert.equal(bare.kind, "graph");
  assert.match(bare.notes[1], /token ids are lifted with a Linear head only/);
});

/** Every parameter of `a` and `b`, by name, with identical float32 bits. */
function assertSameParameters(a: Module, b: Module, what: string): void {
  const pa = a.namedParameters();
  const pb = new Map(b.namedParameters());
  assert.deepEqual(pa.map(([n]) => n), [...pb.keys()], `${what}: parameter names`);
  for (const [name, p] of pa) {
    const q = pb.get(name)!;
    assert.deepEqual(q.shape, p.shape, `${what}: ${name} shape`);
    const bits = (t: Tensor) => Buffer.from(Float32Array.from(t.data).buffer);
    assert.ok(bits(p).equals(bits(q)), `${what}: ${name} differs`);
  }
}

test("round trips rnnkit → exportOnnx → importOnnx give the same module and identical parameters", async () => {
  const I = 3, H = 5, O = 2;
  const cells = [["lstm"], ["gru"], ["rnn", "tanh"], ["rnn", "relu"], ["rnn", "sigmoid"]] as const;
  const shapes: Array<[number, boolean, boolean, boolean]> = [[1, false, false, true], [2, true, false, true], [1, true, true, true], [2, false, true, false]];
  let seed = 0;
  let count = 0;
  for (const [cell, act] of cells) {
    for (const [numLayers, bidirectional, batchFirst, bias] of shapes) {
      const block = { inputSize: I, hiddenSize: H, numLayers, bidirectional, batchFirst, bias, ...(act === undefined ? {} : { nonlinearity: act }) };
      const models: Module[] = [
        new SequenceToSequence({ cell, ...block, outputSize: O, rng: new Rng(++seed) }),
        new SequenceToVector({ cell, ...block, outputSize: O, rng: new Rng(++seed) }),
        cell === "rnn" ? new RNN({ ...block, rng: new Rng(++seed) }) : cell === "lstm" ? new LSTM({ ...block, rng: new Rng(++seed) }) : new GRU({ ...block, rng: new Rng(++seed) }),
      ];
      for (const model of models) {
        const label = `${specOf(model).type} ${cell}${act === undefined ? "" : `-${act}`} L=${numLayers}${bidirectional ? " bi" : ""}${batchFirst ? " batchFirst" : ""}${bias ? "" : " no bias"}`;
        if ((model instanceof SequenceToSequence || model instanceof SequenceToVector) && !bias) continue; // heads need the layer's bias option only
        const back = await importOnnx(await exportOnnx(model), label);
        assert.equal(back.model.constructor, model.constructor, `${label}: class`);
        assert.equal(back.spec.type, specOf(model).type, label);
        assertSameParameters(model, back.model, label);
        assert.ok(back.notes.some((n) => n.startsWith("rnnkit export: the graph agrees")), `${label}: ${back.notes.join(" | ")}`);
        back.model.dispose();
        count++;
      }
    }
  }
  assert.equal(count, 5 * (3 * 3 + 1));
});

test("round trips with hard-sigmoid gates and the reset-before GRU: exportOnnx → importOnnx lifts the same options, identical parameters and identical outputs", async () => {
  const I = 3, H = 4, O = 2;
  const models: Array<[string, () => Module]> = [
    ["LSTM hardSigmoid L=2 bi", () => new LSTM({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, gateActivation: "hardSigmoid", rng: new Rng(31) })],
    ["LSTM hardSigmoid6 batchFirst", () => new LSTM({ inputSize: I, hiddenSize: H, batchFirst: true, gateActivation: "hardSigmoid6", rng: new Rng(32) })],
    ["GRU reset-before L=2 bi", () => new GRU({ inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, resetAfter: false, rng: new Rng(33) })],
    ["GRU hardSigmoid", () => new GRU({ inputSize: I, hiddenSize: H, gateActivation: "hardSigmoid", rng: new Rng(34) })],
    ["GRU reset-before hardSigmoid6 no bias", () => new GRU({ inputSize: I, hiddenSize: H, bias: false, resetAfter: false, gateActivation: "hardSigmoid6", rng: new Rng(35) })],
    ["SequenceToSequence GRU reset-before hardSigmoid batchFirst", () => new SequenceToSequence({ cell: "gru", inputSize: I, hiddenSize: H, outputSize: O, batchFirst: true, resetAfter: false, gateActivation: "hardSigmoid", rng: new Rng(36) })],
    ["SequenceToVector LSTM hardSigmoid6 L=2 bi", () => new SequenceToVector({ cell: "lstm", inputSize: I, hiddenSize: H, numLayers: 2, bidirectional: true, outputSize: O, gateActivation: "hardSigmoid6", rng: new Rng(37) })],
    ["SequenceToVector GRU reset-before hardSigmoid6", () => new SequenceToVector({ cell: "gru", inputSize: I, hiddenSize: H, outputSize: O, resetAfter: false, gateActivation: "hardSigmoid6", rng: new Rng(38) })],
  ];
  const rng = new Rng(39);
  for (const [label, make] of models) {
    const model = make();
    // Larger weights than the init's, so that the hard gates clip and a wrong gate would show.
    for (const [, p] of model.namedParameters()) p.data.forEach((v, k) => { p.data[k] = 3 * v; });
    const back = await importOnnx(await exportOnnx(model), `${label}.onnx`);
    assert.equal(back.kind, "lifted", label);
    assert.equal(back.model.constructor, model.constructor, `${label}: class`);
    // Topologies record their options as given; compare with the constructors' defaults filled in.
    const filled = (m: Module) => { const sp = specOf(m); return { type: sp.type, options: { numLayers: 1, bidirectional: false, batchFirst: false, bias: true, ...sp.options } }; };
    assert.deepEqual(filled(back.model), filled(model), `${label}: spec (options)`);
    assert.equal(back.spec.options.gateActivation, specOf(model).options.gateActivation, `${label}: gateActivation`);
    assert.equal(back.spec.options.resetAfter, specOf(model).options.resetAfter, `${label}: resetAfter`);
    assertSameParameters(model, back.model, label);
    const o = specOf(model).options;
    if (o.gateActivation !== undefined) assert.ok(back.notes[0].includes(`gates ${o.gateActivation as string}`), back.notes[0]);
    if (o.resetAfter === false) assert.ok(back.notes[0].includes("linear_before_reset = 0"), back.notes[0]);
    const batchFirst = o.batchFirst === true;
    const [T, B] = [5, 3];
    const x = new Tensor(Float32Array.from({ length: T * B * I }, () => rng.normal()), batchFirst ? [B, T, I] : [T, B, I]);
    const out = (m: Module) => noGrad(() => {
      const r = (m as unknown as { forward(x: Tensor): Tensor | { output: Tensor } }).forward(x);
      return Array.from((r instanceof Tensor ? r : r.output).data);
    });
    assert.deepEqual(out(back.model), out(model), `${label}: outputs`);
    back.model.dispose();
    model.dispose();
  }
});

test("an imported PyTorch model is trainable: a few Adam steps lower its loss", async () => {
  const c = fixtures.cases.find((f) => f.name === "gru_bi2_seq")!;
  const { model } = await importOnnx(fixtureBytes(c), c.file);
  const m = model as SequenceToSequence;
  const rng = new Rng(5);
  const T = 6, B = 4;
  const x = new Tensor(Float32Array.from({ length: T * B * 3 }, () => rng.normal()), [T, B, 3]);
  // Target: the running sum of the first feature, and its sign — needs the recurrence.
  const target = new Float32Array(T * B * 2);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = 0; t < T; t++) {
      s += x.data[(t * B + b) * 3];
      target[(t * B + b) * 2] = s / 3;
      target[(t * B + b) * 2 + 1] = Math.sign(s);
    }
  }
  const y = new Tensor(target, [T, B, 2]);
  const optimizer = new Adam(m.parameters(), { lr: 0.02 });
  const losses: number[] = [];
  for (let step = 0; step < 15; step++) {
    optimizer.zeroGrad();
    const loss = mseLoss(m.forward(x), y);
    losses.push(loss.data[0]);
    loss.backward();
    optimizer.step();
  }
  assert.ok(losses[14] < 0.7 * losses[0], `loss ${losses[0].toFixed(4)} → ${losses[14].toFixed(4)}`);
  model.dispose();
});

// ---- refusals: exports edited through the proto schema ----

type Obj = Record<string, unknown> & {
  graph: { node: Array<{ name: string; op_type: string; input: string[]; output: string[]; attribute: Array<Record<string, unknown>> }>; input: Array<Record<string, unknown>>; output: Array<{ name: string }> };
  metadata_props: Array<{ key: string; value: string }>;
};

/** `bytes` decoded, changed by `edit`, encoded again. */
async function edited(bytes: Uint8Array, edit: (m: Obj) => void): Promise<Uint8Array> {
  const { ModelProto } = await loadOnnxProto();
  const m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, arrays: true }) as Obj;
  edit(m);
  return ModelProto.encode(ModelProto.fromObject(m)).finish();
}

const nodeOf = (m: Obj, op: string) => m.graph.node.find((n) => n.op_type === op)!;

test("what the lifter does not take goes to the graph interpreter: graph-input or non-zero states, sequence_lens, other ops run as graphs; the rest is refused naming the file and the node", async () => {
  const gru = await exportOnnx(new SequenceToSequence({ cell: "gru", inputSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(1) }));
  const lstm = await exportOnnx(new SequenceToVector({ cell: "lstm", inputSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(2) }));
  const lifts = "ONNX import lifts recurrent stacks with a Linear head; node";
  const stateInfo = (m: Obj, name: string, elem: number, dims: Array<{ dim_value?: number; dim_param?: string }>) =>
    m.graph.input.push({ name, type: { tensor_type: { elem_type: elem, shape: { dim: dims } } } });
  // [file, bytes, "graph" and the lifter's reason in the notes | the refusal]
  const cases: Array<[string, Promise<Uint8Array>, "graph" | "refused", string]> = [
    ["reset-before.onnx", edited(gru, (m) => {
      for (const a of nodeOf(m, "GRU").attribute) if (a.name === "linear_before_reset") a.i = 0;
    }), "refused", "metadata 'rnnkit.model' says "],
    ["hard-beta.onnx", edited(gru, (m) => {
      nodeOf(m, "GRU").attribute.push(
        { name: "activations", type: 8, strings: ["HardSigmoid", "Tanh"].map((s) => new TextEncoder().encode(s)) },
        { name: "activation_alpha", type: 6, floats: [0.2] }, { name: "activation_beta", type: 6, floats: [0.4] },
      );
    }), "refused", "node 'GRU_0' (op GRU, opset 14): HardSigmoid with activation_alpha [0.2] and activation_beta [0.4] is not supported (alpha 0.2 or 1/6 with beta 0.5, the same in each direction)"],
    ["hard-extra.onnx", edited(gru, (m) => {
      nodeOf(m, "GRU").attribute.push(
        { name: "activations", type: 8, strings: ["HardSigmoid", "Tanh"].map((s) => new TextEncoder().encode(s)) },
        { name: "activation_alpha", type: 6, floats: [0.2, 0.2] }, { name: "activation_beta", type: 6, floats: [0.5, 0.5] },
      );
    }), "refused", "node 'GRU_0' (op GRU, opset 14): activation_alpha has 2 values, expected 1 (one per HardSigmoid, in order)"],
    ["relu.onnx", edited(gru, (m) => {
      m.graph.node.push({ name: "extra_relu", op_type: "Relu", input: ["y"], output: ["y_relu"], attribute: [] });
      m.graph.output[0].name = "y_relu";
    }), "graph", `${lifts} 'extra_relu' (op Relu, opset 14) is not part of one`],
    ["h0-input.onnx", edited(lstm, (m) => {
      nodeOf(m, "LSTM").input.push("", "h0");
      stateInfo(m, "h0", 1, [{ dim_value: 1 }, { dim_param: "batch" }, { dim_value: 4 }]);
    }), "graph", `${lifts} 'LSTM_0' (op LSTM, opset 14) is not part of one: initial_h from a graph input ('h0') is not supported yet`],
    ["h0-ones.onnx", edited(lstm, (m) => {
      const init = (m.graph as unknown as { initializer: Array<Record<string, unknown>> }).initializer;
      init.push({ name: "h0", data_type: 1, dims: [1, 1, 4], float_data: [1, 1, 1, 1] });
      nodeOf(m, "LSTM").input.push("", "h0");
    }), "refused", "a trial run at the declared input shapes (dynamic sizes 2): node 'LSTM_0' (op LSTM, opset 14): initial_h is [1, 1, 4], expected [1, 2, 4]"],
    ["h0-ones-batch.onnx", edited(lstm, (m) => {
      const init = (m.graph as unknown as { initializer: Array<Record<string, unknown>> }).initializer;
      init.push({ name: "h0", data_type: 1, dims: [1, 2, 4], float_data: new Array(8).fill(1) });
      nodeOf(m, "LSTM").input.push("", "h0");
    }), "graph", `${lifts} 'LSTM_0' (op LSTM, opset 14) is not part of one: initial_h is not zeros (only zero initial states are read)`],
    ["lengths-input.onnx", edited(lstm, (m) => {
      nodeOf(m, "LSTM").input.push("lengths");
      stateInfo(m, "lengths", 6, [{ dim_param: "batch" }]);
    }), "graph", `${lifts} 'LSTM_0' (op LSTM, opset 14) is not part of one: sequence_lens from a graph input ('lengths') is not supported (rnnkit takes lengths at forward time)`],
    ["lengths-float.onnx", edited(lstm, (m) => {
      nodeOf(m, "LSTM").input.push("lengths");
      m.graph.input.push({ ...m.graph.input[0], name: "lengths" });
    }), "refused", "a trial run at the declared input shapes (dynamic sizes 2): node 'LSTM_0' (op LSTM, opset 14): input 4 ('lengths') is float data where integers (a shape, axes or indices) are read"],
    ["input-forget.onnx", edited(lstm, (m) => {
      nodeOf(m, "LSTM").attribute.push({ name: "input_forget", type: 2, i: 1 });
    }), "refused", "node 'LSTM_0' (op LSTM, opset 14): attribute 'input_forget' = 1: 1 is not supported (0 is)"],
    ["clip.onnx", edited(lstm, (m) => {
      nodeOf(m, "LSTM").attribute.push({ name: "clip", type: 1, f: 3 });
    }), "refused", "node 'LSTM_0' (op LSTM, opset 14): attribute 'clip' = 3: cell clipping (clip) has no rnnkit equivalent"],
    ["metadata.onnx", edited(lstm, (m) => {
      const p = m.metadata_props.find((e) => e.key === "rnnkit.model")!;
      p.value = p.value.replace('"hiddenSize":4', '"hiddenSize":5');
    }), "refused", "metadata 'rnnkit.model' says "],
    ["truncated.onnx", Promise.resolve(gru.subarray(0, Math.floor(gru.length / 2))), "refused", "not an ONNX model (protobuf decoding failed: "],
    ["notes.txt", Promise.resolve(new TextEncoder().encode("these are not the bytes you are looking for\n")), "refused", "not an ONNX model ("],
  ];
  for (const [name, bytes, outcome, message] of cases) {
    if (outcome === "graph") {
      const { kind, model, notes } = await importOnnx(await bytes, name);
      assert.equal(kind, "graph", name);
      assert.equal(notes[1], `not lifted into rnnkit's recurrent modules: ${message}`, name);
      model.dispose();
      continue;
    }
    await assert.rejects(importOnnx(await bytes, name), (e: Error) => {
      assert.ok(e.message.startsWith(`${name}: ${message}`), `${name}: ${e.message}`);
      return true;
    });
  }
});

// ---- the CLI: predict and convert read .onnx ----

const main = resolve("build/src/cli/main.js");
const register = resolve("build/src/node/register.js");
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", register, main, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("rnnkit predict model.onnx x.npy runs PyTorch's export and matches PyTorch", (t) => {
  const c = fixtures.cases.find((f) => f.name === "rnn_relu_bf_seq")!;
  writeFileSync(join(dir, "model.onnx"), fixtureBytes(c));
  const run = c.runs[0];
  writeNpyFile(join(dir, "x.npy"), { dtype: "float32", shape: run.x.shape, data: Float32Array.from(run.x.data) });
  const r = cli("predict", "model.onnx", "x.npy", "-o", "y.npy");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, `wrote y.npy: float32 (${run.y.shape.join(", ")}), the output of SequenceToSequence(rnn, input 3)\n`);
  const y = readNpyFile(join(dir, "y.npy"));
  assert.deepEqual(y.shape, run.y.shape);
  t.diagnostic(`predict model.onnx: worst |rnnkit − PyTorch| ${assertClose(y.data as Float32Array, run.y.data, "predict").toExponential(2)}`);
});

test("rnnkit convert model.onnx model.safetensors writes the lifted model as an rnnkit model file", async () => {
  const c = fixtures.cases.find((f) => f.name === "lstm_bf_last")!;
  writeFileSync(join(dir, "last.onnx"), fixtureBytes(c));
  const r = cli("convert", "last.onnx", "last.safetensors");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "wrote last.safetensors: SequenceToVector as rnnkit model files\n");
  const saved = loadModel(join(dir, "last.safetensors"));
  const { model } = await importOnnx(fixtureBytes(c), c.file);
  assert.deepEqual(saved.spec, specOf(model));
  assertSameParameters(model, saved.model, "convert");
  saved.model.dispose();
  model.dispose();
});
