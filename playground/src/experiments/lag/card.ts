/** The long-time-lag experiment's card: what the page shows before the worker answers. */
import { defineCard } from "../../lab/lab.js";
import { SEED_SETTING } from "../../lab/settings.js";

export const lagCard = defineCard({
  name: "lag",
  title: "Long time lag",
  lesson:
    "Hochreiter & Schmidhuber (1997), task 2a. There are two sequences, (x, a₁, …, a_(p−1), x) and " +
    "(y, a₁, …, a_(p−1), y), each drawn with probability ½. A net reads one symbol per step and predicts the next. " +
    "Every prediction but the last is easy (a_i is always followed by a_(i+1)); the last one needs the first symbol, " +
    "seen p steps earlier, and nothing in between carries it.\n\n" +
    "Three nets train side by side, one random sequence per update: a tanh RNN, the 1997 LSTM without a forget gate " +
    "(its cell adds to itself with weight 1, the constant error carousel), and the LSTM with a forget gate. A net has " +
    "solved the task when, with frozen weights, every output of 10,000 fresh sequences is within 0.25 of its target. " +
    "The paper's RNNs never solved p ≥ 10; its LSTM solved p = 100 after 5,040 sequences on average. Here the LSTMs " +
    "solve p = 100 within a few thousand updates for most seeds; the RNN solves p = 10, and p = 20 for some seeds, but " +
    "failed at p = 50 and 100 in every run we made (20,000 updates).\n\n" +
    "As in the library's experiment, the output layer also reads the current symbol through a table learned fast " +
    "(the easy predictions go there, off the cell), and the recurrent layer learns slowly (Adam, lr 3·10⁻⁴): see " +
    "src/experiments/lag.ts for why. Watch the cell-state maps: the LSTM keeps a unit apart for x and y all the way " +
    "to the last step.",
  settings: {
    seed: SEED_SETTING,
    p: { kind: "number", label: "lag p", default: 100, min: 5, max: 100, step: 1, help: "sequences of p + 1 symbols over an alphabet of p + 1" },
    hidden: { kind: "number", label: "hidden units", default: 8, min: 1, max: 32, step: 1 },
    lr: {
      kind: "number", label: "learning rate (Adam)", default: 3e-4, min: 1e-5, max: 0.03, step: 1e-5, log: true,
      help: "recurrent layer and its read-out",
    },
    shortcutLr: {
      kind: "number", label: "shortcut learning rate", default: 0.03, min: 1e-4, max: 1, step: 1e-4, log: true,
      help: "the table from the current symbol to the output (Adam)",
    },
    shortcut: { kind: "flag", label: "shortcut table (output also reads the current symbol)", default: true },
    forgetBias: {
      kind: "number", label: "forget-gate bias", default: 5, min: -2, max: 10, step: 0.5,
      help: "starting forget-gate pre-activation of the LSTM with a forget gate",
    },
  },
});

/** The three nets, in the order of every array the lab reports. */
export const LAG_NETS = ["tanh RNN", "LSTM, no forget gate (1997)", "LSTM with forget gate"] as const;
/** Short names for legends and labels. */
export const LAG_SHORT = ["RNN", "LSTM 1997", "LSTM + forget"] as const;
/** Updates between two evaluations on the task's two sequences (loss curves, last predictions). */
export const EVAL_EVERY = 10;
/** Updates between two recomputations of the state maps (p layer steps per net). */
export const STATES_EVERY = 50;
