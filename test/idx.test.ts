/**
 * The IDX reader on LeCun's MNIST files in ../shared/data/mnist (counts, shapes, label
 * range, the well-known first test labels) and its refusals: a truncated payload, a
 * wrong magic, trailing bytes, a cut or corrupted gzip stream, a missing file — each
 * written to a temp dir, each message naming the file and the fault.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { IdxError } from "../src/data/idx.js";
import { readIdx } from "../src/node/idx-files.js";
import { loadMnistDir } from "../src/node/mnist-files.js";

const dir = resolve("../shared/data/mnist");
const file = (name: string) => join(dir, name);
const tmp = mkdtempSync(join(tmpdir(), "rnnkit-idx-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("reads the four MNIST files: 60,000 / 10,000 images of 28×28 and their labels", () => {
  for (const [prefix, count] of [["train", 60000], ["t10k", 10000]] as const) {
    const images = readIdx(file(`${prefix}-images-idx3-ubyte.gz`));
    const labels = readIdx(file(`${prefix}-labels-idx1-ubyte.gz`));
    assert.deepEqual(images.dims, [count, 28, 28]);
    assert.equal(images.data.length, count * 784);
    assert.deepEqual(labels.dims, [count]);
    assert.equal(Math.max(...labels.data), 9);
    assert.equal(Math.min(...labels.data), 0);
  }
  assert.deepEqual([...readIdx(file("t10k-labels-idx1-ubyte.gz")).data.subarray(0, 5)], [7, 2, 1, 0, 4]);
});

test("loadMnistDir gives float pixels in [0, 1] and reads uncompressed files too", () => {
  const { train, test: t10k } = loadMnistDir(dir);
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

  // The test split unzipped, the train split as it is: the loader takes either name.
  const plain = mkdtempSync(join(tmp, "plain-"));
  for (const name of ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]) writeFileSync(join(plain, name), gunzipSync(readFileSync(file(`${name}.gz`))));
  for (const name of ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]) copyFileSync(file(name), join(plain, name));
  const again = loadMnistDir(plain);
  assert.deepEqual(again.test.images.subarray(0, 784 * 3), t10k.images.subarray(0, 784 * 3));
});

test("refuses a truncated file, a wrong magic, trailing bytes and a bad gzip stream, naming the file", () => {
  const labels = gunzipSync(readFileSync(file("t10k-labels-idx1-ubyte.gz")));
  const write = (name: string, bytes: Uint8Array) => {
    const path = join(tmp, name);
    writeFileSync(path, bytes);
    return path;
  };
  const expectRefusal = (path: string, fault: RegExp) =>
    assert.throws(() => readIdx(path), (e: unknown) => e instanceof IdxError && e.message.includes(path) && fault.test(e.message));

  expectRefusal(write("short-labels", labels.subarray(0, labels.length - 10)), /truncated: .*10000.* payload bytes, the file has 9990/);
  expectRefusal(write("short-labels.gz", gzipSync(labels.subarray(0, 6))), /truncated header/);
  const magic = Uint8Array.from(labels);
  magic[3] = 0x02;
  expectRefusal(write("bad-magic", magic), /wrong magic 0x00000802/);
  expectRefusal(write("long-labels", Buffer.concat([labels, Buffer.from([1, 2, 3])])), /3 unexpected bytes/);

  const gz = readFileSync(file("t10k-labels-idx1-ubyte.gz"));
  expectRefusal(write("cut.gz", gz.subarray(0, gz.length >> 1)), /corrupted gzip stream/);
  const flipped = Uint8Array.from(gz);
  for (let i = 200; i < 240; i++) flipped[i] ^= 0x5a;
  expectRefusal(write("flipped.gz", flipped), /corrupted gzip stream/);
});

test("loadMnistDir names a missing file and refuses labels that do not match the images", () => {
  const partial = mkdtempSync(join(tmp, "partial-"));
  copyFileSync(file("t10k-labels-idx1-ubyte.gz"), join(partial, "train-labels-idx1-ubyte.gz"));
  assert.throws(() => loadMnistDir(partial), /no train-images-idx3-ubyte or train-images-idx3-ubyte\.gz/);

  // Test images with the 60,000 training labels: counts disagree.
  const mixed = mkdtempSync(join(tmp, "mixed-"));
  copyFileSync(file("t10k-images-idx3-ubyte.gz"), join(mixed, "train-images-idx3-ubyte.gz"));
  copyFileSync(file("train-labels-idx1-ubyte.gz"), join(mixed, "train-labels-idx1-ubyte.gz"));
  assert.throws(() => loadMnistDir(mixed), /60000 labels for the 10000 images/);
});
