/**
 * The nn building blocks and topologies: Embedding (gather, N(0,1) init, scatter-add
 * gradient), Dropout (seeded masks, inverted scaling, eval identity, gradient = mask),
 * Sequential (PyTorch child names, state-dict round trip and refusals), the four
 * sequence topologies (shapes, finite-difference gradients, a few optimizer steps that
 * learn a tiny task, an encoder–decoder that learns to reverse a sequence) and
 * streaming inference equal to the whole-sequence forward. The float32 equalities between
 * two paths through the kernels (streaming vs the whole sequence, a batch vs its rows
 * alone, greedy decoding vs the teacher-forced forward) run on every backend.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import "../src/backend/ts/index.js";
import { Tensor, type DType } from "../src/tensor/tensor.js";
import { Rng } from "../src/tensor/random.js";
import { ShapeError } from "../src/tensor/shape.js";
import { assertGradcheck } from "../src/autograd/gradcheck.js";
import { noGrad } from "../src/autograd/tape.js";
import { slice, tanh, transpose } from "../src/ops/index.js";
import { crossEntropy, mseLoss } from "../src/ops/loss.js";
import { Adam } from "../src/optim/index.js";
import {
  Dropout,
  Embedding,
  EncoderDecoder,
  Linear,
  Module,
  Sequential,
  SequenceToSequence,
  SequenceToVector,
  StepRunner,
  VectorToSequence,
} from "../src/nn/index.js";
import type { CellKind, RecurrentState } from "../src/ops/recurrent.js";
import { forEachBackend } from "./support/backends.js";

/** Named tolerances (STYLE principle 11). */
const tol = {
  /** Central differences of float64 models (eps 1e-6): the defaults of gradcheck. */
  gradcheck: { eps: 1e-6, rtol: 1e-5, atol: 1e-8 },
  /** Streaming vs whole-sequence forward in float32: the same op on the same rows, so in practice equal. */
  stream32: 1e-6,
  /** Two float32 runs of the same computation on the same data in a different batch grouping. */
  sameMath32: 1e-6,
};

const cells: readonly CellKind[] = ["rnn", "lstm", "gru"];

