/**
 * Hochreiter & Schmidhuber (1997), experiment 2, task 2a: noise-free sequences with
 * long time lags, and its success criterion. Generated from a seeded Rng; no files.
 *
 * The task: two sequences of p + 1 symbols over an alphabet of p + 1,
 *   (y, a_1, a_2, …, a_{p−1}, y)   and   (x, a_1, a_2, …, a_{p−1}, x),
 * each drawn with probability 1/2. The network reads one symbol per step (one-hot)
 * and predicts the next. Only the first symbol is random; every target is determined
 * by it, and the last one can be predicted only by remembering the first symbol for p
 * steps. The a_i carry no information about it.
 *
 * Encoding (ours): symbol id 0 = x, 1 = y, 1 + i = a_i for i = 1..p−1, so V = p + 1.
 * Inputs are the first p symbols, targets the last p (steps t = 0..p−1 predict symbol
 * t + 1). The random first symbol is never a target, so every prediction is scored.
 */
import { Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";

export const LAG_X = 0;
export const LAG_Y = 1;

/** Symbol id of a_i, i = 1..p−1. */
export function lagDistractor(i: number): number {
  return 1 + i;
}

/** Alphabet size V = p + 1 (x, y, a_1..a_{p−1}). */
export function lagVocabulary(p: number): number {
  checkLag(p);
  return p + 1;
}

function checkLag(p: number): void {
  if (!Number.isInteger(p) || p < 2) throw new Error(`lag task: p must be an integer ≥ 2, got ${p}`);
}

/** The p + 1 symbol ids of the sequence that starts (and ends) with `first` (LAG_X or LAG_Y). */
export function lagSequence(p: number, first: number): number[] {
  checkLag(p);
  if (first !== LAG_X && first !== LAG_Y) throw new Error(`lagSequence: first must be ${LAG_X} (x) or ${LAG_Y} (y), got ${first}`);
  const s = [first];
  for (let i = 1; i < p; i++) s.push(lagDistractor(i));
  s.push(first);
  return s;
}

/** A batch of sequences as the model reads them. */
export interface LagBatch {
  p: number;
  /** First symbol of each sequence (LAG_X or LAG_Y), B of them. */
  firsts: number[];
  /** One-hot inputs [p, B, p + 1], time-major: symbols 0..p−1 of each sequence. */
  x: Tensor;
  /** The same inputs as symbol ids [p·B] in (t, b) order. */
  inputs: Int32Array;
  /** Target ids [p·B] in (t, b) order: symbol t + 1 of sequence b. */
  targets: Int32Array;
}

/** The batch made of the sequences starting with `firsts`. */
export function lagBatchOf(p: number, firsts: readonly number[]): LagBatch {
  const V = lagVocabulary(p);
  const B = firsts.length;
  const x = Tensor.zeros([p, B, V]);
  const inputs = new Int32Array(p * B);
  const targets = new Int32Array(p * B);
  firsts.forEach((first, b) => {
    const s = lagSequence(p, first);
    for (let t = 0; t < p; t++) {
      x.data[(t * B + b) * V + s[t]] = 1;
      inputs[t * B + b] = s[t];
      targets[t * B + b] = s[t + 1];
    }
  });
  return { p, firsts: [...firsts], x, inputs, targets };
}

/** `count` random sequences: each first symbol x or y with probability 1/2. */
export function lagBatch(rng: Rng, p: number, count: number): LagBatch {
  return lagBatchOf(p, lagFirsts(rng, count));
}

/** The first symbols of `count` random sequences, x or y with probability 1/2 each. */
export function lagFirsts(rng: Rng, count: number): number[] {
  const firsts: number[] = [];
  for (let n = 0; n < count; n++) firsts.push(rng.int(2) === 0 ? LAG_X : LAG_Y);
  return firsts;
}

/** The paper's threshold on the maximal absolute output error. */
export const LAG_ERROR_THRESHOLD = 0.25;

/**
 * The maximal absolute error of each sequence: max over its p steps and V output units
 * of |out[t, b, k] − [k = target]|, where `outputs` [p, B, V] are the network's outputs
 * as probabilities (softmax or sigmoid units).
 */
export function lagMaxErrors(outputs: Tensor, targets: ArrayLike<number>): number[] {
  const [T, B, V] = outputs.shape;
  if (outputs.rank !== 3 || targets.length !== T * B) throw new Error(`lagMaxErrors: outputs [p, B, V] and p·B targets expected`);
  const worst = new Array<number>(B).fill(0);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const row = (t * B + b) * V;
      const target = targets[t * B + b];
      for (let k = 0; k < V; k++) {
        const err = Math.abs(outputs.data[row + k] - (k === target ? 1 : 0));
        if (err > worst[b]) worst[b] = err;
      }
    }
  }
  return worst;
}

/** The outcome of the success test. */
export interface LagCheck {
  /** Every sequence's maximal absolute error was below the threshold. */
  passed: boolean;
  /** Sequences tested. */
  count: number;
  /** Largest maximal error over them. */
  worst: number;
  /** How many of them failed. */
  failures: number;
}

/**
 * The success criterion with frozen weights: draw `count` fresh random sequences and
 * require every one's maximal absolute output error to be below `threshold` (0.25).
 * `predict(batch)` returns the outputs [p, B, V] as probabilities.
 *
 * The task is noise-free, so the outputs of fixed weights depend on a sequence only
 * through its content; the drawn sequences are grouped by content (here: by their
 * first symbol) and each distinct sequence is run once, which yields exactly the
 * per-sequence errors of running all `count` of them.
 */
export function lagCheck(rng: Rng, p: number, predict: (batch: LagBatch) => Tensor, count = 10_000, threshold = LAG_ERROR_THRESHOLD): LagCheck {
  const drawn = lagFirsts(rng, count);
  const distinct = [...new Set(drawn)].sort((a, b) => a - b);
  const batch = lagBatchOf(p, distinct);
  const errors = lagMaxErrors(predict(batch), batch.targets);
  const errorOf = new Map(distinct.map((first, i) => [first, errors[i]]));
  let worst = 0;
  let failures = 0;
  for (const first of drawn) {
    const e = errorOf.get(first)!;
    if (e > worst) worst = e;
    if (!(e < threshold)) failures++;
  }
  return { passed: failures === 0, count, worst, failures };
}
