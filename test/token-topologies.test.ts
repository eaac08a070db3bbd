/**
 * SequenceToVector and SequenceToSequence with a token input (vocabSize + embeddingSize):
 * the fused model against its Embedding and the feature-input topology composed by hand,
 * finite differences through the table, model files (round trip, strict options), streaming
 * one id per step against the whole-sequence forward, and predict on int32 / int64 ids.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import "../src/backend/ts/index.js";
import { Tensor, type DType } from "../src/tensor/tensor.js";
import { Rng } from "../src/tensor/random.js";
import { ShapeError } from "../src/tensor/shape.js";
import { assertGradcheck } from "../src/autograd/gradcheck.js";
import { noGrad } from "../src/autograd/tape.js";
import { tanh } from "../src/ops/index.js";
import { Embedding } from "../src/nn/embedding.js";
import { SequenceToSequence, SequenceToVector, VectorToSequence } from "../src/nn/topologies.js";
import { StepRunner } from "../src/nn/streaming.js";
import { generateText } from "../src/nn/generate.js";
import { decodeModel, encodeModel } from "../src/io/model-file.js";
import { encodeSafetensors, decodeSafetensors, SafetensorsError } from "../src/io/safetensors.js";
import { predictArrays } from "../src/io/predict-arrays.js";
import type { CellKind } from "../src/ops/recurrent.js";
import { assertClose } from "./support/close.js";

const tol = {
  /** Central differences of float64 models: gradcheck's defaults. */
  gradcheck: { eps: 1e-6, rtol: 1e-5, atol: 1e-8 },
  /** Streaming vs whole-sequence forward in float32: the same products summed in another order (one affine call per step). */
  stream32: { atol: 1e-6, rtol: 1e-6 },
};

/** Random token ids in [0, V) laid out as `shape`, as a Tensor (the ids convention of EncoderDecoder). */
function ids(rng: Rng, V: number, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return Tensor.from(Array.from({ length: n }, () => Math.floor(rng.uniform() * V)), shape);
}

const data = (t: Tensor) => Array.from(t.data);

test("token input: forward equals Embedding then the feature-input topology with the same weights, bit for bit", () => {
  const cases: Array<{ cell: CellKind; batchFirst: boolean; bidirectional: boolean; numLayers: number }> = [
    { cell: "lstm", batchFirst: false, bidirectional: false, numLayers: 1 },
    { cell: "gru", batchFirst: true, bidirectional: true, numLayers: 2 },
    { cell: "rnn", batchFirst: false, bidirectional: false, numLayers: 2 },
  ];
  for (const [k, c] of cases.entries()) {
    const common = { cell: c.cell, hiddenSize: 5, outputSize: 3, batchFirst: c.batchFirst, bidirectional: c.bidirectional, numLayers: c.numLayers };
    const s2s = new SequenceToSequence({ ...common, vocabSize: 7, embeddingSize: 4, rng: new Rng(k) });
    const s2v = new SequenceToVector({ ...common, vocabSize: 7, embeddingSize: 4, inputSize: 4, rng: new Rng(10 + k) });
    for (const model of [s2s, s2v]) {
      assert.equal(model.namedParameters()[0][0], "embedding.weight");
      assert.deepEqual(model.embedding!.weight.shape, [7, 4]);
      const plain = model instanceof SequenceToSequence
        ? new SequenceToSequence({ ...common, inputSize: 4, rng: new Rng(99) })
        : new SequenceToVector({ ...common, inputSize: 4, rng: new Rng(99) });
      plain.loadStateDict(Object.fromEntries(model.namedParameters().filter(([n]) => n !== "embedding.weight")));
      const table = new Embedding({ numEmbeddings: 7, embeddingDim: 4, rng: new Rng(98) });
      table.loadStateDict({ weight: model.embedding!.weight });
      const x = ids(new Rng(20 + k), 7, c.batchFirst ? [3, 6] : [6, 3]);
      const lengths = [6, 2, 4];
      const got = noGrad(() => model.forward(x, { lengths }));
      const want = noGrad(() => plain.forward(table.forward(x), { lengths }));
      assert.deepEqual(got.shape, want.shape);
      assert.deepEqual(data(got), data(want), `${model.constructor.name} ${c.cell}`);
    }
  }
});

test("token input: gradients through the table, the stack and the head match finite differences (float64)", () => {
  const s2s = new SequenceToSequence({ cell: "lstm", vocabSize: 5, embeddingSize: 3, hiddenSize: 3, outputSize: 2, rng: new Rng(1), dtype: "float64" });
  const x = Tensor.from([[1, 4], [1, 0], [3, 3]]); // [T 3, B 2]; id 1 twice and 3 twice: repeated rows accumulate
  assertGradcheck(() => tanh(s2s.forward(x, { lengths: [3, 2] })), s2s.parameters(), tol.gradcheck);
  const s2v = new SequenceToVector({ cell: "gru", vocabSize: 4, embeddingSize: 2, hiddenSize: 3, outputSize: 2, batchFirst: true, rng: new Rng(2), dtype: "float64" });
  assertGradcheck(() => s2v.forward(Tensor.from([[0, 2, 2], [3, 1, 0]])), s2v.parameters(), tol.gradcheck);
});

