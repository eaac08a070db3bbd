import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from "../src/io/safetensors.js";
import { loadSafetensors, saveSafetensors } from "../src/node/files.js";

const tensors = (): Array<[string, { shape: number[]; data: Float32Array | Float64Array }]> => [
  ["weight_ih_l0", { shape: [8, 3], data: Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1) }],
  ["bias_ih_l0", { shape: [8], data: Float32Array.from({ length: 8 }, (_, i) => -i) }],
  ["scale", { shape: [], data: Float64Array.from([Math.PI]) }],
];

test("round trip keeps names, order, shapes, dtypes, values and metadata", () => {
  const bytes = encodeSafetensors(tensors(), { config: '{"hidden":2}' });
  const { tensors: out, metadata } = decodeSafetensors(bytes);
  assert.deepEqual([...out.keys()], ["weight_ih_l0", "bias_ih_l0", "scale"]);
  for (const [name, t] of tensors()) {
    assert.deepEqual(out.get(name)!.shape, t.shape);
    assert.equal(out.get(name)!.data.constructor, t.data.constructor);
    assert.deepEqual(Array.from(out.get(name)!.data), Array.from(t.data));
  }
  assert.equal(metadata.config, '{"hidden":2}');
});

test("layout follows the format: u64 LE header length, 8-aligned JSON header, F32 little-endian data", () => {
  const bytes = encodeSafetensors([["a", { shape: [2], data: Float32Array.from([1, -2]) }]]);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header.a, { dtype: "F32", shape: [2], data_offsets: [0, 8] });
  const body = new DataView(bytes.buffer, 8 + n);
  assert.equal(body.getFloat32(0, true), 1);
  assert.equal(body.getFloat32(4, true), -2);
});

test("a hand-made file without our checksum metadata reads", () => {
  const json = new TextEncoder().encode('{"x":{"dtype":"F64","shape":[1,2],"data_offsets":[0,16]}}');
  const buf = new Uint8Array(8 + json.length + 16);
  const dv = new DataView(buf.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  buf.set(json, 8);
  dv.setFloat64(8 + json.length, 0.5, true);
  dv.setFloat64(8 + json.length + 8, -4, true);
  const { tensors: out } = decodeSafetensors(buf);
  assert.deepEqual(Array.from(out.get("x")!.data), [0.5, -4]);
});

test("truncated, corrupted and malformed files are refused with a message", () => {
  const good = encodeSafetensors(tensors());
  assert.throws(() => decodeSafetensors(good.subarray(0, 5)), /truncated/);
  assert.throws(() => decodeSafetensors(good.subarray(0, good.length - 3)), /truncated|trailing|ends at byte/);
  const flipped = good.slice();
  flipped[flipped.length - 10] ^= 0x40;
  assert.throws(() => decodeSafetensors(flipped), /checksum mismatch/);
  const badJson = good.slice();
  badJson[9] = 0x7b; // '{{' is no longer JSON
  assert.throws(() => decodeSafetensors(badJson), SafetensorsError);
  const overlap = new TextEncoder().encode('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
  const buf = new Uint8Array(8 + overlap.length + 4);
  new DataView(buf.buffer).setBigUint64(0, BigInt(overlap.length), true);
  buf.set(overlap, 8);
  assert.throws(() => decodeSafetensors(buf), /overlaps|trailing|hole/);
});

test("save is atomic (no temp file left) and load reads it back", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnkit-st-"));
  const path = join(dir, "model.safetensors");
  saveSafetensors(path, tensors(), { a: "b" });
  assert.deepEqual(readdirSync(dir), ["model.safetensors"]);
  assert.equal(loadSafetensors(path).metadata.a, "b");
  writeFileSync(path, readFileSync(path).subarray(0, 40));
  assert.throws(() => loadSafetensors(path), new RegExp(`${path.replace(/[/.]/g, "\\$&")}.*truncated|truncated`));
});
