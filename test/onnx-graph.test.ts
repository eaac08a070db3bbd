/**
 * The ONNX graph interpreter (src/onnx/graph*.ts) checked against real producers and consumers:
 * PyTorch's exporter and PyTorch's outputs (test/fixtures/onnx/graph_cases.json, written by
 * tools/make_onnx_fixtures.py, run at batch and time sizes other than the export's), and
 * onnxruntime on graphs built here with the protobuf schema for the operators and options
 * PyTorch did not emit (Sub, Div, Expand, Transpose, Cast, Squeeze, ConstantOfShape, Slice with
 * steps, Gemm options, Softmax axes; LSTM / GRU / RNN with sequence_lens, reverse and
 * bidirectional directions, initial states). Also: finite differences through an interpreted
 * graph, fine-tuning, the refusals, round trips through .onnx and .safetensors.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { Adam, Rng, Tensor, add, decodeModel, encodeModel, fit, mseLoss, mul, noGrad, oneHot, scale, sum, transpose } from "../src/index.js";
import { assertGradcheck } from "../src/autograd/gradcheck.js";
import { exportOnnx, importOnnx, evaluateGraph, OnnxGraph } from "../src/onnx.js";
import { loadOnnxProto } from "../src/onnx/proto.js";
import { loadModel, readNpyFile, writeNpyFile } from "../src/node/index.js";
import { assertClose } from "./support/close.js";
import { runDocExample } from "./support/doc-example.js";

const FIXTURES = "test/fixtures/onnx";
interface TensorJson { shape: number[]; data: number[]; dtype?: string }
interface GraphCase { name: string; file: string; runs: Array<{ inputs: Record<string, TensorJson>; outputs: Record<string, TensorJson> }> }
const graphCases = JSON.parse(readFileSync(join(FIXTURES, "graph_cases.json"), "utf8")) as { producer: string; cases: GraphCase[] };
const fixtureBytes = (c: GraphCase) => new Uint8Array(readFileSync(join(FIXTURES, c.file)));
const tensorOf = (t: TensorJson) => new Tensor(Float32Array.from(t.data), t.shape);

const dir = mkdtempSync(join(tmpdir(), "rnnkit-onnx-graph-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("PyTorch's exports the lifter cannot express run as graphs and match PyTorch at other batch and time sizes", async (t) => {
  assert.deepEqual(graphCases.cases.map((c) => c.name), ["emb_lstm_logsoftmax", "gru_residual", "lstm_h0c0", "bigru_bf_last", "softmax_linear"]);
  let worstAll = 0;
  for (const c of graphCases.cases) {
    const { kind, model, spec, notes } = await importOnnx(fixtureBytes(c), c.file);
    assert.equal(kind, "graph", c.name);
    assert.ok(model instanceof OnnxGraph, c.name);
    assert.equal(spec.type, "OnnxGraph");
    assert.ok(notes[1].startsWith("not lifted into rnnkit's recurrent modules: "), notes.join(" | "));
    let worst = 0;
    for (const run of c.runs) {
      const outs: Tensor[] = noGrad(() => (model as OnnxGraph).run(...Object.values(run.inputs).map(tensorOf)));
      const wants = Object.entries(run.outputs);
      assert.equal(outs.length, wants.length, c.name);
      wants.forEach(([name, want], k) => {
        assert.deepEqual(outs[k].shape, want.shape, `${c.name} ${name}: shape`);
        worst = Math.max(worst, assertClose(outs[k].data, want.data, `${c.name} ${name} at ${JSON.stringify(Object.values(run.inputs)[0].shape)}`));
      });
    }
    t.diagnostic(`${c.name}: worst |rnnkit − PyTorch| ${worst.toExponential(2)}`);
    worstAll = Math.max(worstAll, worst);
    model.dispose();
  }
  t.diagnostic(`all PyTorch graph cases: worst ${worstAll.toExponential(2)}`);
});

// ---- graphs built here, run by onnxruntime and by rnnkit ----

type Obj = Record<string, unknown>;
const rng = new Rng(7);
const randn = (n: number, s = 0.5) => Array.from({ length: n }, () => s * rng.normal());
const f32 = (name: string, dims: number[], data: number[]): Obj => ({ name, data_type: 1, dims, float_data: data });
const i64 = (name: string, dims: number[], data: number[]): Obj => ({ name, data_type: 7, dims, int64_data: data });
const attrI = (name: string, i: number) => ({ name, type: 2, i });
const attrIs = (name: string, ints: number[]) => ({ name, type: 7, ints });
const attrF = (name: string, f: number) => ({ name, type: 1, f });
const attrS = (name: string, s: string) => ({ name, type: 3, s: new TextEncoder().encode(s) });
const attrT = (name: string, t: Obj) => ({ name, type: 4, t });
const node = (op: string, input: string[], output: string[], attribute: Obj[] = []): Obj => ({ name: `${op}_${output[0]}`, op_type: op, input, output, attribute });
/** A graph input or output; without dims (an output here) its shape is left unsaid. */
const info = (name: string, elem: number, dims?: Array<number | string>): Obj => ({
  name, type: { tensor_type: { elem_type: elem, ...(dims === undefined ? {} : { shape: { dim: dims.map((d) => (typeof d === "number" ? { dim_value: d } : { dim_param: d })) } }) } },
});

async function modelBytes(nodes: Obj[], initializer: Obj[], input: Obj[], output: Obj[], opset = 14): Promise<Uint8Array> {
  const { ModelProto } = await loadOnnxProto();
  const m = { ir_version: 8, opset_import: [{ domain: "", version: opset }], producer_name: "onnx-graph.test", graph: { name: "g", node: nodes, initializer, input, output } };
  assert.equal(ModelProto.verify(m), null);
  return ModelProto.encode(ModelProto.fromObject(m)).finish();
}

type Feed = { name: string; type: "float32" | "int32" | "int64"; shape: number[]; data: number[] };

