/**
 * The Tensor: a shape and a contiguous row-major buffer (float32 by default, float64
 * for gradient checks and references), plus the autodiff bookkeeping. Ops live in
 * `src/ops`; this file holds only construction, access and `backward()`.
 */
import { runBackward, type BackwardOptions, type TapeNode } from "../autograd/tape.js";
import { ShapeError, shapeToString, sizeOf, stridesOf, validateShape, type Shape } from "./shape.js";
import { describeValue } from "../util/check.js";

export type DType = "float32" | "float64";
export type Floats = Float32Array | Float64Array;

/** A zeroed buffer of n values; refuses a dtype other than float32 and float64 (no silent float32 for "float16"). */
export function allocFloats(dtype: DType, n: number): Floats {
  if (dtype === "float32") return new Float32Array(n);
  if (dtype === "float64") return new Float64Array(n);
  throw new TypeError(`dtype must be "float32" or "float64", got ${describeValue(dtype)}`);
}

export function dtypeOf(data: Floats): DType {
  return data instanceof Float64Array ? "float64" : "float32";
}

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  name?: string;
}

type Nested = number | readonly Nested[];

export class Tensor {
  readonly shape: readonly number[];
  #data: Floats | null;
  /** Why `data` is gone, once `revokeData` took it. */
  #revokedBecause = "";
  /** Accumulated gradient of the last `backward()`; same length as `data`. */
  grad: Floats | null = null;
  requiresGrad: boolean;
  /** The op that produced this tensor (null for leaves and for results made without grad). */
  node: TapeNode | null = null;
  name: string | undefined;

  constructor(data: Floats, shape: Shape, options: { requiresGrad?: boolean; name?: string } = {}) {
    if (!(data instanceof Float32Array || data instanceof Float64Array)) {
      throw new TypeError(`Tensor: data must be a Float32Array or Float64Array, got ${describeValue(data)}; use Tensor.from(values, shape) for other arrays`);
    }
    validateShape(shape);
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(`Tensor: ${data.length} values do not fill shape ${shapeToString(shape)}`);
    }
    this.shape = Object.freeze([...shape]);
    this.#data = data;
    this.requiresGrad = options.requiresGrad ?? false;
    this.name = options.name;
  }

  /** The values, row-major. Throws once the storage was revoked (a parameter of a disposed Module). */
  get data(): Floats {
    const d = this.#data;
    if (d === null) throw new Error(this.#revokedBecause);
    return d;
  }

  /**
   * Takes the storage away from this tensor and returns it, so that its owner can free it
   * (`Module.dispose()` does, for parameters in backend memory): from now on any use of the
   * tensor — reading `data`, an op, an optimizer step — throws an Error with `reason`.
   * The gradient and graph are dropped too. Views of the storage made earlier (`detach()`,
   * `subarray`) are not tracked: they must not be used after the storage is freed.
   */
  revokeData(reason: string): Floats {
    const d = this.data;
    this.#data = null;
    this.#revokedBecause = reason;
    this.grad = null;
    this.node = null;
    return d;
  }

  /** Why `revokeData` took the storage (the message any use throws), or null while the tensor has it. */
  get revokedBecause(): string | null {
    return this.#data === null ? this.#revokedBecause : null;
  }

  static zeros(shape: Shape, options: TensorOptions = {}): Tensor {
    validateShape(shape);
    return new Tensor(allocFloats(options.dtype ?? "float32", sizeOf(shape)), shape, options);
  }

  static full(shape: Shape, value: number, options: TensorOptions = {}): Tensor {
    const t = Tensor.zeros(shape, options);
    t.data.fill(value);
    return t;
  }

  static ones(shape: Shape, options: TensorOptions = {}): Tensor {
    return Tensor.full(shape, 1, options);
  }

  static scalar(value: number, options: TensorOptions = {}): Tensor {
    return Tensor.full([], value, options);
  }

  /**
   * From flat values and a shape, or from nested arrays (shape inferred).
   * @example Tensor.from([[1, 2], [3, 4]]) // shape [2, 2]
   */
  static from(values: ArrayLike<number> | Nested, shape?: Shape, options: TensorOptions = {}): Tensor {
    let flat: ArrayLike<number>;
    let inferred: number[];
    if (typeof values === "number") {
      flat = [values];
      inferred = [];
    } else if (ArrayBuffer.isView(values) || (Array.isArray(values) && !Array.isArray(values[0]))) {
      flat = values as ArrayLike<number>;
      inferred = [flat.length];
    } else {
      inferred = [];
      let level: Nested = values as Nested;
      while (Array.isArray(level)) {
        inferred.push(level.length);
        level = level[0] as Nested;
      }
      flat = (values as Nested[]).flat(Infinity as 1) as number[];
      if (flat.length !== sizeOf(inferred)) throw new ShapeError("Tensor.from: ragged nested array");
    }
    const dtype = options.dtype ?? (values instanceof Float64Array ? "float64" : "float32");
    const data = allocFloats(dtype, flat.length);
    data.set(flat);
    return new Tensor(data, shape ?? inferred, options);
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) {
      throw new ShapeError(`item(): tensor of shape ${shapeToString(this.shape)} has ${this.data.length} values`);
    }
    return this.data[0];
  }

  toArray(): number[] {
    return Array.from(this.data);
  }

  /** Value at a multi-index. */
  get(...index: number[]): number {
    if (index.length !== this.rank) throw new ShapeError(`get(): need ${this.rank} indices, got ${index.length}`);
    const strides = stridesOf(this.shape);
    let off = 0;
    index.forEach((i, d) => {
      if (i < 0 || i >= this.shape[d]) throw new RangeError(`get(): index ${i} out of range for axis ${d}`);
      off += i * strides[d];
    });
    return this.data[off];
  }

  /**
   * Reverse-mode differentiation from this tensor. Without a seed the tensor must hold
   * one value (a loss) and is seeded with 1. Gradients accumulate into `.grad`. Ops that
   * saved activations in backend memory (the fused recurrent layers) give them back as
   * their backward finishes, so a second backward through them throws unless the first
   * passed `{ retainGraph: true }`.
   */
  backward(seed?: Floats, options?: BackwardOptions): void {
    runBackward(this, seed, options);
  }

  /** A tensor sharing this one's data, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy of the data, cut from the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, { requiresGrad: this.requiresGrad });
  }

  zeroGrad(): void {
    if (this.grad) this.grad.fill(0);
  }

  toString(): string {
    const head = Array.from(this.data.subarray(0, 8), (v) => v.toPrecision(4)).join(", ");
    return `Tensor(${shapeToString(this.shape)}, ${this.dtype}, [${head}${this.size > 8 ? ", …" : ""}])`;
  }
}

/** A trainable leaf: a tensor that requires grad. */
export function parameter(data: Floats, shape: Shape, name?: string): Tensor {
  return new Tensor(data, shape, { requiresGrad: true, name });
}
