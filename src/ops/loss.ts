/**
 * Loss functions as single fused ops on the autodiff tape: mean-squared error, softmax
 * cross-entropy over integer class ids (with a validity mask for padded sequences) and
 * binary cross-entropy on logits. Each forward computes its per-element loss in float64
 * arithmetic whatever the input dtype; its backward sits right below it and accumulates
 * (`+=`) into the inputs' gradients. The definitions are PyTorch 1.13's `F.mse_loss`,
 * `F.cross_entropy` (class axis LAST) and `F.binary_cross_entropy_with_logits`.
 * Not here: label smoothing, class weights, `pos_weight`.
 *
 * Derivative table (N = divisor of the reduction: elements, positions or valid positions;
 * 1 for "sum"; for "none" each element takes its own upstream gradient instead of 1/N):
 *   mse      ℓ = (x − y)²                              ∂ℓ/∂x = 2(x − y)        ∂ℓ/∂y = −2(x − y)
 *   ce       ℓ = logsumexp(z) − z[t]                   ∂ℓ/∂z = softmax(z) − onehot(t)
 *   bce      ℓ = max(x,0) − x·y + log1p(exp(−|x|))     ∂ℓ/∂x = σ(x) − y        ∂ℓ/∂y = −x
 */
import { record, gradOf, needsGrad } from "../autograd/tape.js";
import { ShapeError, sameShape, shapeToString, sizeOf, stridesOf, type Shape } from "../tensor/shape.js";
import { Tensor, allocFloats, type DType, type Floats } from "../tensor/tensor.js";

/** "mean" divides the summed loss by N, "sum" does not, "none" returns every element's loss. */
export type Reduction = "mean" | "sum" | "none";

function checkReduction(op: string, reduction: Reduction): void {
  if (reduction !== "mean" && reduction !== "sum" && reduction !== "none") {
    throw new Error(`${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(reduction)}`);
  }
}

function checkSameShape(op: string, aName: string, a: Tensor, bName: string, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new ShapeError(
      `${op}: ${aName} ${shapeToString(a.shape)} and ${bName} ${shapeToString(b.shape)} must have the same shape`,
    );
  }
}

/** The op's output: the per-element losses as they are ("none") or their sum / mean as a scalar. */
function reduceLoss(per: Float64Array, shape: Shape, dtype: DType, reduction: Reduction, divisor: number): Tensor {
  switch (reduction) {
    case "none": {
      const data = allocFloats(dtype, per.length);
      data.set(per);
      return new Tensor(data, shape);
    }
    case "sum":
    case "mean": {
      let s = 0;
      for (let i = 0; i < per.length; i++) s += per[i];
      // A mean over zero elements is 0/0 = NaN, as in PyTorch.
      return Tensor.scalar(reduction === "mean" ? s / divisor : s, { dtype });
    }
    default: {
      const never: never = reduction;
      throw new Error(`unknown reduction ${String(never)}`);
    }
  }
}

/** ∂L/∂ℓ_i: the upstream gradient reaching element i through the reduction. */
function upstream(reduction: Reduction, dOut: Floats, i: number, divisor: number): number {
  return reduction === "none" ? dOut[i] : reduction === "mean" ? dOut[0] / divisor : dOut[0];
}

// ───────────────────────────── mean-squared error ─────────────────────────────

/**
 * Mean-squared error  ℓ_i = (pred_i − target_i)²,  L = Σ ℓ_i / N over ALL elements ("mean"),
 * Σ ℓ_i ("sum") or the tensor of ℓ_i ("none"). Differentiable in both arguments.
 *
 * @example mseLoss(Tensor.from([1, 2]), Tensor.from([0, 0])).item() // (1 + 4) / 2 = 2.5
 */
export function mseLoss(pred: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  checkReduction("mseLoss", reduction);
  checkSameShape("mseLoss", "pred", pred, "target", target);
  const n = pred.size;
  const diff = new Float64Array(n); // x − y, saved for backward
  const per = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = pred.data[i] - target.data[i];
    diff[i] = d;
    per[i] = d * d;
  }
  const out = reduceLoss(per, pred.shape, pred.dtype, reduction, n);
  record("mseLoss", [pred, target], [out], ([dOut]) => mseLossBackward(pred, target, diff, reduction, dOut));
  return out;
}

