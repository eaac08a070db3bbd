/**
 * Example: train a sequence classifier (is the sum of a ±1 sequence positive?), save
 * it, load it back and run it one step at a time. The README quotes this file.
 */
import {
  Rng, Tensor, SequenceToVector, Adam, crossEntropy, countCorrect, fit, StepRunner, type Dataset,
} from "../src/node/entry.js"; // "rnnkit" as Node resolves it
import { fileURLToPath } from "node:url";
import { saveModel, loadModel } from "../src/node/index.js";

/** n sequences of T values ±1; the label is 1 when their sum is positive. */
export function signDataset(rng: Rng, n: number, T: number): Dataset<{ x: Tensor; y: Int32Array }> {
  const seqs = Array.from({ length: n }, () => Array.from({ length: T }, () => (rng.bernoulli(0.5) ? 1 : -1)));
  return {
    length: n,
    batch(indices) {
      const x = Tensor.zeros([T, indices.length, 1]); // time-major [T, B, I]
      const y = new Int32Array(indices.length);
      indices.forEach((s, b) => {
        seqs[s].forEach((v, t) => (x.data[t * indices.length + b] = v));
        y[b] = seqs[s].reduce((a, v) => a + v, 0) > 0 ? 1 : 0;
      });
      return { x, y };
    },
  };
}

export function trainClassifier(path: string, epochs = 10) {
  const rng = new Rng(0);
  const train = signDataset(rng, 512, 7);
  const validation = signDataset(rng, 128, 7);
  const model = new SequenceToVector({ cell: "lstm", inputSize: 1, hiddenSize: 16, outputSize: 2, rng });
  const result = fit(model, train, {
    forward: ({ x, y }) => {
      const logits = model.forward(x); // [B, 2]
      return { loss: crossEntropy(logits, y), correct: countCorrect(logits, y), count: y.length };
    },
    optimizer: new Adam(model.parameters(), { lr: 0.01 }),
    rng, epochs, batchSize: 32, validation,
  });
  saveModel(path, model); // safetensors, PyTorch names, config in the metadata
  return result.history.at(-1)!; // { loss, accuracy, valLoss, valAccuracy, ... }
}

export function classifyStreaming(path: string, values: number[]): number[] {
  const { model } = loadModel<SequenceToVector>(path);
  const runner = new StepRunner(model); // one step at a time, state carried, no graph
  let state = runner.initialState(1);
  const probabilityPositive: number[] = [];
  for (const v of values) {
    const out = runner.step(Tensor.from([[v]]), state); // x [B=1, I=1] → y [1, 2]
    state = out.state;
    const [a, b] = out.y.data;
    probabilityPositive.push(1 / (1 + Math.exp(a - b)));
  }
  return probabilityPositive;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const last = trainClassifier("classifier.safetensors", 6);
  console.log(`validation accuracy ${last.valAccuracy!.toFixed(3)} after 6 epochs; saved classifier.safetensors`);
  const values = [1, 1, 1, -1, -1, -1, -1];
  const p = classifyStreaming("classifier.safetensors", values);
  values.forEach((v, t) => console.log(`step ${t + 1}: read ${v > 0 ? "+1" : "-1"}, P(sum so far > 0) = ${p[t].toFixed(3)}`));
}