/**
 * Runs `bytes` in onnxruntime and in rnnkit on the same feeds; compares every output; returns the
 * worst difference. With `batchFirst` (the same recurrent node with layout 1, which onnxruntime's CPU
 * kernels do not run), rnnkit runs that instead, on the rank-3 feeds with their first two axes
 * swapped (x [B, T, I], states [B, D, H]), and its outputs are put back in layout 0 (Y [B, T, D, H] →
 * [T, D, B, H], Y_h [B, D, H] → [D, B, H]): the spec defines layout 1 as exactly that transposition.
 */
async function compareWithOrt(bytes: Uint8Array, feeds: Feed[], what: string, batchFirst?: Uint8Array): Promise<number> {
  const session = await ort.InferenceSession.create(bytes);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const f of feeds) {
    ortFeeds[f.name] = f.type === "float32" ? new ort.Tensor("float32", Float32Array.from(f.data), f.shape)
      : f.type === "int32" ? new ort.Tensor("int32", Int32Array.from(f.data), f.shape) : new ort.Tensor("int64", BigInt64Array.from(f.data.map(BigInt)), f.shape);
  }
  const want = await session.run(ortFeeds);
  const { model, kind } = await importOnnx(batchFirst ?? bytes, what);
  assert.equal(kind, "graph", what);
  const swap = (t: Tensor) => (batchFirst === undefined || t.rank !== 3 ? t : transpose(t, [1, 0, 2]));
  const back = (t: Tensor) => (batchFirst === undefined ? t : transpose(t, t.rank === 4 ? [1, 2, 0, 3] : [1, 0, 2]));
  const got = noGrad(() => (model as OnnxGraph).run(...feeds.map((f) => swap(new Tensor(Float32Array.from(f.data), f.shape)))).map(back));
  let worst = 0;
  session.outputNames.forEach((name, k) => {
    const w = want[name];
    assert.deepEqual(got[k].shape, [...w.dims], `${what} ${name}: shape`);
    worst = Math.max(worst, assertClose(got[k].data, Array.from(w.data as Float32Array, Number), `${what} ${name}`));
  });
  model.dispose();
  return worst;
}

/** A graph of elementwise, shape and movement operators on x [batch, time, 4]. */
function arithmeticGraph() {
  const nodes = [
    node("Sub", ["x", "a"], ["s1"]),
    node("Div", ["s1", "d"], ["s2"]),
    node("Transpose", ["s2"], ["s3"], [attrIs("perm", [1, 0, 2])]),
    node("Shape", ["x"], ["shp"]),
    node("Gather", ["shp", "one"], ["tdim"], [attrI("axis", 0)]),
    node("Gather", ["shp", "zero"], ["bdim"], [attrI("axis", 0)]),
    node("Unsqueeze", ["tdim", "axes0"], ["t1"]),
    node("Unsqueeze", ["bdim", "axes0"], ["b1"]),
    node("Concat", ["t1", "b1", "four"], ["tb4"], [attrI("axis", 0)]),
    node("Expand", ["e", "tb4"], ["ex"]),
    node("Mul", ["s3", "ex"], ["m"]),
    node("Cast", ["tdim"], ["tf"], [attrI("to", 1)]),
    node("Div", ["m", "tf"], ["m2"]),
    node("Unsqueeze", ["m2", "axes0"], ["u"]),
    node("Squeeze", ["u", "axes0"], ["sq"]),
    node("Shape", ["sq"], ["sqs"]),
    node("ConstantOfShape", ["sqs"], ["half"], [attrT("value", f32("", [1], [0.5]))]),
    node("Add", ["sq", "half"], ["h1"]),
    node("Softmax", ["h1"], ["softmax_t"], [attrI("axis", 0)]),
    node("LogSoftmax", ["h1"], ["logsoftmax_b"], [attrI("axis", 1)]),
    node("Slice", ["h1", "minus1", "very_negative", "axes0", "minus1"], ["rev"]),
    node("Relu", ["rev"], ["relu_reversed"]),
    node("Slice", ["h1", "zero1", "very_large", "two1", "two1"], ["odd"]),
    node("Sigmoid", ["odd"], ["sigmoid_every_second"]),
    node("Sub", ["t1", "one1"], ["tm1"]),
    node("Slice", ["h1", "zero1", "tm1", "axes0"], ["first"]),
    node("Identity", ["first"], ["all_but_last_step"]),
    node("Reshape", ["h1", "flat_shape"], ["flat"]),
    node("Gemm", ["flat", "wg", "cg"], ["g"], [attrI("transB", 1), attrF("alpha", 0.5), attrF("beta", 2)]),
    node("Tanh", ["g"], ["gemm_tanh"]),
    node("Transpose", ["flat"], ["flat_t"]),
    node("Gemm", ["flat_t", "wg2"], ["gemm_trans_a"], [attrI("transA", 1)]),
    node("Gather", ["h1", "idx2d"], ["gathered_features"], [attrI("axis", 2)]),
    node("Cast", ["h1"], ["h1_int"], [attrI("to", 7)]),
    node("Cast", ["h1_int"], ["truncated"], [attrI("to", 1)]),
  ];
  const initializer = [
    f32("a", [4], randn(4)), f32("d", [1, 1, 4], randn(4).map((v) => 1 + Math.abs(v))), f32("e", [1, 4], randn(4, 2)),
    f32("wg", [3, 4], randn(12)), f32("cg", [3], randn(3)), f32("wg2", [4, 2], randn(8)),
    i64("one", [], [1]), i64("zero", [], [0]), i64("axes0", [1], [0]), i64("four", [1], [4]), i64("minus1", [1], [-1]),
    i64("very_negative", [1], [-(2 ** 62)]), i64("zero1", [1], [0]), i64("very_large", [1], [2 ** 62]), i64("two1", [1], [2]),
    i64("one1", [1], [1]), i64("flat_shape", [2], [-1, 4]), i64("idx2d", [2, 2], [3, 0, 1, -1]),
  ];
  const outputs = ["softmax_t", "logsoftmax_b", "relu_reversed", "sigmoid_every_second", "all_but_last_step", "gemm_tanh", "gemm_trans_a", "truncated", "gathered_features"];
  return { nodes, initializer, outputs };
}

