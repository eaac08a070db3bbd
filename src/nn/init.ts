/**
 * Parameter initializers. Every one draws from the `Rng` it is given.
 * - `uniformInit(t, rng, a)`: U(−a, a); PyTorch's recurrent default is a = 1/√H.
 * - `glorotUniform(t, rng, fanIn, fanOut)`: U(±√(6/(fanIn+fanOut))), TF1's default.
 * - `orthogonal(t, rng, gain)`: Q of a QR of a normal matrix (sign-corrected), Keras' recurrent default.
 * - `zeros`, `constant`.
 */
import type { Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";

export function uniformInit(t: Tensor, rng: Rng, bound: number): Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-bound, bound);
  return t;
}

/** PyTorch's RNN/LSTM/GRU default: every weight and bias ~ U(−1/√H, 1/√H). */
export function pytorchRecurrentInit(t: Tensor, rng: Rng, hiddenSize: number): Tensor {
  return uniformInit(t, rng, 1 / Math.sqrt(hiddenSize));
}

/** Glorot/Xavier uniform. For a weight [out, in], fanIn = in and fanOut = out. */
export function glorotUniform(t: Tensor, rng: Rng, fanIn: number, fanOut: number): Tensor {
  return uniformInit(t, rng, Math.sqrt(6 / (fanIn + fanOut)));
}

export function zeros(t: Tensor): Tensor {
  t.data.fill(0);
  return t;
}

export function constant(t: Tensor, value: number): Tensor {
  t.data.fill(value);
  return t;
}

/**
 * Orthogonal init of a 2-D tensor [rows, cols]: rows (or columns, whichever are
 * fewer) are orthonormal. Modified Gram–Schmidt on a normal matrix, with the sign
 * convention of QR with a positive diagonal in R.
 */
export function orthogonal(t: Tensor, rng: Rng, gain = 1): Tensor {
  if (t.rank !== 2) throw new Error(`orthogonal: needs a 2-D tensor, got rank ${t.rank}`);
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
