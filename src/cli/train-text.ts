/**
 * `rnnkit train text FILE`: a character model trained on a user's text file.
 *
 * The vocabulary is the file's characters (code points, sorted); the last `--validation`
 * fraction of the text is held out. The training part is cut into `--batch` parallel
 * streams (stream b is the contiguous slice [b·S, (b+1)·S)); every optimizer step is one
 * `--window` of every stream (truncated BPTT), with the state carried, detached, from one
 * window to the next and reset at the start of each pass. Adam with a linear warm-up and
 * a cosine decay to a tenth of `--lr` over the budget, global-norm clipping, dropout on
 * the recurrent output before the head. Every `evalEvery` steps the validation split's
 * first 20,000 characters are scored by streaming (state carried through), a checkpoint is
 * written, and early stopping (`--patience` scores without improvement) may end the run.
 * The model written is the one with the best validation score.
 *
 * Reproducibility: with `--steps` (and no `--minutes`) the schedule and the run depend only
 * on the step count, so a run is exactly reproducible and `--resume` after a kill gives
 * the same parameters as an uninterrupted run. `--minutes` stops at a wall-clock time (and
 * its schedule follows the clock), so such runs are not reproducible.
 */
import { basename, dirname, join } from "node:path";
import { existsSync, readFileSync, statSync } from "node:fs";
import { Command, Option } from "commander";
import { Rng, type RngState } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import { SequenceToSequence } from "../nn/topologies.js";
import { Dropout } from "../nn/dropout.js";
import { generateText } from "../nn/generate.js";
import type { RecurrentState } from "../ops/recurrent.js";
import { crossEntropy } from "../ops/loss.js";
import { Adam } from "../optim/adam.js";
import { clipGradNorm } from "../optim/clip.js";
import { detachState } from "../train/tbptt.js";
import { checkFiniteAfterUpdate, checkFiniteGradients, checkFiniteLoss } from "../train/guard.js";
import { encodeCheckpoint, restoreCheckpoint, type TrainerState } from "../train/checkpoint.js";
import { specOf } from "../io/model-file.js";
import { decodeSafetensors } from "../io/safetensors.js";
import { CharVocab } from "../data/corpus.js";
import { DataError, readTextFile } from "../node/text-file.js";
import { saveModel } from "../node/files.js";
import { checkWritableDir, writeFileAtomic } from "../node/atomic.js";
import { readCheckpointFile } from "../node/files.js";
import { terminalProgress, type ProgressMode } from "../node/progress.js";
import { lineChart } from "../plot/line-chart.js";
import { PNG_UNAVAILABLE, svgToPng } from "../node/png.js";
import { VOCAB_KEY, parseNumber } from "./sample.js";
import type { ProgressCallback } from "../train/progress.js";
import { charStreams, streamLoss, streamWindow } from "../train/char-streams.js";

/** The metadata key of the training record: JSON of config, data, date, steps, validation loss. */
export const TRAIN_KEY = "rnnkit.train";

/** The options as commander hands them over (strings), before checking. */
export interface TrainTextArgs {
  cell: string;
  hidden: string;
  layers: string;
  dropout: string;
  minutes?: string;
  steps?: string;
  window: string;
  batch?: string;
  lr: string;
  clip: string;
  validation: string;
  patience: string;
  evalEvery?: string;
  seed: string;
  out: string;
  report?: string;
  checkpoint?: string;
  resume: boolean;
  progress: string;
  json: boolean;
  sampleLength: string;
}

/** The settings that shape the training (stored in checkpoints and the model file). */
export interface TrainTextConfig {
  cell: "lstm" | "gru" | "rnn";
  hidden: number;
  layers: number;
  dropout: number;
  /** Wall-clock budget; null = none (then `steps` is set). */
  minutes: number | null;
  /** Step budget; null = none (then `minutes` is set). */
  steps: number | null;
  window: number;
  batch: number;
  lr: number;
  /** Final learning rate as a fraction of lr. */
  lrEnd: number;
  warmup: number;
  clip: number;
  validation: number;
  /** Scores without improvement before stopping; 0 = never stop early. */
  patience: number;
  evalEvery: number;
  evalChars: number;
  seed: number;
}