test("token input: refused options and inputs name what was expected", () => {
  const base = { cell: "lstm" as const, hiddenSize: 3, outputSize: 2, rng: new Rng(0) };
  assert.throws(() => new SequenceToVector({ ...base, vocabSize: 5 }), /give both vocabSize and embeddingSize/);
  assert.throws(() => new SequenceToVector({ ...base, embeddingSize: 5 }), /give both vocabSize and embeddingSize/);
  assert.throws(() => new SequenceToSequence({ ...base, vocabSize: 5, embeddingSize: 3, inputSize: 4 }), /inputSize 4 must equal embeddingSize 3/);
  assert.throws(() => new SequenceToSequence({ ...base, vocabSize: 0, embeddingSize: 3 }), /vocabSize/);
  assert.throws(() => new VectorToSequence({ ...base, inputSize: 2, vocabSize: 5, embeddingSize: 3 } as never), /vocabSize/);
  const m = new SequenceToSequence({ ...base, vocabSize: 5, embeddingSize: 3, batchFirst: true });
  assert.throws(() => m.forward(Tensor.zeros([2, 4, 3])), (e: unknown) => e instanceof ShapeError && /token ids \[B, T\]/.test(e.message));
  assert.throws(() => m.forward(Tensor.from([[0, 5]])), /5/);
});

test("token input: a model file round trip is bit-identical; the options are checked strictly; old files read as before", () => {
  for (const dtype of ["float32", "float64"] as DType[]) {
    const m = new SequenceToSequence({ cell: "gru", vocabSize: 6, embeddingSize: 3, hiddenSize: 4, outputSize: 2, batchFirst: true, rng: new Rng(3), dtype });
    const loaded = decodeModel<SequenceToSequence>(encodeModel(m), "m.safetensors").model;
    assert.ok(loaded instanceof SequenceToSequence && loaded.embedding !== null);
    assert.deepEqual(loaded.namedParameters().map(([n, p]) => [n, p.dtype, data(p)]), m.namedParameters().map(([n, p]) => [n, p.dtype, data(p)]));
    const x = ids(new Rng(4), 6, [2, 5]);
    assert.deepEqual(data(noGrad(() => loaded.forward(x))), data(noGrad(() => m.forward(x))));
  }
  const v = new SequenceToVector({ cell: "lstm", vocabSize: 6, embeddingSize: 3, inputSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(5) });
  assert.ok(decodeModel<SequenceToVector>(encodeModel(v)).model.embedding !== null);

  // A file whose spec is edited: rewrite the metadata of a good file, keeping its tensors.
  const good = new SequenceToVector({ cell: "lstm", vocabSize: 6, embeddingSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(6) });
  const withOptions = (edit: (o: Record<string, unknown>) => void): Uint8Array => {
    const { tensors, metadata } = decodeSafetensors(encodeModel(good), "good");
    const spec = JSON.parse(metadata["rnnkit.model"]) as { type: string; options: Record<string, unknown> };
    edit(spec.options);
    return encodeSafetensors([...tensors], { ...metadata, "rnnkit.model": JSON.stringify(spec) });
  };
  const refused = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => decodeModel(bytes, "bad.safetensors"), (e: unknown) => e instanceof SafetensorsError && /^bad\.safetensors: /.test(e.message) && pattern.test(e.message));
  refused(withOptions((o) => delete o.embeddingSize), /vocabSize and embeddingSize go together/);
  refused(withOptions((o) => { o.inputSize = 5; }), /inputSize is 5 but must equal embeddingSize 3/);
  refused(withOptions((o) => { o.vocabSize = 7; }), /embedding\.weight.*\[6, 3\] in the file, \[7, 3\] expected/);
  refused(withOptions((o) => { o.vocabSize = 0; }), /option vocabSize is 0/);
  refused(withOptions((o) => { delete o.vocabSize; delete o.embeddingSize; }), /option inputSize is missing/);
  refused(withOptions((o) => { delete o.vocabSize; delete o.embeddingSize; o.inputSize = 3; }), /unexpected: "embedding\.weight"/);
  // VectorToSequence has no token input.
  const v2s = new VectorToSequence({ cell: "rnn", inputSize: 2, hiddenSize: 3, outputSize: 1, rng: new Rng(7) });
  const { tensors, metadata } = decodeSafetensors(encodeModel(v2s), "v2s");
  const spec = JSON.parse(metadata["rnnkit.model"]) as { options: Record<string, unknown> };
  spec.options.vocabSize = 4;
  refused(encodeSafetensors([...tensors], { ...metadata, "rnnkit.model": JSON.stringify(spec) }), /option "vocabSize" is not an option of this type/);
  // A feature-input file keeps its spec exactly (no new keys written).
  const plain = new SequenceToVector({ cell: "gru", inputSize: 2, hiddenSize: 3, outputSize: 1, rng: new Rng(8) });
  assert.deepEqual(JSON.parse(decodeSafetensors(encodeModel(plain), "p").metadata["rnnkit.model"]), {
    type: "SequenceToVector", options: { cell: "gru", inputSize: 2, hiddenSize: 3, outputSize: 1 },
  });
});

