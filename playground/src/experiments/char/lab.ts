/**
 * The character model: a SequenceToSequence (one-hot characters in, logits of the next out)
 * trained with truncated BPTT over parallel streams of the text, as `rnnkit train text` does:
 * each update reads one window of every stream, carries the detached state into the next,
 * clips the gradient norm and takes one Adam step; at the end of the streams it starts
 * again from their beginning with a zero state. Validation is the mean loss over the held-out
 * end of the text, the state carried through (`streamLoss`).
 *
 * Sampling and the hidden-unit view run on the trained weights without touching the training
 * generator, so asking for them never changes the run.
 */
import {
  Adam, Rng, SequenceToSequence, StepRunner, clipGradNorm, crossEntropy, decodeModel, detachState, encodeModel,
  noGrad, oneHot, reshape, sampleLogits, specOf, type RecurrentState,
} from "../../../../src/index.js";
import { CharVocab, embeddedCorpus } from "../../../../src/tasks.js";
import { charStreams, streamLoss, streamWindow, type Streams } from "../../../../src/train/char-streams.js";
import { History, type Curves } from "../../lab/history.js";
import { defineLab, type SnapshotBase } from "../../lab/lab.js";
import { charCard, SAMPLE_LENGTH, SHAKESPEARE, VALIDATION_SHARE } from "./card.js";

/** The model file's metadata key for the vocabulary: the key `rnnkit sample` reads. */
export const VOCAB_KEY = "rnnkit.vocab";
/** Validation characters read per evaluation (the start of the held-out text). */
const EVAL_CHARS = 2000;
/** Held-out characters shown with a hidden unit's activation. */
const PROBE_CHARS = 300;
/** Updates between two validations, two samples and two activation probes. */
const EVAL_EVERY = 50;
const SAMPLE_EVERY = 200;

export interface CharSample {
  /** The characters generated (one string each: a code point). */
  chars: string[];
  /** The probability the model gave each one (at temperature 1). */
  confidence: Float32Array;
  temperature: number;
  step: number;
}

export interface CharSnapshot extends SnapshotBase {
  /** Training loss (mean of the updates since the last point) and validation loss, nats/char. */
  curves: Curves;
  /** Validation loss now (over the first EVAL_CHARS held-out characters). */
  validation: number;
  vocabulary: number;
  trainCharacters: number;
  validationCharacters: number;
  parameters: number;
  /** The newest automatic sample (temperature 0.8). */
  sample: CharSample;
  /** The held-out text shown with the activations, and its top-layer hidden state [chars × H]. */
  probe: { chars: string[]; hidden: Float32Array; units: number; step: number };
  /** Where the model came from: "trained here" or the dropped file's name. */
  origin: string;
}

export type CharQuery =
  /** A sample at `temperature` (from a generator seeded by `seed`, default seed + step), after `prime`. */
  | { kind: "sample"; temperature: number; prime?: string; seed?: number }
  /** The logits of the model reading `text` (`charLogits`), with the vocabulary. */
  | { kind: "logits"; text: string };

/** The text and its split, or a message saying why it cannot train. */
function prepare(text: string, window: number, batch: number, vocab = new CharVocab(text)) {
  const ids = vocab.encode(text);
  const cut = Math.round(ids.length * (1 - VALIDATION_SHARE));
  const trainIds = ids.subarray(0, cut), valIds = ids.subarray(cut);
  if (valIds.length < 2 || trainIds.length < batch * (window + 1)) {
    throw new RangeError(
      `the text has ${ids.length} characters: ${trainIds.length} for training need at least streams × (window + 1) = ${batch * (window + 1)}, ` +
      `and the held-out 10% at least 2; paste a longer text or lower the window or the streams`,
    );
  }
  return { vocab, trainIds, valIds };
}

