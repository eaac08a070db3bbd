/**
 * The training loop: epochs of shuffled mini-batches (seeded), an optimizer step per
 * batch with optional clipping and learning-rate schedule, validation loss and
 * accuracy after each epoch, callbacks, early stopping, progress output, divergence
 * detection and crash-safe checkpoints from which a run resumes exactly.
 */
import { Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";
import type { Module } from "../nn/module.js";
import { Optimizer } from "../optim/optimizer.js";
import {
  checkBoolean, checkInteger, checkKnownKeys, checkNumber, checkOptionsObject, checkRng, describeValue,
} from "../util/check.js";
import type { LrSchedule } from "../optim/schedules.js";
import { clipGradNorm, clipGradValue } from "../optim/clip.js";
import { noGrad } from "../autograd/tape.js";
import { ProgressEmitter, type ProgressCallback } from "./progress.js";
import { checkFiniteAfterUpdate, checkFiniteGradients, checkFiniteLoss } from "./guard.js";
import { CheckpointError, checkCheckpoint, encodeCheckpoint, type LoopState, type RunSettings, type TrainerState } from "./checkpoint.js";

/** Indexable data: `batch(indices)` assembles the samples at those indices. */
export interface Dataset<B> {
  readonly length: number;
  batch(indices: readonly number[]): B;
  /**
   * Optional identifier of the contents (e.g. a SHA-256 of the source file): recorded in
   * checkpoints, and resuming on data with another checksum is refused.
   */
  readonly checksum?: string;
}

/** What the user's forward pass returns for one batch. */
export interface BatchResult {
  /** Mean loss over the batch (a scalar tensor on the tape when training). */
  loss: Tensor;
  /** For accuracy: how many predictions were right, out of `count`. */
  correct?: number;
  count?: number;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  lr: number;
  steps: number;
  seconds: number;
}

export interface StepInfo {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  gradNorm?: number;
}

export interface FitCallbacks {
  onStep?(info: StepInfo): void;
  /** Return "stop" to end training after this epoch. */
  onEpochEnd?(record: EpochRecord): void | "stop";
}

export interface FitOptions<B> {
  /** Forward pass of one batch → mean loss (and accuracy counts). Called under noGrad for validation. */
  forward: (batch: B, training: boolean) => BatchResult;
  optimizer: Optimizer;
  /** Shuffling draws from this generator; its state is saved in checkpoints. */
  rng: Rng;
  epochs: number;
  batchSize: number;
  shuffle?: boolean;
  validation?: Dataset<B>;
  /** Clip the global L2 norm of the gradients to this value. */
  clipNorm?: number;
  /** Clip each gradient element to [−clipValue, clipValue]. */
  clipValue?: number;
  /** Learning rate as a function of the optimizer step (0-based); overrides the optimizer's lr. */
  schedule?: LrSchedule;
  /** Stop when the validation loss has not improved by `minDelta` for `patience` epochs. */
  earlyStopping?: { patience: number; minDelta?: number };
  callbacks?: FitCallbacks;
  /** Receives progress events (the Node layer's `terminalProgress()` prints them); default none. */
  progress?: ProgressCallback;
  /**
   * Checkpoints every `everySteps` steps and at each epoch end, handed to `write` as bytes
   * (the Node layer's `checkpointFile(path)` writes them to a file atomically).
   */
  checkpoint?: { write: (bytes: Uint8Array) => void; everySteps?: number };
  /**
   * Continue from these checkpoint bytes: model, optimizer (hyper-parameters included), the
   * run's generator, the model's generators (Dropout's), position, running sums, early-stopping
   * counters and history are restored, and the run continues exactly as if uninterrupted.
   * Resuming with settings that change the run — batchSize, shuffle, the training or
   * validation set's length or checksum, clipNorm, clipValue, earlyStopping, the schedule —
   * is refused (CheckpointError naming each difference) unless `allowSettingChanges`.
   * `epochs` may change: it only says where the run ends.
   */
  resumeFrom?: Uint8Array;
  /**
   * Resume even if the settings differ from the checkpoint's run. The run then differs from
   * an uninterrupted one: with another training-set length the current epoch starts over
   * with a fresh order; with another batch size it continues at the batch of the new size
   * that holds the first sample not yet seen.
   */
  allowSettingChanges?: boolean;
  /** Recorded in checkpoints. */
  config?: Record<string, unknown>;
}

export interface FitResult {
  history: EpochRecord[];
  steps: number;
  stoppedEarly: boolean;
}

function runSettings<B>(train: Dataset<B>, o: FitOptions<B>, step: number): RunSettings {
  return {
    batchSize: o.batchSize,
    shuffle: o.shuffle ?? true,
    trainLength: train.length,
    trainChecksum: train.checksum ?? null,
    validationLength: o.validation?.length ?? null,
    validationChecksum: o.validation?.checksum ?? null,
    clipNorm: o.clipNorm ?? null,
    clipValue: o.clipValue ?? null,
    earlyStopping: o.earlyStopping ? { patience: o.earlyStopping.patience, minDelta: o.earlyStopping.minDelta ?? 0 } : null,
    scheduleLr: o.schedule ? o.schedule.lrAt(step) : null,
  };
}

/** The settings that differ, as "name: checkpoint → now". */
function settingChanges(saved: RunSettings, now: RunSettings): string[] {
  const out: string[] = [];
  for (const key of Object.keys(now) as Array<keyof RunSettings>) {
    const a = JSON.stringify(saved[key]), b = JSON.stringify(now[key]);
    if (a !== b) out.push(`${key === "scheduleLr" ? "schedule (its rate at this step)" : key} ${a} → ${b}`);
  }
  return out;
}

const FIT_OPTIONS = [
  "forward", "optimizer", "rng", "epochs", "batchSize", "shuffle", "validation", "clipNorm", "clipValue", "schedule",
  "earlyStopping", "callbacks", "progress", "checkpoint", "resumeFrom", "allowSettingChanges", "config",
] as const;

/** Refuses a dataset that is not `{ length: positive integer, batch(indices) }`. */
function checkDataset(name: string, data: unknown): void {
  const d = checkOptionsObject("fit", data, name) as { length?: unknown; batch?: unknown };
  if (typeof d.batch !== "function") throw new TypeError(`fit: ${name} must have a batch(indices) method, got ${describeValue(d.batch)}`);
  checkInteger("fit", `${name}.length`, d.length);
}

function checkFunction(name: string, v: unknown, optional = false): void {
  if (optional && v === undefined) return;
  if (typeof v !== "function") throw new TypeError(`fit: ${name} must be a function, got ${describeValue(v)}`);
}

function checkPositive(name: string, v: unknown): void {
  if (v !== undefined && checkNumber("fit", name, v) <= 0) throw new RangeError(`fit: ${name} must be > 0, got ${v as number}`);
}

/** Every option of `fit` checked before anything runs: names, types and ranges. */
function validateOptions<B>(train: Dataset<B>, options: FitOptions<B>): void {
  const o = checkOptionsObject("fit", options);
  checkKnownKeys("fit", o, FIT_OPTIONS);
  checkFunction("forward", o.forward);
  if (!(o.optimizer instanceof Optimizer)) {
    throw new TypeError(`fit: optimizer must be an Optimizer (e.g. new Adam(model.parameters())), got ${describeValue(o.optimizer)}`);
  }
  checkRng("fit", o.rng);
  checkInteger("fit", "epochs", o.epochs);
  checkInteger("fit", "batchSize", o.batchSize);
  checkBoolean("fit", "shuffle", o.shuffle, true);
  checkDataset("the training set", train);
  if (o.validation !== undefined) checkDataset("validation", o.validation);
  checkPositive("clipNorm", o.clipNorm);
  checkPositive("clipValue", o.clipValue);
  if (o.earlyStopping !== undefined) {
    const e = checkOptionsObject("fit", o.earlyStopping, "earlyStopping");
    checkKnownKeys("fit: earlyStopping", e, ["patience", "minDelta"]);
    checkInteger("fit", "earlyStopping.patience", e.patience);
    if (e.minDelta !== undefined) checkNumber("fit", "earlyStopping.minDelta", e.minDelta, 0);
    if (o.validation === undefined) throw new TypeError("fit: earlyStopping needs a validation set (it watches the validation loss)");
  }
  checkFunction("progress", o.progress, true);
  if (o.callbacks !== undefined) {
    const c = checkOptionsObject("fit", o.callbacks, "callbacks");
    checkKnownKeys("fit: callbacks", c, ["onStep", "onEpochEnd"]);
    checkFunction("callbacks.onStep", c.onStep, true);
    checkFunction("callbacks.onEpochEnd", c.onEpochEnd, true);
  }
  if (o.checkpoint !== undefined) {
    const c = checkOptionsObject("fit", o.checkpoint, "checkpoint");
    checkKnownKeys("fit: checkpoint", c, ["write", "everySteps"]);
    checkFunction("checkpoint.write", c.write);
    if (c.everySteps !== undefined) checkInteger("fit", "checkpoint.everySteps", c.everySteps);
  }
  if (o.resumeFrom !== undefined && !(o.resumeFrom instanceof Uint8Array)) {
    throw new TypeError(`fit: resumeFrom must be the checkpoint's bytes (a Uint8Array; in Node, readCheckpointFile(path)), got ${describeValue(o.resumeFrom)}`);
  }
  checkBoolean("fit", "allowSettingChanges", o.allowSettingChanges, false);
}

/** What the user's forward returned, checked: a scalar loss tensor and optional finite counts. */
function checkBatchResult(r: unknown, training: boolean): BatchResult {
  const what = `fit: forward(batch, ${training}) must return { loss: Tensor, correct?, count? }`;
  if (typeof r !== "object" || r === null) throw new TypeError(`${what}, got ${describeValue(r)}`);
  const { loss, correct, count } = r as Partial<BatchResult>;
  if (!(loss instanceof Tensor)) throw new TypeError(`${what}; its loss is ${describeValue(loss)}`);
  if (loss.size !== 1) throw new TypeError(`${what}; its loss has shape [${loss.shape.join(", ")}], expected one value (the batch mean)`);
  if (correct !== undefined && !Number.isFinite(correct)) throw new TypeError(`${what}; its correct is ${describeValue(correct)}`);
  if (count !== undefined && !Number.isFinite(count)) throw new TypeError(`${what}; its count is ${describeValue(count)}`);
  return r as BatchResult;
}

/** Mean loss and accuracy over a dataset, in order, without gradients, in eval mode. */
export function evaluate<B>(model: Module, data: Dataset<B>, forward: FitOptions<B>["forward"], batchSize: number): { loss: number; accuracy?: number } {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0, n = 0, correct = 0, counted = 0;
  noGrad(() => {
    for (let start = 0; start < data.length; start += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, data.length - start) }, (_, i) => start + i);
      const r = checkBatchResult(forward(data.batch(idx), false), false);
      lossSum += r.loss.item() * idx.length;
      n += idx.length;
      if (r.correct !== undefined) {
        correct += r.correct;
        counted += r.count ?? idx.length;
      }
    }
  });
  model.train(wasTraining);
  return { loss: lossSum / n, accuracy: counted > 0 ? correct / counted : undefined };
}

