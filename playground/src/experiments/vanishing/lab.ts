/**
 * Vanishing gradients, live: a tanh RNN, an LSTM and a GRU train side by side on "the sign
 * of the first input", one Adam step each per update, and every VANISHING_EVERY updates
 * their ‖∂L/∂h_t‖ curves are recomputed with `hiddenGradientNorms` on a fixed probe batch
 * (the diagnostic of src/experiments/vanishing.ts, there on untrained nets only).
 */
import {
  Adam, GRU, LSTM, clipGradNorm, Rng, SequenceToVector, Tensor, bceWithLogits, fillUniform, hiddenGradientNorms, noGrad, setForgetGateBias,
  type CellKind,
} from "../../../../src/index.js";
import { History, type Curves } from "../../lab/history.js";
import { defineLab, type SnapshotBase } from "../../lab/lab.js";
import { VANISHING_BATCH, VANISHING_EVERY, VANISHING_FLOOR, VANISHING_HELD_OUT, VANISHING_PROBE, vanishingCard } from "./card.js";

const CELLS: readonly CellKind[] = ["rnn", "lstm", "gru"];
/** The gradient norm each net's update is clipped to. */
const CLIP_NORM = 1;

export interface VanishingSnapshot extends SnapshotBase {
  /** Held-out loss of each net (nats), one series per net, measured every VANISHING_EVERY updates. */
  losses: Curves;
  /** ‖∂L/∂h_0‖ / ‖∂L/∂h_(T−1)‖ of each net at the same measurements (at least VANISHING_FLOOR). */
  ratios: Curves;
  /** Per net, ‖∂L/∂h_t‖ for t = 0..T−1 now… */
  norms: Float64Array[];
  /** …and before training. */
  initialNorms: Float64Array[];
  /** The update the curves were measured at. */
  measuredAt: number;
  /** Per net: held-out accuracy (fraction of signs right) at that measurement. */
  accuracy: number[];
}

/**
 * Sequences [T, B, 2] (time-major): channel 0 random ±1 values, channel 1 a marker that is 1 at
 * the first step only; targets [B, 1]: 1 where the first value is +1.
 */
function signTask(rng: Rng, T: number, B: number): { x: Tensor; y: Tensor } {
  const x = Tensor.zeros([T, B, 2]);
  for (let i = 0; i < T * B; i++) x.data[2 * i] = rng.bernoulli(0.5) ? 1 : -1;
  for (let b = 0; b < B; b++) x.data[2 * b + 1] = 1;
  const y = Tensor.zeros([B, 1]);
  for (let b = 0; b < B; b++) y.data[b] = x.data[2 * b] > 0 ? 1 : 0;
  return { x, y };
}

/**
 * The GRU's counterpart of `setForgetGateBias`: the update gate z (rows H..2H of r|z|n) keeps
 * the old state, h_t = (1−z)⊙n + z⊙h_(t−1), so its bias starts the net remembering. The value
 * goes in bias_ih's z block and bias_hh's is zeroed (PyTorch adds the two).
 */
function setUpdateGateBias(gru: GRU, value: number): void {
  const H = gru.spec.hiddenSize;
  const [, , biasIh, biasHh] = gru.weights;
  biasIh.data.fill(value, H, 2 * H);
  biasHh.data.fill(0, H, 2 * H);
}

export const vanishingLab = defineLab({
  card: vanishingCard,
  create(settings) {
    const { steps: T, hidden: H } = settings;
    const rng = new Rng(settings.seed);
    const nets = CELLS.map((cell) => {
      const model = new SequenceToVector({ cell, inputSize: 2, hiddenSize: H, outputSize: 1, rng });
      for (const w of model.rnn.weights) fillUniform(w, rng, settings.scale / Math.sqrt(H));
      if (model.rnn instanceof LSTM) setForgetGateBias(model.rnn, settings.forgetBias);
      if (model.rnn instanceof GRU) setUpdateGateBias(model.rnn, settings.updateBias);
      return { model, optimizer: new Adam(model.parameters(), { lr: settings.lr }) };
    });
    const heldOut = signTask(rng, T, VANISHING_HELD_OUT);
    const probe = signTask(rng, T, VANISHING_PROBE);
    const dataRng = new Rng(rng.nextUint32());

    /**
     * ‖∂L/∂h_t‖ for L = the mean read-out logit over the probe batch, z = w·h_(T−1) + b: the seed
     * is w/B at the last step of every row. The logit, not the loss, so that the curve shows
     * how far the signal reaches, not how small the loss has become.
     */
    const gradientNorms = (model: SequenceToVector): Float64Array => {
      const dOutput = Tensor.zeros([T, VANISHING_PROBE, H]);
      const w = model.head.weight.data;
      for (let b = 0; b < VANISHING_PROBE; b++) {
        for (let j = 0; j < H; j++) dOutput.data[((T - 1) * VANISHING_PROBE + b) * H + j] = w[j] / VANISHING_PROBE;
      }
      return Float64Array.from(hiddenGradientNorms(model.rnn.spec, probe.x, model.rnn.weights, { dOutput })[0].dhNorm);
    };

    const losses = new History(CELLS.length);
    const ratios = new History(CELLS.length);
    let norms: Float64Array[] = [];
    let accuracy: number[] = [];
    let measuredAt = 0;
    let step = 0;
    const measure = () => {
      const held = noGrad(() => nets.map(({ model }) => {
        const logits = model.forward(heldOut.x);
        let right = 0;
        for (let b = 0; b < VANISHING_HELD_OUT; b++) if ((logits.data[b] > 0 ? 1 : 0) === heldOut.y.data[b]) right++;
        return { loss: bceWithLogits(logits, heldOut.y).item(), accuracy: right / VANISHING_HELD_OUT };
      }));
      norms = nets.map(({ model }) => gradientNorms(model));
      accuracy = held.map((h) => h.accuracy);
      measuredAt = step;
      losses.push(step, held.map((h) => h.loss));
      // A gradient that underflowed to 0 (a saturated tanh) is kept at the floor of the log scale.
      ratios.push(step, norms.map((n) => Math.max(n[0] / n[T - 1], VANISHING_FLOOR)));
    };
    measure();
    const initialNorms = norms.map((n) => n.slice());

    return {
      step() {
        const batch = signTask(dataRng, T, VANISHING_BATCH);
        for (const { model, optimizer } of nets) {
          optimizer.zeroGrad();
          bceWithLogits(model.forward(batch.x), batch.y).backward();
          // Clipped, as recurrent nets are trained: a net that starts to remember can meet a large gradient.
          clipGradNorm(model.parameters(), CLIP_NORM);
          optimizer.step();
        }
        step++;
        if (step % VANISHING_EVERY === 0) measure();
      },
      snapshot(): VanishingSnapshot {
        return {
          step,
          metric: CELLS.reduce((a, _, i) => a + losses.last(i), 0) / CELLS.length,
          metricName: "held-out loss (nats), mean of the three nets",
          losses: losses.curves(),
          ratios: ratios.curves(),
          norms: norms.map((n) => n.slice()),
          initialNorms: initialNorms.map((n) => n.slice()),
          measuredAt,
          accuracy: [...accuracy],
        };
      },
    };
  },
});
