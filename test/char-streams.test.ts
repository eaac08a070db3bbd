/**
 * Character ids as parallel streams (shared by charnn and `rnnkit train text`): a window's
 * targets are its inputs one character on within each stream, and the streamed loss of a
 * model that predicts every character equally is exactly ln V.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { charStreams, streamLoss, streamWindow } from "../src/train/char-streams.js";
import { SequenceToSequence } from "../src/nn/topologies.js";
import { Rng } from "../src/tensor/random.js";

test("a window holds the same positions of every stream, targets one character on", () => {
  const ids = Int32Array.from({ length: 23 }, (_, i) => i % 7);
  const s = charStreams(ids, 3);
  assert.equal(s.S, 7);
  const { x, targets } = streamWindow(s, 7, 2, 3);
  assert.deepEqual(x.shape, [3, 3, 7]);
  for (let t = 0; t < 3; t++) {
    for (let b = 0; b < 3; b++) {
      const at = b * 7 + 2 + t;
      assert.equal(x.data[(t * 3 + b) * 7 + ids[at]], 1, `x[${t}, ${b}] is the one-hot of ids[${at}]`);
      assert.equal(targets[t * 3 + b], ids[at + 1]);
    }
  }
});

test("the streamed loss of a uniform predictor is ln V per character", () => {
  const V = 5;
  const model = new SequenceToSequence({ cell: "lstm", inputSize: V, hiddenSize: 4, outputSize: V, rng: new Rng(3) });
  model.head.weight.data.fill(0);
  model.head.bias!.data.fill(0);
  const ids = Int32Array.from({ length: 200 }, (_, i) => (i * 3) % V);
  assert.ok(Math.abs(streamLoss(model, ids, V, 16) - Math.log(V)) < 1e-6);
});
