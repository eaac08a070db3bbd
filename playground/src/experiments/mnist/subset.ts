/**
 * The MNIST subset the mnist view trains on (`playground/public/mnist-subset.bin`, written
 * by tools/make-playground-mnist.mjs): a few thousand digits with quantised pixels, small
 * enough to ship with the page. Encoder and decoder side by side, so the format lives in
 * one place. Platform-neutral (bytes in, arrays out); not a general image container.
 *
 * The format, every integer little-endian:
 *
 *   offset  bytes  field
 *        0      8  magic, the ASCII text "MNISTSUB"
 *        8      2  version (1)
 *       10      1  rows R (28 for MNIST)
 *       11      1  cols C (28)
 *       12      1  bits per pixel b: 1, 2, 4 or 8
 *       13      3  zero
 *       16      4  training digits N_train
 *       20      4  test digits N_test
 *       24      N  labels 0..9, the N = N_train + N_test digits (training ones first)
 *             4·N  each digit's index in its MNIST file (train-… for the training
 *                  digits, t10k-… for the test ones), uint32
 *           N·P    pixels, P = ⌈R·C·b / 8⌉ bytes per digit: row-major, the first pixel in
 *                  the byte's high bits (with b = 4, two pixels per byte); the value q
 *                  stands for the pixel q / (2^b − 1) in [0, 1]
 *
 * A file of any other length than the header declares is refused, as is a wrong magic.
 */
import type { MnistSplit } from "../../../../src/tasks.js";

/** The file's first bytes. */
export const SUBSET_MAGIC = "MNISTSUB";
export const SUBSET_VERSION = 1;
/** Bytes before the labels. */
export const SUBSET_HEADER_BYTES = 24;
const BITS = [1, 2, 4, 8];

/** Thrown for bytes that are not a readable subset file; the message names the file and the fault. */
export class MnistSubsetError extends Error {
  override name = "MnistSubsetError";
}

/** One split of the subset: the library's MnistSplit plus where each digit came from. */
export interface SubsetSplit extends MnistSplit {
  /** [count]: each digit's index in its MNIST file. */
  indices: Uint32Array;
}

export interface MnistSubset {
  train: SubsetSplit;
  test: SubsetSplit;
  /** Bits per pixel the file stored. */
  bits: number;
}

/** Bytes per digit of R·C pixels at b bits. */
function bytesPerDigit(rows: number, cols: number, bits: number): number {
  return Math.ceil((rows * cols * bits) / 8);
}

/**
 * The file of `train` and `test` (pixels in [0, 1], rounded to the nearest of 2^bits
 * levels). Both splits must have the same image size.
 */
export function encodeMnistSubset(train: SubsetSplit, test: SubsetSplit, bits: number): Uint8Array {
  if (!BITS.includes(bits)) throw new RangeError(`encodeMnistSubset: bits must be 1, 2, 4 or 8, got ${bits}`);
  const { rows: R, cols: C } = train;
  if (test.rows !== R || test.cols !== C) throw new RangeError(`encodeMnistSubset: train images are ${R}×${C}, test ones ${test.rows}×${test.cols}`);
  if (R < 1 || R > 255 || C < 1 || C > 255) throw new RangeError(`encodeMnistSubset: ${R}×${C} images do not fit the header (1..255 each)`);
  for (const s of [train, test]) {
    if (s.images.length !== s.count * R * C || s.labels.length !== s.count || s.indices.length !== s.count) {
      throw new RangeError(`encodeMnistSubset: a split of ${s.count} digits has ${s.images.length} pixels, ${s.labels.length} labels, ${s.indices.length} indices`);
    }
  }
  const N = train.count + test.count;
  const P = bytesPerDigit(R, C, bits);
  const out = new Uint8Array(SUBSET_HEADER_BYTES + 5 * N + N * P);
  const view = new DataView(out.buffer);
  for (let i = 0; i < SUBSET_MAGIC.length; i++) out[i] = SUBSET_MAGIC.charCodeAt(i);
  view.setUint16(8, SUBSET_VERSION, true);
  out[10] = R;
  out[11] = C;
  out[12] = bits;
  view.setUint32(16, train.count, true);
  view.setUint32(20, test.count, true);
  const levels = 2 ** bits - 1;
  const perByte = 8 / bits;
  let digit = 0;
  for (const s of [train, test]) {
    for (let n = 0; n < s.count; n++, digit++) {
      const label = s.labels[n];
      if (!(Number.isInteger(label) && label >= 0 && label <= 9)) throw new RangeError(`encodeMnistSubset: label ${label} is not a digit 0..9`);
      out[SUBSET_HEADER_BYTES + digit] = label;
      view.setUint32(SUBSET_HEADER_BYTES + N + 4 * digit, s.indices[n], true);
      const base = SUBSET_HEADER_BYTES + 5 * N + digit * P;
      for (let p = 0; p < R * C; p++) {
        const v = s.images[n * R * C + p];
        const q = Math.round(Math.min(1, Math.max(0, v)) * levels);
        const shift = 8 - bits * ((p % perByte) + 1);
        out[base + Math.floor(p / perByte)] |= q << shift;
      }
    }
  }
  return out;
}

