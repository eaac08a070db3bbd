/**
 * `rnnkit predict` end to end, through the published program (build/src/cli/main.js) in child
 * processes: small untrained models built and saved here, inputs written with `writeNpyFile`, and
 * the output file compared bit for bit with the model's own forward output in this process — a
 * SequenceToVector on a batch and on one sequence, a character model fed int64 and int32 token
 * ids, a batch-first GRU fed float64, an EncoderDecoder's two inputs, a VectorToSequence with
 * --steps and a Linear. Every refusal (wrong shape, dtype or count, an id out of range, a model
 * format not read, a corrupt array, a bad -o) exits 2 with one `rnnkit:` line and writes nothing.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  EncoderDecoder, Linear, Rng, SequenceToSequence, SequenceToVector, Tensor, VectorToSequence, noGrad, oneHot, specOf,
  type Module, type NpyArray,
} from "../src/index.js";
import { readNpyFile, saveModel, writeNpyFile } from "../src/node/index.js";
import { VOCAB_KEY } from "../src/cli/sample.js";

const dir = mkdtempSync(join(tmpdir(), "rnnkit-predict-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const main = resolve("build/src/cli/main.js");
const register = resolve("build/src/node/register.js");

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", register, main, "predict", ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Saves `model` (with optional metadata) in the test directory and returns the file name. */
function save(name: string, model: Module, metadata: Record<string, string> = {}): string {
  saveModel(join(dir, name), model, specOf(model), metadata);
  return name;
}

/** Writes an array in the test directory and returns the file name. */
function npy(name: string, array: NpyArray): string {
  writeNpyFile(join(dir, name), array);
  return name;
}

