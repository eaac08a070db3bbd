/**
 * Elementwise ops and their derivative rules: binary add/sub/mul/div with NumPy
 * broadcasting, unary neg/exp/log/tanh/sigmoid/hardSigmoid/hardSigmoid6/relu, and scalar helpers. Every
 * rule sits in one of the two tables below, the forward value beside its partial
 * derivatives, so the whole family can be audited on one screen.
 *
 * Not here: reductions (reduce.ts), anything that mixes elements along an axis
 * (softmax.ts, matmul.ts), and fused recurrent kernels (recurrent.ts).
 */
import { record, gradOf } from "../autograd/tape.js";
import { broadcastShapes, sameShape, sizeOf, stridesOf, type Shape } from "../tensor/shape.js";
import { allocFloats, Tensor, type DType } from "../tensor/tensor.js";

// ---------------------------------------------------------------------------
// Helpers shared by the op families.

/**
 * The common dtype of an op's tensor arguments. Mixing float32 and float64 is refused
 * rather than silently promoted: a float32 model fed float64 data is almost always a bug.
 */
export function sameDtype(op: string, tensors: readonly Tensor[]): DType {
  const dtype = tensors[0].dtype;
  for (let k = 1; k < tensors.length; k++) {
    if (tensors[k].dtype !== dtype) {
      throw new TypeError(
        `${op}: argument ${k} is ${tensors[k].dtype} but argument 0 is ${dtype}; ` +
          `convert one of them (e.g. Tensor.from(t.data, t.shape, { dtype }))`,
      );
    }
  }
  return dtype;
}

/**
 * For every flat index of `outShape`, the flat index of the element of `inShape`
 * (aligned on trailing axes, size-1 axes repeated) that broadcasts to it. Backward
 * passes use the same map to sum gradients over the broadcast axes.
 */
