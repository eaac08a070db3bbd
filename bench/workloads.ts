/**
 * The benchmark workloads W1–W6 of the shared BENCH.md, with exactly its shapes.
 * Each builds its model and random data once and returns a `step` closure: one
 * training step (forward + BPTT backward + optimizer update over one batch), or for
 * W6 one streaming inference step with carried state.
 */
import { Rng, Tensor, LSTM, RNN, GRU, Linear, mseLoss, crossEntropy, Adam, Adagrad, noGrad, reshape, slice, oneHot, type Module, type RecurrentState } from "../src/index.js";

export interface Workload {
  id: string;
  model: string;
  /** Samples consumed by one step (the batch size). */
  batch: number;
  /** Per-step unit to report: ms for training steps, µs for the streaming step. */
  unit: "ms" | "us";
  /** Minimum number of timed steps and warm-up steps. */
  minSteps: number;
  warmup: number;
  build(rng: Rng): () => void;
}

function params(...modules: Module[]) {
  return modules.flatMap((m) => m.parameters());
}

function randomTensor(rng: Rng, shape: number[]): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal();
  return t;
}

function randomClasses(rng: Rng, n: number, classes: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(classes));
}

/** Last time step of a [T, B, H] output as [B, H]. */
function lastStep(output: Tensor): Tensor {
  const [T, B, H] = output.shape;
  return reshape(slice(output, 0, T - 1, T), [B, H]);
}

const w1 = (cell: "lstm" | "rnn"): Workload => ({
  id: "W1", model: cell, batch: 800, unit: "ms", minSteps: 50, warmup: 5,
  build(rng) {
    const x = randomTensor(rng, [10, 800, 1]);
    const y = randomTensor(rng, [800, 1]);
    const rec = cell === "lstm" ? new LSTM({ inputSize: 1, hiddenSize: 4, rng }) : new RNN({ inputSize: 1, hiddenSize: 4, nonlinearity: "sigmoid", rng });
    const head = new Linear({ inFeatures: 4, outFeatures: 1, rng });
    const opt = new Adam(params(rec, head), { lr: 0.1 });
    return () => {
      opt.zeroGrad();
      mseLoss(head.forward(lastStep(rec.forward(x).output)), y).backward();
      opt.step();
    };
  },
});

const w2: Workload = {
  id: "W2", model: "rnn", batch: 200, unit: "ms", minSteps: 50, warmup: 5,
  build(rng) {
    const x = oneHot(randomClasses(rng, 10 * 200, 2), 2);
    const xs = reshape(x, [10, 200, 2]);
    const targets = randomClasses(rng, 10 * 200, 2);
    const rnn = new RNN({ inputSize: 2, hiddenSize: 16, rng });
    const head = new Linear({ inFeatures: 16, outFeatures: 2, rng });
    const opt = new Adagrad(params(rnn, head), { lr: 0.1 });
    return () => {
      opt.zeroGrad();
      crossEntropy(head.forward(rnn.forward(xs).output), targets).backward();
      opt.step();
    };
  },
};

const w3 = (cell: "rnn" | "gru"): Workload => ({
  id: "W3", model: cell, batch: 150, unit: "ms", minSteps: 10, warmup: 2,
  build(rng) {
    const x = randomTensor(rng, [28, 150, 28]);
    const targets = randomClasses(rng, 150, 10);
    const rec = cell === "rnn" ? new RNN({ inputSize: 28, hiddenSize: 150, rng }) : new GRU({ inputSize: 28, hiddenSize: 150, rng });
    const head = new Linear({ inFeatures: 150, outFeatures: 10, rng });
    const opt = new Adam(params(rec, head), { lr: 1e-3 });
    return () => {
      opt.zeroGrad();
      crossEntropy(head.forward(lastStep(rec.forward(x).output)), targets).backward();
      opt.step();
    };
  },
});

const w4 = (cell: "lstm" | "gru"): Workload => ({
  id: "W4", model: cell, batch: 50, unit: "ms", minSteps: 3, warmup: 1,
  build(rng) {
    const V = 65;
    const xs = reshape(oneHot(randomClasses(rng, 50 * 50, V), V), [50, 50, V]);
    const targets = randomClasses(rng, 50 * 50, V);
    const opts = { inputSize: V, hiddenSize: 128, numLayers: 2, rng };
    const rec = cell === "lstm" ? new LSTM(opts) : new GRU(opts);
    const head = new Linear({ inFeatures: 128, outFeatures: V, rng });
    const opt = new Adam(params(rec, head), { lr: 2e-3 });
    return () => {
      opt.zeroGrad();
      crossEntropy(head.forward(rec.forward(xs).output), targets).backward();
      opt.step();
    };
  },
});

const w5: Workload = {
  id: "W5", model: "lstm", batch: 64, unit: "ms", minSteps: 1, warmup: 1,
  build(rng) {
    const x = randomTensor(rng, [64, 64, 256]);
    const y = randomTensor(rng, [64, 64, 512]);
    const lstm = new LSTM({ inputSize: 256, hiddenSize: 512, rng });
    const opt = new Adam(lstm.parameters(), { lr: 1e-3 });
    return () => {
      opt.zeroGrad();
      mseLoss(lstm.forward(x).output, y).backward();
      opt.step();
    };
  },
};

/**
 * W6: one step of the LSTM module with its state carried, no graph. The module's
 * parameters live in the kernels' memory (Module.registerParameter), so the step reads
 * the 80k weights in place.
 */
const w6: Workload = {
  id: "W6", model: "lstm", batch: 1, unit: "us", minSteps: 2000, warmup: 200,
  build(rng) {
    const x = randomTensor(rng, [1, 1, 32]);
    const lstm = new LSTM({ inputSize: 32, hiddenSize: 128, rng });
    let state: RecurrentState = { h: Tensor.zeros([1, 1, 128]), c: Tensor.zeros([1, 1, 128]) };
    return () => {
      noGrad(() => {
        state = lstm.forward(x, state).state;
      });
    };
  },
};

export const workloads: Workload[] = [w1("lstm"), w1("rnn"), w2, w3("rnn"), w3("gru"), w4("lstm"), w4("gru"), w5, w6];
