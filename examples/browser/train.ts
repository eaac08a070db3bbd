/**
 * The training that the browser example runs, in one module so that the page, its Web
 * Worker and Node run exactly the same code: a small LSTM learns the sum of a sequence of
 * numbers, from a fixed seed, for a fixed number of optimizer steps. With the same
 * backend the losses are the same bits everywhere. Platform-neutral: no DOM, no Node.
 * (In your own project, import from "rnnkit" instead of the relative path.)
 */
import {
  Rng, Tensor, SequenceToVector, Adam, mseLoss, fit, noGrad, encodeModel, decodeModel, type Dataset,
} from "../../src/index.js";

export const SEED = 7;
export const STEPS = 200;
const BATCH = 32;
const LENGTH = 10;

/** `count` sequences of LENGTH numbers in [−1, 1]; the target of each is its sum. */
export function sumDataset(rng: Rng, count: number): Dataset<{ x: Tensor; y: Tensor }> {
  const seqs = Array.from({ length: count }, () => Array.from({ length: LENGTH }, () => rng.uniform(-1, 1)));
  return {
    length: count,
    batch(indices) {
      const x = Tensor.zeros([LENGTH, indices.length, 1]); // time-major [T, B, I]
      const y = Tensor.zeros([indices.length, 1]);
      indices.forEach((s, b) => {
        seqs[s].forEach((v, t) => (x.data[t * indices.length + b] = v));
        y.data[b] = seqs[s].reduce((a, v) => a + v, 0);
      });
      return { x, y };
    },
  };
}

export interface TrainResult {
  /** The loss of each optimizer step, in order. */
  losses: number[];
  stepsPerSecond: number;
  model: SequenceToVector;
}

/** Trains a fresh model for `steps` steps of one batch each (one pass over steps × 32 sequences). */
export function train(steps = STEPS, onStep?: (step: number, loss: number) => void): TrainResult {
  const rng = new Rng(SEED);
  const data = sumDataset(rng, steps * BATCH);
  const model = new SequenceToVector({ cell: "lstm", inputSize: 1, hiddenSize: 32, outputSize: 1, rng });
  const losses: number[] = [];
  const start = performance.now();
  fit(model, data, {
    forward: ({ x, y }) => ({ loss: mseLoss(model.forward(x), y) }),
    optimizer: new Adam(model.parameters(), { lr: 0.01 }),
    rng, epochs: 1, batchSize: BATCH,
    callbacks: {
      onStep: ({ step, loss }) => {
        losses.push(loss);
        onStep?.(step, loss);
      },
    },
  });
  const seconds = (performance.now() - start) / 1000;
  return { losses, stepsPerSecond: steps / seconds, model };
}

/** The model's outputs for a fixed batch of sequences (no gradients). */
export function probe(model: SequenceToVector): Float32Array {
  const { x } = sumDataset(new Rng(SEED + 1), 8).batch([0, 1, 2, 3, 4, 5, 6, 7]);
  model.eval();
  return Float32Array.from(noGrad(() => model.forward(x)).data);
}

/** Saves the model to bytes, loads it back, and returns both models' outputs on the probe batch. */
export function roundTrip(model: SequenceToVector): { bytes: Uint8Array; before: Float32Array; after: Float32Array } {
  const bytes = encodeModel(model);
  const { model: loaded } = decodeModel<SequenceToVector>(bytes);
  return { bytes, before: probe(model), after: probe(loaded) };
}

/** Whether two arrays hold the same float32 bit patterns. */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