/** Accumulates ∂L/∂pred = 2(x − y)·up and ∂L/∂target = −2(x − y)·up. */
function mseLossBackward(pred: Tensor, target: Tensor, diff: Float64Array, reduction: Reduction, dOut: Floats): void {
  const dPred = gradOf(pred);
  const dTarget = gradOf(target);
  const n = diff.length;
  for (let i = 0; i < n; i++) {
    const g = 2 * diff[i] * upstream(reduction, dOut, i, n);
    if (dPred) dPred[i] += g;
    if (dTarget) dTarget[i] -= g;
  }
}

// ───────────────────────────── softmax cross-entropy ─────────────────────────────

export interface CrossEntropyOptions {
  /** Default "mean": over all positions, or over the valid ones when a mask is given. */
  reduction?: Reduction;
  /**
   * One entry per position (row-major over `logits.shape` without its last axis); truthy =
   * counts. Masked positions contribute exactly 0 loss and 0 gradient and their targets are
   * not read (they may be any padding value), like PyTorch's `ignore_index`.
   */
  mask?: ArrayLike<number | boolean>;
}

/** The multi-index of flat position p in `shape`, for error messages. */
function positionString(p: number, shape: Shape): string {
  const strides = stridesOf(shape);
  return `[${strides.map((s, d) => Math.floor(p / s) % shape[d]).join(", ")}]`;
}

/**
 * Softmax cross-entropy over the LAST axis of `logits` [..., C] with integer class ids:
 *   ℓ_p = logsumexp(z_p) − z_p[t_p],   logsumexp(z) = m + log Σ_c exp(z_c − m),  m = max_c z_c
 * (the max subtraction keeps |z| ~ 100 finite). "mean" divides Σ ℓ_p by the number of
 * positions, or with a mask by the number of valid positions: Σ mask·ℓ / Σ mask — a mean
 * over tokens, not a mean of per-sequence means. "none" returns ℓ with shape `logits.shape`
 * without its last axis (0 at masked positions). Gradient (softmax(z_p) − onehot(t_p)) / N.
 *
 * @param targets class ids in [0, C), one per position; a Tensor must have the position shape.
 * @example
 * // time-major [T, B, V] logits of a padded batch, mean over the real tokens only
 * const loss = crossEntropy(logits, targets, { mask: sequenceMask(lengths, T, B) });
 */
export function crossEntropy(
  logits: Tensor,
  targets: ArrayLike<number> | Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const { reduction = "mean", mask } = options;
  checkReduction("crossEntropy", reduction);
  if (logits.rank === 0 || logits.shape[logits.rank - 1] === 0) {
    throw new ShapeError(`crossEntropy: logits ${shapeToString(logits.shape)} need a non-empty class axis last`);
  }
  const posShape = logits.shape.slice(0, -1);
  const C = logits.shape[logits.rank - 1];
  const P = sizeOf(posShape);
  let ids: ArrayLike<number>;
  if (targets instanceof Tensor) {
    if (!sameShape(targets.shape, posShape)) {
      throw new ShapeError(
        `crossEntropy: targets ${shapeToString(targets.shape)} do not fit logits ${shapeToString(logits.shape)} (expected ${shapeToString(posShape)})`,
      );
    }
    ids = targets.data;
  } else {
    ids = targets;
  }
  if (ids.length !== P) {
    throw new ShapeError(
      `crossEntropy: ${ids.length} targets for logits ${shapeToString(logits.shape)}, expected ${P} (shape ${shapeToString(posShape)})`,
    );
  }
  if (mask !== undefined && mask.length !== P) {
    throw new ShapeError(
      `crossEntropy: mask has ${mask.length} entries for logits ${shapeToString(logits.shape)}, expected ${P} (shape ${shapeToString(posShape)})`,
    );
  }

  // Copies, so that a caller reusing its arrays between forward and backward changes nothing.
  const valid = new Uint8Array(P);
  const cls = new Int32Array(P);
  let count = 0;
  for (let p = 0; p < P; p++) {
    if (mask !== undefined && !mask[p]) continue;
    const t = ids[p];
    if (!Number.isInteger(t) || t < 0 || t >= C) {
      throw new RangeError(
        `crossEntropy: target ${t} at position ${positionString(p, posShape)} is not a class id in [0, ${C})`,
      );
    }
    valid[p] = 1;
    cls[p] = t;
    count++;
  }

  const z = logits.data;
  const per = new Float64Array(P);
  // softmax(z_p) for backward [P, C]; not kept when nothing needs a gradient.
  const probs = needsGrad([logits]) ? new Float64Array(P * C) : null;
  const e = new Float64Array(C);
  for (let p = 0; p < P; p++) {
    if (!valid[p]) continue;
    const off = p * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) if (z[off + c] > m) m = z[off + c];
    let s = 0;
    for (let c = 0; c < C; c++) {
      e[c] = Math.exp(z[off + c] - m);
      s += e[c];
    }
    per[p] = m + Math.log(s) - z[off + cls[p]];
    if (probs) for (let c = 0; c < C; c++) probs[off + c] = e[c] / s;
  }
  const out = reduceLoss(per, posShape, logits.dtype, reduction, count);
  record("crossEntropy", [logits], [out], ([dOut]) =>
    crossEntropyBackward(logits, probs!, cls, valid, C, reduction, count, dOut),
  );
  return out;
}

