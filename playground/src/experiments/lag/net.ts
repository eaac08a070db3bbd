/**
 * The long-time-lag net of src/experiments/lag.ts, rebuilt on the public API (that file
 * also writes plots with Node-only packages, so the worker cannot import it): a recurrent
 * layer, a linear read-out of its state and a shortcut table S [V, V] that reads the
 * current input,
 *   logits_t = W_out h_t + b_out + S[x_t],
 * and one trainer per net that runs the library's trial loop (`lagTrial`) update by
 * update: one random sequence, cross-entropy over its p predictions, gradient clipping,
 * Adam on the layer and read-out at `lr` and on the table at `shortcutLr`, and every
 * CHECK_EVERY sequences the frozen-weight success check. Same seed, same draws, same
 * order as `lagTrial`, so a net here passes the check at the update the library's trial
 * reports. Platform-neutral.
 */
import {
  Adam, LSTM, Linear, Module, RNN, Rng, Tensor, add, clipGradNorm, crossEntropy, embedding, noGrad,
  setForgetGateBias, softmax, withoutForgetGate,
} from "../../../../src/index.js";
import { lagBatch, lagCheck, lagSequence, lagVocabulary, type LagBatch } from "../../../../src/tasks.js";

/** The cells compared, in the order of every array the lab reports. */
export const LAG_CELLS = ["rnn", "lstm1997", "lstm"] as const;
export type LagCell = (typeof LAG_CELLS)[number];

/** Symbol ids of x and y (src/data/lag.ts: x = 0, y = 1, a_i = 1 + i). */
export const SYMBOL_X = 0;
export const SYMBOL_Y = 1;

/** Training sequences between two success checks (the experiment's `checkEvery`). */
export const CHECK_EVERY = 100;
/** Fresh random sequences per check, as in the paper (cheap: they hold two distinct sequences, each run once). */
export const CHECK_COUNT = 10_000;
/** Max total gradient norm of the recurrent layer and read-out (the experiment's `clipNorm`). */
const CLIP_NORM = 1;

export interface LagNetSetup {
  cell: LagCell;
  p: number;
  hidden: number;
  shortcut: boolean;
  /** "lstm" only: the forget gate's starting pre-activation. */
  forgetBias: number;
}

export class LagNet extends Module {
  readonly layer: RNN | LSTM;
  readonly readout: Linear;
  readonly table: Tensor | null;

  constructor(setup: LagNetSetup, rng: Rng) {
    super();
    const V = lagVocabulary(setup.p);
    const options = { inputSize: V, hiddenSize: setup.hidden, rng };
    switch (setup.cell) {
      case "rnn":
        this.layer = this.registerModule("rnn", new RNN(options));
        break;
      case "lstm":
        this.layer = this.registerModule("lstm", setForgetGateBias(new LSTM(options), setup.forgetBias));
        break;
      case "lstm1997":
        this.layer = this.registerModule("lstm", withoutForgetGate(new LSTM(options)));
        break;
      default: {
        const never: never = setup.cell;
        throw new Error(`LagNet: unknown cell ${String(never)}`);
      }
    }
    this.readout = this.registerModule("readout", new Linear({ inFeatures: setup.hidden, outFeatures: V, rng }));
    // Zeros: the shortcut starts with no opinion and learns the bigram statistics.
    this.table = setup.shortcut ? this.registerParameter("shortcut", Tensor.zeros([V, V])) : null;
  }

  /** Logits [p, B, V] from the layer's outputs [p, B, H] and the inputs. */
  logitsFrom(hidden: Tensor, batch: LagBatch): Tensor {
    const z = this.readout.forward(hidden);
    if (!this.table) return z;
    const [T, B] = batch.x.shape;
    return add(z, embedding(this.table, batch.inputs, [T, B]));
  }

  /** Logits [p, B, V] for a batch. */
  logits(batch: LagBatch): Tensor {
    return this.logitsFrom(this.layer.forward(batch.x).output, batch);
  }

  /** Output probabilities [p, B, V]. */
  outputs(batch: LagBatch): Tensor {
    return softmax(this.logits(batch));
  }
}

/** The batch of the two sequences of the task, x's then y's (the only two there are). */
export function probeBatch(p: number): LagBatch {
  const V = lagVocabulary(p);
  const firsts = [SYMBOL_X, SYMBOL_Y];
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
  return { p, firsts, x, inputs, targets };
}

/** The outcome of the newest success check. */
export interface CheckResult {
  passed: boolean;
  /** Largest maximal absolute output error over the fresh sequences. */
  worst: number;
}

/** One net and its optimizers, trained as one trial of `lagTrial`. */
export class LagTrainer {
  readonly net: LagNet;
  readonly #p: number;
  readonly #body: Tensor[];
  readonly #opt: Adam;
  readonly #tableOpt: Adam | null;
  readonly #dataRng: Rng;
  readonly #checkRng: Rng;
  /** Sequences trained on. */
  updates = 0;

  constructor(setup: LagNetSetup & { seed: number; lr: number; shortcutLr: number }) {
    const rng = new Rng(setup.seed);
    this.#p = setup.p;
    this.net = new LagNet(setup, rng);
    this.#body = [...this.net.layer.parameters(), ...this.net.readout.parameters()];
    this.#opt = new Adam(this.#body, { lr: setup.lr });
    this.#tableOpt = this.net.table ? new Adam([this.net.table], { lr: setup.shortcutLr }) : null;
    // Separate streams, so the training sequences do not depend on how often we check.
    this.#dataRng = new Rng(rng.nextUint32());
    this.#checkRng = new Rng(rng.nextUint32());
  }

  /** One update on one random sequence; the success check too when one is due (else null). */
  step(): CheckResult | null {
    const batch = lagBatch(this.#dataRng, this.#p, 1);
    this.#opt.zeroGrad();
    this.#tableOpt?.zeroGrad();
    crossEntropy(this.net.logits(batch), batch.targets).backward();
    clipGradNorm(this.#body, CLIP_NORM);
    this.#opt.step();
    this.#tableOpt?.step();
    this.updates++;
    if (this.updates % CHECK_EVERY !== 0) return null;
    const check = noGrad(() => lagCheck(this.#checkRng, this.#p, (b) => this.net.outputs(b), CHECK_COUNT));
    return { passed: check.passed, worst: check.worst };
  }
}
