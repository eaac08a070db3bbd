/**
 * MNIST read row by row (the setup of src/experiments/mnist.ts at page size): a
 * SequenceToVector reads the 28 rows of a digit as 28 steps of 28 pixels and a Linear
 * head on the last hidden state names the digit; one Adam update per step on a batch of
 * the 3,000 training digits (epochs of a seeded permutation). Every EVAL_EVERY updates it
 * measures cross-entropy and accuracy on the 500 test digits.
 *
 * Besides the curves it reads one digit row by row for the view — a test digit or one the
 * user drew — keeping every row's hidden state h_t and the head applied to it,
 * p_t = softmax(W·h_t + b): the guess the net would make had the digit ended at row t.
 */
import {
  Adam, Rng, SequenceToVector, Tensor, countCorrect, crossEntropy, decodeModel, encodeModel, fillGlorotUniform, fillTf1Recurrent,
  fillZeros, noGrad, softmax, specOf, type CellKind,
} from "../../../../src/index.js";
import { rowSequences, type MnistBatch } from "../../../../src/tasks.js";
import { History, type Curves } from "../../lab/history.js";
import { defineLab, type SnapshotBase } from "../../lab/lab.js";
import { CLASSES, COLS, EVAL_EVERY, ROWS, SUBSET_FILE, mnistCard } from "./card.js";
import { decodeMnistSubset } from "./subset.js";

/** Test digits per evaluation forward (bounds the memory of one forward). */
const EVAL_CHUNK = 250;

/** One digit read row by row. */
export interface Reading {
  /** A digit of the test split, or a drawing sent by the view. */
  source: "test" | "drawn";
  /** Its index among the test digits (−1 for a drawing). */
  index: number;
  /** Its index in MNIST's t10k file (−1 for a drawing). */
  mnistIndex: number;
  /** The true digit (−1 for a drawing). */
  label: number;
  /** [ROWS·COLS] pixels in [0, 1], row-major. */
  pixels: Float32Array;
  /** [ROWS, H]: the hidden state h_t after each row. */
  hidden: Float32Array;
  /** [ROWS, CLASSES]: softmax of the head applied to h_t. */
  probs: Float32Array;
}

export interface MnistSnapshot extends SnapshotBase {
  /** H, the width of every row of `reading.hidden`. */
  hidden: number;
  /** Test digits the metric is measured on. */
  testCount: number;
  /** At every evaluation: [training loss (mean since the last one), test loss, training accuracy, test accuracy]. */
  curves: Curves;
  /** [CLASSES, CLASSES] counts of the last evaluation: row = true digit, column = the net's answer. */
  confusion: Int32Array;
  /** The test digits (indices) the last evaluation got wrong, in order. */
  mistakes: Int32Array;
  /** The digit the view shows, read with the current weights. */
  reading: Reading;
}

/** What the view may ask: read test digit `index`, or the `pixels` of a drawing; it is then read in every snapshot. */
export type MnistQuery = { kind: "read"; index: number } | { kind: "read"; pixels: ArrayLike<number> };

/** The shown digit: a test index or drawn pixels. */
type Shown = { index: number } | { pixels: Float32Array };