/** Where the outputs go and how to report. */
export interface TrainTextOutputs {
  out: string;
  report: string;
  checkpoint: string;
  resume: boolean;
  progress: ProgressMode;
  json: boolean;
  sampleLength: number;
}

/** Defaults picked for a ~1 MB text in 10 minutes on one core (see docs/results/train-text). */
export const TRAIN_TEXT_DEFAULTS = {
  cell: "lstm", hidden: 256, layers: 1, dropout: 0, minutes: 10, window: 64, batch: 32, lr: 0.005, lrEnd: 0.1,
  clip: 5, validation: 0.1, patience: 10, evalEvery: 100, evalChars: 20000, seed: 0, sampleLength: 600,
} as const;

const WHO = "train text";
const int = (min: number) => (v: number) => Number.isInteger(v) && v >= min;

/** Checks every option by name; throws an Error (exit 2) naming the first bad one. Writes nothing. */
export function parseTrainTextArgs(a: TrainTextArgs): { config: TrainTextConfig; outputs: TrainTextOutputs; batchGiven: boolean } {
  if (!["lstm", "gru", "rnn"].includes(a.cell)) throw new Error(`${WHO}: --cell must be lstm, gru or rnn, got '${a.cell}'`);
  const hidden = parseNumber("hidden", a.hidden, int(1), "an integer ≥ 1", WHO);
  const layers = parseNumber("layers", a.layers, int(1), "an integer ≥ 1", WHO);
  const dropout = parseNumber("dropout", a.dropout, (v) => v >= 0 && v < 1, "a number in [0, 1)", WHO);
  const steps = a.steps === undefined ? null : parseNumber("steps", a.steps, int(1), "an integer ≥ 1", WHO);
  let minutes = a.minutes === undefined ? null : parseNumber("minutes", a.minutes, (v) => v > 0, "a number > 0", WHO);
  if (minutes === null && steps === null) minutes = TRAIN_TEXT_DEFAULTS.minutes;
  const window = parseNumber("window", a.window, int(1), "an integer ≥ 1", WHO);
  const batch = a.batch === undefined ? TRAIN_TEXT_DEFAULTS.batch : parseNumber("batch", a.batch, int(1), "an integer ≥ 1", WHO);
  const lr = parseNumber("lr", a.lr, (v) => v > 0, "a number > 0", WHO);
  const clip = parseNumber("clip", a.clip, (v) => v > 0, "a number > 0", WHO);
  const validation = parseNumber("validation", a.validation, (v) => v > 0 && v < 1, "a fraction in (0, 1)", WHO);
  const patience = parseNumber("patience", a.patience, int(0), "an integer ≥ 0 (0 = no early stopping)", WHO);
  const defaultEvery = steps === null ? TRAIN_TEXT_DEFAULTS.evalEvery : Math.max(1, Math.min(TRAIN_TEXT_DEFAULTS.evalEvery, Math.ceil(steps / 10)));
  const evalEvery = a.evalEvery === undefined ? defaultEvery : parseNumber("eval-every", a.evalEvery, int(1), "an integer ≥ 1", WHO);
  const seed = parseNumber("seed", a.seed, (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff, "an integer in [0, 4294967295]", WHO);
  if (!["auto", "bar", "lines", "json", "none"].includes(a.progress)) throw new Error(`${WHO}: --progress must be auto, bar, lines, json or none, got '${a.progress}'`);
  const sampleLength = parseNumber("sample-length", a.sampleLength, int(0), "an integer ≥ 0", WHO);
  if (a.out === "") throw new Error(`${WHO}: --out must not be empty`);
  if (a.report === "") throw new Error(`${WHO}: --report must not be empty`);
  if (a.checkpoint === "") throw new Error(`${WHO}: --checkpoint must not be empty`);
  const stem = a.out.replace(/\.safetensors$/, "");
  const warmup = steps === null ? 100 : Math.min(100, Math.floor(steps / 20));
  return {
    config: {
      cell: a.cell as TrainTextConfig["cell"], hidden, layers, dropout, minutes, steps, window, batch, lr, lrEnd: TRAIN_TEXT_DEFAULTS.lrEnd, warmup,
      clip, validation, patience, evalEvery, evalChars: TRAIN_TEXT_DEFAULTS.evalChars, seed,
    },
    outputs: {
      out: a.out, report: a.report ?? `${stem}-report`, checkpoint: a.checkpoint ?? `${stem}.ckpt`, resume: a.resume,
      progress: a.json ? "json" : (a.progress as ProgressMode), json: a.json, sampleLength,
    },
    batchGiven: a.batch !== undefined,
  };
}

/** The text cut into training ids and validation ids, checked against window, batch and split. */
export interface PreparedText {
  vocab: CharVocab;
  trainIds: Int32Array;
  valIds: Int32Array;
  characters: number;
}

/**
 * Splits the text and checks it holds `batch` streams of at least one window plus one
 * character, and a validation split of at least two characters. Without `--batch` the
 * batch is lowered to fit a small text (the config is updated); otherwise the message
 * gives the numbers and the options to change.
 */
export function prepareText(path: string, text: string, config: TrainTextConfig, batchGiven: boolean): PreparedText {
  const vocab = new CharVocab(text);
  const ids = vocab.encode(text);
  const n = ids.length;
  const cut = Math.round(n * (1 - config.validation));
  const trainIds = ids.subarray(0, cut), valIds = ids.subarray(cut);
  const pct = `${+(config.validation * 100).toPrecision(4)}%`;
  if (valIds.length < 2) {
    throw new DataError(
      `${path}: ${n} characters leave ${valIds.length} for validation (--validation ${config.validation} = ${pct}); at least 2 are needed: raise --validation or use a longer text`,
    );
  }
  const need = (B: number) => B * (config.window + 1);
  if (trainIds.length < need(config.batch)) {
    const fit = Math.floor(trainIds.length / (config.window + 1));
    if (!batchGiven && fit >= 1) {
      config.batch = fit;
    } else {
      throw new DataError(
        `${path}: too short: ${n} characters, ${trainIds.length} for training after holding out ${pct} for validation, ` +
          `but --batch ${config.batch} streams of --window ${config.window} + 1 characters need ${need(config.batch)}; ` +
          (fit >= 1 ? `lower --batch to ${fit} or less, or --window` : `lower --window (at most ${Math.max(1, trainIds.length - 1)}) and --batch`) +
          ", or use a longer text",
      );
    }
  }
  return { vocab, trainIds, valIds, characters: n };
}

/** One scored point of the run. */
export interface CurvePoint {
  step: number;
  seconds: number;
  /** Mean training loss of the windows since the previous point. */
  train: number;
  /** Loss on the validation prefix. */
  val: number;
}

/** The trainer's own part of a checkpoint (`trainer.extra`). */
interface LoopExtra {
  window: number;
  carried: { h: number[]; c: number[] | null; shape: number[] } | null;
  trainSeconds: number;
  lossSum: number;
  lossCount: number;
  bestVal: number;
  bestStep: number;
  /** Which of the two best-model files holds the best parameters (null before the first score). */
  bestSlot: 0 | 1 | null;
  badEvals: number;
  stopped: boolean;
  curve: CurvePoint[];
  created: string;
  rng: RngState;
}

/** The learning rate for the update after `step` updates, at `progress` ∈ [0, 1] of the budget. */
export function learningRate(config: TrainTextConfig, step: number, progress: number): number {
  if (config.warmup > 0 && step < config.warmup) return (config.lr * (step + 1)) / config.warmup;
  const p = Math.min(1, Math.max(0, progress));
  return config.lr * (config.lrEnd + (1 - config.lrEnd) * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/** What a finished run reports. */
export interface TrainTextResult {
  steps: number;
  trainSeconds: number;
  /** Loss of the written model on the whole validation split. */
  validationLoss: number;
  bestStep: number;
  stoppedEarly: boolean;
  curve: CurvePoint[];
  sample: string;
  out: string;
  report: string;
  batch: number;
}

function print(outputs: TrainTextOutputs, json: Record<string, unknown>, text: string): void {
  if (outputs.json) console.log(JSON.stringify(json));
  else if (outputs.progress !== "none") console.log(text);
}

function stateToJson(state: RecurrentState | undefined): LoopExtra["carried"] {
  if (state === undefined) return null;
  return { h: Array.from(state.h.data), c: state.c ? Array.from(state.c.data) : null, shape: [...state.h.shape] };
}

function stateFromJson(s: LoopExtra["carried"]): RecurrentState | undefined {
  if (s === null) return undefined;
  const h = new Tensor(Float32Array.from(s.h), s.shape);
  return s.c === null ? { h } : { h, c: new Tensor(Float32Array.from(s.c), s.shape) };
}

/** The best parameters so far, as copies by name. */
type Snapshot = Map<string, Float32Array | Float64Array>;

function snapshotOf(model: SequenceToSequence): Snapshot {
  return new Map(model.namedParameters().map(([n, t]) => [n, t.data.slice()]));
}

function loadSnapshot(model: SequenceToSequence, snap: Snapshot): void {
  for (const [n, t] of model.namedParameters()) t.data.set(snap.get(n)!);
}

/** The config fields a resumed run must share with its checkpoint. */
function configDifferences(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${k} ${JSON.stringify(b[k])} in the checkpoint, ${JSON.stringify(a[k])} now`);
}

/**
 * Trains a character model on `file` and writes the model, the report directory and
 * checkpoints. Throws DataError / Error (exit 2) for bad data or outputs before training.
 */
export async function trainText(file: string, args: TrainTextArgs): Promise<TrainTextResult> {
  const { config, outputs, batchGiven } = parseTrainTextArgs(args);
  const data = readTextFile(file);
  const prepared = prepareText(file, data.text, config, batchGiven);
  const { vocab, trainIds, valIds } = prepared;
  if (outputs.resume && !existsSync(outputs.checkpoint)) {
    throw new DataError(`${WHO}: --resume: no checkpoint at ${outputs.checkpoint} (give --checkpoint, or leave out --resume to start afresh)`);
  }
  for (const [name, path] of [["--out", outputs.out], ["--checkpoint", outputs.checkpoint]]) {
    if (existsSync(path) && statSync(path).isDirectory()) throw new DataError(`${WHO}: ${name} ${path} is a directory; give a file name`);
  }
  for (const dir of new Set([dirname(outputs.out), outputs.report, dirname(outputs.checkpoint)])) checkWritableDir(dir);

  const V = vocab.size, B = config.batch, T = config.window;
  const streams = charStreams(trainIds, B);
  const windowsPerPass = Math.floor((streams.S - 1) / T);
  const evalIds = valIds.subarray(0, Math.min(config.evalChars, valIds.length));
  const dataRecord = { file: basename(file), sha256: data.sha256, bytes: data.bytes, characters: prepared.characters, vocabSize: V, trainCharacters: trainIds.length, validationCharacters: valIds.length };
  const stored = { ...config } as unknown as Record<string, unknown>;

  const rng = new Rng(config.seed);
  const model = new SequenceToSequence({ cell: config.cell, inputSize: V, hiddenSize: config.hidden, numLayers: config.layers, outputSize: V, rng });
  const dropRng = new Rng((config.seed ^ 0x9e3779b9) >>> 0);
  const drop = new Dropout({ p: config.dropout, rng: dropRng });
  const named = model.namedParameters();
  const params = model.parameters();
  const optimizer = new Adam(params, { lr: config.lr });
  // The best parameters go to one of two files, alternately, before the checkpoint that names
  // it: a kill between the two writes leaves the file the last checkpoint names untouched.
  const bestPath = (slot: 0 | 1) => `${outputs.checkpoint}.best${slot}.safetensors`;

  let step = 0, pass = 0;
  let extra: LoopExtra = {
    window: 0, carried: null, trainSeconds: 0, lossSum: 0, lossCount: 0, bestVal: Infinity, bestStep: 0, bestSlot: null, badEvals: 0, stopped: false, curve: [],
    created: new Date().toISOString(), rng: dropRng.getState(),
  };
  let best: Snapshot | null = null;
  if (outputs.resume) {
    const bytes = readCheckpointFile(outputs.checkpoint);
    const contents = restoreCheckpoint(bytes, model, optimizer, rng, outputs.checkpoint);
    const saved = contents.config as { train?: Record<string, unknown>; sha256?: string };
    if (saved.sha256 !== data.sha256) throw new DataError(`${WHO}: --resume: ${outputs.checkpoint} was written for other data (SHA-256 ${String(saved.sha256).slice(0, 12)}…, this file ${data.sha256.slice(0, 12)}…)`);
    const diff = configDifferences(stored, saved.train ?? {});
    if (diff.length) throw new DataError(`${WHO}: --resume: the options differ from the checkpoint's: ${diff.join("; ")}`);
    step = contents.trainer.step;
    pass = contents.trainer.epoch;
    extra = contents.trainer.extra as unknown as LoopExtra;
    dropRng.setState(extra.rng);
    if (extra.bestSlot !== null) {
      const path = bestPath(extra.bestSlot);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(path));
      } catch (e) {
        throw new DataError(`${WHO}: --resume: the best model so far, ${path}, cannot be read (${(e as Error).message})`);
      }
      const snap = decodeSafetensors(bytes, path);
      best = new Map([...snap.tensors].map(([n, t]) => [n, t.data]));
    }
  }
  let state = stateFromJson(extra.carried);

  print(outputs, { event: "config", config, data: dataRecord, outputs: { out: outputs.out, report: outputs.report, checkpoint: outputs.checkpoint }, resumedAt: outputs.resume ? step : null },
    `train text: ${file}: ${prepared.characters} characters (${trainIds.length} training, ${valIds.length} validation), ${V} distinct, SHA-256 ${data.sha256.slice(0, 16)}…\n` +
    `  model: ${config.cell} ${config.layers}×${config.hidden}, ${params.reduce((s, p) => s + p.size, 0)} parameters, dropout ${config.dropout}\n` +
    `  training: batch ${B} × window ${T}, Adam lr ${config.lr} (warm-up ${config.warmup} steps, cosine to ×${config.lrEnd}), clip ${config.clip}, ` +
    `${config.steps !== null ? `${config.steps} steps` : ""}${config.steps !== null && config.minutes !== null ? " or " : ""}${config.minutes !== null ? `${config.minutes} min (stops at a time: not reproducible)` : ""}, ` +
    `validation every ${config.evalEvery} steps${config.patience > 0 ? `, patience ${config.patience}` : ""}, seed ${config.seed}\n` +
    `  out ${outputs.out}, report ${outputs.report}, checkpoint ${outputs.checkpoint}${outputs.resume ? ` (resumed at step ${step})` : ""}`);

  const budget = config.minutes === null ? Infinity : config.minutes * 60;
  const progressOf = () => Math.max(config.steps === null ? 0 : step / config.steps, extra.trainSeconds / budget);
  const done = () => extra.stopped || (config.steps !== null && step >= config.steps) || extra.trainSeconds >= budget;
  const bySteps = config.steps !== null;
  const total = bySteps ? config.steps! : Math.round(budget);
  const callback: ProgressCallback = terminalProgress(outputs.progress);
  const label = bySteps ? "train (steps)" : "train (seconds)";
  callback({ type: "start", label, total });

  const writeCheckpoint = () => {
    extra.carried = stateToJson(state);
    extra.rng = dropRng.getState();
    const trainer: TrainerState = { step, epoch: pass, batchInEpoch: 0, permutation: null, extra: extra as unknown as Record<string, unknown> };
    writeFileAtomic(outputs.checkpoint, encodeCheckpoint(model, optimizer, rng, trainer, { train: stored, sha256: data.sha256 }));
  };
  const evaluate = () => {
    const val = streamLoss(model, evalIds, V, T);
    const train = extra.lossCount > 0 ? extra.lossSum / extra.lossCount : NaN;
    extra.curve.push({ step, seconds: extra.trainSeconds, train, val });
    extra.lossSum = 0;
    extra.lossCount = 0;
    if (val < extra.bestVal) {
      extra.bestVal = val;
      extra.bestStep = step;
      extra.badEvals = 0;
      best = snapshotOf(model);
      extra.bestSlot = extra.bestSlot === 0 ? 1 : 0;
      saveModel(bestPath(extra.bestSlot), model, specOf(model));
    } else {
      extra.badEvals++;
      if (config.patience > 0 && extra.badEvals >= config.patience) extra.stopped = true;
    }
    const line = `step ${step}: train ${Number.isNaN(train) ? "—" : train.toFixed(3)}, validation ${val.toFixed(3)} nats/char${extra.stopped ? ` (no improvement in ${config.patience} scores: stopping early)` : ""}`;
    if (outputs.json) console.log(JSON.stringify({ event: "validation", step, seconds: extra.trainSeconds, train: Number.isNaN(train) ? null : train, val, best: extra.bestVal }));
    else callback({ type: "message", label, message: line });
  };

  try {
    while (!done()) {
      const t0 = performance.now();
      if (extra.window === windowsPerPass) {
        extra.window = 0;
        pass++;
        state = undefined; // a new pass starts every stream from the top with a zero state
      }
      const { x, targets } = streamWindow(streams, V, extra.window * T, T);
      optimizer.lr = learningRate(config, step, progressOf());
      optimizer.zeroGrad();
      let y: Tensor, next: RecurrentState;
      if (config.dropout > 0) {
        const r = model.rnn.forward(x, state);
        y = model.head.forward(drop.forward(r.output));
        next = r.state;
      } else {
        const r = model.forwardWithState(x, { state });
        y = r.y;
        next = r.state;
      }
      const loss = crossEntropy(y, targets);
      const lossValue = loss.item();
      checkFiniteLoss(step + 1, lossValue, named);
      loss.backward();
      checkFiniteGradients(step + 1, named);
      clipGradNorm(params, config.clip);
      optimizer.step();
      step++;
      checkFiniteAfterUpdate(step, optimizer, named);
      state = detachState(next);
      extra.window++;
      extra.lossSum += lossValue;
      extra.lossCount++;
      extra.trainSeconds += (performance.now() - t0) / 1000;
      if (step % config.evalEvery === 0 || done()) {
        evaluate();
        writeCheckpoint();
      }
      callback({ type: "step", label, done: bySteps ? step : Math.min(total, Math.floor(extra.trainSeconds)), total, fields: { step, loss: +lossValue.toFixed(4), lr: +optimizer.lr.toPrecision(3) } });
    }
  } finally {
    callback({ type: "end", label });
  }
  if (extra.curve.length === 0 || extra.curve[extra.curve.length - 1].step !== step) {
    evaluate();
    writeCheckpoint();
  }
  if (best !== null) loadSnapshot(model, best);
  const validationLoss = streamLoss(model, valIds, V, T);
  const created = new Date().toISOString();
  const record = {
    config, data: dataRecord, created, started: extra.created, steps: step, bestStep: extra.bestStep, trainSeconds: +extra.trainSeconds.toFixed(3),
    validationLoss, stoppedEarly: extra.stopped, reproducible: config.minutes === null,
  };
  saveModel(outputs.out, model, specOf(model), { [VOCAB_KEY]: JSON.stringify(vocab.chars), [TRAIN_KEY]: JSON.stringify(record) });

  const prime = vocab.chars.includes("\n") ? "\n" : vocab.chars[0];
  const sample = generateText(model, vocab.chars, { prime, length: outputs.sampleLength, temperature: 0.8, rng: new Rng(config.seed) });
  await writeReport(outputs, file, record, extra.curve, sample);
  print(outputs, { event: "done", steps: step, bestStep: extra.bestStep, trainSeconds: extra.trainSeconds, validationLoss, stoppedEarly: extra.stopped, out: outputs.out, report: outputs.report },
    `done: ${step} steps in ${extra.trainSeconds.toFixed(0)} s of training; the model of step ${extra.bestStep} scores ${validationLoss.toFixed(3)} nats/char on all ${valIds.length} validation characters\n` +
    `  model ${outputs.out}, report ${join(outputs.report, "report.md")}`);
  return { steps: step, trainSeconds: extra.trainSeconds, validationLoss, bestStep: extra.bestStep, stoppedEarly: extra.stopped, curve: extra.curve, sample, out: outputs.out, report: outputs.report, batch: B };
}

