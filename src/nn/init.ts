/**
 * Parameter initializers. Naming: every one is `fill…` and writes in place into the tensor
 * (or the layer's parameters) it is given, then returns that same argument; none creates a
 * tensor (`Tensor.zeros` and friends do that). Every random one draws from the `Rng` it is
 * given, one `rng.uniform` (or `rng.normal`) call per entry, in row-major order.
 * - `fillUniform(t, rng, a)`: U(−a, a).
 * - `fillPytorchRecurrent(t, rng, H)`: U(±1/√H), PyTorch's default for every recurrent parameter.
 * - `fillGlorotUniform(t, rng, fanIn, fanOut)`: U(±√(6/(fanIn+fanOut))), TF1's default for a variable.
 * - `fillOrthogonal(t, rng, gain)`: Q of a QR of a normal matrix (sign-corrected), Keras' recurrent default.
 * - `fillZeros(t)`, `fillConstant(t, v)`.
 * - `fillTf1Recurrent(layer, rng, options)`: TensorFlow 1's default for a whole recurrent layer stack.
 */
import type { Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";
import { cellClassName, gateCount, recurrentParamNames, type RecurrentSpec } from "../ops/recurrent.js";

export function fillUniform(t: Tensor, rng: Rng, bound: number): Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-bound, bound);
  return t;
}

/** PyTorch's RNN/LSTM/GRU default: every weight and bias ~ U(−1/√H, 1/√H). */
export function fillPytorchRecurrent(t: Tensor, rng: Rng, hiddenSize: number): Tensor {
  return fillUniform(t, rng, 1 / Math.sqrt(hiddenSize));
}

/** Glorot/Xavier uniform. For a weight [out, in], fanIn = in and fanOut = out. */
export function fillGlorotUniform(t: Tensor, rng: Rng, fanIn: number, fanOut: number): Tensor {
  return fillUniform(t, rng, Math.sqrt(6 / (fanIn + fanOut)));
}

export function fillZeros(t: Tensor): Tensor {
  t.data.fill(0);
  return t;
}

export function fillConstant(t: Tensor, value: number): Tensor {
  t.data.fill(value);
  return t;
}

/**
 * Orthogonal init of a 2-D tensor [rows, cols]: rows (or columns, whichever are
 * fewer) are orthonormal. Modified Gram–Schmidt on a normal matrix, with the sign
 * convention of QR with a positive diagonal in R.
 */
export function fillOrthogonal(t: Tensor, rng: Rng, gain = 1): Tensor {
  if (t.rank !== 2) throw new Error(`fillOrthogonal: needs a 2-D tensor, got rank ${t.rank}`);
  const [rows, cols] = t.shape;
  const tall = rows >= cols;
  const n = tall ? rows : cols; // length of each vector
  const m = tall ? cols : rows; // number of orthonormal vectors
  const q: Float64Array[] = [];
  for (let j = 0; j < m; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = rng.normal();
    for (const u of q) {
      let d = 0;
      for (let i = 0; i < n; i++) d += u[i] * v[i];
      for (let i = 0; i < n; i++) v[i] -= d * u[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) v[i] /= norm;
    q.push(v);
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) t.data[r * cols + c] = gain * (tall ? q[c][r] : q[r][c]);
  }
  return t;
}

/** Options of `fillTf1Recurrent`. */
export interface Tf1RecurrentOptions {
  /**
   * Which TF variables the weights stand for, which fixes the Glorot fans (I_k: the
   * layer's input width, I for k = 0 and D·H above; G gates; H hidden):
   * - "layer" (default): one kernel [I_k+H, G·H] per layer and direction, as TF1's
   *   BasicRNNCell, BasicLSTMCell and LSTMCell hold it: fan_in = I_k+H, fan_out = G·H, so
   *   W_ih and W_hh share the bound √(6/(I_k+H+G·H)).
   * - "gate": one kernel [I_k+H, H] per gate (a hand-written cell with a joint kernel per
   *   gate): fan_in = I_k+H, fan_out = H, bound √(6/(I_k+2H)) for W_ih and W_hh.
   * - "matrix": one [I_k, H] input and one [H, H] recurrent matrix per gate (a hand-written
   *   cell with a variable per matrix): W_ih bound √(6/(I_k+H)), W_hh bound √(6/(2H)).
   */
  kernel?: "layer" | "gate" | "matrix";
  /**
   * LSTM only: the starting value of the forget gate's bias, written into bias_ih's f block
   * (rows H..2H−1 of i|f|g|o; bias_hh stays 0). BasicLSTMCell's forget_bias is 1.0; default 0.
   */
  forgetBias?: number;
}

