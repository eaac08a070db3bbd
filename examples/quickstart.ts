/**
 * Example: a first program in Node. Which kernels run and why, an LSTM regressor trained
 * with `fit` on a task from `rnnkit/tasks` (predict the 10th value of x_t = 1.1·x_(t−1) + 0.3
 * from the first nine), saved to a file and loaded back. The README quotes this file.
 * Run: node build/examples/quickstart.js
 */
import { fileURLToPath } from "node:url";
import { Rng, Tensor, SequenceToVector, Adam, mseLoss, fit, backendInfo, noGrad, type Dataset } from "../src/node/entry.js"; // "rnnkit" as Node resolves it
import { saveModel, loadModel, terminalProgress } from "../src/node/index.js";
import { linearRecurrence, type RegressionSet } from "../src/tasks.js";

/** Batches of a regression set: x [T, B, 1], y [B, 1] for the rows asked for. */
function batches(set: RegressionSet): Dataset<RegressionSet> {
  const [T, N] = set.x.shape;
  return {
    length: N,
    batch(indices) {
      const B = indices.length, x = Tensor.zeros([T, B, 1]), y = Tensor.zeros([B, 1]);
      indices.forEach((n, b) => {
        for (let t = 0; t < T; t++) x.data[t * B + b] = set.x.data[t * N + n];
        y.data[b] = set.y.data[n];
      });
      return { x, y };
    },
  };
}

export function quickstart(path: string, epochs = 20) {
  console.log(`kernels: ${backendInfo().name} (${backendInfo().reason})`);
  const rng = new Rng(0);
  const train = batches(linearRecurrence(rng, 512)), validation = batches(linearRecurrence(rng, 128));
  const model = new SequenceToVector({ cell: "lstm", inputSize: 1, hiddenSize: 16, outputSize: 1, rng });
  const result = fit(model, train, {
    forward: ({ x, y }) => ({ loss: mseLoss(model.forward(x), y) }),
    optimizer: new Adam(model.parameters(), { lr: 0.02 }),
    rng, epochs, batchSize: 32, validation,
    progress: terminalProgress("lines"), // an epoch summary per line; "bar" in a terminal
  });
  saveModel(path, model);
  const { model: loaded } = loadModel<SequenceToVector>(path);
  const { x } = validation.batch([0, 1, 2]);
  const [before, after] = noGrad(() => [model.forward(x).toArray(), loaded.forward(x).toArray()]);
  console.log(`reloaded from ${path}: predictions ${after.map((v) => v.toFixed(3)).join(", ")}`);
  return { history: result.history, sameAfterReload: before.join() === after.join() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) quickstart("quickstart.safetensors");