export const charLab = defineLab({
  card: charCard,
  create(settings, assets) {
    const text = settings.text !== "" ? settings.text
      : settings.corpus === "rnnkit" ? embeddedCorpus
      : new TextDecoder("utf-8", { fatal: true }).decode(assets[SHAKESPEARE]);
    const T = settings.window, B = settings.batch;
    let { vocab, trainIds, valIds } = prepare(text, T, B);
    let V = vocab.size;
    const rng = new Rng(settings.seed);
    let model = new SequenceToSequence({ cell: settings.cell as "lstm" | "gru" | "rnn", inputSize: V, hiddenSize: settings.hidden, outputSize: V, rng });
    let optimizer = new Adam(model.parameters(), { lr: settings.lr });
    let streams: Streams = charStreams(trainIds, B);
    let origin = "trained here";
    let step = 0, start = 0;
    let state: RecurrentState | undefined;
    let lossSum = 0, lossCount = 0;
    const history = new History(2);
    let validation = NaN, validationStep = -1;
    let sample: CharSample | undefined;
    let probe: CharSnapshot["probe"] | undefined;

    const validate = () => {
      if (validationStep !== step) {
        validation = streamLoss(model, valIds.subarray(0, Math.min(EVAL_CHARS, valIds.length)), V, T);
        validationStep = step;
      }
      return validation;
    };
    const record = () => {
      history.push(step, [lossCount > 0 ? lossSum / lossCount : NaN, validate()]);
      lossSum = 0;
      lossCount = 0;
    };

    /** `length` characters after `prime`, drawn at `temperature` from a generator of its own. */
    const generate = (temperature: number, seed: number, prime = ""): CharSample => noGrad(() => {
      const draw = new Rng(seed);
      const runner = new StepRunner(model);
      let s = runner.initialState(1);
      const primeIds = [...prime].filter((c) => vocab.chars.includes(c));
      // Without a prime the sample starts after a line break (or the text's first character).
      let next = vocab.encode(primeIds.length > 0 ? primeIds.join("") : vocab.chars.includes("\n") ? "\n" : [...text][0]);
      let logits: Float32Array = new Float32Array(V);
      for (const id of next) {
        const r = runner.step(oneHot([id], V), s);
        s = r.state;
        logits = Float32Array.from(r.y.data);
      }
      const chars: string[] = [], confidence = new Float32Array(SAMPLE_LENGTH);
      for (let i = 0; i < SAMPLE_LENGTH; i++) {
        const id = sampleLogits(logits, temperature, draw);
        let max = -Infinity, sum = 0;
        for (const v of logits) max = Math.max(max, v);
        for (const v of logits) sum += Math.exp(v - max);
        confidence[i] = Math.exp(logits[id] - max) / sum;
        chars.push(vocab.chars[id]);
        next = Int32Array.of(id);
        const r = runner.step(oneHot(next, V), s);
        s = r.state;
        logits = Float32Array.from(r.y.data);
      }
      return { chars, confidence, temperature, step };
    });

    /** The top layer's hidden state over the start of the held-out text. */
    const probeHidden = (): CharSnapshot["probe"] => noGrad(() => {
      const ids = valIds.subarray(0, Math.min(PROBE_CHARS, valIds.length));
      const out = model.rnn.forward(reshape(oneHot(ids, V), [ids.length, 1, V])).output;
      return { chars: Array.from(ids, (i) => vocab.chars[i]), hidden: Float32Array.from(out.data), units: out.shape[2], step };
    });

    record();
    return {
      step() {
        if (start + T >= streams.S) {
          start = 0;
          state = undefined;
        }
        const { x, targets } = streamWindow(streams, V, start, T);
        optimizer.zeroGrad();
        const r = model.forwardWithState(x, { state });
        const loss = crossEntropy(reshape(r.y, [T * B, V]), targets);
        loss.backward();
        clipGradNorm(model.parameters(), settings.clip);
        optimizer.step();
        state = detachState(r.state);
        start += T;
        step++;
        lossSum += loss.item();
        lossCount++;
        if (step % EVAL_EVERY === 0) record();
      },
      snapshot(): CharSnapshot {
        // Samples come often while the model changes fast, then every SAMPLE_EVERY updates.
        if (sample === undefined || step - sample.step >= (step < SAMPLE_EVERY ? EVAL_EVERY : SAMPLE_EVERY)) {
          sample = generate(0.8, settings.seed + step);
        }
        if (probe === undefined || step - probe.step >= EVAL_EVERY) probe = probeHidden();
        return {
          step,
          metric: validate(),
          metricName: "validation loss, nats/char",
          curves: history.curves(),
          validation: validate(),
          vocabulary: V,
          trainCharacters: trainIds.length,
          validationCharacters: valIds.length,
          parameters: model.parameters().reduce((n, p) => n + p.size, 0),
          sample,
          probe,
          origin,
        };
      },
      query(request) {
        const q = request as CharQuery;
        switch (q.kind) {
          case "sample": return generate(q.temperature, q.seed ?? settings.seed + step, q.prime);
          case "logits": return { logits: charLogits(model, vocab, q.text), chars: [...vocab.chars] };
          default: throw new Error(`unknown question ${JSON.stringify(q)}`);
        }
      },
      download() {
        const metadata = {
          [VOCAB_KEY]: JSON.stringify(vocab.chars),
          "rnnkit.playground": JSON.stringify({ experiment: "char", step, validation: validate(), settings: { ...settings, text: settings.text !== "" ? `(${[...text].length} characters)` : "" } }),
        };
        return { bytes: encodeModel(model, specOf(model), metadata), name: `char-${settings.cell}-${settings.hidden}-step${step}.safetensors` };
      },
      load(bytes, fileName) {
        const loaded = decodeModel(bytes, fileName);
        if (!(loaded.model instanceof SequenceToSequence)) {
          throw new Error(`${fileName} holds a ${loaded.spec.type}; the character view needs a SequenceToSequence character model (one-hot in, next-character logits out)`);
        }
        const raw = loaded.metadata[VOCAB_KEY];
        if (raw === undefined) throw new Error(`${fileName} holds no vocabulary (metadata key ${VOCAB_KEY}): save character models with their vocabulary, as \`rnnkit train text\` and this page do`);
        const chars = JSON.parse(raw) as unknown;
        if (!Array.isArray(chars) || !chars.every((c) => typeof c === "string" && [...c].length === 1)) {
          throw new Error(`${fileName}: the vocabulary in ${VOCAB_KEY} must be a JSON array of single characters`);
        }
        const m = loaded.model;
        if (m.rnn.spec.inputSize !== chars.length || m.head.options.outFeatures !== chars.length || m.rnn.spec.bidirectional) {
          throw new Error(`${fileName}: the model reads ${m.rnn.spec.inputSize} and predicts ${m.head.options.outFeatures} classes (bidirectional: ${m.rnn.spec.bidirectional}), but its vocabulary has ${chars.length} characters`);
        }
        // Training goes on, on this page's text, when the model knows every character of it.
        const known = new Set(chars as string[]);
        const missing = [...new Set(text)].filter((c) => !known.has(c));
        if (missing.length > 0) {
          throw new Error(`${fileName}: its vocabulary lacks ${missing.length} character(s) of this text (${JSON.stringify(missing.slice(0, 10).join(""))}); paste a text made of its characters, or train a new model here`);
        }
        const loadedVocab = new CharVocab((chars as string[]).join(""));
        if (loadedVocab.chars.some((c, i) => c !== chars[i])) {
          throw new Error(`${fileName}: the vocabulary in ${VOCAB_KEY} is not in code-point order, as rnnkit writes it`);
        }
        ({ vocab, trainIds, valIds } = prepare(text, T, B, loadedVocab));
        V = vocab.size;
        model = m;
        optimizer = new Adam(model.parameters(), { lr: settings.lr });
        streams = charStreams(trainIds, B);
        origin = fileName;
        start = 0;
        state = undefined;
        validationStep = -1;
        sample = undefined;
        probe = undefined;
        record();
        return `${fileName}: ${m.rnn.spec.cell} ${m.rnn.spec.numLayers}×${m.rnn.spec.hiddenSize}, ${V} characters; validation loss here ${validate().toFixed(4)} nats/char`;
      },
    };
  },
});

/**
 * The model's logits [chars × V] reading `text` from a zero state: what the tests compare
 * between a model in the page and the same model file loaded in Node.
 */
export function charLogits(model: SequenceToSequence, vocab: CharVocab, text: string): Float32Array {
  const ids = vocab.encode(text);
  return noGrad(() => Float32Array.from(model.forward(reshape(oneHot(ids, vocab.size), [ids.length, 1, vocab.size])).data));
}
