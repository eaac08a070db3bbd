#!/usr/bin/env node
// Writes playground/public/mnist-subset.bin, the digits the playground's mnist view trains
// on: a small, class-balanced subset of MNIST (Yann LeCun, Corinna Cortes and Christopher
// J. C. Burges, http://yann.lecun.com/exdb/mnist/; CC BY-SA 3.0), 4 bits per pixel.
//
//   training digits: 300 of each class from MNIST's training file (train-images-idx3-ubyte),
//                    the first of each class met along Rng(SEED).permutation(60000);
//   test digits:     50 of each class from MNIST's test file (t10k-images-idx3-ubyte),
//                    the first of each class met along the next draw, Rng(SEED).permutation(10000)
//                    (the same generator, after the first permutation).
//
// The digits keep the order of those permutations (classes interleaved) and the file records
// each one's index in its MNIST file. The format is described in
// playground/src/experiments/mnist/subset.ts, whose encoder this script calls.
//
// Usage (from the repository root, after `npx tsc -p tsconfig.json`):
//   node tools/make-playground-mnist.mjs [data directory, default ../shared/data/mnist]
// The directory holds LeCun's four IDX files, gzipped or not.
/* global process, console */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const build = (path) => import(join(root, "build", path));
const { loadMnistDir } = await build("src/node/mnist-files.js").catch(() => {
  throw new Error("build/ is missing or stale: run `npx tsc -p tsconfig.json` first");
});
const { Rng } = await build("src/tensor/random.js");
const { encodeMnistSubset, decodeMnistSubset } = await build("playground/src/experiments/mnist/subset.js");

/** The generator's seed: changing it draws other digits. */
const SEED = 1;
const TRAIN_PER_CLASS = 300;
const TEST_PER_CLASS = 50;
const BITS = 4;
const OUT = join(root, "playground", "public", "mnist-subset.bin");

const dataDir = resolve(root, process.argv[2] ?? "../shared/data/mnist");
const data = loadMnistDir(dataDir);
const rng = new Rng(SEED);

/** `perClass` digits of each class from `split`, the first met along a permutation drawn from rng. */
function balanced(split, perClass) {
  const taken = new Array(10).fill(0);
  const indices = [];
  for (const i of rng.permutation(split.count)) {
    const label = split.labels[i];
    if (taken[label] < perClass) {
      taken[label]++;
      indices.push(i);
    }
  }
  if (taken.some((t) => t < perClass)) throw new Error(`only ${taken.join(", ")} digits per class in a split of ${split.count}`);
  const P = split.rows * split.cols;
  const images = new Float32Array(indices.length * P);
  indices.forEach((i, n) => images.set(split.images.subarray(i * P, (i + 1) * P), n * P));
  return {
    images, labels: Uint8Array.from(indices, (i) => split.labels[i]), indices: Uint32Array.from(indices),
    count: indices.length, rows: split.rows, cols: split.cols,
  };
}

const train = balanced(data.train, TRAIN_PER_CLASS);
const test = balanced(data.test, TEST_PER_CLASS);
const bytes = encodeMnistSubset(train, test, BITS);
// Read it back: the page will, and a fault is cheaper to find here.
const back = decodeMnistSubset(bytes, OUT);
let worst = 0;
for (const [a, b] of [[train, back.train], [test, back.test]]) {
  for (let i = 0; i < a.images.length; i++) worst = Math.max(worst, Math.abs(a.images[i] - b.images[i]));
}
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, bytes);
console.log(
  `${OUT}: ${train.count} training + ${test.count} test digits from ${dataDir}, ${BITS} bits per pixel, ` +
    `${bytes.length} bytes; largest pixel error of the quantisation ${worst.toFixed(4)} (≤ ${(0.5 / (2 ** BITS - 1)).toFixed(4)})`,
);
