/**
 * The IDX reader and `loadMnistDir` on tiny IDX files written here (gzipped and plain,
 * shapes, pixel scaling) and their refusals: a truncated payload, a wrong magic, trailing
 * bytes, a cut or corrupted gzip stream, a missing file, labels that do not match the
 * images — each message naming the file and the fault. On LeCun's full MNIST files in
 * ../shared/data/mnist (counts, shapes, label range, the well-known first test labels)
 * when they are present; those tests skip, saying so, when not.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxError } from "../src/data/idx.js";
import { MNIST_FILES } from "../src/data/mnist.js";
import { readIdx } from "../src/node/idx-files.js";
import { loadMnistDir } from "../src/node/mnist-files.js";
import { Rng } from "../src/tensor/random.js";

const fullDir = resolve("../shared/data/mnist");
const fullFiles = Object.values(MNIST_FILES).map((base) => join(fullDir, `${base}.gz`));
const needsFullMnist = {
  skip: fullFiles.every((f) => existsSync(f)) ? false : `the full MNIST IDX files (${Object.values(MNIST_FILES).join(", ")}, gzipped) are not in ${fullDir}`,
};
const full = (name: string) => join(fullDir, name);

const tmp = mkdtempSync(join(tmpdir(), "rnnkit-idx-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

// --- tiny IDX files -----------------------------------------------------------------------

/** The bytes of an unsigned-byte IDX file: magic 0x0000 08 rank, each dimension big-endian, the payload. */
function idxBytes(magic: number, dims: number[], payload: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([header, payload]);
}

/** `count` seeded images of rows × cols bytes (0 and 255 included) and labels 0..9. */
function tinySplit(seed: number, count: number, rows = 4, cols = 5): { images: Buffer; labels: Buffer; pixels: Uint8Array; digits: Uint8Array } {
  const rng = new Rng(seed);
  const pixels = Uint8Array.from({ length: count * rows * cols }, () => rng.int(256));
  pixels[0] = 0;
  pixels[1] = 255;
  const digits = Uint8Array.from({ length: count }, () => rng.int(10));
  return { images: idxBytes(IDX_IMAGES_MAGIC, [count, rows, cols], pixels), labels: idxBytes(IDX_LABELS_MAGIC, [count], digits), pixels, digits };
}

