/**
 * A forecaster for a numeric series (plus optional input columns), as `rnnkit train series`
 * trains it: a SequenceToVector (LSTM by default) reads a window of the last `window`
 * steps and predicts the next `horizon` values.
 *
 * Trend and seasonality. The network does not see the raw levels. By default
 * (`transform: "seasonal"`) it models the change from one season earlier:
 *   z_t = log x_t − log x_{t−s}   (the log of the ratio to the value a season before;
 *                                  a plain difference x_t − x_{t−s} when some x ≤ 0)
 * so growth and a multiplicative seasonal pattern (the airline series) become a small,
 * roughly stationary signal, and predicting z = 0 is exactly the seasonal-naive forecast.
 * `"diff"` is the same with s = 1 (change from the previous step), `"level"` models x
 * itself. z is then standardised with the mean and standard deviation of the TRAINING
 * part only; input columns likewise. Inverting: x_t = exp(z_t + log x_{t−s}), with
 * x_{t−s} from the data or from earlier predictions. Everything needed for that (the
 * transform, s, whether logs were taken, the means and deviations) is stored as JSON in
 * the model file's metadata under `rnnkit.series` (SeriesState); the effective
 * configuration under `rnnkit.config`.
 *
 * Splits are chronological: the last `test` rows are test targets, the `validation` rows
 * before them validation targets, the rest training targets (a count, or a fraction of all
 * rows when below 1). A sample's window may reach back into an earlier part (that is
 * history, known at forecast time), its targets never into a later one. The weights kept
 * are those of the epoch with the lowest validation loss; training stops after `patience`
 * epochs without a better one.
 */
import { Tensor } from "../tensor/tensor.js";
import { Rng } from "../tensor/random.js";
import { SequenceToVector } from "../nn/topologies.js";
import { Adam } from "../optim/adam.js";
import { mseLoss } from "../ops/loss.js";
import { noGrad } from "../autograd/tape.js";
import { fit, type Dataset } from "./fit.js";
import type { ProgressCallback } from "./progress.js";
import type { CellKind } from "../ops/recurrent.js";

export type SeriesTransform = "seasonal" | "diff" | "level";

/** Metadata keys of a forecaster's model file. */
export const SERIES_KEY = "rnnkit.series";
export const CONFIG_KEY = "rnnkit.config";

/** What the model needs to turn data into inputs and outputs into values (stored in the model file). */
export interface SeriesState {
  format: "rnnkit.series/1";
  target: string;
  inputs: string[];
  time: string | null;
  fill: "none" | "previous" | "interpolate";
  window: number;
  horizon: number;
  transform: SeriesTransform;
  /** The differencing lag: s for "seasonal", 1 for "diff", 0 for "level". */
  lag: number;
  season: number;
  log: boolean;
  /** Standardisation of z (training part). */
  mean: number;
  std: number;
  inputMean: number[];
  inputStd: number[];
}

export interface ForecasterSettings {
  window: number;
  horizon: number;
  cell: CellKind;
  hidden: number;
  layers: number;
  epochs: number;
  lr: number;
  batch: number;
  seed: number;
  transform: SeriesTransform;
  season: number;
  /** Stop after this many epochs without a better validation loss; 0 = run every epoch. */
  patience: number;
}

/** Row ranges of the three parts: targets in [0, trainEnd), [trainEnd, valEnd), [valEnd, n). */
export interface SeriesSplit {
  n: number;
  trainEnd: number;
  valEnd: number;
}

/** The lag of a transform for a season. */
export function lagOf(transform: SeriesTransform, season: number): number {
  return transform === "seasonal" ? season : transform === "diff" ? 1 : 0;
}

const f = (log: boolean, x: number) => (log ? Math.log(x) : x);
const finv = (log: boolean, v: number) => (log ? Math.exp(v) : v);

/** z at every row (NaN before the first `lag` rows). */
export function transformSeries(x: readonly number[], lag: number, log: boolean): number[] {
  return x.map((v, t) => (lag === 0 ? f(log, v) : t < lag ? NaN : f(log, v) - f(log, x[t - lag])));
}

/** The fewest training targets a run accepts. */
export const MIN_TRAIN_SAMPLES = 4;

/**
 * Why the data cannot be split for these settings, with the numbers and the option to
 * change; null when it can. The first target row that has a full window is lag + window.
 */
export function splitProblem(split: SeriesSplit, s: { window: number; horizon: number; lag: number }): string | null {
  const first = s.lag + s.window;
  const trainSamples = split.trainEnd - s.horizon + 1 - first;
  const need = first + s.horizon - 1 + MIN_TRAIN_SAMPLES;
  const parts = `${split.n} rows: ${split.n - split.valEnd} for test (--test), ${split.valEnd - split.trainEnd} for validation (--validation), ${split.trainEnd} for training`;
  if (trainSamples < MIN_TRAIN_SAMPLES) {
    const lagText = s.lag > 0 ? ` + ${s.lag} rows lost to differencing at lag ${s.lag}` : "";
    return `data too short: ${parts}; window ${s.window}${lagText} + horizon ${s.horizon} need at least ${need} training rows (${MIN_TRAIN_SAMPLES} training samples); ` +
      `use a smaller --window${s.lag > 1 ? ", --transform diff" : ""}${s.horizon > 1 ? ", a smaller --horizon" : ""}, smaller --test or --validation, or a longer series`;
  }
  return null;
}