/**
 * Reads a subset file; `name` is only for messages. Refuses a wrong magic or version,
 * impossible header fields, labels outside 0..9 and any length other than the declared one.
 */
export function decodeMnistSubset(bytes: Uint8Array, name = "mnist-subset.bin"): MnistSubset {
  if (bytes.length < SUBSET_HEADER_BYTES) {
    throw new MnistSubsetError(`${name}: ${bytes.length} bytes is too short for the ${SUBSET_HEADER_BYTES}-byte header of an MNIST subset file`);
  }
  const magic = String.fromCharCode(...bytes.subarray(0, SUBSET_MAGIC.length));
  if (magic !== SUBSET_MAGIC) {
    throw new MnistSubsetError(`${name}: not an MNIST subset file (it starts with ${JSON.stringify(magic)}, expected ${JSON.stringify(SUBSET_MAGIC)})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  if (version !== SUBSET_VERSION) throw new MnistSubsetError(`${name}: format version ${version}, this reader knows version ${SUBSET_VERSION}`);
  const R = bytes[10], C = bytes[11], bits = bytes[12];
  if (R === 0 || C === 0) throw new MnistSubsetError(`${name}: images of ${R}×${C} pixels`);
  if (!BITS.includes(bits)) throw new MnistSubsetError(`${name}: ${bits} bits per pixel; expected 1, 2, 4 or 8`);
  const trainCount = view.getUint32(16, true), testCount = view.getUint32(20, true);
  const N = trainCount + testCount;
  const P = bytesPerDigit(R, C, bits);
  const expected = SUBSET_HEADER_BYTES + 5 * N + N * P;
  if (bytes.length < expected) {
    throw new MnistSubsetError(`${name}: truncated: the header declares ${trainCount} + ${testCount} digits of ${R}×${C} at ${bits} bits (${expected} bytes), the file has ${bytes.length}`);
  }
  if (bytes.length > expected) throw new MnistSubsetError(`${name}: ${bytes.length - expected} unexpected bytes after the ${expected} the header declares`);
  const labels = bytes.subarray(SUBSET_HEADER_BYTES, SUBSET_HEADER_BYTES + N);
  const bad = labels.findIndex((v) => v > 9);
  if (bad >= 0) throw new MnistSubsetError(`${name}: label ${labels[bad]} of digit ${bad} is not a digit 0..9`);

  const levels = 2 ** bits - 1;
  const perByte = 8 / bits;
  const mask = levels;
  const split = (from: number, count: number): SubsetSplit => {
    const images = new Float32Array(count * R * C);
    const indices = new Uint32Array(count);
    for (let n = 0; n < count; n++) {
      const digit = from + n;
      indices[n] = view.getUint32(SUBSET_HEADER_BYTES + N + 4 * digit, true);
      const base = SUBSET_HEADER_BYTES + 5 * N + digit * P;
      for (let p = 0; p < R * C; p++) {
        const shift = 8 - bits * ((p % perByte) + 1);
        images[n * R * C + p] = ((bytes[base + Math.floor(p / perByte)] >> shift) & mask) / levels;
      }
    }
    return { images, labels: labels.slice(from, from + count), indices, count, rows: R, cols: C };
  };
  return { train: split(0, trainCount), test: split(trainCount, testCount), bits };
}