export const mnistLab = defineLab({
  card: mnistCard,
  create(settings, assets) {
    const bytes = assets[SUBSET_FILE];
    if (bytes === undefined) throw new Error(`mnist: the digits (${SUBSET_FILE}) were not loaded`);
    const { train, test } = decodeMnistSubset(bytes, SUBSET_FILE);
    if (train.rows !== ROWS || train.cols !== COLS) throw new Error(`mnist: ${SUBSET_FILE} holds ${train.rows}×${train.cols} images, expected ${ROWS}×${COLS}`);
    const trainSet = rowSequences(train);
    const testSet = rowSequences(test);

    const rng = new Rng(settings.seed);
    let H = settings.hidden;
    const cell = settings.cell as CellKind;
    let net = new SequenceToVector({ cell, inputSize: COLS, hiddenSize: H, outputSize: CLASSES, rng });
    // TF1's defaults, as the tutorials had them (src/experiments/mnist.ts, tf1Init).
    fillTf1Recurrent(net.rnn, rng, cell === "lstm" ? { forgetBias: 1 } : {});
    fillGlorotUniform(net.head.weight, rng, H, CLASSES);
    fillZeros(net.head.bias!);
    let optimizer = new Adam(net.parameters(), { lr: settings.lr });
    let origin = "trained here";

    const history = new History(4);
    const confusion = new Int32Array(CLASSES * CLASSES);
    let mistakes: number[] = [];
    let step = 0;
    let order: number[] = [];
    let lossSum = 0, correct = 0, seen = 0, batches = 0;
    let shown: Shown = { index: 0 };
    let cached: { step: number; reading: Reading } | undefined;

    /** The next batch: the rest of this epoch's permutation, then the next one's start. */
    function nextBatch(): MnistBatch {
      const ids: number[] = [];
      while (ids.length < settings.batch) {
        if (order.length === 0) order = rng.permutation(train.count);
        ids.push(order.pop()!);
      }
      return trainSet.batch(ids);
    }

    /** Test loss and accuracy with the current weights; fills `confusion`. */
    function evaluate(): { loss: number; accuracy: number } {
      confusion.fill(0);
      mistakes = [];
      let sum = 0;
      noGrad(() => {
        for (let from = 0; from < test.count; from += EVAL_CHUNK) {
          const ids = Array.from({ length: Math.min(EVAL_CHUNK, test.count - from) }, (_, i) => from + i);
          const b = testSet.batch(ids);
          const logits = net.forward(b.x);
          sum += crossEntropy(logits, b.y, { reduction: "sum" }).item();
          for (let n = 0; n < ids.length; n++) {
            const guess = argmax(logits.data, n * CLASSES, CLASSES);
            confusion[b.y[n] * CLASSES + guess]++;
            if (guess !== b.y[n]) mistakes.push(ids[n]);
          }
        }
      });
      let right = 0;
      for (let c = 0; c < CLASSES; c++) right += confusion[c * CLASSES + c];
      return { loss: sum / test.count, accuracy: right / test.count };
    }

    function record(): void {
      const t = evaluate();
      history.push(step, [batches > 0 ? lossSum / batches : NaN, t.loss, seen > 0 ? correct / seen : NaN, t.accuracy]);
      lossSum = correct = seen = batches = 0;
    }

    /** Reads `pixels` row by row with the current weights. */
    function read(pixels: Float32Array): { hidden: Float32Array; probs: Float32Array } {
      return noGrad(() => {
        const x = new Tensor(pixels.slice(), [ROWS, 1, COLS]);
        const { output } = net.rnn.forward(x); // [T, 1, H]
        const probs = softmax(net.head.forward(output), -1); // [T, 1, CLASSES]
        return { hidden: Float32Array.from(output.data), probs: Float32Array.from(probs.data) };
      });
    }

    function reading(): Reading {
      if (cached?.step === step) return cached.reading;
      let r: Reading;
      if ("index" in shown) {
        const i = shown.index;
        const pixels = test.images.slice(i * ROWS * COLS, (i + 1) * ROWS * COLS);
        r = { source: "test", index: i, mnistIndex: test.indices[i], label: test.labels[i], pixels, ...read(pixels) };
      } else {
        r = { source: "drawn", index: -1, mnistIndex: -1, label: -1, pixels: shown.pixels.slice(), ...read(shown.pixels) };
      }
      cached = { step, reading: r };
      return r;
    }

    record();
    return {
      step() {
        const b = nextBatch();
        optimizer.zeroGrad();
        const logits = net.forward(b.x);
        const loss = crossEntropy(logits, b.y);
        loss.backward();
        optimizer.step();
        lossSum += loss.item();
        batches++;
        correct += countCorrect(logits, b.y);
        seen += b.y.length;
        step++;
        if (step % EVAL_EVERY === 0) record();
      },
      snapshot(): MnistSnapshot {
        return {
          step,
          metric: history.last(1),
          metricName: `test cross-entropy (${test.count} digits)`,
          hidden: H,
          testCount: test.count,
          curves: history.curves(),
          confusion: confusion.slice(),
          mistakes: Int32Array.from(mistakes),
          reading: reading(),
        };
      },
      query(request: unknown): Reading {
        shown = parseQuery(request, test.count);
        cached = undefined;
        return reading();
      },
      download() {
        const metadata = { "rnnkit.playground": JSON.stringify({ experiment: "mnist", step, origin, testLoss: history.last(1), testAccuracy: history.last(3), settings }) };
        return { bytes: encodeModel(net, specOf(net), metadata), name: `mnist-${net.rnn.spec.cell}-${H}-step${step}.safetensors` };
      },
      load(bytes, fileName) {
        const loaded = decodeModel(bytes, fileName);
        const m = loaded.model;
        if (!(m instanceof SequenceToVector)) {
          throw new Error(`${fileName} holds a ${loaded.spec.type}; the MNIST view reads digits with a SequenceToVector (28 pixels per step in, 10 classes out)`);
        }
        const { inputSize, bidirectional, batchFirst } = m.rnn.spec;
        if (inputSize !== COLS || m.head.options.outFeatures !== CLASSES || bidirectional || batchFirst) {
          throw new Error(`${fileName}: the model reads ${inputSize} features per step and predicts ${m.head.options.outFeatures} classes` +
            `${bidirectional ? ", bidirectionally" : ""}${batchFirst ? ", batch first" : ""}; this view needs ${COLS} per step, ${CLASSES} classes, one direction, time first`);
        }
        net = m;
        H = m.rnn.spec.hiddenSize;
        optimizer = new Adam(net.parameters(), { lr: settings.lr });
        origin = fileName;
        lossSum = correct = seen = batches = 0;
        cached = undefined;
        record();
        return `${fileName}: ${m.rnn.spec.cell} ${m.rnn.spec.numLayers}×${H}; test accuracy here ${(history.last(3) * 100).toFixed(1)}%`;
      },
    };
  },
});

function argmax(values: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let c = 1; c < n; c++) if (values[from + c] > values[from + best]) best = c;
  return best;
}

/** The digit a query asks for; throws saying what was expected. */
function parseQuery(request: unknown, testCount: number): Shown {
  const r = request as Partial<{ kind: unknown; index: unknown; pixels: unknown }> | null;
  if (r === null || typeof r !== "object" || r.kind !== "read") throw new Error(`mnist: expected a query { kind: "read", index } or { kind: "read", pixels }, got ${JSON.stringify(request)}`);
  if (r.index !== undefined) {
    if (!(typeof r.index === "number" && Number.isInteger(r.index) && r.index >= 0 && r.index < testCount)) {
      throw new Error(`mnist: index must be an integer in [0, ${testCount}), got ${JSON.stringify(r.index)}`);
    }
    return { index: r.index };
  }
  const p = r.pixels as ArrayLike<number> | undefined;
  if (p === undefined || typeof p !== "object" || p.length !== ROWS * COLS) {
    throw new Error(`mnist: pixels must be ${ROWS * COLS} numbers (${ROWS} rows of ${COLS}), got ${p === undefined ? "none" : `${(p as { length?: number }).length ?? "?"}`}`);
  }
  const pixels = Float32Array.from(p);
  if (!pixels.every((v) => v >= 0 && v <= 1)) throw new Error("mnist: pixels must lie in [0, 1]");
  return { pixels };
}
