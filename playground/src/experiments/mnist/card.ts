/** The MNIST-row-by-row experiment's card: what the page shows before the worker answers. */
import { defineCard } from "../../lab/lab.js";
import { SEED_SETTING } from "../../lab/settings.js";

/** T: rows of an image = steps of a sequence. */
export const ROWS = 28;
/** I: pixels of a row = inputs of a step. */
export const COLS = 28;
export const CLASSES = 10;
/** The lab measures the test loss and accuracy once every this many updates (and at update 0). */
export const EVAL_EVERY = 50;
/** The file of digits the worker fetches (playground/public/, written by tools/make-playground-mnist.mjs). */
export const SUBSET_FILE = "mnist-subset.bin";

export const mnistCard = defineCard({
  name: "mnist",
  title: "MNIST row by row",
  lesson:
    "A recurrent net reads a handwritten digit one row at a time: 28 steps of 28 pixels, top to bottom. Only its " +
    "hidden state after the last row goes to a linear layer that names the digit (softmax over 10 classes, " +
    "cross-entropy loss, Adam). This is the classic MNIST RNN tutorial: trained on 55,000 digits, TensorFlow-Examples' " +
    "LSTM of 128 units scored 0.977 on the first 128 test digits, and Géron's tanh RNN of 150 units 0.966–0.973 on " +
    "all 10,000. This page trains on 3,000 and gets to about 95% of its 500 test digits within a minute or two.\n\n" +
    "In the first figure a cursor steps through the rows; at each row the head is applied to that " +
    "row's hidden state, so you see the net's guess change as it reads. Early rows say little; the guess usually " +
    "settles once the part of the digit that tells it apart has been read (the loop of a 9, the bar of a 7). Draw " +
    "your own digit to see what it makes of it.\n\n" +
    "Digits: MNIST (LeCun, Cortes & Burges; CC BY-SA 3.0), a class-balanced subset — 300 of each class from its " +
    "training file and 50 of each class from its test file, the first met along a permutation from seed 1 " +
    "(tools/make-playground-mnist.mjs) — at 4 bits per pixel. Weights start as TensorFlow 1 did (Glorot-uniform " +
    "kernels, zero biases, LSTM forget bias 1).",
  assets: [SUBSET_FILE],
  models: true,
  settings: {
    seed: SEED_SETTING,
    cell: { kind: "choice", label: "cell", default: "lstm", options: ["rnn", "lstm", "gru"], help: "rnn = tanh Elman RNN" },
    hidden: { kind: "number", label: "hidden units", default: 64, min: 8, max: 128, step: 8 },
    batch: { kind: "number", label: "batch (digits per update)", default: 32, min: 8, max: 128, step: 8 },
    lr: { kind: "number", label: "learning rate (Adam)", default: 0.003, min: 0.0001, max: 0.03, step: 0.0001, log: true },
  },
});