test("onnxruntime agrees: Sub, Div, Transpose, Shape/Gather/Unsqueeze/Concat, Expand, Cast, Squeeze, ConstantOfShape, Softmax axes, Slice steps, Reshape −1, Gemm options, Gather on an inner axis", async (t) => {
  const { nodes, initializer, outputs } = arithmeticGraph();
  const bytes = await modelBytes(nodes, initializer, [info("x", 1, ["batch", "time", 4])], outputs.map((o) => info(o, 1)));
  let worst = 0;
  for (const [B, T] of [[3, 5], [1, 2], [2, 1]]) {
    worst = Math.max(worst, await compareWithOrt(bytes, [{ name: "x", type: "float32", shape: [B, T, 4], data: randn(B * T * 4, 3) }], `arith B${B} T${T}`));
  }
  t.diagnostic(`arithmetic graph: worst |rnnkit − onnxruntime| ${worst.toExponential(2)}`);
});

interface RecurrentOpts {
  lens: boolean; init: boolean; act?: string; layout?: 1;
  /** GRU linear_before_reset (1 unless said). */
  lbr?: 0 | 1;
  /** LSTM / GRU: HardSigmoid gates with this alpha (beta 0.5), activations [HardSigmoid, Tanh(, Tanh)] per direction. */
  hardAlpha?: number;
  /** The weights' standard deviation (0.5 unless said). */
  scale?: number;
}

/** One ONNX recurrent node with inputs x [T, B, I] and, as asked, sequence_lens, initial_h (and initial_c). */
async function recurrentModel(op: "LSTM" | "GRU" | "RNN", direction: string, opts: RecurrentOpts) {
  const [I, H] = [3, 4];
  const D = direction === "bidirectional" ? 2 : 1;
  const G = op === "LSTM" ? 4 : op === "GRU" ? 3 : 1;
  const attrs: Obj[] = [attrI("hidden_size", H), attrS("direction", direction)];
  if (op === "GRU") attrs.push(attrI("linear_before_reset", opts.lbr ?? 1));
  if (opts.act !== undefined) attrs.push({ name: "activations", type: 8, strings: Array.from({ length: D }, () => new TextEncoder().encode(opts.act!)) });
  if (opts.hardAlpha !== undefined) {
    const per = op === "LSTM" ? ["HardSigmoid", "Tanh", "Tanh"] : ["HardSigmoid", "Tanh"];
    attrs.push(
      { name: "activations", type: 8, strings: Array.from({ length: D }, () => per).flat().map((a) => new TextEncoder().encode(a)) },
      { name: "activation_alpha", type: 6, floats: new Array<number>(D).fill(opts.hardAlpha) },
      { name: "activation_beta", type: 6, floats: new Array<number>(D).fill(0.5) },
    );
  }
  const states = op === "LSTM" ? ["h0", "c0"] : ["h0"];
  const inputs = ["x", "W", "R", "B", opts.lens ? "lens" : "", ...(opts.init ? states : [])];
  const outs = op === "LSTM" ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"];
  const sd = opts.scale ?? 0.5;
  const weights = [f32("W", [D, G * H, I], randn(D * G * H * I, sd)), f32("R", [D, G * H, H], randn(D * G * H * H, sd)), f32("B", [D, 2 * G * H], randn(D * 2 * G * H, sd))];
  const build = (bf: boolean) => modelBytes(
    [node(op, inputs, outs, bf ? [...attrs, attrI("layout", 1)] : attrs)],
    weights,
    [
      info("x", 1, bf ? ["batch", "time", I] : ["time", "batch", I]), ...(opts.lens ? [info("lens", 6, ["batch"])] : []),
      ...(opts.init ? states.map((s) => info(s, 1, bf ? ["batch", D, H] : [D, "batch", H])) : []),
    ],
    outs.map((o) => info(o, 1)),
  );
  const feeds = (T: number, B: number, lens: number[]): Feed[] => [
    { name: "x", type: "float32", shape: [T, B, I], data: randn(T * B * I, 1) },
    ...(opts.lens ? [{ name: "lens", type: "int32" as const, shape: [B], data: lens }] : []),
    ...(opts.init ? states.map((s): Feed => ({ name: s, type: "float32", shape: [D, B, H], data: randn(D * B * H, 1) })) : []),
  ];
  return { bytes: await build(false), batchFirst: opts.layout === 1 ? await build(true) : undefined, feeds, weights: weights.map((w) => w.float_data as number[]), I, H };
}

/**
 * The share of direction 0's sigmoid-gate pre-activations at time 0 from x alone (W x + biases)
 * outside HardSigmoid's linear range, where alpha·a + 0.5 is clipped.
 * The hard-sigmoid cases must clip, or they would not tell a hard sigmoid from a line.
 */
function clippedShare(op: "LSTM" | "GRU", alpha: number, x0: number[], weights: number[][], B: number, I: number, H: number): number {
  const [W, , Bias] = weights;
  const G = op === "LSTM" ? 4 : 3;
  const gateRows = (op === "LSTM" ? 3 : 2) * H; // ONNX order: LSTM i, o, f (then c); GRU z, r (then h)
  let clipped = 0;
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < gateRows; r++) {
      let a = Bias[r] + Bias[G * H + r];
      for (let i = 0; i < I; i++) a += W[r * I + i] * x0[b * I + i];
      if (Math.abs(alpha * a) >= 0.5) clipped++;
    }
  }
  return clipped / (B * gateRows);
}

