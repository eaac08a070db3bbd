/** The vanishing-gradient experiment's card: what the page shows before the worker answers. */
import { defineCard } from "../../lab/lab.js";
import { SEED_SETTING } from "../../lab/settings.js";

export const vanishingCard = defineCard({
  name: "vanishing",
  title: "Vanishing gradients",
  lesson:
    "Backpropagation through time multiplies the error signal by one Jacobian ∂h_t/∂h_(t−1) per step. In a tanh RNN " +
    "these factors are mostly smaller than one, so ‖∂L/∂h_t‖ falls geometrically as t moves away from the loss " +
    "(Hochreiter 1991; Bengio, Simard & Frasconi 1994): the early steps get almost no gradient, and the net cannot " +
    "learn what they hold. The LSTM's cell is an additive path, c_t = f⊙c_(t−1) + i⊙g, whose factor is the forget " +
    "gate: start it open (a positive bias) and the signal crosses many steps. The GRU's update gate z does the same: " +
    "h_t = (1−z)⊙n + z⊙h_(t−1).\n\n" +
    "Here a tanh RNN, an LSTM and a GRU train side by side (Adam, a fresh batch each update) on a task that needs that " +
    "signal: read a sequence of random ±1 values (a second input marks the first step) and say, at the last step, the " +
    "sign of the FIRST one. Every few updates the gradient of the read-out at the last step is sent back through each " +
    "net on a fixed probe batch, and the curves show how far it reaches. Move the weight scale, the gate biases and " +
    "the sequence length (each restarts the run).",
  settings: {
    seed: SEED_SETTING,
    steps: { kind: "number", label: "sequence length T", default: 50, min: 10, max: 200, step: 1 },
    hidden: { kind: "number", label: "hidden units", default: 16, min: 1, max: 64, step: 1 },
    scale: { kind: "number", label: "weight scale", default: 1, min: 0.1, max: 5, step: 0.1, help: "every recurrent weight and bias drawn from U(±scale/√H); 1 is PyTorch's default" },
    forgetBias: { kind: "number", label: "LSTM forget-gate bias", default: 3, min: -3, max: 5, step: 0.5, help: "the starting bias of the LSTM's forget gate (gate order i, f, g, o)" },
    updateBias: { kind: "number", label: "GRU update-gate bias", default: 3, min: -3, max: 5, step: 0.5, help: "the starting bias of the GRU's update gate z (gate order r, z, n): z keeps the old state" },
    lr: { kind: "number", label: "learning rate (Adam)", default: 0.003, min: 0.0003, max: 0.3, step: 0.0001, log: true },
  },
});

/** The three nets, in the order of every array the lab reports. */
export const VANISHING_MODELS = ["tanh RNN", "LSTM", "GRU"] as const;

/** Sequences in each training batch, in the held-out set and in the probe batch of the gradient curves. */
export const VANISHING_BATCH = 32;
export const VANISHING_HELD_OUT = 128;
export const VANISHING_PROBE = 16;
/** Updates between two measurements of the held-out loss and the gradient curves. */
export const VANISHING_EVERY = 5;
/** The floor of the log scales: a gradient that underflowed to 0 (a saturated tanh) is drawn here. */
export const VANISHING_FLOOR = 1e-30;