/** Standardisation of the training part: mean and deviation (1 when the values are constant). */
function standardise(values: readonly number[]): { mean: number; std: number } {
  const v = values.filter(Number.isFinite);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  const std = Math.sqrt(variance);
  return { mean, std: std > 1e-12 ? std : 1 };
}

/** The fitted standardisation for the target and the inputs, from rows before trainEnd. */
export function fitState(
  base: Omit<SeriesState, "mean" | "std" | "inputMean" | "inputStd" | "log">, x: readonly number[], inputs: readonly number[][], trainEnd: number,
): SeriesState {
  const log = base.transform !== "level" && x.every((v) => v > 0);
  const z = transformSeries(x.slice(0, trainEnd), base.lag, log);
  const { mean, std } = standardise(z);
  const st = inputs.map((col) => standardise(col.slice(0, trainEnd)));
  return { ...base, log, mean, std, inputMean: st.map((s) => s.mean), inputStd: st.map((s) => s.std) };
}

/** The network's input for the target at row t: [window, features] flat, from rows t−window..t−1. */
function windowFeatures(state: SeriesState, z: readonly number[], inputs: readonly number[][], t: number, out: Float32Array, offset: number, stride: number): void {
  for (let k = 0; k < state.window; k++) {
    const r = t - state.window + k;
    const base = k * stride + offset;
    out[base] = (z[r] - state.mean) / state.std;
    for (let j = 0; j < inputs.length; j++) out[base + 1 + j] = (inputs[j][r] - state.inputMean[j]) / state.inputStd[j];
  }
}

interface Batch { x: Tensor; y: Tensor }

function makeDataset(state: SeriesState, z: readonly number[], inputs: readonly number[][], targets: readonly number[]): Dataset<Batch> {
  const F = 1 + inputs.length, W = state.window, H = state.horizon;
  return {
    length: targets.length,
    batch(indices) {
      const B = indices.length;
      const x = new Float32Array(W * B * F), y = new Float32Array(B * H);
      indices.forEach((i, b) => {
        const t = targets[i];
        windowFeatures(state, z, inputs, t, x, b * F, B * F);
        for (let h = 0; h < H; h++) y[b * H + h] = (z[t + h] - state.mean) / state.std;
      });
      return { x: new Tensor(x, [W, B, F]), y: new Tensor(y, [B, H]) };
    },
  };
}

export interface TrainedForecaster {
  model: SequenceToVector;
  state: SeriesState;
  history: Array<{ epoch: number; loss: number; valLoss?: number }>;
  bestEpoch: number;
}

/** Rows whose `horizon` targets all lie in [from, to) and that have a full window. */
export function targetRows(state: Pick<SeriesState, "lag" | "window" | "horizon">, from: number, to: number): number[] {
  const out: number[] = [];
  for (let t = Math.max(from, state.lag + state.window); t + state.horizon <= to; t++) out.push(t);
  return out;
}

/** Trains the network on the training rows, keeping the weights of the best validation epoch. */
export function trainForecaster(
  state: SeriesState, x: readonly number[], inputs: readonly number[][], split: SeriesSplit, s: ForecasterSettings, progress?: ProgressCallback,
): TrainedForecaster {
  const rng = new Rng(s.seed);
  const model = new SequenceToVector({ cell: s.cell, inputSize: 1 + inputs.length, hiddenSize: s.hidden, numLayers: s.layers, outputSize: s.horizon, rng });
  const z = transformSeries(x, state.lag, state.log);
  const train = makeDataset(state, z, inputs, targetRows(state, 0, split.trainEnd));
  const valRows = targetRows(state, split.trainEnd, split.valEnd);
  const validation = valRows.length > 0 ? makeDataset(state, z, inputs, valRows) : undefined;
  let best = Infinity, bestEpoch = 0;
  let bestWeights: Record<string, Tensor> | null = null;
  const history: TrainedForecaster["history"] = [];
  fit(model, train, {
    forward: (b) => ({ loss: mseLoss(model.forward(b.x), b.y) }),
    optimizer: new Adam(model.parameters(), { lr: s.lr }),
    rng,
    epochs: s.epochs,
    batchSize: Math.min(s.batch, train.length),
    validation,
    earlyStopping: validation && s.patience > 0 ? { patience: s.patience } : undefined,
    clipNorm: 1,
    progress,
    callbacks: {
      onEpochEnd: (r) => {
        history.push({ epoch: r.epoch, loss: r.loss, valLoss: r.valLoss });
        const score = r.valLoss ?? r.loss;
        if (score < best) {
          best = score;
          bestEpoch = r.epoch;
          bestWeights = model.stateDict();
        }
      },
    },
  });
  if (bestWeights) model.loadStateDict(bestWeights);
  return { model, state, history, bestEpoch };
}