test("onnxruntime agrees on HardSigmoid gates (alpha 0.2 and 1/6) and the reset-before GRU (linear_before_reset 0), with sequence_lens, initial states, reverse and bidirectional", async (t) => {
  const cases: Array<["LSTM" | "GRU", string, RecurrentOpts]> = [
    ["GRU", "forward", { lens: true, init: true, lbr: 0 }],
    ["GRU", "bidirectional", { lens: true, init: false, lbr: 0, scale: 1.5 }],
    ["GRU", "reverse", { lens: false, init: true, lbr: 0, layout: 1 }],
    ["GRU", "bidirectional", { lens: true, init: true, lbr: 0, hardAlpha: 0.2, scale: 1.5 }],
    ["GRU", "reverse", { lens: true, init: false, lbr: 0, hardAlpha: 1 / 6, scale: 1.5 }],
    ["GRU", "bidirectional", { lens: false, init: true, lbr: 1, hardAlpha: 1 / 6, scale: 1.5, layout: 1 }],
    ["LSTM", "bidirectional", { lens: true, init: true, hardAlpha: 0.2, scale: 1.5 }],
    ["LSTM", "forward", { lens: false, init: false, hardAlpha: 1 / 6, scale: 1.5 }],
    ["LSTM", "reverse", { lens: true, init: true, hardAlpha: 1 / 6, scale: 1.5, layout: 1 }],
  ];
  let worstAll = 0;
  for (const [op, direction, opts] of cases) {
    const { bytes, batchFirst, feeds, weights, I, H } = await recurrentModel(op, direction, opts);
    const label = `${op} ${direction}${op === "GRU" ? ` linear_before_reset ${opts.lbr}` : ""}${opts.hardAlpha === undefined ? "" : ` HardSigmoid alpha ${opts.hardAlpha.toFixed(4)}`}`
      + `${opts.lens ? " sequence_lens" : ""}${opts.init ? " initial states" : ""}${opts.layout ? " layout 1" : ""}`;
    let worst = 0;
    for (const [T, B, lens] of [[6, 3, [6, 2, 4]], [2, 1, [1]]] as Array<[number, number, number[]]>) {
      const fs = feeds(T, B, lens);
      if (opts.hardAlpha !== undefined && B > 1) {
        const share = clippedShare(op, opts.hardAlpha, fs[0].data.slice(0, B * I), weights, B, I, H);
        assert.ok(share > 0.2, `${label}: only ${(100 * share).toFixed(0)}% of the first step's gates clip`);
      }
      worst = Math.max(worst, await compareWithOrt(bytes, fs, `${label} T${T} B${B}`, batchFirst));
    }
    t.diagnostic(`${label}: worst |rnnkit − onnxruntime| ${worst.toExponential(2)}`);
    worstAll = Math.max(worstAll, worst);
  }
  t.diagnostic(`hard-sigmoid and reset-before nodes: worst |rnnkit − onnxruntime| ${worstAll.toExponential(2)}`);
});

test("onnxruntime agrees on LSTM, GRU and RNN nodes: sequence_lens, reverse and bidirectional directions, initial states, Relu, layout 1", async (t) => {
  const cases: Array<["LSTM" | "GRU" | "RNN", string, { lens: boolean; init: boolean; act?: string; layout?: 1 }]> = [
    ["LSTM", "bidirectional", { lens: true, init: true }],
    ["LSTM", "reverse", { lens: true, init: false }],
    ["LSTM", "forward", { lens: false, init: true }],
    ["GRU", "reverse", { lens: true, init: true }],
    ["GRU", "bidirectional", { lens: false, init: true }],
    ["RNN", "forward", { lens: true, init: true, act: "Relu" }],
    ["RNN", "reverse", { lens: true, init: false, act: "Tanh" }],
    ["RNN", "bidirectional", { lens: true, init: true }],
    ["LSTM", "bidirectional", { lens: true, init: true, layout: 1 }],
    ["GRU", "reverse", { lens: false, init: true, layout: 1 }],
  ];
  for (const [op, direction, opts] of cases) {
    const { bytes, batchFirst, feeds } = await recurrentModel(op, direction, opts);
    let worst = 0;
    for (const [T, B, lens] of [[5, 3, [5, 2, 4]], [2, 1, [1]]] as Array<[number, number, number[]]>) {
      worst = Math.max(worst, await compareWithOrt(bytes, feeds(T, B, lens), `${op} ${direction} ${JSON.stringify(opts)} T${T} B${B}`, batchFirst));
    }
    t.diagnostic(`${op} ${direction}${opts.lens ? " sequence_lens" : ""}${opts.init ? " initial states" : ""}${opts.act ? ` ${opts.act}` : ""}${opts.layout ? " layout 1" : ""}: worst |rnnkit − onnxruntime| ${worst.toExponential(2)}`);
  }
});

// ---- gradients ----

test("finite differences through an interpreted graph (Gather embedding, Add, GRU, Squeeze, MatMul, Tanh, Softmax) w.r.t. every parameter and the input, float64", async () => {
  const [V, E, H, O] = [5, 2, 3, 2];
  const bytes = await modelBytes(
    [
      node("Gather", ["table", "ids"], ["emb"]),
      node("Add", ["emb", "x"], ["xin"]),
      node("GRU", ["xin", "W", "R", "B"], ["Y"], [attrI("hidden_size", H), attrI("linear_before_reset", 1), attrS("direction", "reverse")]),
      node("Squeeze", ["Y", "axis1"], ["y"]),
      node("MatMul", ["y", "Wo"], ["z"]),
      node("Tanh", ["z"], ["tz"]),
      node("Softmax", ["tz"], ["p"], [attrI("axis", 0)]),
    ],
    [f32("table", [V, E], randn(V * E)), f32("W", [1, 3 * H, E], randn(3 * H * E)), f32("R", [1, 3 * H, H], randn(3 * H * H)), f32("B", [1, 6 * H], randn(6 * H)), f32("Wo", [H, O], randn(H * O)), i64("axis1", [1], [1])],
    [info("x", 1, ["time", "batch", E]), info("ids", 7, ["time", "batch"])],
    [info("p", 1)],
  );
  const { model } = await importOnnx(bytes, "grad.onnx");
  const graph = (model as OnnxGraph).graph;
  const [T, B] = [3, 2];
  const ids = new Tensor(Float64Array.from([0, 4, 2, 2, 1, 3]), [T, B]);
  const x = new Tensor(Float64Array.from(randn(T * B * E, 1)), [T, B, E]);
  const names = graph.params.map((p) => p.name);
  const params = names.map((n) => { const p = model.stateDict()[graph.params.find((q) => q.name === n)!.key]; return new Tensor(Float64Array.from(p.data), p.shape); });
  const report = assertGradcheck((xx, ...ps) => {
    const byName = new Map(names.map((n, k) => [n, ps[k]]));
    return evaluateGraph(graph, (n) => byName.get(n)!, [xx, ids], { dtype: "float64" })[0] as Tensor;
  }, [x, ...params]);
  assert.ok(report.checked === x.size + params.reduce((s, p) => s + p.size, 0));
  model.dispose();
});

