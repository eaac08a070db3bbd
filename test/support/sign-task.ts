/**
 * Test support (no tests here): a tiny sequence-classification task — is the sum of
 * a ±1 sequence positive? — and a seeded LSTM classifier for it, shared by the
 * trainer tests and the child processes they spawn.
 */
import { Module, LSTM, Linear, Rng, Tensor, Adam, crossEntropy, countCorrect, reshape, slice, type Dataset, type BatchResult } from "../../src/index.js";

export const T = 5;

export interface SignBatch {
  x: Tensor;
  y: Int32Array;
}

export function signTask(rng: Rng, n: number): Dataset<SignBatch> {
  const xs = Array.from({ length: n }, () => Array.from({ length: T }, () => (rng.bernoulli(0.5) ? 1 : -1)));
  return {
    length: n,
    batch(indices) {
      const x = Tensor.zeros([T, indices.length, 1]);
      const y = new Int32Array(indices.length);
      indices.forEach((s, b) => {
        let total = 0;
        for (let t = 0; t < T; t++) {
          x.data[t * indices.length + b] = xs[s][t];
          total += xs[s][t];
        }
        y[b] = total > 0 ? 1 : 0;
      });
      return { x, y };
    },
  };
}

export class SignClassifier extends Module {
  readonly lstm: LSTM;
  readonly head: Linear;
  constructor(rng: Rng) {
    super();
    this.lstm = this.registerModule("lstm", new LSTM({ inputSize: 1, hiddenSize: 6, rng }));
    this.head = this.registerModule("head", new Linear({ inFeatures: 6, outFeatures: 2, rng }));
  }
  forward(x: Tensor): Tensor {
    const { h } = this.lstm.forward(x).state;
    return this.head.forward(reshape(slice(h, 0, 0, 1), [x.shape[1], 6]));
  }
}

/** Everything a run needs, from one seed. */
export function signRun(seed: number) {
  const rng = new Rng(seed);
  const train = signTask(rng, 96);
  const validation = signTask(rng, 32);
  const model = new SignClassifier(rng);
  const optimizer = new Adam(model.parameters(), { lr: 0.05 });
  const forward = (b: SignBatch): BatchResult => {
    const logits = model.forward(b.x);
    return { loss: crossEntropy(logits, b.y), correct: countCorrect(logits, b.y), count: b.y.length };
  };
  return { rng, train, validation, model, optimizer, forward };
}
