/**
 * MNIST digits as splits of float32 pixels in [0, 1], made from parsed IDX arrays
 * (`mnistSplit`; the Node layer's `loadMnistDir` reads LeCun's four files), and a
 * `Dataset` that reads each image row by row as a sequence (T = rows steps of I = cols
 * pixels), the input of the classic MNIST RNN tutorials.
 */
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxError, type IdxArray } from "./idx.js";
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

/**
 * One split from parsed IDX images [n, rows, cols] and labels [n]; refuses arrays that do
 * not belong together. `imagesName`/`labelsName` name them in messages.
 */
export function mnistSplit(images: IdxArray, labels: IdxArray, imagesName = "images", labelsName = "labels"): MnistSplit {
  if (images.magic !== IDX_IMAGES_MAGIC) throw new IdxError(`${imagesName}: holds labels (rank 1), expected images [n, rows, cols]`);
  if (labels.magic !== IDX_LABELS_MAGIC) throw new IdxError(`${labelsName}: holds images (rank 3), expected labels [n]`);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) throw new IdxError(`${labelsName}: ${labels.dims[0]} labels for the ${count} images of ${imagesName}`);
  const bad = labels.data.findIndex((v) => v > 9);
  if (bad >= 0) throw new IdxError(`${labelsName}: label ${labels.data[bad]} at index ${bad} is not a digit 0..9`);
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return { images: pixels, labels: Uint8Array.from(labels.data), count, rows, cols };
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