async function writeReport(outputs: TrainTextOutputs, file: string, record: Record<string, unknown> & { validationLoss: number; steps: number }, curve: CurvePoint[], sample: string): Promise<void> {
  const dir = outputs.report;
  const trained = curve.filter((p) => !Number.isNaN(p.train));
  const svg = lineChart(
    [
      { name: "training (mean of the windows since the last score)", x: trained.map((p) => p.step), y: trained.map((p) => p.train) },
      { name: "validation", x: curve.map((p) => p.step), y: curve.map((p) => p.val) },
    ],
    { title: `train text: ${basename(file)}`, xLabel: "step", yLabel: "loss (nats/char)" },
  );
  writeFileAtomic(join(dir, "loss.svg"), new TextEncoder().encode(svg));
  const png = await svgToPng(svg);
  if (png !== null) writeFileAtomic(join(dir, "loss.png"), png);
  else if (!outputs.json) console.error(`rnnkit: ${PNG_UNAVAILABLE}`);
  writeFileAtomic(join(dir, "sample.txt"), new TextEncoder().encode(sample));
  const md = [
    `# train text: ${basename(file)}`,
    "",
    `Validation loss of the written model (step ${String(record.bestStep)} of ${record.steps}): **${record.validationLoss.toFixed(4)} nats/char** on the whole validation split.`,
    "",
    `![loss curves](${png !== null ? "loss.png" : "loss.svg"})`,
    "",
    "## Configuration",
    "",
    "```json",
    JSON.stringify(record, null, 2),
    "```",
    "",
    "## Sample (temperature 0.8)",
    "",
    "```text",
    sample.replace(/```/g, "'''"),
    "```",
    "",
  ].join("\n");
  writeFileAtomic(join(dir, "report.md"), new TextEncoder().encode(md));
}

/** `rnnkit train text`: register under a `train` command (`train.addCommand(trainTextCommand())`). */
export function trainTextCommand(): Command {
  const d = TRAIN_TEXT_DEFAULTS;
  const cmd = new Command("text")
    .description("train a character model on a UTF-8 text file")
    .argument("<file>", "a UTF-8 text file (≥ a few kB; ~1 MB for a decent model)")
    .addOption(new Option("--cell <cell>", "recurrent cell: lstm, gru or rnn").default(d.cell))
    .option("--hidden <n>", "hidden units per layer", String(d.hidden))
    .option("--layers <n>", "stacked recurrent layers", String(d.layers))
    .option("--dropout <p>", "dropout on the recurrent output before the head", String(d.dropout))
    .option("--minutes <m>", `wall-clock budget (default ${d.minutes} without --steps); stops at a time, so the run is not reproducible`)
    .option("--steps <n>", "step budget: with it alone the run is exactly reproducible and resumable")
    .option("--window <n>", "truncated-BPTT window (characters per stream per step)", String(d.window))
    .option("--batch <n>", `parallel streams (default ${d.batch}, lowered to fit a small text)`)
    .option("--lr <lr>", "Adam learning rate after warm-up (cosine-decayed to a tenth)", String(d.lr))
    .option("--clip <norm>", "global gradient-norm clip", String(d.clip))
    .option("--validation <fraction>", "the last part of the text held out for validation", String(d.validation))
    .option("--patience <n>", "stop after this many validation scores without improvement (0 = never)", String(d.patience))
    .option("--eval-every <n>", `score the validation split every n steps (default ${d.evalEvery}, fewer for short --steps runs)`)
    .option("--seed <n>", "random seed (weights, dropout, sample)", String(d.seed))
    .option("--out <file>", "the model file", "model.safetensors")
    .option("--report <dir>", "report directory (default: <out>-report)")
    .option("--checkpoint <file>", "checkpoint file, written every validation score (default: <out>.ckpt)")
    .option("--resume", "continue from the checkpoint", false)
    .option("--progress <mode>", "auto, bar, lines, json or none", "auto")
    .option("--sample-length <n>", "characters of generated text in the report", String(d.sampleLength))
    .option("--json", "JSON lines on stdout (progress, scores, the result)", false)
    .action(async (file: string, opts: TrainTextArgs) => {
      await trainText(file, opts);
    });
  return usageExitCodes(cmd);
}

/**
 * Commander's own errors (unknown option, missing argument) as one `rnnkit: …` line and
 * exit 2; help exits 0. (A program-wide handler may replace this.)
 */
export function usageExitCodes(cmd: Command): Command {
  return cmd
    .configureOutput({ outputError: (str, write) => write(`rnnkit: ${str.replace(/^error: /, "")}`) })
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
}