/**
 * Trains `model` on `train`.
 * @example
 * const result = fit(model, trainSet, {
 *   forward: (b, training) => ({ loss: crossEntropy(model.forward(b.x), b.y) }),
 *   optimizer: new Adam(model.parameters(), { lr: 1e-3 }), rng: new Rng(0), epochs: 5, batchSize: 32,
 * });
 */
export function fit<B>(model: Module, train: Dataset<B>, options: FitOptions<B>): FitResult {
  validateOptions(train, options);
  const { optimizer, rng, epochs, batchSize, shuffle = true } = options;
  const named = model.namedParameters();
  const params = named.map(([, t]) => t);
  const batchesPerEpoch = Math.ceil(train.length / batchSize);

  let state: TrainerState = { step: 0, epoch: 0, batchInEpoch: 0, permutation: null, extra: {} };
  let sums: LoopState = { lossSum: 0, count: 0, correct: 0, counted: 0, bestValLoss: Infinity, badEpochs: 0, stopped: false, history: [] };
  if (options.resumeFrom !== undefined) {
    // Everything is checked before anything is restored: a refusal changes nothing.
    const checked = checkCheckpoint(options.resumeFrom, model, optimizer, "resumeFrom");
    const saved = checked.contents.trainer;
    state = { ...saved, permutation: saved.permutation && [...saved.permutation] };
    if (saved.settings !== undefined) {
      const changes = settingChanges(saved.settings, runSettings(train, options, saved.step));
      if (changes.length > 0 && !options.allowSettingChanges) {
        throw new CheckpointError(
          `checkpoint refused: resumeFrom: this run's settings differ from the checkpoint's: ${changes.join("; ")}` +
            " (pass allowSettingChanges: true to continue anyway)",
        );
      }
    }
    if (saved.loop !== undefined) sums = { ...saved.loop, history: saved.loop.history.map((r) => ({ ...r })) };
    if (state.permutation !== null && state.permutation.length !== train.length) {
      // Only with allowSettingChanges: the saved order does not fit this data; start the epoch over.
      Object.assign(state, { permutation: null, batchInEpoch: 0 });
      Object.assign(sums, { lossSum: 0, count: 0, correct: 0, counted: 0 });
    } else if (state.permutation !== null && saved.settings !== undefined && saved.settings.batchSize !== batchSize) {
      state.batchInEpoch = Math.floor((state.batchInEpoch * saved.settings.batchSize) / batchSize);
    }
    checked.apply(rng);
  }
  let epochStart = Date.now();

  const save = () => {
    if (!options.checkpoint) return;
    const trainer: TrainerState = { ...state, loop: sums, settings: runSettings(train, options, state.step) };
    options.checkpoint.write(encodeCheckpoint(model, optimizer, rng, trainer, options.config ?? {}));
  };

  const progress = new ProgressEmitter(options.progress, "train", epochs * batchesPerEpoch);
  let stoppedEarly = sums.stopped;
  try {
    while (state.epoch < epochs && !stoppedEarly) {
      if (state.permutation === null) {
        state.permutation = shuffle ? rng.permutation(train.length) : Array.from({ length: train.length }, (_, i) => i);
      }
      model.train();
      while (state.batchInEpoch < batchesPerEpoch) {
        const b = state.batchInEpoch;
        const idx = state.permutation.slice(b * batchSize, (b + 1) * batchSize);
        if (options.schedule) optimizer.lr = options.schedule.lrAt(state.step);
        optimizer.zeroGrad();
        const r = checkBatchResult(options.forward(train.batch(idx), true), true);
        const lossValue = r.loss.item();
        checkFiniteLoss(state.step + 1, lossValue, named);
        r.loss.backward();
        checkFiniteGradients(state.step + 1, named);
        const gradNorm = options.clipNorm !== undefined ? clipGradNorm(params, options.clipNorm) : undefined;
        if (options.clipValue !== undefined) clipGradValue(params, options.clipValue);
        optimizer.step();
        state.step++;
        checkFiniteAfterUpdate(state.step, optimizer, named);
        state.batchInEpoch++;
        sums.lossSum += lossValue * idx.length;
        sums.count += idx.length;
        if (r.correct !== undefined) {
          sums.correct += r.correct;
          sums.counted += r.count ?? idx.length;
        }
        options.callbacks?.onStep?.({ step: state.step, epoch: state.epoch, loss: lossValue, lr: optimizer.lr, gradNorm });
        progress.step(state.step, { epoch: state.epoch + 1, loss: sums.lossSum / sums.count });
        if (options.checkpoint?.everySteps && state.step % options.checkpoint.everySteps === 0) save();
      }
      // Absent fields are left out (not set to undefined) so that a record reads back from a checkpoint unchanged.
      const record: EpochRecord = { epoch: state.epoch + 1, loss: sums.lossSum / sums.count, lr: optimizer.lr, steps: state.step, seconds: (Date.now() - epochStart) / 1000 };
      if (sums.counted > 0) record.accuracy = sums.correct / sums.counted;
      if (options.validation) {
        const v = evaluate(model, options.validation, options.forward, batchSize);
        record.valLoss = v.loss;
        if (v.accuracy !== undefined) record.valAccuracy = v.accuracy;
      }
      sums.history.push(record);
      progress.message(
        `epoch ${record.epoch}/${epochs}  loss ${record.loss.toFixed(4)}` +
          (record.accuracy !== undefined ? `  acc ${record.accuracy.toFixed(4)}` : "") +
          (record.valLoss !== undefined ? `  val_loss ${record.valLoss.toFixed(4)}` : "") +
          (record.valAccuracy !== undefined ? `  val_acc ${record.valAccuracy.toFixed(4)}` : ""),
      );
      if (options.callbacks?.onEpochEnd?.(record) === "stop") stoppedEarly = true;
      if (options.earlyStopping && record.valLoss !== undefined) {
        if (record.valLoss < sums.bestValLoss - (options.earlyStopping.minDelta ?? 0)) {
          sums.bestValLoss = record.valLoss;
          sums.badEpochs = 0;
        } else if (++sums.badEpochs >= options.earlyStopping.patience) stoppedEarly = true;
      }
      state.epoch++;
      state.batchInEpoch = 0;
      state.permutation = null;
      Object.assign(sums, { lossSum: 0, count: 0, correct: 0, counted: 0, stopped: stoppedEarly });
      epochStart = Date.now();
      save();
    }
  } finally {
    progress.end();
  }
  return { history: sums.history, steps: state.step, stoppedEarly };
}