function randn(rng: Rng, shape: number[], dtype: DType = "float32"): Tensor {
  const t = Tensor.zeros(shape, { dtype });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A copy of a state dict without one entry. */
function without<V>(dict: Record<string, V>, name: string): Record<string, V> {
  const copy = { ...dict };
  delete copy[name];
  return copy;
}

/** Rows [from, to) of a time-major [T, B, ·] tensor's batch axis, as a new tensor. */
function batchRows(x: Tensor, from: number, to: number): Tensor {
  return noGrad(() => slice(x, 1, from, to));
}

// ---------------------------------------------------------------------------------------------
// Embedding

test("Embedding: weight [V, E] named 'weight', N(0, 1) from the given Rng, lookup shaped [...shape, E]", () => {
  const embed = new Embedding({ numEmbeddings: 5, embeddingDim: 3, rng: new Rng(1) });
  assert.deepEqual(embed.namedParameters().map(([n, t]) => [n, t.shape]), [["weight", [5, 3]]]);
  const again = new Embedding({ numEmbeddings: 5, embeddingDim: 3, rng: new Rng(1) });
  assert.deepEqual(again.weight.toArray(), embed.weight.toArray());

  const ids = [4, 0, 4, 2, 1, 3];
  const y = embed.forward(ids, [2, 3]);
  assert.deepEqual(y.shape, [2, 3, 3]);
  ids.forEach((id, n) => {
    for (let e = 0; e < 3; e++) assert.equal(y.data[n * 3 + e], embed.weight.get(id, e));
  });
  // A Tensor of ids gives its own shape.
  assert.deepEqual(embed.forward(Tensor.from(ids, [3, 2])).toArray(), embed.forward(ids, [3, 2]).toArray());
  assert.throws(() => embed.forward([5]), RangeError);
  assert.throws(() => embed.forward([1, 2, 3], [2, 2]), ShapeError);
  assert.throws(() => new Embedding({ numEmbeddings: 0, embeddingDim: 3, rng: new Rng(0) }), RangeError);
});

test("Embedding: N(0, 1) init has mean ≈ 0 and variance ≈ 1", () => {
  const n = 200 * 50;
  const w = new Embedding({ numEmbeddings: 200, embeddingDim: 50, rng: new Rng(2) }).weight.data;
  let s = 0;
  let s2 = 0;
  for (const v of w) {
    s += v;
    s2 += v * v;
  }
  // Five standard errors: sd(mean) = 1/√n, sd(mean of squares) = √(2/n).
  assert.ok(Math.abs(s / n) < 5 / Math.sqrt(n), `mean ${s / n}`);
  assert.ok(Math.abs(s2 / n - 1) < 5 * Math.sqrt(2 / n), `variance ${s2 / n}`);
});

test("Embedding: gradients (repeated rows accumulate) match finite differences in float64", () => {
  const embed = new Embedding({ numEmbeddings: 4, embeddingDim: 3, rng: new Rng(3), dtype: "float64" });
  const ids = [1, 3, 1, 1, 0];
  assertGradcheck(() => tanh(embed.forward(ids, [5])), [embed.weight], tol.gradcheck);

  embed.zeroGrad();
  embed.forward(ids).backward(new Float64Array(15).fill(1));
  const g = embed.weight.grad!;
  assert.deepEqual(Array.from(g.subarray(3, 6)), [3, 3, 3], "row 1 looked up three times");
  assert.deepEqual(Array.from(g.subarray(6, 9)), [0, 0, 0], "row 2 never looked up");
});

// ---------------------------------------------------------------------------------------------
// Dropout

test("Dropout: p must lie in [0, 1)", () => {
  for (const p of [-0.1, 1, 1.5, Number.NaN]) assert.throws(() => new Dropout({ p, rng: new Rng(0) }), RangeError, `p = ${p}`);
  assert.doesNotThrow(() => new Dropout({ p: 0, rng: new Rng(0) }));
});

test("Dropout: identity in eval mode and with p = 0; a fresh mask per forward; seeded masks repeat", () => {
  const x = randn(new Rng(4), [6, 7]);
  const drop = new Dropout({ p: 0.5, rng: new Rng(9) });
  drop.eval();
  assert.equal(drop.forward(x), x);
  drop.train();
  assert.equal(new Dropout({ p: 0, rng: new Rng(9) }).forward(x), x);

  const first = drop.forward(x).toArray();
  const second = drop.forward(x).toArray();
  assert.notDeepEqual(first, second, "the mask is drawn again on every forward");
  const twin = new Dropout({ p: 0.5, rng: new Rng(9) });
  assert.deepEqual(twin.forward(x).toArray(), first);
  assert.deepEqual(twin.forward(x).toArray(), second);
});

test("Dropout: survivors are scaled by 1/(1−p), the dropped fraction is ≈ p, the mean is preserved", () => {
  const n = 20000;
  const p = 0.3;
  const y = new Dropout({ p, rng: new Rng(11) }).forward(Tensor.ones([n]));
  const kept = Math.fround(1 / (1 - p));
  let zeros = 0;
  let sum = 0;
  for (const v of y.data) {
    assert.ok(v === 0 || v === kept, `value ${v}`);
    if (v === 0) zeros++;
    sum += v;
  }
  // Five standard errors of a Bernoulli(p) fraction, and of the mean of values with variance p/(1−p).
  assert.ok(Math.abs(zeros / n - p) < 5 * Math.sqrt((p * (1 - p)) / n), `dropped ${zeros / n}`);
  assert.ok(Math.abs(sum / n - 1) < 5 * Math.sqrt(p / (1 - p) / n), `mean ${sum / n}`);
});

test("Dropout: the gradient is the upstream gradient times mask/(1−p)", () => {
  const p = 0.4;
  const x = randn(new Rng(5), [50], "float64");
  x.requiresGrad = true;
  const y = new Dropout({ p, rng: new Rng(6) }).forward(x);
  const w = randn(new Rng(7), [50], "float64").data;
  y.backward(w);
  let dropped = 0;
  for (let i = 0; i < 50; i++) {
    const kept = y.data[i] !== 0;
    if (!kept) dropped++;
    assert.equal(x.grad![i], kept ? w[i] / (1 - p) : 0, `element ${i}`);
    if (kept) assert.equal(y.data[i], x.data[i] / (1 - p));
  }
  assert.ok(dropped > 0 && dropped < 50, "both kinds of element occur");
});

// ---------------------------------------------------------------------------------------------
// Sequential

function mlp(seed: number): Sequential {
  const rng = new Rng(seed);
  return new Sequential(
    new Linear({ inFeatures: 3, outFeatures: 5, rng }),
    new Dropout({ p: 0.5, rng }),
    new Linear({ inFeatures: 5, outFeatures: 2, rng }),
  );
}

test("Sequential: children named 0, 1, …; forward composes; train/eval reach the children", () => {
  const net = mlp(0);
  assert.deepEqual(
    net.namedParameters().map(([n, t]) => [n, t.shape]),
    [["0.weight", [5, 3]], ["0.bias", [5]], ["2.weight", [2, 5]], ["2.bias", [2]]],
  );
  assert.equal(net.length, 3);
  net.eval();
  assert.equal(net.layers[1].training, false);
  const x = randn(new Rng(1), [4, 3]);
  const [a, , c] = net.layers;
  assert.deepEqual(net.forward(x).toArray(), c.forward(a.forward(x)).toArray());
  assert.deepEqual(new Sequential().forward(x).toArray(), x.toArray());
});

test("Sequential: stateDict round trip; loadStateDict refuses missing, extra and misshaped tensors by name", () => {
  const src = mlp(1).eval();
  const dst = mlp(2).eval();
  const x = randn(new Rng(3), [4, 3]);
  dst.loadStateDict(src.stateDict());
  assert.deepEqual(dst.forward(x).toArray(), src.forward(x).toArray());

  const fresh = mlp(4).eval();
  const before = fresh.forward(x).toArray();
  const missing = without(src.stateDict(), "0.bias");
  assert.throws(() => fresh.loadStateDict(missing), (e: Error) => e instanceof ShapeError && /missing: 0\.bias/.test(e.message));
  const extra = { ...src.stateDict(), "3.weight": Tensor.zeros([2, 2]) };
  assert.throws(() => fresh.loadStateDict(extra), /unexpected: 3\.weight/);
  const misshaped = { ...src.stateDict(), "2.weight": Tensor.zeros([5, 2]) };
  assert.throws(() => fresh.loadStateDict(misshaped), /2\.weight: shape \[5, 2\] does not fit \[2, 5\]/);
  assert.deepEqual(fresh.forward(x).toArray(), before, "a refused load writes nothing");
});

// ---------------------------------------------------------------------------------------------
// Topologies: shapes and parameter names

test("SequenceToVector: [B, O] for every cell, uni- and bidirectional, stacked; names rnn.* and head.*", () => {
  const T = 5;
  const B = 3;
  const x = randn(new Rng(10), [T, B, 2]);
  for (const cell of cells) {
    for (const bidirectional of [false, true]) {
      const m = new SequenceToVector({ cell, inputSize: 2, hiddenSize: 4, numLayers: 2, bidirectional, outputSize: 3, rng: new Rng(0) });
      assert.deepEqual(m.forward(x).shape, [B, 3]);
      assert.deepEqual(m.forward(x, { lengths: [5, 2, 4] }).shape, [B, 3]);
      assert.deepEqual(m.head.weight.shape, [3, bidirectional ? 8 : 4]);
      const names = m.namedParameters().map(([n]) => n);
      assert.ok(names.includes("rnn.weight_ih_l1") && names.includes("head.bias"), names.join(", "));
      assert.equal(names.includes("rnn.weight_hh_l1_reverse"), bidirectional);
    }
  }
});

// On every backend: the batch takes the blocked GEMM, a row alone the matrix–vector path.
forEachBackend(() => {
  test("SequenceToVector: with lengths a row's result equals running that row's valid prefix alone", () => {
    const x = randn(new Rng(12), [6, 3, 2]);
    const lengths = [6, 2, 4];
    for (const cell of cells) {
      for (const bidirectional of [false, true]) {
        const m = new SequenceToVector({ cell, inputSize: 2, hiddenSize: 5, bidirectional, outputSize: 2, rng: new Rng(1) });
        const all = noGrad(() => m.forward(x, { lengths }));
        lengths.forEach((len, b) => {
          const alone = noGrad(() => m.forward(slice(batchRows(x, b, b + 1), 0, 0, len)));
          assert.ok(maxAbsDiff(alone.data, all.data.subarray(b * 2, b * 2 + 2)) <= tol.sameMath32, `${cell} bi=${bidirectional} row ${b}`);
        });
      }
    }
  });
});

test("SequenceToSequence: [T, B, O] time-major, [B, T, O] batch-first", () => {
  for (const cell of cells) {
    const tm = new SequenceToSequence({ cell, inputSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(0) });
    assert.deepEqual(tm.forward(randn(new Rng(1), [7, 2, 3])).shape, [7, 2, 2]);
    const bf = new SequenceToSequence({ cell, inputSize: 3, hiddenSize: 4, outputSize: 2, batchFirst: true, bidirectional: true, rng: new Rng(0) });
    assert.deepEqual(bf.forward(randn(new Rng(1), [2, 7, 3]), { lengths: [7, 3] }).shape, [2, 7, 2]);
  }
});

test("VectorToSequence: v [B, I] → [steps, B, O]; rejects a misshaped v and a bad step count", () => {
  for (const cell of cells) {
    const m = new VectorToSequence({ cell, inputSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(0) });
    assert.deepEqual(m.forward(randn(new Rng(1), [5, 3]), 6).shape, [6, 5, 2]);
    assert.throws(() => m.forward(randn(new Rng(1), [5, 4]), 6), (e: Error) => e instanceof ShapeError && /v \[5, 4\]/.test(e.message));
    assert.throws(() => m.forward(randn(new Rng(1), [5, 3]), 0), RangeError);
  }
  const bf = new VectorToSequence({ cell: "gru", inputSize: 3, hiddenSize: 4, outputSize: 2, batchFirst: true, rng: new Rng(0) });
  assert.deepEqual(bf.forward(randn(new Rng(1), [5, 3]), 6).shape, [5, 6, 2]);
});

test("topologies: a nonlinearity is refused for LSTM and GRU rather than ignored", () => {
  assert.throws(
    () => new SequenceToVector({ cell: "lstm", nonlinearity: "relu", inputSize: 1, hiddenSize: 2, outputSize: 1, rng: new Rng(0) }),
    /nonlinearity/,
  );
  const relu = new SequenceToVector({ cell: "rnn", nonlinearity: "relu", inputSize: 1, hiddenSize: 2, outputSize: 1, rng: new Rng(0) });
  assert.equal(relu.rnn.spec.nonlinearity, "relu");
});

// ---------------------------------------------------------------------------------------------
// Topologies: gradients

test("SequenceToVector (bidirectional LSTM, with lengths): gradients match finite differences", () => {
  const m = new SequenceToVector({ cell: "lstm", inputSize: 2, hiddenSize: 3, bidirectional: true, outputSize: 2, rng: new Rng(20), dtype: "float64" });
  const x = randn(new Rng(21), [4, 2, 2], "float64");
  assertGradcheck((xi) => m.forward(xi, { lengths: [4, 3] }), [x, ...m.parameters()], tol.gradcheck);
});

test("SequenceToSequence (2-layer GRU) and VectorToSequence (RNN, v repeated): gradients match finite differences", () => {
  const s2s = new SequenceToSequence({ cell: "gru", inputSize: 2, hiddenSize: 3, numLayers: 2, outputSize: 2, rng: new Rng(22), dtype: "float64" });
  const x = randn(new Rng(23), [3, 2, 2], "float64");
  assertGradcheck((xi) => s2s.forward(xi), [x, ...s2s.parameters()], tol.gradcheck);

  const v2s = new VectorToSequence({ cell: "rnn", inputSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(24), dtype: "float64" });
  const v = randn(new Rng(25), [2, 3], "float64");
  assertGradcheck((vi) => v2s.forward(vi, 4), [v, ...v2s.parameters()], tol.gradcheck);
});

test("EncoderDecoder (LSTM, token source): gradients of the teacher-forced logits match finite differences", () => {
  const m = new EncoderDecoder({
    cell: "lstm", sourceVocabSize: 4, targetVocabSize: 5, embeddingSize: 2, hiddenSize: 3, rng: new Rng(26), dtype: "float64",
  });
  const src = Tensor.from([[1, 2], [3, 0], [2, 2]]); // [3, 2]
  const tgtIn = Tensor.from([[0, 0], [4, 1]]); // [2, 2]
  assertGradcheck(() => m.forward(src, tgtIn, { srcLengths: [3, 2] }), m.parameters(), tol.gradcheck);
});

// ---------------------------------------------------------------------------------------------
// Topologies: a few optimizer steps learn a tiny task

/** Runs `steps` Adam steps on `loss()`; returns the first and last loss. */
function train(model: Module, loss: () => Tensor, steps: number, lr: number): [number, number] {
  const opt = new Adam(model, { lr });
  let first = NaN;
  let last = NaN;
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    const l = loss();
    if (s === 0) first = l.item();
    last = l.item();
    l.backward();
    opt.step();
  }
  return [first, last];
}

