/**
 * The training loop: epochs of shuffled mini-batches (seeded), an optimizer step per
 * batch with optional clipping and learning-rate schedule, validation loss and
 * accuracy after each epoch, callbacks, early stopping, progress output, divergence
 * detection and crash-safe checkpoints from which a run resumes exactly.
 */
import type { Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";
import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { LrSchedule } from "../optim/schedules.js";
import { clipGradNorm, clipGradValue } from "../optim/clip.js";
import { noGrad } from "../autograd/tape.js";
import { ProgressEmitter, type ProgressCallback } from "./progress.js";
import { checkFiniteGradients, checkFiniteLoss, checkFiniteParameters } from "./guard.js";
import { encodeCheckpoint, restoreCheckpoint, type TrainerState } from "./checkpoint.js";

/** Indexable data: `batch(indices)` assembles the samples at those indices. */
export interface Dataset<B> {
  readonly length: number;
  batch(indices: readonly number[]): B;
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
  /** Continue from these checkpoint bytes (model, optimizer, generator and position are restored). */
  resumeFrom?: Uint8Array;
  /** Recorded in checkpoints. */
  config?: Record<string, unknown>;
}

export interface FitResult {
  history: EpochRecord[];
  steps: number;
  stoppedEarly: boolean;
}

interface RunningSums {
  lossSum: number;
  count: number;
  correct: number;
  counted: number;
  best: number;
  badEpochs: number;
  history: EpochRecord[];
  epochStart: number;
}

function validateOptions<B>(train: Dataset<B>, o: FitOptions<B>): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`fit: ${name} must be a positive integer, got ${v}`);
  };
  positiveInt("epochs", o.epochs);
  positiveInt("batchSize", o.batchSize);
  if (train.length <= 0) throw new Error("fit: the training set is empty");
  if (o.clipNorm !== undefined && !(o.clipNorm > 0)) throw new Error(`fit: clipNorm must be > 0, got ${o.clipNorm}`);
  if (o.clipValue !== undefined && !(o.clipValue > 0)) throw new Error(`fit: clipValue must be > 0, got ${o.clipValue}`);
  if (o.checkpoint?.everySteps !== undefined) positiveInt("checkpoint.everySteps", o.checkpoint.everySteps);
}

/** Mean loss and accuracy over a dataset, in order, without gradients, in eval mode. */
export function evaluate<B>(model: Module, data: Dataset<B>, forward: FitOptions<B>["forward"], batchSize: number): { loss: number; accuracy?: number } {
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0, n = 0, correct = 0, counted = 0;
  noGrad(() => {
    for (let start = 0; start < data.length; start += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, data.length - start) }, (_, i) => start + i);
      const r = forward(data.batch(idx), false);
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
  if (options.resumeFrom !== undefined) state = restoreCheckpoint(options.resumeFrom, model, optimizer, rng, "resumeFrom").trainer;
  const sums: RunningSums = {
    lossSum: 0, count: 0, correct: 0, counted: 0, best: Infinity, badEpochs: 0, history: [], epochStart: Date.now(),
    ...(state.extra as Partial<RunningSums>),
  };
  sums.epochStart = Date.now();

  const save = () => {
    if (!options.checkpoint) return;
    checkFiniteParameters(state.step, named);
    const extra = { ...sums } as Record<string, unknown>;
    delete extra.epochStart;
    options.checkpoint.write(encodeCheckpoint(model, optimizer, rng, { ...state, extra }, options.config ?? {}));
  };

  const progress = new ProgressEmitter(options.progress, "train", epochs * batchesPerEpoch);
  let stoppedEarly = false;
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
        const r = options.forward(train.batch(idx), true);
        const lossValue = r.loss.item();
        checkFiniteLoss(state.step + 1, lossValue);
        r.loss.backward();
        checkFiniteGradients(state.step + 1, named);
        const gradNorm = options.clipNorm !== undefined ? clipGradNorm(params, options.clipNorm) : undefined;
        if (options.clipValue !== undefined) clipGradValue(params, options.clipValue);
        optimizer.step();
        state.step++;
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
      const record: EpochRecord = {
        epoch: state.epoch + 1,
        loss: sums.lossSum / sums.count,
        accuracy: sums.counted > 0 ? sums.correct / sums.counted : undefined,
        lr: optimizer.lr,
        steps: state.step,
        seconds: (Date.now() - sums.epochStart) / 1000,
      };
      if (options.validation) {
        const v = evaluate(model, options.validation, options.forward, batchSize);
        record.valLoss = v.loss;
        record.valAccuracy = v.accuracy;
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
        if (record.valLoss < sums.best - (options.earlyStopping.minDelta ?? 0)) {
          sums.best = record.valLoss;
          sums.badEpochs = 0;
        } else if (++sums.badEpochs >= options.earlyStopping.patience) stoppedEarly = true;
      }
      state.epoch++;
      state.batchInEpoch = 0;
      state.permutation = null;
      Object.assign(sums, { lossSum: 0, count: 0, correct: 0, counted: 0, epochStart: Date.now() });
      save();
    }
  } finally {
    progress.end();
  }
  return { history: sums.history, steps: state.step, stoppedEarly };
}