/** Writes `files` (name → bytes) into a new directory under the temp dir. */
function writeDir(prefix: string, files: Record<string, Uint8Array>): string {
  const dir = mkdtempSync(join(tmp, prefix));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

test("readIdx and loadMnistDir read tiny IDX files written here, gzipped or not", () => {
  const train = tinySplit(1, 12);
  const t10k = tinySplit(2, 6);
  const dir = writeDir("tiny-", {
    [`${MNIST_FILES.trainImages}.gz`]: gzipSync(train.images),
    [`${MNIST_FILES.trainLabels}.gz`]: gzipSync(train.labels),
    [MNIST_FILES.testImages]: t10k.images,
    [MNIST_FILES.testLabels]: t10k.labels,
  });
  const images = readIdx(join(dir, `${MNIST_FILES.trainImages}.gz`));
  assert.equal(images.magic, IDX_IMAGES_MAGIC);
  assert.deepEqual(images.dims, [12, 4, 5]);
  assert.deepEqual([...images.data], [...train.pixels]);
  const labels = readIdx(join(dir, MNIST_FILES.testLabels));
  assert.equal(labels.magic, IDX_LABELS_MAGIC);
  assert.deepEqual(labels.dims, [6]);
  assert.deepEqual([...labels.data], [...t10k.digits]);

  const data = loadMnistDir(dir);
  for (const [split, want, count] of [[data.train, train, 12], [data.test, t10k, 6]] as const) {
    assert.equal(split.count, count);
    assert.equal(split.rows, 4);
    assert.equal(split.cols, 5);
    assert.deepEqual(split.labels, want.digits);
    assert.deepEqual(split.images, Float32Array.from(want.pixels, (v) => v / 255));
  }
  assert.equal(data.train.images[0], 0);
  assert.equal(data.train.images[1], 1);
});

test("refuses a truncated file, a wrong magic, trailing bytes and a bad gzip stream, naming the file", () => {
  const labels = tinySplit(3, 1000).labels;
  const write = (name: string, bytes: Uint8Array) => {
    const path = join(tmp, name);
    writeFileSync(path, bytes);
    return path;
  };
  const expectRefusal = (path: string, fault: RegExp) =>
    assert.throws(() => readIdx(path), (e: unknown) => e instanceof IdxError && e.message.includes(path) && fault.test(e.message));

  expectRefusal(write("short-labels", labels.subarray(0, labels.length - 10)), /truncated: .*1000.* payload bytes, the file has 990/);
  expectRefusal(write("short-labels.gz", gzipSync(labels.subarray(0, 6))), /truncated header/);
  const magic = Uint8Array.from(labels);
  magic[3] = 0x02;
  expectRefusal(write("bad-magic", magic), /wrong magic 0x00000802/);
  expectRefusal(write("long-labels", Buffer.concat([labels, Buffer.from([1, 2, 3])])), /3 unexpected bytes/);

  const gz = gzipSync(labels);
  expectRefusal(write("cut.gz", gz.subarray(0, gz.length >> 1)), /corrupted gzip stream/);
  const flipped = Uint8Array.from(gz);
  const middle = gz.length >> 1;
  for (let i = middle - 20; i < middle + 20; i++) flipped[i] ^= 0x5a;
  expectRefusal(write("flipped.gz", flipped), /corrupted gzip stream/);
});

test("loadMnistDir names a missing file and refuses labels that do not match the images", () => {
  const twelve = tinySplit(4, 12);
  const six = tinySplit(5, 6);
  const partial = writeDir("partial-", { [`${MNIST_FILES.trainLabels}.gz`]: gzipSync(twelve.labels) });
  assert.throws(() => loadMnistDir(partial), /no train-images-idx3-ubyte or train-images-idx3-ubyte\.gz/);

  // Six images with twelve labels: counts disagree.
  const mixed = writeDir("mixed-", {
    [MNIST_FILES.trainImages]: six.images,
    [MNIST_FILES.trainLabels]: twelve.labels,
    [MNIST_FILES.testImages]: six.images,
    [MNIST_FILES.testLabels]: six.labels,
  });
  assert.throws(() => loadMnistDir(mixed), /12 labels for the 6 images/);
});

// --- LeCun's full files -------------------------------------------------------------------

test("reads the four full MNIST files: 60,000 / 10,000 images of 28×28 and their labels", needsFullMnist, () => {
  for (const [prefix, count] of [["train", 60000], ["t10k", 10000]] as const) {
    const images = readIdx(full(`${prefix}-images-idx3-ubyte.gz`));
    const labels = readIdx(full(`${prefix}-labels-idx1-ubyte.gz`));
    assert.deepEqual(images.dims, [count, 28, 28]);
    assert.equal(images.data.length, count * 784);
    assert.deepEqual(labels.dims, [count]);
    assert.equal(Math.max(...labels.data), 9);
    assert.equal(Math.min(...labels.data), 0);
  }
  assert.deepEqual([...readIdx(full("t10k-labels-idx1-ubyte.gz")).data.subarray(0, 5)], [7, 2, 1, 0, 4]);
});

test("loadMnistDir on the full files gives float pixels in [0, 1] and the known first test labels", needsFullMnist, () => {
  const { train, test: t10k } = loadMnistDir(fullDir);
  assert.equal(train.count, 60000);
  assert.equal(t10k.count, 10000);
  assert.equal(t10k.rows, 28);
  assert.equal(t10k.cols, 28);
  assert.deepEqual([...t10k.labels.subarray(0, 5)], [7, 2, 1, 0, 4]);
  let lo = Infinity, hi = -Infinity;
  for (const v of t10k.images) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.equal(lo, 0);
  assert.equal(hi, 1);
});