/**
 * TensorFlow 1's default initialization of a recurrent layer stack (an `RNN`, `LSTM` or `GRU`,
 * or anything with its `spec` and `weights`): kernels Glorot-uniform, biases zero, optionally
 * BasicLSTMCell's forget-gate bias. TF keeps one bias per gate row where PyTorch keeps two;
 * with bias_hh at 0, bias_ih is TF's bias.
 *
 * What it draws, in this order: for each parameter in `recurrentParamNames(spec)` order
 * (layer by layer; per layer the forward direction, then the reverse), weight_ih [G·H, I_k]
 * then weight_hh [G·H, H], every entry row-major, one `rng.uniform(−a, a)` call per entry,
 * with the bound a of `options.kernel` (see `Tf1RecurrentOptions`). Biases draw nothing:
 * they are set to 0, and bias_ih's forget block to `forgetBias`. So the layer takes
 * G·H·(I_k + H) draws per layer and direction, whatever `kernel` is. Within one TF kernel the
 * entries are independent and identically distributed, so drawing in PyTorch's layout rather
 * than TF's [I_k+H, G·H] changes which entry gets which draw, not the distribution.
 *
 * For the GRU this is the one-kernel reading ("layer": fan_out 3H); TF1's GRUCell itself
 * holds two kernels (gates [I+H, 2H] with bias 1, candidate [I+H, H]), which this does not model.
 *
 * @example
 * const lstm = new LSTM({ inputSize: 28, hiddenSize: 128, rng });
 * fillTf1Recurrent(lstm, rng, { forgetBias: 1 }); // BasicLSTMCell's defaults
 */
export function fillTf1Recurrent<M extends { readonly spec: RecurrentSpec; readonly weights: readonly Tensor[] }>(
  layer: M, rng: Rng, options: Tf1RecurrentOptions = {},
): M {
  const { spec, weights } = layer;
  const { kernel = "layer", forgetBias } = options;
  const who = `fillTf1Recurrent (${cellClassName(spec.cell)})`;
  if (kernel !== "layer" && kernel !== "gate" && kernel !== "matrix") {
    throw new Error(`${who}: kernel must be "layer", "gate" or "matrix", got '${kernel as string}'`);
  }
  if (forgetBias !== undefined && spec.cell !== "lstm") throw new Error(`${who}: forgetBias applies to an LSTM only`);
  if (forgetBias !== undefined && !spec.bias) throw new Error(`${who}: forgetBias needs the biases, but the layer has bias: false`);
  const names = recurrentParamNames(spec);
  if (weights.length !== names.length) throw new Error(`${who}: expected ${names.length} parameter tensors, got ${weights.length}`);
  const H = spec.hiddenSize;
  const G = gateCount(spec.cell);
  const fanOut = kernel === "layer" ? G * H : H;
  let inputWidth = spec.inputSize; // I_k of the weight_ih last seen; weight_hh follows it
  names.forEach((name, k) => {
    const w = weights[k];
    if (name.startsWith("bias")) {
      fillZeros(w);
      if (forgetBias !== undefined && name.startsWith("bias_ih")) w.data.fill(forgetBias, H, 2 * H);
      return;
    }
    const input = name.startsWith("weight_ih");
    if (input) inputWidth = w.shape[1];
    const fanIn = kernel === "matrix" ? (input ? inputWidth : H) : inputWidth + H;
    fillGlorotUniform(w, rng, fanIn, fanOut);
  });
  return layer;
}
