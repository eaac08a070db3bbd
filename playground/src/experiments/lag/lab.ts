/**
 * The long-time-lag task (Hochreiter & Schmidhuber 1997, task 2a): a tanh RNN, the 1997
 * LSTM and the LSTM with a forget gate trained side by side, one update of each per lab
 * step, each with the `lag` experiment's own trainer (src/experiments/lag-net.ts), so a net
 * passes the success check at the update the experiment's trial reports. Besides the
 * success checks, the lab runs the task's only two sequences (x… and y…) through every net
 * with frozen weights: their mean loss is the exact expected training loss, and stepping
 * the layers over them gives the states the view draws.
 */
import { crossEntropy, noGrad, softmax, Tensor, type RecurrentState } from "../../../../src/index.js";
import { LAG_ERROR_THRESHOLD, lagVocabulary } from "../../../../src/tasks.js";
import { History, type Curves } from "../../lab/history.js";
import { defineLab, type SnapshotBase } from "../../lab/lab.js";
import { LagTrainer, type LagCell } from "../../../../src/experiments/lag-net.js";
import { LAG_X, LAG_Y, lagBatchOf } from "../../../../src/data/lag.js";
import { EVAL_EVERY, STATES_EVERY, lagCard } from "./card.js";

/** The nets compared, in the order of every array the lab reports (the card's LAG_NETS). */
const LAG_CELLS: readonly LagCell[] = ["rnn", "lstm1997", "lstm"];

/** Training sequences between two success checks (the experiment's `checkEvery`). */
const CHECK_EVERY = 100;
/** Fresh random sequences per check, as in the paper (cheap: they hold two distinct sequences, each run once). */
const CHECK_COUNT = 10_000;
/** Max total gradient norm of the recurrent layer and read-out (the experiment's `clipNorm`). */
const CLIP_NORM = 1;


export interface LagSnapshot extends SnapshotBase {
  p: number;
  hidden: number;
  /** The success test's bound on the maximal absolute output error (0.25). */
  threshold: number;
  checkCount: number;
  checkEvery: number;
  /**
   * Every EVAL_EVERY updates, exact expected losses (nats) with the weights of the moment:
   * mean over all p predictions for the three nets, then over the last prediction alone.
   */
  losses: Curves;
  /** Every success check: the largest maximal absolute error of each net. */
  checks: Curves;
  /** Per net: the update at which it first passed the success check, or null. */
  solvedAt: (number | null)[];
  /** Per net: the largest error in the newest check (NaN before the first). */
  worst: number[];
  /**
   * Per net, the last step's prediction [P(x), P(y)] after reading the x-sequence, then
   * after the y-sequence: [Px|x, Py|x, Px|y, Py|y].
   */
  last: number[][];
  /**
   * Per net, the state over the x-sequence then over the y-sequence, each [H, p] row-major
   * (unit × step): h for the RNN, the cell c for the LSTMs.
   */
  states: { x: Float32Array; y: Float32Array }[];
  /** The update at which `states` were computed. */
  statesStep: number;
}

/** The mean of the entries of `a` at positions start, start + stride, … (n of them). */
function meanOf(a: ArrayLike<number>, start: number, n: number, stride = 1): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[start + k * stride];
  return s / n;
}

export const lagLab = defineLab({
  card: lagCard,
  create(settings) {
    const { p, hidden: H } = settings;
    const V = lagVocabulary(p);
    const trainers = LAG_CELLS.map((cell) => new LagTrainer({
      cell, p, hidden: H, shortcut: settings.shortcut, forgetBias: settings.forgetBias,
      seed: settings.seed, lr: settings.lr, shortcutLr: settings.shortcutLr, clipNorm: CLIP_NORM,
    }));
    // The task's two sequences, x's then y's (the only two there are).
    const probe = lagBatchOf(p, [LAG_X, LAG_Y]);
    // The probe's inputs one step at a time, [1, 2, V] each, for stepping the layers.
    const probeSteps = Array.from({ length: p }, (_, t) => new Tensor(probe.x.data.slice(t * 2 * V, (t + 1) * 2 * V), [1, 2, V]));
    const losses = new History(2 * trainers.length);
    const checks = new History(trainers.length);
    const solvedAt: (number | null)[] = trainers.map(() => null);
    const worst = trainers.map(() => NaN);
    let last: number[][] = [];
    let lastLoss: number[] = [];
    let states: LagSnapshot["states"] = [];
    let statesStep = 0;
    let step = 0;

    /** Losses and last-step predictions of every net on the two sequences. */
    const evaluate = () => noGrad(() => {
      const total: number[] = [];
      lastLoss = [];
      last = trainers.map(({ net }) => {
        const logits = net.logits(probe);
        const loss = crossEntropy(logits, probe.targets, { reduction: "none" }).data; // [p, 2]
        total.push(meanOf(loss, 0, 2 * p));
        lastLoss.push(meanOf(loss, 2 * (p - 1), 2));
        const probs = softmax(logits).data; // [p, 2, V]; the last step is its last 2·V entries
        const at = (b: number, k: number) => probs[(2 * (p - 1) + b) * V + k];
        return [at(0, LAG_X), at(0, LAG_Y), at(1, LAG_X), at(1, LAG_Y)];
      });
      losses.push(step, [...total, ...lastLoss]);
    });

    /** Each net's layer stepped over the two sequences: its state after every step, unit-major. */
    const recordStates = () => noGrad(() => {
      states = trainers.map(({ net }) => {
        const x = new Float32Array(H * p);
        const y = new Float32Array(H * p);
        let state: RecurrentState | undefined;
        for (let t = 0; t < p; t++) {
          state = net.layer.forward(probeSteps[t], state).state;
          const s = (state.c ?? state.h).data; // [1, 2, H]
          for (let u = 0; u < H; u++) {
            x[u * p + t] = s[u];
            y[u * p + t] = s[H + u];
          }
        }
        return { x, y };
      });
      statesStep = step;
    });

    evaluate();
    recordStates();
    return {
      step() {
        step++;
        for (const t of trainers) t.step();
        if (step % CHECK_EVERY === 0) {
          trainers.forEach((t, i) => {
            const r = t.check(CHECK_COUNT);
            worst[i] = r.worst;
            if (r.passed && solvedAt[i] === null) solvedAt[i] = step;
          });
          checks.push(step, worst);
        }
        if (step % EVAL_EVERY === 0) evaluate();
        if (step % STATES_EVERY === 0) recordStates();
      },
      snapshot(): LagSnapshot {
        return {
          step,
          metric: meanOf(lastLoss, 0, lastLoss.length),
          metricName: "loss of the last prediction, mean of the 3 nets",
          p, hidden: H, threshold: LAG_ERROR_THRESHOLD, checkCount: CHECK_COUNT, checkEvery: CHECK_EVERY,
          losses: losses.curves(),
          checks: checks.curves(),
          solvedAt: [...solvedAt],
          worst: [...worst],
          // evaluate() and recordStates() replace these arrays, never write into them.
          last,
          states,
          statesStep,
        };
      },
    };
  },
});