function normal(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

const bits = (a: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Runs predict with -o and checks the file against `want` (shape and float32 bits). */
function expectOutput(args: string[], want: { shape: number[]; data: Float32Array | Float64Array }, label: string): void {
  const out = `${label}.out.npy`;
  const r = cli(...args, "-o", out);
  assert.equal(r.code, 0, `${label}: ${r.stderr}`);
  assert.equal(r.stderr, "", label);
  assert.match(r.stdout, new RegExp(`^wrote ${out.replace(/\./g, "\\.")}: float32 \\(`), label);
  const y = readNpyFile(join(dir, out));
  assert.equal(y.dtype, "float32", label);
  assert.deepEqual(y.shape, want.shape, label);
  const expected = want.data instanceof Float32Array ? want.data : Float32Array.from(want.data);
  assert.ok(bits(y.data as Float32Array).equals(bits(expected)), `${label}: the output differs from the model's own forward output`);
}

test("a SequenceToVector on a batch [T, B, I] and on one sequence [T, I]: the model's own output, bit for bit", () => {
  const model = new SequenceToVector({ cell: "lstm", inputSize: 4, hiddenSize: 5, outputSize: 3, rng: new Rng(1) });
  const file = save("s2v.safetensors", model);
  const x = normal(new Rng(2), 6 * 2 * 4);
  npy("x.npy", { dtype: "float32", shape: [6, 2, 4], data: x });
  const y = noGrad(() => model.forward(new Tensor(x, [6, 2, 4])));
  expectOutput([file, "x.npy"], { shape: [2, 3], data: y.data }, "batch");

  const one = x.slice(0, 6 * 4);
  npy("one.npy", { dtype: "float32", shape: [6, 4], data: one });
  const y1 = noGrad(() => model.forward(new Tensor(one, [6, 1, 4])));
  expectOutput([file, "one.npy"], { shape: [3], data: y1.data }, "one sequence");

  // Without -o: the shape and a summary on stdout.
  const r = cli(file, "x.npy");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines[0], "SequenceToVector(lstm, input 4) on x.npy: output float32 (2, 3)");
  const data = Array.from(y.data);
  const fmt = (v: number) => String(Number(v.toPrecision(6)));
  assert.equal(lines[1], `  min ${fmt(Math.min(...data))}  max ${fmt(Math.max(...data))}  mean ${fmt(data.reduce((a, b) => a + b) / data.length)}`);
  assert.equal(lines[2], `  first values (C order): ${data.map(fmt).join(", ")}`);
  model.dispose();
});

test("a character model (rnnkit.vocab) reads int64 / int32 token ids [T, B] or [T] and one-hot encodes them", () => {
  const chars = ["a", "b", "c", " ", "\n"];
  const V = chars.length;
  const model = new SequenceToSequence({ cell: "gru", inputSize: V, hiddenSize: 6, outputSize: V, rng: new Rng(3) });
  const file = save("char.safetensors", model, { [VOCAB_KEY]: JSON.stringify(chars) });
  const ids = [0, 4, 1, 3, 2, 2, 3, 0];
  npy("ids.npy", { dtype: "int64", shape: [4, 2], data: BigInt64Array.from(ids, BigInt) });
  const y = noGrad(() => model.forward(new Tensor(oneHot(ids, V).data, [4, 2, V])));
  expectOutput([file, "ids.npy"], { shape: [4, 2, V], data: y.data }, "char batch");

  npy("ids32.npy", { dtype: "int32", shape: [5], data: Int32Array.from([1, 2, 3, 4, 0]) });
  const y1 = noGrad(() => model.forward(new Tensor(oneHot([1, 2, 3, 4, 0], V).data, [5, 1, V])));
  expectOutput([file, "ids32.npy"], { shape: [5, V], data: y1.data }, "char sequence");
  model.dispose();
});

test("a topology with a token input (vocabSize) reads int64 / int32 ids [T, B], [B, T] batch-first, or one sequence", () => {
  const model = new SequenceToSequence({ cell: "lstm", vocabSize: 7, embeddingSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(30) });
  const file = save("tokens.safetensors", model);
  const ids = [0, 6, 1, 3, 2, 2]; // [T 3, B 2]
  npy("tok64.npy", { dtype: "int64", shape: [3, 2], data: BigInt64Array.from(ids, BigInt) });
  const y = noGrad(() => model.forward(new Tensor(Float32Array.from(ids), [3, 2])));
  expectOutput([file, "tok64.npy"], { shape: [3, 2, 2], data: y.data }, "token batch");
  npy("tok32.npy", { dtype: "int32", shape: [4], data: Int32Array.from([5, 0, 6, 1]) });
  const y1 = noGrad(() => model.forward(new Tensor(Float32Array.from([5, 0, 6, 1]), [4, 1])));
  expectOutput([file, "tok32.npy"], { shape: [4, 2], data: y1.data }, "token sequence");
  const bf = new SequenceToVector({ cell: "gru", vocabSize: 5, embeddingSize: 2, hiddenSize: 3, outputSize: 2, batchFirst: true, rng: new Rng(31) });
  npy("tokbf.npy", { dtype: "int32", shape: [2, 3], data: Int32Array.from([4, 0, 1, 2, 3, 3]) });
  const yb = noGrad(() => bf.forward(new Tensor(Float32Array.from([4, 0, 1, 2, 3, 3]), [2, 3])));
  expectOutput([save("tokbf.safetensors", bf), "tokbf.npy"], { shape: [2, 2], data: yb.data }, "batch-first token batch");
  const floats = cli(file, npy("tokf.npy", { dtype: "float32", shape: [3, 2], data: new Float32Array(6) }));
  assert.equal(floats.code, 2);
  assert.equal(floats.stderr, "rnnkit: tokf.npy: dtype float32 but SequenceToSequence(lstm, token ids, vocabulary 7) reads integer token ids (int32 or int64) [T, B] or [T]\n");
  const big = cli(file, npy("tokbig.npy", { dtype: "int32", shape: [2], data: Int32Array.from([1, 7]) }));
  assert.equal(big.code, 2);
  assert.match(big.stderr, /^rnnkit: tokbig\.npy: .*7.*\n$/);
  model.dispose();
  bf.dispose();
});

test("other model types: a batch-first GRU fed float64, an EncoderDecoder, a VectorToSequence with --steps, a Linear", () => {
  const rng = new Rng(4);
  const gru = new SequenceToSequence({ cell: "gru", inputSize: 3, hiddenSize: 4, outputSize: 2, batchFirst: true, rng: new Rng(5) });
  const x64 = Float64Array.from({ length: 2 * 5 * 3 }, () => rng.normal());
  npy("x64.npy", { dtype: "float64", shape: [2, 5, 3], data: x64 });
  const yg = noGrad(() => gru.forward(new Tensor(Float32Array.from(x64), [2, 5, 3])));
  expectOutput([save("gru.safetensors", gru), "x64.npy"], { shape: [2, 5, 2], data: yg.data }, "batch-first gru");

  const ed = new EncoderDecoder({ cell: "lstm", sourceVocabSize: 6, targetVocabSize: 5, embeddingSize: 3, hiddenSize: 4, rng: new Rng(6) });
  const src = [1, 5, 0, 2, 3, 3];
  const tgt = [0, 0, 4, 1];
  npy("src.npy", { dtype: "int64", shape: [3, 2], data: BigInt64Array.from(src, BigInt) });
  npy("tgt.npy", { dtype: "int32", shape: [2, 2], data: Int32Array.from(tgt) });
  const ye = noGrad(() => ed.forward(new Tensor(Float32Array.from(src), [3, 2]), new Tensor(Float32Array.from(tgt), [2, 2])));
  expectOutput([save("ed.safetensors", ed), "src.npy", "tgt.npy"], { shape: [2, 2, 5], data: ye.data }, "encoder-decoder");

  const v2s = new VectorToSequence({ cell: "rnn", inputSize: 2, hiddenSize: 3, outputSize: 1, rng: new Rng(7) });
  const v = normal(rng, 2);
  npy("v.npy", { dtype: "float32", shape: [2], data: v });
  const yv = noGrad(() => v2s.forward(new Tensor(v, [1, 2]), 4));
  const v2sFile = save("v2s.safetensors", v2s);
  expectOutput([v2sFile, "v.npy", "--steps", "4"], { shape: [4, 1], data: yv.data }, "vector-to-sequence");
  const noSteps = cli(v2sFile, "v.npy");
  assert.equal(noSteps.code, 2);
  assert.equal(noSteps.stderr, "rnnkit: VectorToSequence(rnn, input 2) generates a sequence from v [B, 2] or [2]; give the number of steps to generate (--steps N)\n");

  const lin = new Linear({ inFeatures: 3, outFeatures: 2, rng: new Rng(8) });
  const xl = normal(rng, 2 * 2 * 3);
  npy("xl.npy", { dtype: "float32", shape: [2, 2, 3], data: xl });
  const yl = noGrad(() => lin.forward(new Tensor(xl, [2, 2, 3])));
  const linFile = save("linear.safetensors", lin);
  expectOutput([linFile, "xl.npy"], { shape: [2, 2, 2], data: yl.data }, "linear");
  npy("xl1.npy", { dtype: "float32", shape: [3], data: xl.slice(0, 3) });
  const yl1 = noGrad(() => lin.forward(new Tensor(xl.slice(0, 3), [3])));
  expectOutput([linFile, "xl1.npy"], { shape: [2], data: yl1.data }, "linear, one row");
  for (const m of [gru, ed, v2s, lin]) m.dispose();
});

test("predict is listed in the program's help; its own help says what each model type reads, with examples", () => {
  const top = spawnSync(process.execPath, [main, "--help"], { encoding: "utf8" });
  assert.match(top.stdout, /^ {2}predict \[options\] <model-file> <inputs\.\.\.> +run a saved model on NumPy arrays/m);
  const r = cli("--help");
  assert.equal(r.code, 0, r.stderr);
  for (const w of ["-o, --output <file.npy>", "--steps <n>", "SequenceToVector, SequenceToSequence, RNN, LSTM, GRU", "rnnkit.vocab", "EncoderDecoder"]) {
    assert.ok(r.stdout.includes(w), `predict --help lacks ${w}`);
  }
  assert.match(r.stdout, /\nExamples:\n {2}\$ rnnkit predict classifier\.safetensors x\.npy -o y\.npy\n/);
});

test("refusals exit 2 with one line naming the file and what was expected, and write nothing", () => {
  const s2v = save("r-s2v.safetensors", new SequenceToVector({ cell: "lstm", inputSize: 4, hiddenSize: 3, outputSize: 2, rng: new Rng(9) }));
  const char = save("r-char.safetensors", new SequenceToSequence({ cell: "lstm", inputSize: 3, hiddenSize: 3, outputSize: 3, rng: new Rng(10) }), {
    [VOCAB_KEY]: JSON.stringify(["x", "y", "z"]),
  });
  const ed = save("r-ed.safetensors", new EncoderDecoder({ cell: "gru", sourceVocabSize: 4, targetVocabSize: 4, embeddingSize: 2, hiddenSize: 3, rng: new Rng(11) }));
  npy("r-x53.npy", { dtype: "float32", shape: [5, 3], data: new Float32Array(15) });
  npy("r-x.npy", { dtype: "float32", shape: [5, 2, 4], data: new Float32Array(40) });
  npy("r-empty.npy", { dtype: "float32", shape: [0, 2, 4], data: new Float32Array(0) });
  npy("r-ids.npy", { dtype: "int64", shape: [3, 2], data: BigInt64Array.from([0n, 1n, 2n, 3n, 1n, 0n]) });
  npy("r-ids2.npy", { dtype: "int64", shape: [2, 3], data: BigInt64Array.from([0n, 1n, 2n, 0n, 1n, 2n]) });
  npy("r-ids1.npy", { dtype: "int64", shape: [2], data: BigInt64Array.from([0n, 1n]) });
  const cases: Array<[string[], string]> = [
    [[s2v, "r-x53.npy"], "r-x53.npy: shape (5, 3) but SequenceToVector(lstm, input 4) reads [T, B, 4] or [T, 4]"],
    [[s2v, "r-empty.npy"], "r-empty.npy: shape (0, 2, 4) has no steps (T = 0), but SequenceToVector(lstm, input 4) reads [T, B, 4] or [T, 4]"],
    [[s2v, "r-ids.npy"], "r-ids.npy: dtype int64 but SequenceToVector(lstm, input 4) reads float32 or float64 features [T, B, 4] or [T, 4]"],
    [[char, "r-x.npy"], "r-x.npy: dtype float32 but SequenceToSequence(lstm, vocabulary 3) reads integer token ids (int32 or int64) [T, B] or [T]"],
    [[char, "r-ids.npy"], "r-ids.npy: token id 3 at [1, 1] is outside [0, 3) (a vocabulary of 3)"],
    [[s2v, "r-x.npy", "r-x.npy"], "SequenceToVector(lstm, input 4) reads 1 array (x [T, B, 4] or [T, 4]), got 2: r-x.npy, r-x.npy"],
    [[ed, "r-ids.npy"], "EncoderDecoder(gru, source vocabulary 4, target vocabulary 4) reads 2 arrays (src [T_in, B] or [T_in], then tgtIn [T_out, B] or [T_out]), got 1: r-ids.npy"],
    [[ed, "r-ids.npy", "r-ids2.npy"], "r-ids2.npy: shape (2, 3) has B = 3 where the other input has B = 2, but EncoderDecoder(gru, source vocabulary 4, target vocabulary 4) reads tgtIn as [T_out, B] or [T_out]"],
    [[ed, "r-ids.npy", "r-ids1.npy"], "r-ids1.npy: one sequence (no batch axis B) but r-ids.npy is a batch; give both with B or both without"],
    [["model.pth", "r-x.npy"], "model.pth: a PyTorch pickle; predict reads rnnkit model files (.safetensors), ONNX models (.onnx), TensorFlow.js layers models (.json), Keras models (.keras, .h5, .hdf5) today"],
    [["missing.safetensors", "r-x.npy"], "missing.safetensors: no such file; expected a model file: rnnkit model files (.safetensors), ONNX models (.onnx), TensorFlow.js layers models (.json), Keras models (.keras, .h5, .hdf5)"],
    [[s2v, "missing.npy"], "missing.npy: no such file; expected a NumPy array file (.npy, written by np.save)"],
    [[s2v, resolve("test/fixtures/npy/bigendian.npy")], `${resolve("test/fixtures/npy/bigendian.npy")}: header: 'descr' is ">f4": big-endian data, which is not read; save it little-endian (a.astype('<f4'))`],
    [[save("r-linear.safetensors", new Linear({ inFeatures: 3, outFeatures: 2, rng: new Rng(12) })), "r-x.npy"], "r-x.npy: shape (5, 2, 4) but Linear(in 3, out 2) reads [..., 3]"],
    [[s2v, "r-x.npy", "--steps", "3"], "SequenceToVector(lstm, input 4) reads whole sequences; the number of steps applies to VectorToSequence models only"],
    [[s2v, "r-x.npy", "--steps", "0"], "predict: --steps must be a positive integer, got '0'"],
    [[s2v, "r-x.npy", "-o", "out.csv"], "predict: -o out.csv: the output is written as a NumPy array; give a path ending in .npy"],
  ];
  for (const [args, message] of cases) {
    const withOut = args.includes("-o") ? args : [...args, "-o", "never.npy"];
    const r = cli(...withOut);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr, `rnnkit: ${message}\n`, args.join(" "));
    assert.equal(r.stdout, "");
  }
  assert.ok(!existsSync(join(dir, "never.npy")) && !existsSync(join(dir, "out.csv")), "nothing written");
});
