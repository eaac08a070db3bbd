/**
 * Shape arithmetic and shape errors. Dimension letters used project-wide:
 * B batch, T time, I input, H hidden, G gates, L layers, D directions, V vocabulary.
 */

export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar `[]`). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides: the last index changes fastest. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function shapeToString(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Thrown for any shape disagreement; the message names the argument and the shapes. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShapeError";
  }
}

/** Asserts `actual` equals `expected`; `-1` in `expected` matches any size. */
export function expectShape(what: string, actual: Shape, expected: Shape): void {
  const ok =
    actual.length === expected.length && expected.every((d, i) => d === -1 || d === actual[i]);
  if (!ok) {
    const exp = shapeToString(expected).replace(/-1/g, "*");
    throw new ShapeError(`${what}: expected shape ${exp}, got ${shapeToString(actual)}`);
  }
}

/** Checks that a shape is a list of non-negative integers. */
export function validateShape(shape: Shape): void {
  if (!Array.isArray(shape)) {
    throw new ShapeError(`invalid shape ${typeof shape === "string" ? JSON.stringify(shape) : String(shape)}: a shape is an array of sizes, e.g. [2, 3]`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ShapeError(`invalid shape ${shapeToString(shape)}: sizes must be non-negative integers`);
    }
  }
}

/** NumPy broadcasting: align trailing dimensions, sizes must match or be 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${shapeToString(a)} and ${shapeToString(b)} do not broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalizes a possibly negative axis against a rank, with a clear error. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}
