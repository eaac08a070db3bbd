/**
 * A user-written recurrent cell: the peephole LSTM of Gers, Schraudolph &
 * Schmidhuber ("Learning precise timing with LSTM recurrent networks", JMLR 2002),
 * built only from rnnkit's public ops and `Module`, with gradients from the tape.
 * It is an example for docs/custom-cells.md (and tested by test/custom-cell.test.ts),
 * not a tuned layer: there is no fused kernel behind it.
 */
import { fileURLToPath } from "node:url";
import {
  Module, fillPytorchRecurrent, fillUniform, Tensor, Rng, noGrad, add, linear, mean, mul, reshape, sigmoid, slice, split, sub, tanh, type DType,
} from "../src/node/entry.js"; // "rnnkit" as Node resolves it

export interface PeepholeLSTMOptions {
  inputSize: number;
  hiddenSize: number;
  rng: Rng;
  dtype?: DType;
}

export interface PeepholeState {
  h: Tensor; // [B, H]
  c: Tensor; // [B, H]
}

/**
 * gates = W_ih x + W_hh h + b                      [B, 4H], blocks i | f | g | o
 * i  = σ(gates_i + w_ci ⊙ c)                       the input and forget gates peek at the old cell
 * f  = σ(gates_f + w_cf ⊙ c)
 * g  = tanh(gates_g)
 * c' = f ⊙ c + i ⊙ g
 * o  = σ(gates_o + w_co ⊙ c')                      the output gate peeks at the new cell
 * h' = o ⊙ tanh(c')
 *
 * weight_ih [4H, I], weight_hh [4H, H], bias [4H]; the peepholes w_ci, w_cf, w_co [H]
 * are diagonal: each unit sees only its own cell.
 */
export class PeepholeLSTMCell extends Module {
  readonly hiddenSize: number;
  readonly weight_ih: Tensor;
  readonly weight_hh: Tensor;
  readonly bias: Tensor;
  readonly weight_ci: Tensor;
  readonly weight_cf: Tensor;
  readonly weight_co: Tensor;

  constructor({ inputSize: I, hiddenSize: H, rng, dtype = "float32" }: PeepholeLSTMOptions) {
    super();
    this.hiddenSize = H;
    // Every parameter drawn from U(±1/√H), PyTorch's recurrent default, in this order.
    const param = (name: string, shape: number[]): Tensor =>
      this.registerParameter(name, fillPytorchRecurrent(Tensor.zeros(shape, { dtype }), rng, H));
    this.weight_ih = param("weight_ih", [4 * H, I]);
    this.weight_hh = param("weight_hh", [4 * H, H]);
    this.bias = param("bias", [4 * H]);
    this.weight_ci = param("weight_ci", [H]);
    this.weight_cf = param("weight_cf", [H]);
    this.weight_co = param("weight_co", [H]);
  }

  forward(x: Tensor, { h, c }: PeepholeState): PeepholeState {
    const gates = add(linear(x, this.weight_ih, this.bias), linear(h, this.weight_hh));
    const [gi, gf, gg, go] = split(gates, -1, this.hiddenSize);
    // w [H] ⊙ c [B, H] broadcasts the diagonal peephole weights over the batch.
    const i = sigmoid(add(gi, mul(this.weight_ci, c)));
    const f = sigmoid(add(gf, mul(this.weight_cf, c)));
    const g = tanh(gg);
    const cNext = add(mul(f, c), mul(i, g));
    const o = sigmoid(add(go, mul(this.weight_co, cNext)));
    const hNext = mul(o, tanh(cNext));
    return { h: hNext, c: cNext };
  }

  initialState(batch: number, dtype: DType = this.weight_ih.dtype): PeepholeState {
    return { h: Tensor.zeros([batch, this.hiddenSize], { dtype }), c: Tensor.zeros([batch, this.hiddenSize], { dtype }) };
  }
}

/** Runs the cell over xs [T, B, I] from the zero state; returns the final state. */
export function unroll(cell: PeepholeLSTMCell, xs: Tensor): PeepholeState {
  const [T, B, I] = xs.shape;
  let state = cell.initialState(B);
  for (let t = 0; t < T; t++) {
    const x = reshape(slice(xs, 0, t, t + 1), [B, I]);
    state = cell.forward(x, state);
  }
  return state;
}

export interface RunningMeanTask {
  xs: Tensor; // [T, B, 1], uniform in (−1, 1)
  y: Tensor; // [B, 1], the mean of each sequence
}

/** A memory task: read T numbers, then report their mean. */
export function runningMeanTask(rng: Rng, T: number, B: number): RunningMeanTask {
  const xs = Tensor.zeros([T, B, 1]);
  for (let i = 0; i < xs.size; i++) xs.data[i] = rng.uniform(-1, 1);
  const y = Tensor.zeros([B, 1]);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) y.data[b] += xs.data[t * B + b] / T;
  return { xs, y };
}

/**
 * Trains the cell and a linear read-out on the running-mean task with plain SGD,
 * written out so that the example needs nothing but the ops. Returns the training
 * loss (MSE) after every step and the loss on held-out sequences.
 */
export function trainRunningMean(options: { seed: number; steps: number; lr: number }): { losses: number[]; test: number } {
  const rng = new Rng(options.seed);
  const H = 8;
  const cell = new PeepholeLSTMCell({ inputSize: 1, hiddenSize: H, rng });
  const readout = fillUniform(Tensor.zeros([1, H], { requiresGrad: true }), rng, 1 / Math.sqrt(H));
  const params = [...cell.parameters(), readout];
  const train = runningMeanTask(rng, 6, 32);
  const test = runningMeanTask(rng, 6, 64);

  const loss = (task: RunningMeanTask): Tensor => {
    const err = sub(linear(unroll(cell, task.xs).h, readout), task.y);
    return mean(mul(err, err));
  };
  const losses: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    for (const p of params) p.zeroGrad();
    const l = loss(train);
    l.backward();
    for (const p of params) for (let k = 0; k < p.size; k++) p.data[k] -= options.lr * p.grad![k];
    losses.push(l.item());
  }
  return { losses, test: noGrad(() => loss(test).item()) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { losses, test } = trainRunningMean({ seed: 1, steps: 300, lr: 0.5 });
  console.log(`peephole LSTM on the running mean: training MSE ${losses[0].toFixed(4)} → ${losses.at(-1)!.toFixed(4)}, held-out MSE ${test.toFixed(4)}`);
}