test("token input: StepRunner fed one id per row and step equals the whole-sequence forward", () => {
  for (const [k, cell] of (["lstm", "gru", "rnn"] as CellKind[]).entries()) {
    for (const batchFirst of [false, true]) {
      const m = new SequenceToSequence({ cell, vocabSize: 8, embeddingSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 5, batchFirst, rng: new Rng(30 + k) });
      const T = 5, B = 2;
      const x = ids(new Rng(40 + k), 8, [T, B]); // time-major ids; transposed below for batch-first
      const xIn = batchFirst ? Tensor.from(Array.from({ length: B * T }, (_, i) => x.data[(i % T) * B + Math.floor(i / T)]), [B, T]) : x;
      const whole = noGrad(() => m.forward(xIn)).data;
      const runner = new StepRunner(m);
      let state = runner.initialState(B);
      for (let t = 0; t < T; t++) {
        const r = runner.step(Tensor.from(Array.from(x.data.slice(t * B, (t + 1) * B))), state);
        state = r.state;
        for (let b = 0; b < B; b++) {
          const at = batchFirst ? (b * T + t) * 5 : (t * B + b) * 5;
          assertClose(r.y.data.slice(b * 5, b * 5 + 5), whole.slice(at, at + 5), `${cell} batchFirst ${batchFirst} t ${t} b ${b}`, tol.stream32);
        }
      }
      assert.throws(() => runner.step(Tensor.zeros([B, 3])), /token ids/);
    }
  }
});

test("token input: generateText feeds character ids through the embedding", () => {
  const chars = ["a", "b", "c"];
  const m = new SequenceToSequence({ cell: "gru", vocabSize: 3, embeddingSize: 2, hiddenSize: 4, outputSize: 3, rng: new Rng(50) });
  const text = generateText(m, chars, { prime: "ab", length: 6, temperature: 0, rng: new Rng(1) });
  // Greedy decoding by hand with whole-sequence forwards over the growing text.
  let seq = "ab";
  for (let i = 0; i < 6; i++) {
    const y = noGrad(() => m.forward(Tensor.from([...seq].map((c) => chars.indexOf(c)), [seq.length, 1]))).data;
    const last = Array.from(y.slice((seq.length - 1) * 3));
    seq += chars[last.indexOf(Math.max(...last))];
  }
  assert.equal(text, seq.slice(2));
});

test("token input: predict reads int32 and int64 ids, batched or one sequence, and refuses floats and out-of-range ids", () => {
  const m = new SequenceToVector({ cell: "lstm", vocabSize: 5, embeddingSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(60) });
  const x = Tensor.from([[1, 4], [0, 2], [3, 3]]); // [T 3, B 2]
  const want = data(noGrad(() => m.forward(x)));
  const r32 = predictArrays(m, [{ name: "x.npy", array: { dtype: "int32", shape: [3, 2], data: Int32Array.from(x.data) } }]);
  assert.deepEqual(r32.output.shape, [2, 2]);
  assert.deepEqual(Array.from(r32.output.data), want);
  assert.match(r32.model, /token ids, vocabulary 5/);
  const r64 = predictArrays(m, [{ name: "x.npy", array: { dtype: "int64", shape: [3], data: BigInt64Array.from([1n, 0n, 3n]) } }]);
  assert.deepEqual(r64.output.shape, [2]);
  assert.deepEqual(Array.from(r64.output.data), Array.from(noGrad(() => m.forward(Tensor.from([[1], [0], [3]]))).data));
  assert.throws(() => predictArrays(m, [{ name: "x.npy", array: { dtype: "float32", shape: [3, 2], data: new Float32Array(6) } }]), /x\.npy: dtype float32 .*integer token ids/);
  assert.throws(() => predictArrays(m, [{ name: "x.npy", array: { dtype: "int32", shape: [1, 1], data: Int32Array.from([5]) } }]), /x\.npy/);
});
