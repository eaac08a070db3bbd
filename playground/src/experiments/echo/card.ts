/**
 * The echo experiment's card: what the page shows before the worker answers, and the
 * reading of a loss against the task's reference losses (plain arithmetic, shared by the
 * lab and the view; no library code here).
 */
import { defineCard } from "../../lab/lab.js";
import { SEED_SETTING } from "../../lab/settings.js";

export const echoCard = defineCard({
  name: "echo",
  title: "Echo (truncated BPTT)",
  lesson:
    "A random bit X_t arrives every step; the target Y_t is a noisy echo of the past: P(Y_t = 1) = 0.5, plus 0.5 " +
    "if X_(t−3) = 1, minus 0.25 if X_(t−8) = 1. A small recurrent net reads X one step at a time and predicts Y. " +
    "This is R2RT's \"Recurrent Neural Networks in Tensorflow I\": one long series cut into parallel rows, trained " +
    "with truncated backpropagation through time — windows of num_steps steps, one Adagrad update per window, the " +
    "final state carried (detached) into the next window.\n\n" +
    "The loss tells what the net has found: 0.66 nats if it knows nothing, 0.52 once it uses X_(t−3), 0.45 once it " +
    "uses both echoes. Gradients stop at the window's edge, so the window decides what can be learned: the tutorial " +
    "found num_steps = 5 learns the t−3 echo but not the t−8 one, and only a window that spans a lag lets the " +
    "gradient teach the net to keep X that long. Try num_steps 1, 5 and 10, with state size 4 and 16.",
  settings: {
    seed: SEED_SETTING,
    numSteps: { kind: "number", label: "num_steps (window)", default: 5, min: 1, max: 40, step: 1, help: "steps per truncated-BPTT window: how far back a gradient can reach" },
    hidden: { kind: "number", label: "state size", default: 4, min: 1, max: 64, step: 1, help: "hidden units (the tutorial's state_size is 4)" },
    cell: { kind: "choice", label: "cell", default: "rnn", options: ["rnn", "gru", "lstm"], help: "tanh RNN (the tutorial's), GRU or LSTM" },
    lr: { kind: "number", label: "learning rate (Adagrad)", default: 0.1, min: 0.003, max: 1, step: 0.001, log: true },
    rows: { kind: "number", label: "parallel rows", default: 200, min: 1, max: 400, step: 1, help: "rows read side by side (the tutorial's batch_size); each a stream of 5000 steps" },
  },
});

/** Steps of each row's stream per epoch (the tutorial's 1,000,000-step series in 200 rows). */
export const ECHO_STEPS_PER_ROW = 5000;

/** The expected losses (nats per step) of the best predictors that know no lag, the t−3 one, both. */
export interface EchoReferences {
  none: number;
  first: number;
  both: number;
}

/** The loss at or below which both dependencies count as learned (within 0.006 of the Bayes loss 0.4545). */
export const ECHO_BOTH_LEARNED = 0.46;

/** What a loss says was learned: nothing, the t−3 echo, the t−3 echo and the t−8 one in part, both. */
export type EchoLevel = 0 | 1 | 2 | 3;

/** The sentence of each level. */
export const ECHO_LEVEL_TEXT: Readonly<Record<EchoLevel, string>> = {
  0: "no dependency learned yet",
  1: "the t−3 echo learned",
  2: "the t−3 echo learned, the t−8 one in part",
  3: "both echoes learned",
};

/**
 * What a smoothed loss says the net has learned: split at the midpoints between the
 * reference losses, and the t−8 echo counted as learned only at ≤ ECHO_BOTH_LEARNED
 * (the reading of src/experiments/echo.ts). NaN (nothing measured) reads as level 0.
 */
export function echoLevel(loss: number, refs: EchoReferences): EchoLevel {
  if (!(loss <= (refs.none + refs.first) / 2)) return 0;
  if (loss > (refs.first + refs.both) / 2) return 1;
  if (loss > ECHO_BOTH_LEARNED) return 2;
  return 3;
}