test("finite differences through an interpreted reset-before GRU node (linear_before_reset 0, bidirectional, HardSigmoid gates, sequence_lens) w.r.t. W, R, B, initial_h and the input, float64", async () => {
  const [I, H, D] = [2, 3, 2];
  const gates = ["HardSigmoid", "Tanh", "HardSigmoid", "Tanh"].map((a) => new TextEncoder().encode(a));
  const bytes = await modelBytes(
    [
      node("GRU", ["x", "W", "R", "B", "lens", "h0"], ["Y", "Y_h"], [
        attrI("hidden_size", H), attrI("linear_before_reset", 0), attrS("direction", "bidirectional"),
        { name: "activations", type: 8, strings: gates }, { name: "activation_alpha", type: 6, floats: [0.2, 0.2] }, { name: "activation_beta", type: 6, floats: [0.5, 0.5] },
      ]),
      node("Tanh", ["Y"], ["tY"]),
      node("Mul", ["tY", "tY"], ["sq"]),
    ],
    [f32("W", [D, 3 * H, I], randn(D * 3 * H * I)), f32("R", [D, 3 * H, H], randn(D * 3 * H * H)), f32("B", [D, 6 * H], randn(D * 6 * H)), f32("h0", [D, 2, H], randn(D * 2 * H))],
    [info("x", 1, ["time", 2, I]), info("lens", 6, [2])],
    [info("sq", 1), info("Y_h", 1)],
  );
  const { model, kind } = await importOnnx(bytes, "grad-gru-lbr0.onnx");
  assert.equal(kind, "graph");
  const graph = (model as OnnxGraph).graph;
  const [T, B] = [4, 2];
  const x = new Tensor(Float64Array.from(randn(T * B * I, 1)), [T, B, I]);
  const lens = new Tensor(Float64Array.from([4, 3]), [B]);
  const names = graph.params.map((p) => p.name);
  assert.deepEqual(names, ["W", "R", "B", "h0"]);
  const params = names.map((n) => { const p = model.stateDict()[graph.params.find((q) => q.name === n)!.key]; return new Tensor(Float64Array.from(p.data), p.shape); });
  const report = assertGradcheck((xx, ...ps) => {
    const byName = new Map(names.map((n, k) => [n, ps[k]]));
    const [sq, yh] = evaluateGraph(graph, (n) => byName.get(n)!, [xx, lens], { dtype: "float64" }) as Tensor[];
    return add(sum(sq), sum(mul(yh, yh)));
  }, [x, ...params]);
  assert.ok(report.checked === x.size + params.reduce((s, p) => s + p.size, 0));
  model.dispose();
});

test("finite differences through a bidirectional layout-1 LSTM node with sequence_lens and initial states as graph inputs, float64", async () => {
  const [I, H, D] = [2, 2, 2];
  const bytes = await modelBytes(
    [node("LSTM", ["x", "W", "R", "B", "lens", "h0", "c0"], ["Y", "Y_h", "Y_c"], [attrI("hidden_size", H), attrS("direction", "bidirectional"), attrI("layout", 1)]),
      node("Concat", ["Y_h", "Y_c"], ["hc"], [attrI("axis", 1)]), node("Reshape", ["Y", "flat"], ["y2"]), node("Reshape", ["hc", "flat"], ["hc2"]),
      node("Concat", ["y2", "hc2"], ["all"], [attrI("axis", 0)])],
    [f32("W", [D, 4 * H, I], randn(D * 4 * H * I)), f32("R", [D, 4 * H, H], randn(D * 4 * H * H)), f32("B", [D, 8 * H], randn(D * 8 * H)), i64("flat", [1], [-1])],
    [info("x", 1, ["batch", "time", I]), info("lens", 6, ["batch"]), info("h0", 1, ["batch", D, H]), info("c0", 1, ["batch", D, H])],
    [info("all", 1)],
  );
  const { model } = await importOnnx(bytes, "lstm-grad.onnx");
  const graph = (model as OnnxGraph).graph;
  const [B, T] = [3, 4];
  const lens = new Tensor(Float64Array.from([4, 1, 3]), [B]);
  const f64 = (shape: number[]) => new Tensor(Float64Array.from(randn(shape.reduce((a, b) => a * b, 1), 1)), shape);
  const [x, h0, c0] = [f64([B, T, I]), f64([B, D, H]), f64([B, D, H])];
  const params = graph.params.map((p) => { const v = model.stateDict()[p.key]; return new Tensor(Float64Array.from(v.data), v.shape); });
  const report = assertGradcheck((xx, hh, cc, ...ps) => {
    const byName = new Map(graph.params.map((p, k) => [p.name, ps[k]]));
    return evaluateGraph(graph, (n) => byName.get(n)!, [xx, lens, hh, cc], { dtype: "float64" })[0] as Tensor;
  }, [x, h0, c0, ...params]);
  assert.equal(report.checked, x.size + h0.size + c0.size + params.reduce((n, p) => n + p.size, 0));
  model.dispose();
});

