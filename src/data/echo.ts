/**
 * The echo-dependency task of R2RT's "Recurrent Neural Networks in Tensorflow I": a
 * random binary series X and a target series Y that echoes X three and eight steps
 * back with noise, cut into parallel rows and windows for truncated BPTT. Generated
 * from a seeded Rng; no files. The analytic losses of the Bayes predictors that know
 * none, one or both of the lags are computed here too, so the reference lines of the
 * experiment are derived rather than quoted.
 */
import { Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";

/** The two lags Y echoes, nearest first. */
export const ECHO_LAGS = [3, 8] as const;

/**
 * P(Y_t = 1 | X_{t−3}, X_{t−8}) = 0.5 + 0.5·[X_{t−3} = 1] − 0.25·[X_{t−8} = 1],
 * i.e. 0.5, 1, 0.25, 0.75 for (X_{t−3}, X_{t−8}) = (0,0), (1,0), (0,1), (1,1).
 */
export function echoProbability(xLag3: number, xLag8: number): number {
  return 0.5 + 0.5 * (xLag3 === 1 ? 1 : 0) - 0.25 * (xLag8 === 1 ? 1 : 0);
}

/** A generated series: inputs and targets, one 0/1 value per step. */
export interface EchoSeries {
  x: Uint8Array;
  y: Uint8Array;
}

/**
 * X_t ~ Bernoulli(0.5) and Y_t ~ Bernoulli(echoProbability(X_{t−3}, X_{t−8})) for
 * t = 0..length−1. The tutorial's generator indexes X[t−3] with Python's negative
 * indices, so the first eight targets read the END of the series; we do the same
 * (cyclic lags), which keeps every step's Y distributed exactly as the formula says.
 * X is drawn in full before Y because the first targets read the end of X.
 */
export function echoSeries(rng: Rng, length: number): EchoSeries {
  if (!Number.isInteger(length) || length < 1) throw new Error(`echoSeries: length must be a positive integer, got ${length}`);
  const x = new Uint8Array(length);
  const y = new Uint8Array(length);
  for (let t = 0; t < length; t++) x[t] = rng.bernoulli(0.5) ? 1 : 0;
  const back = (t: number, lag: number) => x[(((t - lag) % length) + length) % length];
  for (let t = 0; t < length; t++) y[t] = rng.bernoulli(echoProbability(back(t, 3), back(t, 8))) ? 1 : 0;
  return { x, y };
}

/**
 * The series cut into `rows` contiguous streams of ⌊length/rows⌋ steps each, row-major
 * [rows, steps] (row r holds steps r·steps … (r+1)·steps − 1; a remainder is dropped),
 * as the tutorial's `gen_batch` does: the rows are read in parallel, one column window
 * at a time, so each row is a long sequence whose state is carried across windows.
 */
export interface EchoRows {
  rows: number;
  steps: number;
  x: Uint8Array;
  y: Uint8Array;
}

export function echoRows(series: EchoSeries, rows: number): EchoRows {
  const steps = Math.floor(series.x.length / rows);
  if (!Number.isInteger(rows) || rows < 1 || steps < 1) throw new Error(`echoRows: cannot cut ${series.x.length} steps into ${rows} rows`);
  return { rows, steps, x: series.x.slice(0, rows * steps), y: series.y.slice(0, rows * steps) };
}

/** One window of the rows as the model reads it. */
export interface EchoWindow {
  /** One-hot inputs [T, B, 2], time-major (B = rows). */
  x: Tensor;
  /** Target classes, T·B of them in the same (t, b) order as x's positions. */
  y: Int32Array;
}

/** Steps [start, start + size) of every row. */
export function echoWindow(data: EchoRows, start: number, size: number): EchoWindow {
  if (start < 0 || size < 1 || start + size > data.steps) throw new Error(`echoWindow: [${start}, ${start + size}) is outside 0..${data.steps}`);
  const B = data.rows;
  const x = Tensor.zeros([size, B, 2]);
  const y = new Int32Array(size * B);
  for (let t = 0; t < size; t++) {
    for (let b = 0; b < B; b++) {
      const src = b * data.steps + start + t;
      x.data[(t * B + b) * 2 + data.x[src]] = 1;
      y[t * B + b] = data.y[src];
    }
  }
  return { x, y };
}

/** Binary entropy in nats, H(p) = −p ln p − (1−p) ln(1−p), with 0 ln 0 = 0. */
export function binaryEntropy(p: number): number {
  const term = (q: number) => (q > 0 ? -q * Math.log(q) : 0);
  return term(p) + term(1 - p);
}

/**
 * Expected cross-entropy (nats per step) of the best predictor that sees only the lags
 * in `known` (a subset of {3, 8}): it predicts P(Y=1 | known lags), the mixture of
 * `echoProbability` over the unknown ones, so its loss is the conditional entropy
 * H(Y | known) = Σ over the known lags' values of P(values)·H(P(Y=1 | values)).
 * With no lag, one lag (3) and both lags this is the tutorial's 0.6616, 0.5192, 0.4545.
 */
export function echoExpectedLoss(known: ReadonlyArray<(typeof ECHO_LAGS)[number]>): number {
  let loss = 0;
  for (let v3 = 0; v3 <= 1; v3++) {
    for (let v8 = 0; v8 <= 1; v8++) {
      // Average P(Y=1) over the unknown lags' values, holding the known ones at (v3, v8).
      let p = 0;
      let n = 0;
      for (let u3 = 0; u3 <= 1; u3++) {
        for (let u8 = 0; u8 <= 1; u8++) {
          if (known.includes(3) && u3 !== v3) continue;
          if (known.includes(8) && u8 !== v8) continue;
          p += echoProbability(u3, u8);
          n++;
        }
      }
      loss += 0.25 * binaryEntropy(p / n);
    }
  }
  return loss;
}
