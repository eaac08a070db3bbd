/**
 * Test support (no tests here): the sign task with a dropout layer that owns its
 * generator, trained with early stopping, a learning-rate schedule and clipping — a run
 * whose every piece of state must survive a checkpoint. Shared by the trainer-state tests
 * and the child processes they kill (./trainstate-child.ts).
 */
import { Module, LSTM, Linear, Dropout, Rng, Tensor, Adam, crossEntropy, countCorrect, reshape, slice, stepDecay, type BatchResult, type FitOptions } from "../../src/index.js";
import { signTask, type SignBatch } from "./sign-task.js";

export class DropoutClassifier extends Module {
  readonly lstm: LSTM;
  readonly drop: Dropout;
  readonly head: Linear;
  constructor(rng: Rng, dropoutSeed = 77) {
    super();
    this.lstm = this.registerModule("lstm", new LSTM({ inputSize: 1, hiddenSize: 6, rng }));
    this.drop = this.registerModule("drop", new Dropout({ p: 0.3, rng: new Rng(dropoutSeed) }));
    this.head = this.registerModule("head", new Linear({ inFeatures: 6, outFeatures: 2, rng }));
  }
  forward(x: Tensor): Tensor {
    const { h } = this.lstm.forward(x).state;
    return this.head.forward(this.drop.forward(reshape(slice(h, 0, 0, 1), [x.shape[1], 6])));
  }
}

export const EPOCHS = 30;

/** Model, data and fit options of one run, from one seed. */
export function dropoutRun(seed: number, dropoutSeed = 77) {
  const rng = new Rng(seed);
  const train = signTask(rng, 96);
  const validation = signTask(rng, 32);
  const model = new DropoutClassifier(rng, dropoutSeed);
  const optimizer = new Adam(model.parameters(), { lr: 0.05 });
  const forward = (b: SignBatch): BatchResult => {
    const logits = model.forward(b.x);
    return { loss: crossEntropy(logits, b.y), correct: countCorrect(logits, b.y), count: b.y.length };
  };
  const options: FitOptions<SignBatch> = {
    forward, optimizer, rng, epochs: EPOCHS, batchSize: 16, validation, clipNorm: 5,
    earlyStopping: { patience: 2, minDelta: 0.01 },
    schedule: stepDecay(0.05, { stepSize: 12, gamma: 0.7 }),
  };
  return { rng, train, validation, model, optimizer, forward, options };
}