test("an imported graph fine-tunes: Adam steps on the Embedding → LSTM → Linear → LogSoftmax export lower its loss", async () => {
  const c = graphCases.cases.find((g) => g.name === "emb_lstm_logsoftmax")!;
  const { model } = await importOnnx(fixtureBytes(c), c.file);
  const [T, B, V] = [6, 4, 10];
  const data = new Rng(3);
  const ids = new Tensor(Float32Array.from({ length: T * B }, () => Math.floor(data.uniform(0, V))), [T, B]);
  const targets = new Tensor(oneHot(Array.from({ length: T * B }, (_, k) => (ids.data[k] + 1) % V), V).data, [T, B, V]);
  const graph = model as OnnxGraph;
  const loss = () => scale(sum(mul(graph.forward(ids), targets)), -1 / (T * B));
  const opt = new Adam(model.parameters(), { lr: 0.05 });
  const before = noGrad(loss).data[0];
  for (let k = 0; k < 15; k++) {
    opt.zeroGrad();
    loss().backward();
    opt.step();
  }
  const afterLoss = noGrad(loss).data[0];
  assert.ok(afterLoss < 0.8 * before, `loss ${before} → ${afterLoss}`);
  model.dispose();
});

test("fit fine-tunes an imported graph: the Softmax-over-Linear export learns a target distribution", async () => {
  const c = graphCases.cases.find((g) => g.name === "softmax_linear")!;
  const model = (await importOnnx(fixtureBytes(c), c.file)).model as OnnxGraph;
  const data = new Rng(5);
  const [N, T] = [16, 3];
  const xs = Array.from({ length: N }, () => Array.from({ length: T * 3 }, () => data.normal()));
  // Target: all probability on class (sign of the first feature ? 0 : 1) — learnable from x by a Linear.
  const target = (x: number[]) => Array.from({ length: T }, (_, t) => [0, 1, 2, 3].map((k) => (k === (x[3 * t] > 0 ? 0 : 1) ? 1 : 0))).flat();
  const train = {
    length: N,
    batch: (idx: readonly number[]) => ({
      x: new Tensor(Float32Array.from(idx.flatMap((i) => xs[i])), [idx.length, T, 3]),
      y: new Tensor(Float32Array.from(idx.flatMap((i) => target(xs[i]))), [idx.length, T, 4]),
    }),
  };
  const result = fit(model, train, {
    forward: (b) => ({ loss: mseLoss(model.forward(b.x), b.y) }),
    optimizer: new Adam(model.parameters(), { lr: 0.1 }), rng: new Rng(1), epochs: 8, batchSize: 4,
  });
  const losses = result.history.map((h) => h.loss);
  assert.ok(losses[losses.length - 1] < 0.5 * losses[0], `losses ${losses.join(", ")}`);
  model.dispose();
});

// ---- refusals ----

async function editedFixture(name: string, edit: (m: Obj & { graph: { node: Obj[] } }) => void): Promise<Uint8Array> {
  const { ModelProto } = await loadOnnxProto();
  const m = ModelProto.toObject(ModelProto.decode(fixtureBytes(graphCases.cases.find((c) => c.name === name)!)), { longs: Number, arrays: true }) as Obj & { graph: { node: Obj[] } };
  edit(m);
  return ModelProto.encode(ModelProto.fromObject(m)).finish();
}
const nodeOf = (m: { graph: { node: Obj[] } }, op: string) => m.graph.node.find((n) => n.op_type === op) as Obj & { attribute: Obj[]; input: string[]; name: string };