test("SequenceToVector learns the sign of a sequence's sum; SequenceToSequence learns a running mean", () => {
  const rng = new Rng(30);
  const T = 5;
  const B = 16;
  const x = randn(rng, [T, B, 1]);
  const sums = Array.from({ length: B }, (_, b) => {
    let s = 0;
    for (let t = 0; t < T; t++) s += x.data[t * B + b];
    return s;
  });
  const s2v = new SequenceToVector({ cell: "gru", inputSize: 1, hiddenSize: 8, outputSize: 2, rng });
  const labels = sums.map((s) => (s > 0 ? 1 : 0));
  const [a0, a1] = train(s2v, () => crossEntropy(s2v.forward(x), labels), 40, 0.05);
  assert.ok(a1 < 0.5 * a0, `cross-entropy ${a0} → ${a1}`);

  const running = Tensor.zeros([T, B, 1]);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = 0; t < T; t++) {
      s += x.data[t * B + b];
      running.data[t * B + b] = s / (t + 1);
    }
  }
  const s2s = new SequenceToSequence({ cell: "lstm", inputSize: 1, hiddenSize: 8, outputSize: 1, rng });
  const [b0, b1] = train(s2s, () => mseLoss(s2s.forward(x), running), 40, 0.05);
  assert.ok(b1 < 0.3 * b0, `MSE ${b0} → ${b1}`);
});

