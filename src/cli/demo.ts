/**
 * `rnnkit demo`: an LSTM with a linear read-out learns the linear-recurrence task
 * (predict the 10th value of x_t = 1.1·x_{t−1} + 0.3 from the first nine), full batch,
 * Adam; prints the training and test loss as it falls.
 */
import { Rng } from "../tensor/random.js";
import { LSTM } from "../nn/recurrent.js";
import { Linear } from "../nn/linear.js";
import { linearRecurrence } from "../data/synthetic.js";
import { mseLoss } from "../ops/loss.js";
import { Adam } from "../optim/adam.js";
import { noGrad } from "../autograd/tape.js";
import { slice, reshape } from "../ops/movement.js";
import type { Tensor } from "../tensor/tensor.js";

export interface DemoOptions {
  seed: number;
  steps: number;
}

export function runDemo({ seed, steps }: DemoOptions): { first: number; last: number; test: number } {
  if (!Number.isInteger(steps) || steps <= 0) throw new Error(`demo: steps must be a positive integer, got ${steps}`);
  const rng = new Rng(seed);
  const train = linearRecurrence(rng, 800);
  const test = linearRecurrence(rng, 200);
  const H = 16;
  const lstm = new LSTM({ inputSize: 1, hiddenSize: H, rng });
  const head = new Linear({ inFeatures: H, outFeatures: 1, rng });
  const optimizer = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 0.01 });

  const predict = (x: Tensor): Tensor => {
    const { h } = lstm.forward(x).state; // h: [1, B, H], the state after the last step
    return head.forward(reshape(slice(h, 0, 0, 1), [x.shape[1], H]));
  };

  console.log(`LSTM(1→${H}) + Linear(${H}→1) on x_t = 1.1·x_(t−1) + 0.3; 800 train / 200 test sequences; Adam lr 0.01; seed ${seed}`);
  let first = NaN;
  let last = NaN;
  const every = Math.max(1, Math.round(steps / 10));
  for (let step = 1; step <= steps; step++) {
    optimizer.zeroGrad();
    const loss = mseLoss(predict(train.x), train.y);
    loss.backward();
    optimizer.step();
    last = loss.item();
    if (step === 1) first = last;
    if (step === 1 || step % every === 0) console.log(`step ${String(step).padStart(4)}  train MSE ${last.toFixed(5)}`);
  }
  const testLoss = noGrad(() => mseLoss(predict(test.x), test.y).item());
  console.log(`test MSE ${testLoss.toFixed(5)} (the first step's train MSE was ${first.toFixed(3)})`);
  return { first, last, test: testLoss };
}