test("refusals name the file, the node, the operator and the opset: unknown operator, attribute, input count, opset, shapes, truncated bytes", async () => {
  const cases: Array<[string, Promise<Uint8Array>, string]> = [
    ["hardmax.onnx", editedFixture("softmax_linear", (m) => { nodeOf(m, "Softmax").op_type = "Hardmax"; }),
      "operator 'Hardmax' of node '/Softmax' (opset 14) is not supported; the graph interpreter runs Add, Sub, Mul, Div, Tanh, Sigmoid, Relu, Softmax, LogSoftmax, MatMul, Gemm, Gather, "],
    ["domain.onnx", editedFixture("softmax_linear", (m) => { nodeOf(m, "Softmax").domain = "com.microsoft"; }),
      "node '/Softmax' (op Softmax): domain 'com.microsoft' is not read (ai.onnx is)"],
    ["attr.onnx", editedFixture("softmax_linear", (m) => { nodeOf(m, "Softmax").attribute.push(attrI("keepdims", 1)); }),
      "node '/Softmax' (op Softmax, opset 14): attribute 'keepdims' is not read (axis is)"],
    ["lbr2.onnx", editedFixture("gru_residual", (m) => { for (const a of nodeOf(m, "GRU").attribute) if (a.name === "linear_before_reset") a.i = 2; }),
      "node '/rnn/GRU' (op GRU, opset 14): attribute 'linear_before_reset' = 2: 2 is not supported (0, 1 are)"],
    ["hard-alpha.onnx", editedFixture("gru_residual", (m) => {
      nodeOf(m, "GRU").attribute.push(
        { name: "activations", type: 8, strings: ["HardSigmoid", "Tanh"].map((s) => new TextEncoder().encode(s)) },
        { name: "activation_alpha", type: 6, floats: [0.25] }, { name: "activation_beta", type: 6, floats: [0.5] },
      );
    }), "node '/rnn/GRU' (op GRU, opset 14): HardSigmoid with activation_alpha [0.25] and activation_beta [0.5] is not supported (alpha 0.2 or 1/6 with beta 0.5, the same in each direction)"],
    ["hard-mixed.onnx", editedFixture("bigru_bf_last", (m) => {
      nodeOf(m, "GRU").attribute.push(
        { name: "activations", type: 8, strings: ["HardSigmoid", "Tanh", "Sigmoid", "Tanh"].map((s) => new TextEncoder().encode(s)) },
        { name: "activation_alpha", type: 6, floats: [0.2] }, { name: "activation_beta", type: 6, floats: [0.5] },
      );
    }), "node '/rnn/GRU' (op GRU, opset 14): activations [hardsigmoid, tanh, sigmoid, tanh] are not supported ([Sigmoid or HardSigmoid, Tanh] per direction, the same in each)"],
    ["hard-two-alphas.onnx", editedFixture("bigru_bf_last", (m) => {
      nodeOf(m, "GRU").attribute.push(
        { name: "activations", type: 8, strings: ["HardSigmoid", "Tanh", "HardSigmoid", "Tanh"].map((s) => new TextEncoder().encode(s)) },
        { name: "activation_alpha", type: 6, floats: [0.2, 1 / 6] }, { name: "activation_beta", type: 6, floats: [0.5, 0.5] },
      );
    }), "node '/rnn/GRU' (op GRU, opset 14): HardSigmoid with activation_alpha [0.2, 0.1666667] and activation_beta [0.5, 0.5] is not supported (alpha 0.2 or 1/6 with beta 0.5, the same in each direction)"],
    ["hard-no-alpha.onnx", editedFixture("lstm_h0c0", (m) => {
      nodeOf(m, "LSTM").attribute.push({ name: "activations", type: 8, strings: ["HardSigmoid", "Tanh", "Tanh"].map((s) => new TextEncoder().encode(s)) });
    }), "node '/rnn/LSTM' (op LSTM, opset 14): activation_alpha has 0 values, expected 1 (one per HardSigmoid, in order)"],
    ["sigmoid-alpha.onnx", editedFixture("lstm_h0c0", (m) => { nodeOf(m, "LSTM").attribute.push({ name: "activation_alpha", type: 6, floats: [0.2] }); }),
      "node '/rnn/LSTM' (op LSTM, opset 14): activation_alpha [0.2] is not consumed (only HardSigmoid takes one, and the activations have none)"],
    ["clip.onnx", editedFixture("lstm_h0c0", (m) => { nodeOf(m, "LSTM").attribute.push(attrF("clip", 3)); }),
      "node '/rnn/LSTM' (op LSTM, opset 14): attribute 'clip' = 3: cell clipping (clip) has no rnnkit equivalent"],
    ["acts.onnx", editedFixture("lstm_h0c0", (m) => { nodeOf(m, "LSTM").attribute.push({ name: "activations", type: 8, strings: ["Sigmoid", "Relu", "Tanh"].map((s) => new TextEncoder().encode(s)) }); }),
      "node '/rnn/LSTM' (op LSTM, opset 14): activations [sigmoid, relu, tanh] are not supported ([Sigmoid or HardSigmoid, Tanh, Tanh] per direction, the same in each)"],
    ["inputs.onnx", editedFixture("softmax_linear", (m) => { nodeOf(m, "MatMul").input.push("x"); }),
      "node '/fc/MatMul' (op MatMul, opset 14): 3 inputs, expected 2"],
    ["undefined.onnx", editedFixture("softmax_linear", (m) => { nodeOf(m, "Add").input[0] = "nowhere"; }),
      "node '/fc/Add' (op Add, opset 14): input 'nowhere' is not defined before it"],
    ["opset12.onnx", editedFixture("softmax_linear", (m) => { (m.opset_import as Obj[])[0].version = 12; }),
      "ai.onnx opset 12 is not run by the graph interpreter (opsets 13..21 are)"],
    ["shapes.onnx", editedFixture("softmax_linear", (m) => { (m.graph as unknown as { input: Obj[] }).input[0] = info("x", 1, ["batch", "time", 5]); }),
      "a trial run at the declared input shapes (dynamic sizes 2): node '/fc/MatMul' (op MatMul, opset 14): matmul: a [2, 2, 5] and b [3, 4]: inner sizes 5 and 3 differ"],
    ["truncated.onnx", Promise.resolve(fixtureBytes(graphCases.cases[0]).subarray(0, 1000)), "not an ONNX model (protobuf decoding failed: "],
  ];
  for (const [name, bytes, message] of cases) {
    await assert.rejects(importOnnx(await bytes, name), (e: Error) => {
      assert.ok(e.message.startsWith(`${name}: ${message}`), `${name}: ${e.message}`);
      return true;
    });
  }
  // A running graph refuses what the trial run could not see, naming the node.
  const model = (await importOnnx(fixtureBytes(graphCases.cases[0]), "emb.onnx")).model as OnnxGraph;
  assert.throws(() => model.forward(new Tensor(Float32Array.from([1, 12]), [2, 1])), /^Error: OnnxGraph: node '\/embed\/Gather' \(op Gather, opset 14\): index 12 at position 1 is out of range for an axis of size 10$/);
  assert.throws(() => model.forward(new Tensor(Float32Array.from([1, 2]), [1, 2, 1])), /input 'ids' is \[1, 2, 1\] but the graph reads \[time, batch\]/);
  // A model file's spec is checked like a file: a graph the interpreter would refuse is not written (nor read).
  assert.throws(() => encodeModel(model, { type: "OnnxGraph", options: { graph: { ...model.graph, opset: 9 } } }), /OnnxGraph: .*ai\.onnx opset 9 is not run by the graph interpreter/);
  assert.throws(() => encodeModel(model, { type: "OnnxGraph", options: { graph: { ...model.graph, nodes: "none" } } }), /graph\.nodes is malformed \(not as an OnnxGraph writes it\)/);
  model.dispose();
});

// ---- round trips ----