test("VectorToSequence learns two different waveforms from two codes", () => {
  const steps = 6;
  const v = Tensor.from([[1, 0], [0, 1]]);
  const target = Tensor.zeros([steps, 2, 1]);
  for (let t = 0; t < steps; t++) {
    target.data[t * 2] = Math.sin(t);
    target.data[t * 2 + 1] = t % 2 === 0 ? 0.5 : -0.5;
  }
  const m = new VectorToSequence({ cell: "lstm", inputSize: 2, hiddenSize: 12, outputSize: 1, rng: new Rng(31) });
  const [l0, l1] = train(m, () => mseLoss(m.forward(v, steps), target), 60, 0.05);
  assert.ok(l1 < 0.2 * l0, `MSE ${l0} → ${l1}`);
});

// ---------------------------------------------------------------------------------------------
// Encoder–decoder

test("EncoderDecoder: shapes, feature sources, and option / argument checks", () => {
  const tokens = new EncoderDecoder({ cell: "gru", sourceVocabSize: 7, targetVocabSize: 9, embeddingSize: 4, hiddenSize: 5, numLayers: 2, rng: new Rng(0) });
  const src = Tensor.from([[1, 2, 3], [4, 5, 6]]); // [2, 3]
  const tgtIn = Tensor.from([[0, 0, 0], [1, 2, 3], [4, 5, 6], [7, 8, 1]]); // [4, 3]
  assert.deepEqual(tokens.forward(src, tgtIn).shape, [4, 3, 9]);
  assert.deepEqual(
    tokens.namedParameters().map(([n]) => n.split(".")[0]).filter((n, i, all) => all.indexOf(n) === i),
    ["sourceEmbedding", "encoder", "targetEmbedding", "decoder", "head"],
  );
  assert.throws(() => tokens.forward(src, Tensor.from([[0, 0], [1, 1]])), (e: Error) => e instanceof ShapeError && /tgtIn \[2, 2\]/.test(e.message));
  assert.throws(() => tokens.greedyDecode(src, { start: 9, maxLength: 3 }), RangeError);

  const features = new EncoderDecoder({ cell: "lstm", sourceInputSize: 3, targetVocabSize: 9, embeddingSize: 4, hiddenSize: 5, rng: new Rng(0) });
  assert.equal(features.sourceEmbedding, null);
  assert.deepEqual(features.forward(randn(new Rng(1), [6, 3, 3]), tgtIn).shape, [4, 3, 9]);
  const decoded = features.greedyDecode(randn(new Rng(1), [6, 3, 3]), { start: 0, maxLength: 4 });
  assert.deepEqual(decoded.map((r) => r.length), [4, 4, 4]);

  assert.throws(() => new EncoderDecoder({ cell: "gru", targetVocabSize: 3, embeddingSize: 2, hiddenSize: 2, rng: new Rng(0) }), /exactly one/);
});