/** Accumulates ∂L/∂z_p = (softmax(z_p) − onehot(t_p))·up_p at valid positions only. */
function crossEntropyBackward(
  logits: Tensor,
  probs: Float64Array,
  cls: Int32Array,
  valid: Uint8Array,
  C: number,
  reduction: Reduction,
  count: number,
  dOut: Floats,
): void {
  const dz = gradOf(logits);
  if (!dz) return;
  for (let p = 0; p < valid.length; p++) {
    if (!valid[p]) continue;
    const up = upstream(reduction, dOut, p, count);
    const off = p * C;
    for (let c = 0; c < C; c++) dz[off + c] += up * probs[off + c];
    dz[off + cls[p]] -= up;
  }
}

/**
 * The validity mask of a time-major padded batch: mask[t·B + b] = 1 if t < lengths[b], else 0,
 * laid out as [T, B] to match time-major logits [T, B, C].
 *
 * @example sequenceMask([2, 1], 3, 2) // Uint8Array [1,1, 1,0, 0,0]
 */
export function sequenceMask(lengths: ArrayLike<number>, T: number, B: number): Uint8Array {
  if (lengths.length !== B) {
    throw new ShapeError(`sequenceMask: ${lengths.length} lengths for a batch of B = ${B}`);
  }
  const mask = new Uint8Array(T * B);
  for (let b = 0; b < B; b++) {
    const len = lengths[b];
    if (!Number.isInteger(len) || len < 0 || len > T) {
      throw new RangeError(`sequenceMask: lengths[${b}] = ${len} is not an integer in [0, ${T}]`);
    }
    for (let t = 0; t < len; t++) mask[t * B + b] = 1;
  }
  return mask;
}

// ───────────────────────────── binary cross-entropy on logits ─────────────────────────────

/** σ(x) without overflow: exp is only ever taken of a non-positive number. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Binary cross-entropy on logits x with targets y ∈ [0, 1] (hard or soft):
 *   ℓ_i = max(x,0) − x·y + log1p(exp(−|x|))   (= −y·log σ(x) − (1−y)·log(1−σ(x)), stable at |x| ~ 100)
 * reduced as in `mseLoss`. Gradients σ(x) − y for the logits and −x for the targets.
 *
 * @example bceWithLogits(Tensor.from([0]), Tensor.from([1])).item() // log 2
 */
export function bceWithLogits(logits: Tensor, targets: Tensor, reduction: Reduction = "mean"): Tensor {
  checkReduction("bceWithLogits", reduction);
  checkSameShape("bceWithLogits", "logits", logits, "targets", targets);
  const n = logits.size;
  const x = Float64Array.from(logits.data); // saved: −x is the target gradient
  const sigMinusY = new Float64Array(n); // σ(x) − y, saved: the logit gradient
  const per = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xi = x[i];
    const yi = targets.data[i];
    per[i] = Math.max(xi, 0) - xi * yi + Math.log1p(Math.exp(-Math.abs(xi)));
    sigMinusY[i] = sigmoid(xi) - yi;
  }
  const out = reduceLoss(per, logits.shape, logits.dtype, reduction, n);
  record("bceWithLogits", [logits, targets], [out], ([dOut]) =>
    bceWithLogitsBackward(logits, targets, x, sigMinusY, reduction, dOut),
  );
  return out;
}

/** Accumulates ∂L/∂x = (σ(x) − y)·up and ∂L/∂y = −x·up. */
function bceWithLogitsBackward(
  logits: Tensor,
  targets: Tensor,
  x: Float64Array,
  sigMinusY: Float64Array,
  reduction: Reduction,
  dOut: Floats,
): void {
  const dx = gradOf(logits);
  const dy = gradOf(targets);
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const up = upstream(reduction, dOut, i, n);
    if (dx) dx[i] += sigMinusY[i] * up;
    if (dy) dy[i] -= x[i] * up;
  }
}
