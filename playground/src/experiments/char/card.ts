/** The character model's card: what the page shows before the worker answers. */
import { defineCard } from "../../lab/lab.js";
import { SEED_SETTING } from "../../lab/settings.js";

/**
 * The default text: the start of tinyshakespeare (Shakespeare, public domain, from Karpathy's
 * char-rnn data), 99,843 characters, made by tools/make-playground-text.mjs.
 */
export const SHAKESPEARE = "shakespeare.txt";
/** Characters of a pasted text the lab accepts. */
export const MAX_TEXT = 200_000;
/** Share of the text held out for validation (its end). */
export const VALIDATION_SHARE = 0.1;
/** Characters generated per sample. */
export const SAMPLE_LENGTH = 300;

export const charCard = defineCard({
  name: "char",
  title: "Character model",
  lesson:
    "A recurrent net reads a text one character at a time and learns to predict the next (Karpathy's char-rnn). " +
    "The text is cut into parallel streams; each update reads one window of every stream and carries the state " +
    "into the next window (truncated backpropagation through time). The last 10% of the text is held out: its " +
    "loss, in nats per character, says how well the net predicts text it has not trained on (ln V is guessing).\n\n" +
    "Samples are drawn one character at a time from the net's prediction, sharpened or flattened by the " +
    "temperature; each character is shaded by the probability the net gave it. Pick a hidden unit to see its " +
    "activation over held-out text: some units learn to track quotes, line starts or word boundaries " +
    "(Karpathy, Johnson & Fei-Fei, \"Visualizing and understanding recurrent networks\", 2015). " +
    "The default text is the first 100 kB of tinyshakespeare; the library's own 1.5 kB corpus is learned by heart " +
    "within a few hundred updates, and its validation loss then rises: overfitting, live.",
  settings: {
    seed: SEED_SETTING,
    cell: { kind: "choice", label: "cell", default: "lstm", options: ["lstm", "gru", "rnn"] },
    hidden: { kind: "number", label: "hidden units", default: 64, min: 4, max: 256, step: 4 },
    window: { kind: "number", label: "window (BPTT steps)", default: 32, min: 4, max: 128, step: 1 },
    batch: { kind: "number", label: "streams (batch)", default: 16, min: 1, max: 64, step: 1 },
    lr: { kind: "number", label: "learning rate (Adam)", default: 0.01, min: 0.0001, max: 0.1, step: 0.0001, log: true },
    clip: { kind: "number", label: "gradient clip (norm)", default: 5, min: 0.1, max: 50, step: 0.1 },
    corpus: {
      kind: "choice", label: "text", default: "shakespeare", options: ["shakespeare", "rnnkit"],
      help: "shakespeare: 100 kB of tinyshakespeare; rnnkit: the library's embedded corpus (1.5 kB); a pasted text below replaces either",
    },
    text: {
      kind: "text", label: "or paste a text (replaces the one above when not empty)", default: "", maxLength: MAX_TEXT,
      help: "any text; the vocabulary is its characters",
    },
  },
  assets: [SHAKESPEARE],
  models: true,
});