// On every backend: greedy decoding steps one token at a time, the teacher-forced forward runs the sequence.
forEachBackend(() => {
  test("EncoderDecoder: greedy decoding agrees with the teacher-forced forward fed its own outputs", () => {
    for (const cell of cells) {
      const m = new EncoderDecoder({ cell, sourceVocabSize: 5, targetVocabSize: 6, embeddingSize: 3, hiddenSize: 6, numLayers: 2, rng: new Rng(40) });
      const src = Tensor.from([[1, 2, 3, 4], [4, 3, 2, 1], [0, 0, 1, 1]]); // [3, 4]
      const greedy = m.greedyDecode(src, { start: 0, maxLength: 5, srcLengths: [3, 2, 3, 3] });
      const B = 4;
      const tgtIn = Tensor.zeros([5, B]);
      for (let t = 1; t < 5; t++) for (let b = 0; b < B; b++) tgtIn.data[t * B + b] = greedy[b][t - 1];
      const logits = noGrad(() => m.forward(src, tgtIn, { srcLengths: [3, 2, 3, 3] }));
      for (let t = 0; t < 5; t++) {
        for (let b = 0; b < B; b++) {
          const row = logits.data.subarray((t * B + b) * 6, (t * B + b + 1) * 6);
          assert.equal(row.indexOf(Math.max(...row)), greedy[b][t], `${cell} t=${t} b=${b}`);
        }
      }
    }
  });
});

