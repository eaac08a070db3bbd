/**
 * The playground's MNIST subset (playground/src/experiments/mnist/subset.ts): its packing
 * round-trips (pixels to within half a quantisation step, labels and source indices
 * exactly), and a file with a wrong magic, a truncated or overlong body or an impossible
 * header is refused with a message saying so. The committed file itself is read and
 * checked (counts, balance, pixel range). Also the mnist view's drawing helper
 * (ink.ts), which turns a drawing into a 28×28 digit placed as MNIST's are.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  MnistSubsetError, SUBSET_HEADER_BYTES, decodeMnistSubset, encodeMnistSubset, type SubsetSplit,
} from "../playground/src/experiments/mnist/subset.js";
import { BOX, FIELD, inkToDigit } from "../playground/src/experiments/mnist/ink.js";
import { Rng } from "../src/tensor/random.js";

/** `count` random images of rows × cols with random labels and indices. */
function randomSplit(rng: Rng, count: number, rows: number, cols: number): SubsetSplit {
  return {
    images: Float32Array.from({ length: count * rows * cols }, () => (rng.next() < 0.3 ? 0 : rng.next())),
    labels: Uint8Array.from({ length: count }, () => rng.int(10)),
    indices: Uint32Array.from({ length: count }, () => rng.int(70000)),
    count, rows, cols,
  };
}

test("the subset format round-trips at 1, 2, 4 and 8 bits, odd image sizes included", () => {
  const rng = new Rng(3);
  for (const bits of [1, 2, 4, 8]) {
    for (const [rows, cols] of [[28, 28], [3, 5], [1, 1]]) {
      const train = randomSplit(rng, 7, rows, cols), test = randomSplit(rng, 3, rows, cols);
      const bytes = encodeMnistSubset(train, test, bits);
      assert.equal(bytes.length, SUBSET_HEADER_BYTES + 5 * 10 + 10 * Math.ceil((rows * cols * bits) / 8));
      const back = decodeMnistSubset(bytes);
      assert.equal(back.bits, bits);
      const step = 1 / (2 ** bits - 1);
      for (const [a, b] of [[train, back.train], [test, back.test]]) {
        assert.equal(b.count, a.count);
        assert.equal(b.rows, rows);
        assert.equal(b.cols, cols);
        assert.deepEqual(b.labels, a.labels);
        assert.deepEqual(b.indices, a.indices);
        a.images.forEach((v, i) => assert.ok(Math.abs(b.images[i] - v) <= step / 2 + 1e-6, `${bits} bits: pixel ${i} ${v} → ${b.images[i]}`));
      }
      // Decoded pixels are exactly levels, so a second round trip changes nothing.
      assert.deepEqual(encodeMnistSubset(back.train, back.test, bits), bytes);
    }
  }
});

test("the subset reader refuses a wrong magic, a truncated or overlong file and impossible headers", () => {
  const rng = new Rng(4);
  const good = encodeMnistSubset(randomSplit(rng, 4, 28, 28), randomSplit(rng, 2, 28, 28), 4);
  const refuses = (bytes: Uint8Array, pattern: RegExp) =>
    assert.throws(() => decodeMnistSubset(bytes, "x.bin"), (e: unknown) => e instanceof MnistSubsetError && /^x\.bin: /.test(e.message) && pattern.test(e.message));

  const badMagic = good.slice();
  badMagic[0] = "X".charCodeAt(0);
  refuses(badMagic, /not an MNIST subset file .*"XNISTSUB".*"MNISTSUB"/);
  refuses(new TextEncoder().encode("<!doctype html><html>not found</html>"), /not an MNIST subset file/);
  refuses(good.subarray(0, 10), /too short for the 24-byte header/);
  refuses(good.subarray(0, good.length - 1), /truncated: the header declares 4 \+ 2 digits of 28×28 at 4 bits \(\d+ bytes\), the file has \d+/);
  refuses(good.subarray(0, SUBSET_HEADER_BYTES), /truncated/);
  const longer = new Uint8Array(good.length + 3);
  longer.set(good);
  refuses(longer, /3 unexpected bytes after/);
  const patch = (offset: number, value: number) => {
    const b = good.slice();
    b[offset] = value;
    return b;
  };
  refuses(patch(8, 2), /format version 2/);
  refuses(patch(10, 0), /images of 0×28 pixels/);
  refuses(patch(12, 3), /3 bits per pixel/);
  refuses(patch(SUBSET_HEADER_BYTES + 1, 10), /label 10 of digit 1 is not a digit/);
  // A count that would need more bytes than there are is a truncation, not an allocation.
  const huge = good.slice();
  new DataView(huge.buffer).setUint32(16, 0xffffffff, true);
  refuses(huge, /truncated/);
});

test("the committed subset: 3,000 training and 500 test digits of 28×28, balanced, from MNIST's files", (t) => {
  const bytes = new Uint8Array(readFileSync("playground/public/mnist-subset.bin"));
  t.diagnostic(`playground/public/mnist-subset.bin: ${bytes.length} bytes`);
  assert.ok(bytes.length < 1.5e6, `${bytes.length} bytes`);
  const { train, test: held, bits } = decodeMnistSubset(bytes);
  assert.equal(bits, 4);
  assert.deepEqual([train.count, held.count, train.rows, train.cols], [3000, 500, 28, 28]);
  for (const [split, perClass, files] of [[train, 300, 60000], [held, 50, 10000]] as const) {
    const counts = new Array<number>(10).fill(0);
    for (const y of split.labels) counts[y]++;
    assert.deepEqual(counts, new Array(10).fill(perClass));
    assert.ok(split.indices.every((i) => i < files), "indices within their MNIST file");
    assert.equal(new Set(split.indices).size, split.count, "no digit twice");
    assert.ok(split.images.every((v) => v >= 0 && v <= 1));
  }
});

/** A canvas-sized drawing: a filled rectangle [x0, x1) × [y0, y1) of full ink. */
function rectangle(width: number, height: number, x0: number, x1: number, y0: number, y1: number): Float32Array {
  const ink = new Float32Array(width * height);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) ink[y * width + x] = 1;
  return ink;
}

test("a drawing becomes a 28×28 digit: fitted into 20×20, centred by its mass, darkest pixel 1", () => {
  assert.equal(inkToDigit(new Float32Array(100 * 80), 100, 80), null, "nothing drawn");
  // A tall bar far in the top left corner of a wide canvas.
  const digit = inkToDigit(rectangle(300, 200, 10, 40, 5, 125), 300, 200)!;
  assert.equal(digit.length, FIELD * FIELD);
  assert.ok(digit.every((v) => v >= 0 && v <= 1));
  assert.equal(Math.max(...digit), 1);
  let mass = 0, mx = 0, my = 0, top = FIELD, bottom = -1;
  digit.forEach((v, i) => {
    mass += v;
    mx += v * (i % FIELD);
    my += v * Math.floor(i / FIELD);
    if (v > 0.5) {
      top = Math.min(top, Math.floor(i / FIELD));
      bottom = Math.max(bottom, Math.floor(i / FIELD));
    }
  });
  assert.ok(Math.abs(mx / mass - 13.5) <= 0.5 && Math.abs(my / mass - 13.5) <= 0.5, `centre of mass (${mx / mass}, ${my / mass})`);
  assert.ok(Math.abs(bottom - top + 1 - BOX) <= 1, `the bar's height ${bottom - top + 1} fills the ${BOX}-pixel box`);
  assert.throws(() => inkToDigit(new Float32Array(10), 4, 4), /10 values for 4×4/);
});
