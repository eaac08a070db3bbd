/**
 * Argument checks at the public entries: every bad call below is refused with an error
 * that names the entry, the argument, the value and what is allowed, instead of being
 * accepted (a string "false" read as true, "float16" computed as float32, an unknown
 * option ignored, a zero-sized head or input) or failing deep inside with a message
 * about something else (`reading 'uniform'`, `Invalid typed array length`, `reading 'join'`).
 * One table row per case, so the count of checked calls is the table's length.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensor } from "../src/tensor/tensor.js";
import { Rng } from "../src/tensor/random.js";
import { GRU, LSTM, RNN } from "../src/nn/recurrent.js";
import { Linear } from "../src/nn/linear.js";
import { Embedding } from "../src/nn/embedding.js";
import { LSTMCell, RNNCell } from "../src/nn/cells/index.js";
import { createRecurrentLayer, EncoderDecoder, SequenceToSequence, SequenceToVector, VectorToSequence } from "../src/nn/topologies.js";
import { sampleLogits } from "../src/nn/sampling.js";
import { generateText } from "../src/nn/generate.js";
import { CharVocab } from "../src/data/corpus.js";

const rng = () => new Rng(0);
const base = { inputSize: 3, hiddenSize: 4 };
const x = (T: number, B: number, I = 3) => Tensor.zeros([T, B, I]);
const lstm = () => new LSTM({ ...base, rng: rng() });
/** Bypasses the types, as a JavaScript caller or a JSON config would. */
const loose = <T>(v: unknown) => v as T;

type LSTMOptions = ConstructorParameters<typeof LSTM>[0];

