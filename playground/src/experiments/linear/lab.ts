/**
 * Linear recurrence, RNN vs LSTM, trained side by side one full-batch Adam update at a time
 * (the setup of src/experiments/linear.ts: TF1 initialisation, sigmoid RNN, 800 training and
 * 200 test sequences of 10 values).
 */
import { Adam, Rng, SequenceToVector, Tensor, fillGlorotUniform, fillTf1Recurrent, fillZeros, mseLoss, noGrad } from "../../../../src/index.js";
import { linearRecurrence } from "../../../../src/tasks.js";
import { History, type Curves } from "../../lab/history.js";
import { defineLab, type SnapshotBase } from "../../lab/lab.js";
import { linearCard } from "./card.js";

const SEQUENCES = 1000;
const TRAIN = 800;
const LENGTH = 10;
/** Test sequences drawn in the predicted-vs-true figure (all of them). */
const SHOWN = SEQUENCES - TRAIN;

export interface LinearSnapshot extends SnapshotBase {
  /** Train MSE then test MSE of each model: [rnn train, lstm train, rnn test, lstm test]. */
  curves: Curves;
  /** The true last value of the first SHOWN test sequences. */
  truth: Float32Array;
  /** Each model's prediction of them. */
  predictions: Float32Array[];
}

interface Split { x: Tensor; y: Tensor }

/** Sequences [from, to) of the set, time-major [T, n, 1], with their targets [n, 1]. */
function take(x: Tensor, y: Tensor, from: number, to: number): Split {
  const T = x.shape[0], n = to - from;
  const out = Tensor.zeros([T, n, 1]);
  for (let t = 0; t < T; t++) out.data.set(x.data.subarray(t * SEQUENCES + from, t * SEQUENCES + to), t * n);
  return { x: out, y: new Tensor(y.data.slice(from, to), [n, 1]) };
}

export const linearLab = defineLab({
  card: linearCard,
  create(settings) {
    const rng = new Rng(settings.seed);
    const data = linearRecurrence(rng, SEQUENCES, LENGTH);
    const train = take(data.x, data.y, 0, TRAIN);
    const test = take(data.x, data.y, TRAIN, SEQUENCES);
    const H = settings.hidden;
    const models = (["rnn", "lstm"] as const).map((cell) => {
      const model = new SequenceToVector({ cell, inputSize: 1, hiddenSize: H, outputSize: 1, rng, ...(cell === "rnn" ? { nonlinearity: "sigmoid" as const } : {}) });
      fillTf1Recurrent(model.rnn, rng, { kernel: "matrix" });
      fillGlorotUniform(model.head.weight, rng, H, 1);
      fillZeros(model.head.bias!);
      return { model, optimizer: new Adam(model.parameters(), { lr: settings.lr }) };
    });
    const history = new History(4);
    let step = 0;
    const testMse = () => noGrad(() => models.map(({ model }) => mseLoss(model.forward(test.x), test.y).item()));
    const record = (trainMse: number[]) => history.push(step, [...trainMse, ...testMse()]);
    record(noGrad(() => models.map(({ model }) => mseLoss(model.forward(train.x), train.y).item())));
    return {
      step() {
        const trainMse = models.map(({ model, optimizer }) => {
          optimizer.zeroGrad();
          const loss = mseLoss(model.forward(train.x), train.y);
          loss.backward();
          optimizer.step();
          return loss.item();
        });
        step++;
        record(trainMse);
      },
      snapshot(): LinearSnapshot {
        const predictions = noGrad(() => models.map(({ model }) => Float32Array.from(model.forward(test.x).data.subarray(0, SHOWN))));
        return {
          step,
          metric: (history.last(2) + history.last(3)) / 2,
          metricName: "test MSE, mean of the two models",
          curves: history.curves(),
          truth: Float32Array.from(test.y.data.subarray(0, SHOWN)),
          predictions,
        };
      },
    };
  },
});
