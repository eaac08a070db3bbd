/**
 * The long-time-lag net and its trainer (Hochreiter & Schmidhuber 1997, task 2a; the setup
 * and why is in lag.ts): a recurrent layer, a linear read-out of its state and, optionally,
 * a shortcut table S [V, V] (row = current input symbol),
 *   logits_t = W_out h_t + b_out (+ S[x_t]),
 * trained one random sequence per update. Platform-neutral (no plots, no files): the `lag`
 * experiment and the playground's lag view both run it, so a net there passes the success
 * check at the update the experiment reports.
 */
import { Rng } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import { Module } from "../nn/module.js";
import { RNN, LSTM } from "../nn/recurrent.js";
import { Linear } from "../nn/linear.js";
import { withoutForgetGate, setForgetGateBias } from "../nn/lstm-variants.js";
import { crossEntropy } from "../ops/loss.js";
import { softmax } from "../ops/softmax.js";
import { embedding } from "../ops/gather.js";
import { add } from "../ops/elementwise.js";
import { Adam } from "../optim/adam.js";
import { clipGradNorm } from "../optim/clip.js";
import { noGrad } from "../autograd/tape.js";
import { lagBatch, lagCheck, lagVocabulary, type LagBatch, type LagCheck } from "../data/lag.js";

/** The recurrent cell of a net: tanh RNN, LSTM with forget gate, or the 1997 LSTM without one. */
export type LagCell = "rnn" | "lstm" | "lstm1997";

/** What fixes a net. */
export interface LagNetSetup {
  cell: LagCell;
  /** Lag p: sequences of p + 1 symbols over an alphabet of p + 1. */
  p: number;
  hidden: number;
  /** Whether the output layer also reads the current input (a V×V table). */
  shortcut: boolean;
  /** "lstm" only: the forget gate's starting pre-activation (`setForgetGateBias`). */
  forgetBias: number;
}

/** What fixes a trainer: the net, the seed and the optimizers. */
export interface LagTrainerSetup extends LagNetSetup {
  seed: number;
  /** Adam learning rate of the recurrent layer and the read-out of its state. */
  lr: number;
  /** Adam learning rate of the shortcut table. */
  shortcutLr: number;
  /** Max total gradient norm of the recurrent layer and read-out; 0 = no clipping. */
  clipNorm: number;
}

/** Outputs are softmax(logits). */
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
    // Zeros: the shortcut starts as no opinion and learns the bigram statistics.
    this.table = setup.shortcut ? this.registerParameter("shortcut", Tensor.zeros([V, V])) : null;
  }

  /** Logits [p, B, V] for a batch. */
  logits(batch: LagBatch): Tensor {
    const z = this.readout.forward(this.layer.forward(batch.x).output);
    if (!this.table) return z;
    const [T, B] = batch.x.shape;
    return add(z, embedding(this.table, batch.inputs, [T, B]));
  }

  /** Output probabilities [p, B, V]. */
  outputs(batch: LagBatch): Tensor {
    return softmax(this.logits(batch));
  }
}

/**
 * One net and its optimizers, trained one random sequence per `step`: cross-entropy over the
 * p predictions, the layer and read-out clipped and stepped by Adam at `lr`, the table by its
 * own Adam at `shortcutLr`. The training sequences and the checks draw from two generators of
 * their own, so the sequences do not depend on how often the net is checked.
 */
export class LagTrainer {
  readonly net: LagNet;
  readonly #setup: LagTrainerSetup;
  readonly #body: Tensor[];
  readonly #opt: Adam;
  readonly #tableOpt: Adam | null;
  readonly #dataRng: Rng;
  readonly #checkRng: Rng;

  constructor(setup: LagTrainerSetup) {
    const rng = new Rng(setup.seed);
    this.#setup = setup;
    this.net = new LagNet(setup, rng);
    this.#body = [...this.net.layer.parameters(), ...this.net.readout.parameters()];
    this.#opt = new Adam(this.#body, { lr: setup.lr });
    this.#tableOpt = this.net.table ? new Adam([this.net.table], { lr: setup.shortcutLr }) : null;
    this.#dataRng = new Rng(rng.nextUint32());
    this.#checkRng = new Rng(rng.nextUint32());
  }

  /** One update on one random sequence. */
  step(): void {
    const batch = lagBatch(this.#dataRng, this.#setup.p, 1);
    this.#opt.zeroGrad();
    this.#tableOpt?.zeroGrad();
    crossEntropy(this.net.logits(batch), batch.targets).backward();
    if (this.#setup.clipNorm > 0) clipGradNorm(this.#body, this.#setup.clipNorm);
    this.#opt.step();
    this.#tableOpt?.step();
  }

  /** The success test with frozen weights over `count` fresh random sequences (`lagCheck`). */
  check(count: number): LagCheck {
    return noGrad(() => lagCheck(this.#checkRng, this.#setup.p, (b) => this.net.outputs(b), count));
  }
}
