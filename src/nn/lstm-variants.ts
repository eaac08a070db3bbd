/**
 * LSTM variants expressed as parameter settings of the fused `LSTM` layer, so they keep
 * its fast kernels: the 1997 LSTM without a forget gate (Hochreiter & Schmidhuber's
 * constant error carousel), and a forget-gate bias initializer. Not a new cell: these
 * only write the forget-gate block (rows H..2H of every weight and bias, gate order
 * i|f|g|o) of each layer and direction.
 */
import type { LSTM } from "./recurrent.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * The forget-gate pre-activation that `withoutForgetGate` pins. σ(100) = 1/(1 + e^−100)
 * and e^−100 ≈ 3.7e−44 is below half an ulp of 1 in float64 and float32, so the gate
 * rounds to exactly 1.0; and its derivative f(1 − f) is then exactly 0.
 */
export const FORGET_GATE_OFF_BIAS = 100;

interface ForgetBlock {
  name: string;
  tensor: Tensor;
  /** Flat index range [from, to) of the forget-gate rows. */
  from: number;
  to: number;
}

/** The forget-gate rows of every weight and bias of `lstm`. */
function forgetBlocks(lstm: LSTM): ForgetBlock[] {
  if (lstm.spec.cell !== "lstm") throw new Error(`forget gate: needs an LSTM, got a ${lstm.spec.cell} layer`);
  const H = lstm.spec.hiddenSize;
  return lstm.namedParameters().map(([name, tensor]) => {
    // Weights are [4H, cols] and biases [4H]: the f block is rows H..2H either way.
    const cols = tensor.rank === 2 ? tensor.shape[1] : 1;
    return { name, tensor, from: H * cols, to: 2 * H * cols };
  });
}

/**
 * Turns `lstm` (in place) into the 1997 LSTM without a forget gate: every forget-gate
 * weight is set to 0 and its pre-activation to +100 (in `bias_ih`; `bias_hh`'s block is
 * 0), so that in every layer and direction
 *   f = σ(100) = 1 exactly,   c_t = c_{t−1} + σ(i)⊙tanh(g),   h_t = σ(o)⊙tanh(c_t):
 * the cell's self-connection is fixed at 1 (the constant error carousel) while the
 * input and output gates stay. The forget block's gradient carries the factor
 * f(1 − f) = 0, so it stays exactly where it is under SGD, Adam, Adagrad, RMSprop and
 * gradient clipping, as long as no weight decay pulls it (weight decay would shrink
 * the +100). Needs the layer's biases. Returns the same layer.
 *
 * The exactness rests on the gate kernel rounding σ(100) to 1, which the plain
 * TypeScript kernels do; `forgetGateIsOff` checks the parameters after training.
 *
 * @example
 * const lstm = withoutForgetGate(new LSTM({ inputSize: 5, hiddenSize: 8, rng: new Rng(1) }));
 * // … train with Adam: the forget block never moves
 * forgetGateIsOff(lstm); // true
 */
export function withoutForgetGate(lstm: LSTM): LSTM {
  if (!lstm.spec.bias) throw new Error("withoutForgetGate: the LSTM needs its biases (bias: true) to hold the gate open");
  for (const b of forgetBlocks(lstm)) {
    const value = b.name.startsWith("bias_ih") ? FORGET_GATE_OFF_BIAS : 0;
    b.tensor.data.fill(value, b.from, b.to);
  }
  return lstm;
}

/** Whether `lstm`'s forget-gate block is still exactly as `withoutForgetGate` left it. */
export function forgetGateIsOff(lstm: LSTM): boolean {
  if (!lstm.spec.bias) return false;
  return forgetBlocks(lstm).every((b) => {
    const want = b.name.startsWith("bias_ih") ? FORGET_GATE_OFF_BIAS : 0;
    for (let k = b.from; k < b.to; k++) if (b.tensor.data[k] !== want) return false;
    return true;
  });
}

/**
 * Sets the forget-gate bias of every layer and direction so that the gate's
 * pre-activation starts at `value` plus the weighted inputs: `bias_ih`'s f block = value
 * and `bias_hh`'s f block = 0 (PyTorch adds the two biases, so splitting the value
 * between them would count it twice). A positive value (1 in Gers et al. 2000 and
 * Jozefowicz et al. 2015; larger for longer lags) starts the cell remembering.
 * Returns the same layer.
 */
export function setForgetGateBias(lstm: LSTM, value: number): LSTM {
  if (!lstm.spec.bias) throw new Error("setForgetGateBias: the LSTM has no biases");
  for (const b of forgetBlocks(lstm)) {
    if (b.name.startsWith("bias_ih")) b.tensor.data.fill(value, b.from, b.to);
    else if (b.name.startsWith("bias_hh")) b.tensor.data.fill(0, b.from, b.to);
  }
  return lstm;
}