export function broadcastIndex(outShape: Shape, inShape: Shape): Int32Array {
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  // Stride of each output axis in the input; 0 on broadcast (size-1 or missing) axes.
  const step = new Array<number>(rank).fill(0);
  for (let d = 0; d < inShape.length; d++) {
    if (inShape[d] !== 1) step[rank - inShape.length + d] = inStrides[d];
  }
  const n = sizeOf(outShape);
  const map = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < n; o++) {
    map[o] = off;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      off += step[d];
      if (idx[d] < outShape[d]) break;
      off -= step[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return map;
}

// ---------------------------------------------------------------------------
// Binary ops: z = f(x, y), with ∂L/∂x += g·∂z/∂x and ∂L/∂y += g·∂z/∂y.

interface BinaryRule {
  f(x: number, y: number): number;
  /** g·∂z/∂x, given the upstream gradient g, the inputs and the output z. */
  dx(g: number, x: number, y: number, z: number): number;
  /** g·∂z/∂y. */
  dy(g: number, x: number, y: number, z: number): number;
}

const binaryRules = {
  add: { f: (x, y) => x + y, dx: (g) => g, dy: (g) => g },
  sub: { f: (x, y) => x - y, dx: (g) => g, dy: (g) => -g },
  mul: { f: (x, y) => x * y, dx: (g, _x, y) => g * y, dy: (g, x) => g * x },
  // ∂(x/y)/∂y = −x/y² = −z/y, which avoids squaring a small y.
  div: { f: (x, y) => x / y, dx: (g, _x, y) => g / y, dy: (g, _x, y, z) => (-g * z) / y },
} satisfies Record<string, BinaryRule>;

function binary(op: keyof typeof binaryRules, a: Tensor, b: Tensor): Tensor {
  const rule: BinaryRule = binaryRules[op];
  const dtype = sameDtype(op, [a, b]);
  const A = a.data;
  const B = b.data;

  if (sameShape(a.shape, b.shape)) {
    // Fast path: no index maps.
    const out = new Tensor(allocFloats(dtype, A.length), a.shape);
    const Z = out.data;
    for (let i = 0; i < Z.length; i++) Z[i] = rule.f(A[i], B[i]);
    record(op, [a, b], [out], ([g]) => {
      const da = gradOf(a);
      const db = gradOf(b);
      if (da) for (let i = 0; i < g.length; i++) da[i] += rule.dx(g[i], A[i], B[i], Z[i]);
      if (db) for (let i = 0; i < g.length; i++) db[i] += rule.dy(g[i], A[i], B[i], Z[i]);
    });
    return out;
  }

  const shape = broadcastShapes(op, a.shape, b.shape);
  const ia = broadcastIndex(shape, a.shape);
  const ib = broadcastIndex(shape, b.shape);
  const out = new Tensor(allocFloats(dtype, sizeOf(shape)), shape);
  const Z = out.data;
  for (let o = 0; o < Z.length; o++) Z[o] = rule.f(A[ia[o]], B[ib[o]]);
  record(op, [a, b], [out], ([g]) => {
    // Several outputs read the same broadcast element: their gradients add up there.
    const da = gradOf(a);
    const db = gradOf(b);
    for (let o = 0; o < g.length; o++) {
      const x = A[ia[o]];
      const y = B[ib[o]];
      if (da) da[ia[o]] += rule.dx(g[o], x, y, Z[o]);
      if (db) db[ib[o]] += rule.dy(g[o], x, y, Z[o]);
    }
  });
  return out;
}

/** a + b, broadcast. @example add(x [B, H], bias [H]) → [B, H] */
export function add(a: Tensor, b: Tensor): Tensor {
  return binary("add", a, b);
}

/** a − b, broadcast. */
export function sub(a: Tensor, b: Tensor): Tensor {
  return binary("sub", a, b);
}

/** a ⊙ b (Hadamard product), broadcast. */
export function mul(a: Tensor, b: Tensor): Tensor {
  return binary("mul", a, b);
}

/** a / b, broadcast. */
export function div(a: Tensor, b: Tensor): Tensor {
  return binary("div", a, b);
}

// ---------------------------------------------------------------------------
// Unary ops: y = f(x), with ∂L/∂x += g·f'(x). The derivative may read the input x
// or the output y, whichever is cheaper and more accurate.

interface UnaryRule {
  f(x: number): number;
  /** f'(x), given the input x and the output y = f(x). */
  d(x: number, y: number): number;
}

/** σ(x) without overflow: exp is only ever taken of a non-positive number. */
function stableSigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const unaryRules = {
  neg: { f: (x) => -x, d: () => -1 },
  exp: { f: Math.exp, d: (_x, y) => y },
  log: { f: Math.log, d: (x) => 1 / x },
  tanh: { f: Math.tanh, d: (_x, y) => 1 - y * y },
  sigmoid: { f: stableSigmoid, d: (_x, y) => y * (1 - y) },
  // relu'(0) := 0, as in PyTorch; NaN stays NaN in the forward.
  relu: { f: (x) => (x < 0 ? 0 : x), d: (x) => (x > 0 ? 1 : 0) },
  // The hard sigmoids clip(slope·x + 0.5, 0, 1): the slope inside (0, 1), 0 where clipped
  // (kinks included, as the fused kernels decide through the output).
  hardSigmoid: { f: (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1), d: (_x, y) => (y > 0 && y < 1 ? 0.2 : 0) },
  hardSigmoid6: { f: (x) => Math.min(Math.max(x / 6 + 0.5, 0), 1), d: (_x, y) => (y > 0 && y < 1 ? 1 / 6 : 0) },
} satisfies Record<string, UnaryRule>;

function unary(op: string, rule: UnaryRule, x: Tensor): Tensor {
  const X = x.data;
  const out = new Tensor(allocFloats(x.dtype, X.length), x.shape);
  const Y = out.data;
  for (let i = 0; i < Y.length; i++) Y[i] = rule.f(X[i]);
  record(op, [x], [out], ([g]) => {
    const dx = gradOf(x);
    if (dx) for (let i = 0; i < g.length; i++) dx[i] += g[i] * rule.d(X[i], Y[i]);
  });
  return out;
}

/** −x. */
export function neg(x: Tensor): Tensor {
  return unary("neg", unaryRules.neg, x);
}

/** eˣ. */
export function exp(x: Tensor): Tensor {
  return unary("exp", unaryRules.exp, x);
}

/** Natural logarithm (NaN for x < 0, −∞ at 0, as Math.log). */
export function log(x: Tensor): Tensor {
  return unary("log", unaryRules.log, x);
}

/** tanh(x); tanh' = 1 − tanh². */
export function tanh(x: Tensor): Tensor {
  return unary("tanh", unaryRules.tanh, x);
}

/** σ(x) = 1 / (1 + e⁻ˣ), exact to 0 and 1 for large |x| without overflow; σ' = σ(1 − σ). */
export function sigmoid(x: Tensor): Tensor {
  return unary("sigmoid", unaryRules.sigmoid, x);
}

/**
 * The hard sigmoid clip(0.2·x + 0.5, 0, 1) (TF.js `hardSigmoid`, tf.keras 2 `hard_sigmoid`,
 * ONNX HardSigmoid with its defaults); its derivative is 0.2 where 0 < y < 1, else 0.
 */
export function hardSigmoid(x: Tensor): Tensor {
  return unary("hardSigmoid", unaryRules.hardSigmoid, x);
}

/** Keras 3's hard sigmoid clip(x/6 + 0.5, 0, 1) = relu6(x + 3)/6; derivative 1/6 where 0 < y < 1, else 0. */
export function hardSigmoid6(x: Tensor): Tensor {
  return unary("hardSigmoid6", unaryRules.hardSigmoid6, x);
}

/** max(x, 0), with relu'(0) := 0. */
export function relu(x: Tensor): Tensor {
  return unary("relu", unaryRules.relu, x);
}

/** s·x for a constant s. */
export function scale(x: Tensor, s: number): Tensor {
  return unary("scale", { f: (v) => s * v, d: () => s }, x);
}

/** x + s for a constant s. */
export function addScalar(x: Tensor, s: number): Tensor {
  return unary("addScalar", { f: (v) => v + s, d: () => 1 }, x);
}

/** s − x for a constant s. @example scalarSub(1, z) // 1 − z, the GRU's keep-gate complement */
export function scalarSub(s: number, x: Tensor): Tensor {
  return unary("scalarSub", { f: (v) => s - v, d: () => -1 }, x);
}