const cases: Array<[string, () => unknown, RegExp]> = [
  // Silent accepts before: each built something.
  ['bidirectional: "false"', () => new LSTM({ ...base, bidirectional: loose("false"), rng: rng() }),
    /^TypeError: LSTM: bidirectional must be a boolean, got "false" \(a string\)$/],
  ["batchFirst: 1", () => new GRU({ ...base, batchFirst: loose(1), rng: rng() }), /^TypeError: GRU: batchFirst must be a boolean, got 1$/],
  ['bias: "no"', () => new RNN({ ...base, bias: loose("no"), rng: rng() }), /^TypeError: RNN: bias must be a boolean, got "no" \(a string\)$/],
  ['dtype: "float16"', () => new LSTM({ ...base, dtype: loose("float16"), rng: rng() }),
    /^TypeError: LSTM: dtype must be "float32" or "float64", got "float16" \(a string\)$/],
  ['dtype: "int32"', () => new LSTM({ ...base, dtype: loose("int32"), rng: rng() }),
    /^TypeError: LSTM: dtype must be "float32" or "float64", got "int32" \(a string\)$/],
  ["unknown option hidden_size", () => new LSTM(loose<LSTMOptions>({ inputSize: 3, hidden_size: 4, hiddenSize: 4, rng: rng() })),
    /^TypeError: LSTM: unknown option 'hidden_size' \(did you mean hiddenSize\?\); known: inputSize, hiddenSize, /],
  ["unknown option numLayer", () => new GRU(loose<LSTMOptions>({ ...base, numLayer: 2, rng: rng() })),
    /^TypeError: GRU: unknown option 'numLayer' \(did you mean numLayers\?\)/],
  ["nonlinearity on an LSTM", () => new LSTM(loose<LSTMOptions>({ ...base, nonlinearity: "relu", rng: rng() })),
    /^TypeError: LSTM: unknown option 'nonlinearity' \(it applies to RNN only; the LSTM's gates take gateActivation instead\)$/],
  ["SequenceToVector outputSize: 0", () => new SequenceToVector({ cell: "lstm", ...base, outputSize: 0, rng: rng() }),
    /^RangeError: SequenceToVector: outputSize must be a positive integer, got 0$/],
  ["SequenceToSequence hidden_size", () => new SequenceToSequence(loose({ cell: "gru", inputSize: 3, hidden_size: 4, outputSize: 1, rng: rng() })),
    /^TypeError: SequenceToSequence: unknown option 'hidden_size' \(did you mean hiddenSize\?\)/],
  ['cell: "LSTM"', () => createRecurrentLayer({ cell: loose("LSTM"), ...base, rng: rng() }),
    /^TypeError: createRecurrentLayer: cell must be one of "rnn", "lstm", "gru", got "LSTM" \(a string\)$/],
  ["Linear outFeatures: 0", () => new Linear({ inFeatures: 2, outFeatures: 0, rng: rng() }),
    /^RangeError: Linear: outFeatures must be a positive integer, got 0$/],
  ["T = 0 input", () => lstm().forward(x(0, 2)), /^RangeError: LSTM\.forward: x \[0, 2, 3\] \[T, B, I\] has no time steps \(T = 0\)/],
  ["B = 0 input", () => lstm().forward(x(5, 0)), /^RangeError: LSTM\.forward: x \[5, 0, 3\] \[T, B, I\] has no batch rows \(B = 0\)/],
  ["B = 0 input, batch first", () => new GRU({ ...base, batchFirst: true, rng: rng() }).forward(x(0, 5)),
    /^RangeError: GRU\.forward: x \[0, 5, 3\] \[B, T, I\] has no batch rows \(B = 0\)/],
  ["T = 0 through a topology", () => new SequenceToVector({ cell: "rnn", ...base, outputSize: 1, rng: rng() }).forward(x(0, 1)),
    /^RangeError: RNN\.forward: x \[0, 1, 3\] \[T, B, I\] has no time steps/],
  ["forward option length", () => lstm().forward(x(2, 1), undefined, loose({ length: [2] })),
    /^TypeError: LSTM\.forward: unknown option 'length' \(did you mean lengths\?\)/],
  ["lengths: 3", () => lstm().forward(x(2, 1), undefined, { lengths: loose(3) }),
    /^TypeError: LSTM\.forward: lengths must be an array of integers \(one per batch row\), got 3$/],
  ["Embedding dtype int32", () => new Embedding({ numEmbeddings: 5, embeddingDim: 2, dtype: loose("int32"), rng: rng() }),
    /^TypeError: Embedding: dtype must be "float32" or "float64", got "int32" \(a string\)$/],
  ["Tensor.zeros dtype float16", () => Tensor.zeros([2], { dtype: loose("float16") }),
    /^TypeError: dtype must be "float32" or "float64", got "float16" \(a string\)$/],
  ["LSTMCell bias: 0", () => new LSTMCell({ ...base, bias: loose(0), rng: rng() }), /^TypeError: LSTMCell: bias must be a boolean, got 0$/],
  ["RNNCell hidden_size", () => new RNNCell(loose({ inputSize: 3, hidden_size: 4, rng: rng() })),
    /^TypeError: RNNCell: unknown option 'hidden_size' \(did you mean hiddenSize\?\)/],
  ["EncoderDecoder embedding_size", () => new EncoderDecoder(loose({ cell: "gru", sourceVocabSize: 4, targetVocabSize: 4, embedding_size: 2, hiddenSize: 3, rng: rng() })),
    /^TypeError: EncoderDecoder: unknown option 'embedding_size' \(did you mean embeddingSize\?\)/],
  ["sampleLogits of no classes", () => sampleLogits([], 1, rng()), /^RangeError: sampleLogits: logits is empty; there is no class to draw$/],
  // Cryptic before: each failed with a message about something else.
  ["layer without rng", () => new LSTM(loose<LSTMOptions>({ ...base })),
    /^TypeError: LSTM: rng must be a random generator \(e\.g\. rng: new Rng\(0\)\), got undefined; every parameter is drawn from it$/],
  ["Linear without rng", () => new Linear(loose({ inFeatures: 2, outFeatures: 1 })), /^TypeError: Linear: rng must be a random generator/],
  ["cell with rng: 0", () => new LSTMCell({ ...base, rng: loose(0) }), /^TypeError: LSTMCell: rng must be a random generator \(e\.g\. rng: new Rng\(0\)\), got 0;/],
  ["topology without rng", () => new VectorToSequence(loose({ cell: "lstm", ...base, outputSize: 1 })), /^TypeError: VectorToSequence: rng must be a random generator/],
  ["negative hiddenSize", () => new LSTM({ inputSize: 3, hiddenSize: -3, rng: rng() }), /^RangeError: LSTM: hiddenSize must be a positive integer, got -3$/],
  ['hiddenSize: "8"', () => new LSTM({ inputSize: 3, hiddenSize: loose("8"), rng: rng() }),
    /^TypeError: LSTM: hiddenSize must be a positive integer, got "8" \(a string\)$/],
  ["numLayers: 1.5", () => new GRU({ ...base, numLayers: 1.5, rng: rng() }), /^RangeError: GRU: numLayers must be a positive integer, got 1\.5$/],
  ["negative Linear inFeatures", () => new Linear({ inFeatures: -1, outFeatures: 2, rng: rng() }),
    /^RangeError: Linear: inFeatures must be a positive integer, got -1$/],
  ["negative cell inputSize", () => new LSTMCell({ inputSize: -2, hiddenSize: 3, rng: rng() }),
    /^RangeError: LSTMCell: inputSize must be a positive integer, got -2$/],
  ["Tensor.zeros of a negative size", () => Tensor.zeros([2, -1]), /^ShapeError: invalid shape \[2, -1\]: sizes must be non-negative integers$/],
  ["plain array to LSTM.forward", () => lstm().forward(loose([[[0, 0, 0]], [[0, 0, 0]]])),
    /^TypeError: LSTM\.forward: x must be a Tensor \[T, B, I\], got an array of length 2; wrap nested arrays with Tensor\.from\(\.\.\.\)$/],
  ["plain array to SequenceToVector.forward", () => new SequenceToVector({ cell: "lstm", ...base, outputSize: 1, rng: rng() }).forward(loose([[[0, 0, 0]]])),
    /^TypeError: SequenceToVector\.forward: x must be a Tensor, got an array of length 1/],
  ["plain array to Linear.forward", () => new Linear({ inFeatures: 2, outFeatures: 1, rng: rng() }).forward(loose([1, 2])),
    /^TypeError: Linear\.forward: x must be a Tensor \[\.\.\., 2\], got an array of length 2/],
  ["plain array to LSTMCell.forward", () => new LSTMCell({ ...base, rng: rng() }).forward(loose([[0, 0, 0]])),
    /^TypeError: LSTMCell\.forward: x must be a Tensor \[B, 3\], got an array of length 1/],
  ["state.h a plain array", () => lstm().forward(x(2, 1), loose({ h: [0], c: [0] })),
    /^TypeError: LSTM\.forward: state\.h must be a Tensor \[L·D, B, H\], got an array of length 1/],
  ["Tensor of a plain array", () => new Tensor(loose([1, 2]), [2]),
    /^TypeError: Tensor: data must be a Float32Array or Float64Array, got an array of length 2; use Tensor\.from\(values, shape\) for other arrays$/],
  ["shape given as a number", () => Tensor.zeros(loose(3)), /^ShapeError: invalid shape 3: a shape is an array of sizes, e\.g\. \[2, 3\]$/],
  ["options null", () => new LSTM(loose(null)), /^TypeError: LSTM: options must be an object, got null$/],
  ["loadStateDict(null)", () => lstm().loadStateDict(loose(null)), /^TypeError: LSTM\.loadStateDict: dict must be an object, got null$/],
  ["Embedding.forward of a number", () => new Embedding({ numEmbeddings: 3, embeddingDim: 2, rng: rng() }).forward(loose(2)),
    /^TypeError: Embedding\.forward: indices must be an array of token ids or a Tensor, got 2$/],
  ["generateText length -1", () => generateText(new SequenceToSequence({ cell: "gru", inputSize: 2, hiddenSize: 2, outputSize: 2, rng: rng() }), ["a", "b"], { prime: "a", length: -1, temperature: 1, rng: rng() }),
    /^RangeError: generateText: length must be a non-negative integer, got -1$/],
  ["generateText without rng", () => generateText(new SequenceToSequence({ cell: "gru", inputSize: 2, hiddenSize: 2, outputSize: 2, rng: rng() }), ["a", "b"], loose({ prime: "a", length: 1, temperature: 1 })),
    /^TypeError: generateText: rng must be a random generator/],
];

for (const [name, call, pattern] of cases) {
  test(`refused with a clear error: ${name}`, () => {
    assert.throws(call, (e: Error) => {
      assert.match(`${e.name}: ${e.message}`, pattern);
      return true;
    });
  });
}

test(`${cases.length} bad calls, each refused by name`, () => {
  assert.equal(new Set(cases.map(([n]) => n)).size, cases.length);
});

test("kept: an LSTM forward with a state lacking c is refused", () => {
  const h = Tensor.zeros([1, 1, 4]);
  assert.throws(() => lstm().forward(x(2, 1), loose({ h })), /LSTM: state\.c is missing: an LSTM's state is \{ h, c \}/);
});

test("good calls still work: defaults, explicit false, float64, the state carried on, undefined options skipped", () => {
  const layer = new LSTM({ ...base, bidirectional: false, batchFirst: undefined, dtype: "float64", rng: rng() });
  assert.equal(layer.weights[0].dtype, "float64");
  const r = layer.forward(Tensor.zeros([2, 1, 3], { dtype: "float64" }), undefined, { lengths: [1] });
  assert.deepEqual(r.output.shape, [2, 1, 4]);
  assert.deepEqual(layer.forward(Tensor.zeros([1, 1, 3], { dtype: "float64" }), r.state).state.c!.shape, [1, 1, 4]);
  const relu = new RNN({ ...base, nonlinearity: "relu", rng: rng() });
  assert.equal(relu.spec.nonlinearity, "relu");
  const bi = new GRU({ ...base, bidirectional: true, rng: rng() });
  assert.equal(bi.spec.bidirectional, true);
  const model = new SequenceToVector({ cell: "lstm", ...base, outputSize: 2, rng: rng() });
  assert.deepEqual(model.forward(x(3, 2), { lengths: [3, 1] }).shape, [2, 2]);
});

test("CharVocab: emoji and other astral characters are one character each and round-trip", () => {
  const text = "a🙂b😀a𝄞 ｡🙂";
  const vocab = new CharVocab(text);
  assert.deepEqual(vocab.chars, [" ", "a", "b", "｡", "𝄞", "😀", "🙂"], "sorted by code point (U+FF61 before U+1D11E)");
  const ids = vocab.encode(text);
  assert.equal(ids.length, [...text].length);
  assert.deepEqual([...vocab.encode("a🙂")], [1, 6]);
  assert.equal(vocab.decode(ids), text);
  assert.throws(() => vocab.encode("a🙃"), /CharVocab: character "🙃" at 1 is not in the vocabulary/);
  assert.throws(() => vocab.decode([7]), /CharVocab\.decode: id 7 at 0 is not in 0\.\.6/);
  assert.throws(() => new CharVocab(""), /CharVocab: text must not be empty/);
});

test("generateText reads and writes code points: an emoji prime, emoji samples", () => {
  const chars = ["a", "🙂"];
  const model = new SequenceToSequence({ cell: "lstm", inputSize: 2, hiddenSize: 3, outputSize: 2, rng: rng() });
  const text = generateText(model, chars, { prime: "🙂a🙂", length: 12, temperature: 1, rng: new Rng(3) });
  assert.equal([...text].length, 12);
  assert.ok([...text].every((c) => chars.includes(c)), text);
  assert.ok(text.includes("🙂") && text.includes("a"), text);
});
