/**
 * MNIST from LeCun's four IDX files in a directory (gzipped or not), for Node.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { IdxError } from "../data/idx.js";
import { MNIST_FILES, mnistSplit, type MnistData, type MnistSplit } from "../data/mnist.js";
import { readIdx } from "./idx-files.js";

function findFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new IdxError(`${dir}: no ${base} or ${base}.gz (expected the four MNIST files: ${Object.values(MNIST_FILES).join(", ")})`);
}

function readSplit(imagesPath: string, labelsPath: string): MnistSplit {
  return mnistSplit(readIdx(imagesPath), readIdx(labelsPath), imagesPath, labelsPath);
}

/**
 * The four MNIST files in `dir` (`train-images-idx3-ubyte[.gz]` …), in file order.
 * @example const { train, test } = loadMnistDir("data/mnist"); // 60,000 and 10,000 images of 28×28
 */
export function loadMnistDir(dir: string): MnistData {
  const path = (key: keyof typeof MNIST_FILES) => findFile(dir, MNIST_FILES[key]);
  return {
    train: readSplit(path("trainImages"), path("trainLabels")),
    test: readSplit(path("testImages"), path("testLabels")),
    source: `IDX files in ${dir}`,
  };
}