test("EncoderDecoder learns to reverse a 3-token sequence with teacher forcing, then greedy-decodes it exactly", () => {
  // Tokens: 0 start, 1 end, 2..5 symbols. All 4³ = 64 sources form one batch.
  const START = 0;
  const END = 1;
  const L = 3;
  const seqs: number[][] = [];
  for (let i = 0; i < 64; i++) seqs.push([2 + (i % 4), 2 + (Math.floor(i / 4) % 4), 2 + Math.floor(i / 16)]);
  const B = seqs.length;
  const src = Tensor.zeros([L, B]);
  const tgtIn = Tensor.zeros([L + 1, B]);
  const tgtOut: number[] = new Array<number>((L + 1) * B);
  seqs.forEach((s, b) => {
    const rev = [...s].reverse();
    for (let t = 0; t < L; t++) src.data[t * B + b] = s[t];
    tgtIn.data[b] = START;
    for (let t = 0; t < L; t++) tgtIn.data[(t + 1) * B + b] = rev[t];
    for (let t = 0; t < L; t++) tgtOut[t * B + b] = rev[t];
    tgtOut[L * B + b] = END;
  });
  const m = new EncoderDecoder({ cell: "gru", sourceVocabSize: 6, targetVocabSize: 6, embeddingSize: 8, hiddenSize: 16, rng: new Rng(50) });
  const [l0, l1] = train(m, () => crossEntropy(m.forward(src, tgtIn), tgtOut), 80, 0.05);
  assert.ok(l1 < 0.05 * l0, `cross-entropy ${l0} → ${l1}`);
  const decoded = m.greedyDecode(src, { start: START, end: END, maxLength: L + 2 });
  const wrong = seqs.filter((s, b) => decoded[b].join() !== [...s].reverse().join());
  assert.equal(wrong.length, 0, `${wrong.length} of ${B} sequences decoded wrongly`);
});