/** The model's standardised outputs [rows.length × horizon] for the targets at `rows` (batched). */
function modelOutputs(model: SequenceToVector, state: SeriesState, z: readonly number[], inputs: readonly number[][], rows: readonly number[]): Float32Array | Float64Array {
  const F = 1 + inputs.length, B = rows.length;
  const feats = new Float32Array(state.window * B * F);
  rows.forEach((t, b) => windowFeatures(state, z, inputs, t, feats, b * F, B * F));
  return noGrad(() => model.forward(new Tensor(feats, [state.window, B, F]))).data;
}

/** Values from standardised outputs u for rows t, t+1, …: each inverted with the value `lag` rows before it (from x, or from earlier outputs). */
function invert(state: SeriesState, x: readonly number[], t: number, u: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let k = 0; k < u.length; k++) {
    const zt = u[k] * state.std + state.mean;
    const r = t + k - state.lag;
    const before = state.lag === 0 ? 0 : f(state.log, r < t ? x[r] : out[r - t]);
    out.push(finv(state.log, zt + before));
  }
  return out;
}

/** One-step-ahead predictions for every row in [from, to) (each from the true history before it). */
export function oneStepPredictions(model: SequenceToVector, state: SeriesState, x: readonly number[], inputs: readonly number[][], from: number, to: number): number[] {
  model.eval();
  const z = transformSeries(x, state.lag, state.log);
  const out: number[] = [];
  const H = state.horizon;
  for (let start = from; start < to; start += 256) {
    const rows = Array.from({ length: Math.min(256, to - start) }, (_, i) => start + i);
    const u = modelOutputs(model, state, z, inputs, rows);
    rows.forEach((t, b) => out.push(invert(state, x, t, [u[b * H]])[0]));
  }
  return out;
}

/**
 * `steps` values after the end of the data: the model predicts `horizon` values at a time
 * from the last window, they are appended to the history and the window slides on. With
 * input columns the future inputs are unknown, so at most `horizon` steps can be made.
 */
export function forecastSeries(model: SequenceToVector, state: SeriesState, x: readonly number[], inputs: readonly number[][], steps: number): number[] {
  model.eval();
  if (inputs.length > 0 && steps > state.horizon) {
    throw new Error(
      `the model reads the input columns ${state.inputs.join(", ")}, whose future values are unknown: it can forecast at most --horizon ${state.horizon} steps, got --steps ${steps}`,
    );
  }
  const history = x.slice();
  const z = transformSeries(history, state.lag, state.log);
  const out: number[] = [];
  while (out.length < steps) {
    const t = history.length;
    const next = invert(state, history, t, modelOutputs(model, state, z, inputs, [t]));
    for (const v of next.slice(0, steps - out.length)) {
      out.push(v);
      const r = history.length;
      z.push(state.lag === 0 ? f(state.log, v) : f(state.log, v) - f(state.log, history[r - state.lag]));
      history.push(v);
    }
  }
  return out;
}

/** Root mean square error of predictions against actual values. */
export function rmse(pred: readonly number[], actual: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i] - actual[i]) ** 2;
  return Math.sqrt(s / pred.length);
}

/** Persistence (x_{t−1}) and seasonal-naive (x_{t−s}) forecasts for rows [from, to). */
export function baselines(x: readonly number[], season: number, from: number, to: number): { persistence: number[]; seasonalNaive: number[] } {
  const persistence: number[] = [], seasonalNaive: number[] = [];
  for (let t = from; t < to; t++) {
    persistence.push(x[t - 1]);
    seasonalNaive.push(x[t - season]);
  }
  return { persistence, seasonalNaive };
}

/** Parses and checks the `rnnkit.series` metadata of a model file. */
export function readSeriesState(metadata: Record<string, string>, path: string): SeriesState {
  const raw = metadata[SERIES_KEY];
  if (raw === undefined) throw new Error(`${path}: not a series model (no ${SERIES_KEY} metadata; train one with \`rnnkit train series\`)`);
  let s: SeriesState;
  try {
    s = JSON.parse(raw) as SeriesState;
  } catch {
    throw new Error(`${path}: the ${SERIES_KEY} metadata is not JSON`);
  }
  if (s?.format !== "rnnkit.series/1" || typeof s.target !== "string" || !Array.isArray(s.inputs) || !Number.isInteger(s.window) || !Number.isInteger(s.lag)) {
    throw new Error(`${path}: the ${SERIES_KEY} metadata is not of format rnnkit.series/1`);
  }
  return s;
}
