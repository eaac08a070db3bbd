/**
 * The echo task with truncated BPTT, one window (one Adagrad step) per update: the setup of
 * src/experiments/echo.ts (its net, `echoNet`, and the loop of `echoRun`), run
 * without end — each epoch a fresh series of rows × 5000 steps, the state reset to zeros at
 * its start and carried, detached, from window to window within it.
 */
import {
  Adagrad, Rng, crossEntropy, detachState, noGrad, softmax,
  type CellKind, type RecurrentState, type Tensor,
} from "../../../../src/index.js";
import { echoNet } from "../../../../src/experiments/echo-net.js";
import { ECHO_LAGS, echoExpectedLoss, echoProbability, echoRows, echoSeries, echoWindow, type EchoSeries } from "../../../../src/tasks.js";
import { History, type Curves } from "../../lab/history.js";
import { defineLab, type SnapshotBase } from "../../lab/lab.js";
import { ECHO_STEPS_PER_ROW, echoCard, type EchoReferences } from "./card.js";

/** Time steps per row in each plotted point (the library experiment's smoothSteps): 250/num_steps windows. */
const SMOOTH_STEPS = 250;
/** Steps of row 0 kept for the strip of inputs, targets and predictions. */
const STRIP = 48;

export interface EchoSnapshot extends SnapshotBase {
  /** The smoothed training loss: one series, each point the mean of a block of windows, at the update ending it. */
  curves: Curves;
  references: EchoReferences;
  /** Windows in each plotted block. */
  windowsPerPoint: number;
  /** Epochs begun (1 while the first series is read) and the window reached within the current one. */
  epoch: number;
  window: number;
  windowsPerEpoch: number;
  /** The last STRIP (or fewer) steps of row 0: the time step (within the epoch's row) of the first one… */
  stripStart: number;
  /** …its inputs X_t and targets Y_t (0/1)… */
  stripX: Uint8Array;
  stripY: Uint8Array;
  /** …the net's P(Y_t = 1) and the true one, P(Y_t = 1 | X_(t−3), X_(t−8)). */
  stripPredicted: Float32Array;
  stripTrue: Float32Array;
}

/** A ring of the last STRIP steps of row 0. */
class Strip {
  readonly x: number[] = [];
  readonly y: number[] = [];
  readonly predicted: number[] = [];
  readonly truth: number[] = [];
  start = 0;

  /** Resets it at an epoch's start. */
  clear(): void {
    for (const a of [this.x, this.y, this.predicted, this.truth]) a.length = 0;
    this.start = 0;
  }

  push(t: number, x: number, y: number, predicted: number, truth: number): void {
    if (this.x.length === 0) this.start = t;
    this.x.push(x);
    this.y.push(y);
    this.predicted.push(predicted);
    this.truth.push(truth);
    if (this.x.length > STRIP) {
      for (const a of [this.x, this.y, this.predicted, this.truth]) a.shift();
      this.start++;
    }
  }
}

export const echoLab = defineLab({
  card: echoCard,
  create(settings) {
    const { numSteps, hidden, rows } = settings;
    const rng = new Rng(settings.seed);
    const net = echoNet(settings.cell as CellKind, hidden, rng);
    // TF1's Adagrad starts its accumulator at 0.1.
    const optimizer = new Adagrad(net.parameters(), { lr: settings.lr, initialAccumulatorValue: 0.1 });
    const dataRng = new Rng(rng.nextUint32());
    const references: EchoReferences = { none: echoExpectedLoss([]), first: echoExpectedLoss([ECHO_LAGS[0]]), both: echoExpectedLoss([...ECHO_LAGS]) };
    const windowsPerEpoch = Math.floor(ECHO_STEPS_PER_ROW / numSteps);
    const windowsPerPoint = Math.max(1, Math.round(SMOOTH_STEPS / numSteps));

    let series: EchoSeries;
    let data: ReturnType<typeof echoRows>;
    let epoch = 0;
    let window = 0;
    let state: RecurrentState | null = null;
    const strip = new Strip();
    const newEpoch = () => {
      series = echoSeries(dataRng, rows * ECHO_STEPS_PER_ROW);
      data = echoRows(series, rows);
      epoch++;
      window = 0;
      state = null;
      strip.clear();
    };
    newEpoch();

    /** P(Y=1) of row 0 at each step of the window's logits [T, B, 2], into the strip. */
    const recordStrip = (logits: Tensor, from: number) => {
      const p = noGrad(() => softmax(logits, -1)).data;
      const L = series.x.length;
      // Row 0 is the series' first stretch; the first lags wrap to its end, as echoSeries draws them.
      const back = (t: number, lag: number) => series.x[(t - lag + L) % L];
      for (let t = 0; t < numSteps; t++) {
        const s = from + t;
        strip.push(s, data.x[s], data.y[s], p[t * rows * 2 + 1], echoProbability(back(s, ECHO_LAGS[0]), back(s, ECHO_LAGS[1])));
      }
    };

    const history = new History(1);
    /** Losses of the windows of the block being filled, and of the last windowsPerPoint ones (the metric). */
    let blockSum = 0, blockCount = 0;
    const recent: number[] = [];
    let step = 0;
    // The untrained net's loss on the first window: the metric before any update.
    noGrad(() => {
      const w = echoWindow(data, 0, numSteps);
      recent.push(crossEntropy(net.forwardWithState(w.x).y, w.y).item());
    });

    return {
      step() {
        if (window >= windowsPerEpoch) newEpoch();
        const from = window * numSteps;
        const w = echoWindow(data, from, numSteps);
        optimizer.zeroGrad();
        const out = net.forwardWithState(w.x, { state: state ?? undefined });
        const loss = crossEntropy(out.y, w.y);
        loss.backward();
        optimizer.step();
        state = detachState(out.state);
        recordStrip(out.y, from);
        window++;
        step++;
        if (step === 1) recent.length = 0;
        const value = loss.item();
        recent.push(value);
        if (recent.length > windowsPerPoint) recent.shift();
        blockSum += value;
        if (++blockCount === windowsPerPoint) {
          history.push(step, [blockSum / blockCount]);
          blockSum = 0;
          blockCount = 0;
        }
      },
      snapshot(): EchoSnapshot {
        return {
          step,
          metric: recent.reduce((a, b) => a + b, 0) / recent.length,
          metricName: `training loss (nats), mean of the last ${windowsPerPoint} windows`,
          curves: history.curves(),
          references,
          windowsPerPoint,
          epoch,
          window,
          windowsPerEpoch,
          stripStart: strip.start,
          stripX: Uint8Array.from(strip.x),
          stripY: Uint8Array.from(strip.y),
          stripPredicted: Float32Array.from(strip.predicted),
          stripTrue: Float32Array.from(strip.truth),
        };
      },
    };
  },
});