// ---------------------------------------------------------------------------------------------
// Streaming

/** Steps `runner` through x [T, B, I] from the zero state; returns the T outputs and the final state. */
function stream(runner: StepRunner, x: Tensor): { ys: Tensor[]; state: RecurrentState } {
  const [T, B] = x.shape;
  let state = runner.initialState(B);
  const ys: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const r = runner.step(stepInput(x, t), state);
    ys.push(r.y);
    state = r.state;
  }
  return { ys, state };
}

/** x[t] of a time-major [T, B, I] tensor as [B, I]. */
function stepInput(x: Tensor, t: number): Tensor {
  const [, B, I] = x.shape;
  return new Tensor(x.data.slice(t * B * I, (t + 1) * B * I), [B, I]);
}

// On every backend: a step runs the `affine` kernel, the whole sequence the GEMMs.
forEachBackend(() => {
  for (const cell of cells) {
    test(`streaming (${cell.toUpperCase()}, 2 layers): stepping equals the whole-sequence forward at every step`, () => {
      const T = 7;
      const B = 3;
      const x = randn(new Rng(60), [T, B, 2]);
      const s2s = new SequenceToSequence({ cell, inputSize: 2, hiddenSize: 5, numLayers: 2, outputSize: 3, rng: new Rng(61) });
      const whole = noGrad(() => s2s.forward(x));
      const { ys, state } = stream(new StepRunner(s2s), x);
      ys.forEach((y, t) => {
        assert.deepEqual(y.shape, [B, 3]);
        assert.equal(y.requiresGrad, false, "no graph is recorded");
        assert.ok(maxAbsDiff(y.data, whole.data.subarray(t * B * 3, (t + 1) * B * 3)) <= tol.stream32, `step ${t}`);
      });
      assert.equal(state.c !== undefined, cell === "lstm");

      // SequenceToVector: the output after the last step is the sequence's prediction.
      const s2v = new SequenceToVector({ cell, inputSize: 2, hiddenSize: 5, numLayers: 2, outputSize: 3, rng: new Rng(62) });
      const last = stream(new StepRunner(s2v), x).ys[T - 1];
      assert.ok(maxAbsDiff(last.data, noGrad(() => s2v.forward(x)).data) <= tol.stream32);
    });
  }

  test("streaming: batch-first models and VectorToSequence (v fed at every step) stream exactly", () => {
    const x = randn(new Rng(63), [6, 2, 3]);
    const bf = new SequenceToSequence({ cell: "lstm", inputSize: 3, hiddenSize: 4, outputSize: 2, batchFirst: true, rng: new Rng(64) });
    const whole = noGrad(() => bf.forward(transpose(x, [1, 0, 2]))); // [B, T, O]
    const { ys } = stream(new StepRunner(bf), x);
    ys.forEach((y, t) => {
      for (let b = 0; b < 2; b++) {
        const expected = whole.data.subarray((b * 6 + t) * 2, (b * 6 + t + 1) * 2);
        assert.ok(maxAbsDiff(y.data.subarray(b * 2, b * 2 + 2), expected) <= tol.stream32, `t=${t} b=${b}`);
      }
    });

    const v2s = new VectorToSequence({ cell: "gru", inputSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(65) });
    const v = randn(new Rng(66), [2, 3]);
    const seq = noGrad(() => v2s.forward(v, 5));
    const runner = new StepRunner(v2s);
    let state = runner.initialState(2);
    for (let t = 0; t < 5; t++) {
      const r = runner.step(v, state);
      state = r.state;
      assert.ok(maxAbsDiff(r.y.data, seq.data.subarray(t * 4, (t + 1) * 4)) <= tol.stream32, `t=${t}`);
    }
  });
});

