/** The linear-recurrence experiment's card: what the page shows before the worker answers. */
import { defineCard } from "../../lab/lab.js";
import { SEED_SETTING } from "../../lab/settings.js";

export const linearCard = defineCard({
  name: "linear",
  title: "Linear recurrence",
  lesson:
    "Sequences follow x_t = 1.1·x_(t−1) + 0.3 from a random start x_0 ~ N(0, 1). A sigmoid RNN and an LSTM, " +
    "4 units each, read the first 9 values and predict the 10th through a linear read-out; both train side by side " +
    "on the same 800 sequences with Adam on the full batch, and are tested on 200 others.\n\n" +
    "The TensorFlow 1 tutorial this follows reported test MSE 0.2066 for the RNN and 0.1189 for its LSTM. The " +
    "target grows like 1.1⁹ times the start, so the net must carry the start's size through nine squashing steps: " +
    "watch which model's predictions leave the diagonal for large values.",
  settings: {
    seed: SEED_SETTING,
    hidden: { kind: "number", label: "hidden units", default: 4, min: 1, max: 32, step: 1 },
    lr: { kind: "number", label: "learning rate (Adam)", default: 0.1, min: 0.001, max: 1, step: 0.001, log: true },
  },
});

/** The two models, in the order of every array the lab reports. */
export const LINEAR_MODELS = ["RNN (sigmoid)", "LSTM"] as const;