test("round trips: a (fine-tuned) graph → .onnx → importOnnx gives identical parameters and outputs, onnxruntime runs it; → .safetensors → decodeModel bit-identical", async (t) => {
  for (const c of graphCases.cases) {
    const { model } = await importOnnx(fixtureBytes(c), c.file);
    // Move the weights so that the export must carry the current values, not the file's.
    for (const p of model.parameters()) for (let k = 0; k < p.size; k++) p.data[k] += 0.01 * Math.sin(k + 1);
    const inputs = Object.values(c.runs[0].inputs).map(tensorOf);
    const want = noGrad(() => (model as OnnxGraph).run(...inputs));

    const bytes = await exportOnnx(model);
    const again = await importOnnx(bytes, `${c.name} again`);
    assert.equal(again.kind, "graph");
    assert.deepEqual(again.model.stateDict(), model.stateDict(), `${c.name}: parameters`);
    const got = noGrad(() => (again.model as OnnxGraph).run(...inputs));
    got.forEach((y, k) => assert.deepEqual(y.data, want[k].data, `${c.name}: output ${k} after .onnx`));

    const session = await ort.InferenceSession.create(bytes);
    const feeds = Object.fromEntries(Object.entries(c.runs[0].inputs).map(([n, x]) => [n, x.dtype === "int64"
      ? new ort.Tensor("int64", BigInt64Array.from(x.data.map(BigInt)), x.shape) : new ort.Tensor("float32", Float32Array.from(x.data), x.shape)]));
    const ortOut = await session.run(feeds);
    const worst = Math.max(...session.outputNames.map((n, k) => assertClose(want[k].data, Array.from(ortOut[n].data as Float32Array), `${c.name} ${n}: onnxruntime on the export`)));
    t.diagnostic(`${c.name}: fine-tuned export, worst |rnnkit − onnxruntime| ${worst.toExponential(2)}`);

    const file = encodeModel(model);
    const loaded = decodeModel(file, `${c.name}.safetensors`);
    assert.deepEqual(loaded.spec, (model as OnnxGraph).modelSpec());
    const fromFile = noGrad(() => (loaded.model as OnnxGraph).run(...inputs));
    fromFile.forEach((y, k) => assert.deepEqual(y.data, want[k].data, `${c.name}: output ${k} after .safetensors`));
    for (const m of [model, again.model, loaded.model]) m.dispose();
  }
});

// ---- the CLI: predict and convert with graphs ----

const main = resolve("build/src/cli/main.js");
const register = resolve("build/src/node/register.js");
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", register, main, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("rnnkit predict runs a graph on int64 token ids and on several inputs and matches PyTorch; convert writes .safetensors and .onnx and refuses model.json", async (t) => {
  const emb = graphCases.cases.find((c) => c.name === "emb_lstm_logsoftmax")!;
  writeFileSync(join(dir, "emb.onnx"), fixtureBytes(emb));
  const ids = emb.runs[0].inputs.ids;
  writeNpyFile(join(dir, "ids.npy"), { dtype: "int64", shape: ids.shape, data: BigInt64Array.from(ids.data.map(BigInt)) });
  let r = cli("predict", "emb.onnx", "ids.npy", "-o", "logp.npy");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `wrote logp.npy: float32 (${emb.runs[0].outputs.logp.shape.join(", ")}), the output of OnnxGraph(ids int64)\n`);
  const worstIds = assertClose(readNpyFile(join(dir, "logp.npy")).data as Float32Array, emb.runs[0].outputs.logp.data, "predict emb.onnx");

  const st = graphCases.cases.find((c) => c.name === "lstm_h0c0")!;
  writeFileSync(join(dir, "states.onnx"), fixtureBytes(st));
  const run = st.runs[0];
  for (const [n, x] of Object.entries(run.inputs)) writeNpyFile(join(dir, `${n}.npy`), { dtype: "float32", shape: x.shape, data: Float32Array.from(x.data) });
  r = cli("predict", "states.onnx", "x.npy", "h0.npy", "c0.npy", "-o", "y.npy");
  assert.equal(r.code, 0, r.stderr);
  const worstStates = assertClose(readNpyFile(join(dir, "y.npy")).data as Float32Array, run.outputs.y.data, "predict states.onnx");
  r = cli("predict", "states.onnx", "x.npy", "h0.npy");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /OnnxGraph\(x float32, h0 float32, c0 float32\) reads 3 arrays \(x \[time, batch, 3\], then h0 \[1, batch, 5\], then c0 \[1, batch, 5\]\), got 2/);
  t.diagnostic(`predict: worst |rnnkit − PyTorch| ${Math.max(worstIds, worstStates).toExponential(2)}`);

  r = cli("convert", "emb.onnx", "emb.safetensors");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "wrote emb.safetensors: OnnxGraph as rnnkit model files\n");
  r = cli("predict", "emb.safetensors", "ids.npy", "-o", "logp2.npy");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readNpyFile(join(dir, "logp2.npy")).data, readNpyFile(join(dir, "logp.npy")).data);
  const saved = loadModel(join(dir, "emb.safetensors"));
  assert.ok(saved.model instanceof OnnxGraph);
  saved.model.dispose();

  r = cli("convert", "emb.safetensors", "emb2.onnx");
  assert.equal(r.code, 0, r.stderr);
  const back = await importOnnx(new Uint8Array(readFileSync(join(dir, "emb2.onnx"))), "emb2.onnx");
  const first = await importOnnx(fixtureBytes(emb), emb.file);
  assert.deepEqual(back.model.stateDict(), first.model.stateDict());
  back.model.dispose();
  first.model.dispose();

  r = cli("convert", "emb.onnx", "tfjs/model.json");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /convert: emb\.onnx → tfjs\/model\.json: an ONNX graph run by rnnkit's interpreter \(OnnxGraph\) is not written as a TensorFlow\.js layers model: only recurrent stacks lifted into SequenceToSequence, SequenceToVector or RNN \/ LSTM \/ GRU map to Keras layers/);
  assert.ok(!existsSync(join(dir, "tfjs", "model.json")));
});

test("docs/onnx.md's graph example runs as written", () => {
  const { stdout } = runDocExample("docs/onnx.md", "Graphs", resolve("."));
  assert.equal(stdout, "graph 3x3x10\ntrue\ngraph\n");
});