test("streaming: refuses bidirectional models, a misshaped x and a state that does not fit", () => {
  const bi = new SequenceToSequence({ cell: "gru", inputSize: 2, hiddenSize: 3, outputSize: 1, bidirectional: true, rng: new Rng(0) });
  assert.throws(() => new StepRunner(bi), /bidirectional/);
  const runner = new StepRunner(new SequenceToSequence({ cell: "lstm", inputSize: 2, hiddenSize: 3, outputSize: 1, rng: new Rng(0) }));
  assert.throws(() => runner.step(Tensor.zeros([4, 3])), (e: Error) => e instanceof ShapeError && /x/.test(e.message) && /\[4, 3\]/.test(e.message));
  assert.throws(() => runner.step(Tensor.zeros([4, 2]), runner.initialState(2)), (e: Error) => e instanceof ShapeError && /state\.h \[1, 2, 3\]/.test(e.message));
  assert.throws(() => runner.step(Tensor.zeros([2, 2]), { h: Tensor.zeros([1, 2, 3]) }), /LSTM: state\.c is missing/);
});

// ---------------------------------------------------------------------------------------------
// Checkpoints of topologies

test("topologies: stateDict round trip; loadStateDict refuses missing, extra and misshaped tensors by name", () => {
  const make = (seed: number) =>
    new EncoderDecoder({ cell: "lstm", sourceVocabSize: 5, targetVocabSize: 6, embeddingSize: 3, hiddenSize: 4, rng: new Rng(seed) });
  const a = make(1);
  const b = make(2);
  const src = Tensor.from([[1, 2], [3, 4]]);
  const tgtIn = Tensor.from([[0, 0], [5, 2]]);
  b.loadStateDict(a.stateDict());
  assert.deepEqual(noGrad(() => b.forward(src, tgtIn)).toArray(), noGrad(() => a.forward(src, tgtIn)).toArray());

  const dict = a.stateDict();
  const missing = without(dict, "decoder.bias_hh_l0");
  assert.throws(() => b.loadStateDict(missing), /missing: decoder\.bias_hh_l0/);
  assert.throws(() => b.loadStateDict({ ...dict, "encoder.weight_ih_l1": Tensor.zeros([16, 4]) }), /unexpected: encoder\.weight_ih_l1/);
  assert.throws(
    () => b.loadStateDict({ ...dict, "head.weight": Tensor.zeros([4, 6]) }),
    (e: Error) => e instanceof ShapeError && /head\.weight: shape \[4, 6\] does not fit \[6, 4\]/.test(e.message),
  );
});
