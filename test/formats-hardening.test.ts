/**
 * The readers under attack, one test per finding: a corrupted header or metadata is
 * refused (the checksum covers the whole file); a small file cannot make the loader
 * build a huge model; an IDX gzip bomb is refused within what its header declares; hostile
 * JSON (`null` tensors, a `null` spec) gives the format's error naming the file, never a
 * TypeError. Size bombs are measured (time, ArrayBuffer growth with a GC before each).
 * Then property tests (fast-check) of the encoders and decoders.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import {
  Rng, LSTM, GRU, RNN, Linear, SequenceToVector, SequenceToSequence, VectorToSequence, EncoderDecoder,
  encodeModel, decodeModel, registerModelType, encodeSafetensors, decodeSafetensors, SafetensorsError, type Module,
} from "../src/index.js";
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxError } from "../src/data/idx.js";
import { readIdx } from "../src/node/idx-files.js";
import { splitSafetensors, withSpec, writeSafetensors } from "./support/mutate.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const tmp = mkdtempSync(join(tmpdir(), "rnnkit-hardening-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs fn after a GC; returns how long it took and how much ArrayBuffer memory and RSS grew. */
function measured(fn: () => void): { ms: number; arrayBuffers: number; rss: number } {
  gc();
  const m0 = process.memoryUsage();
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  const m1 = process.memoryUsage();
  return { ms, arrayBuffers: m1.arrayBuffers - m0.arrayBuffers, rss: m1.rss - m0.rss };
}

const refusedWith = (path: string, fault: RegExp) => (e: unknown) =>
  e instanceof SafetensorsError && e.message.startsWith(`${path}: `) && fault.test(e.message) && e.message.length < 1000;

const lstmFile = () => encodeModel(new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, rng: new Rng(1) }));

// --- finding 2: the checksum covers the header and the metadata --------------------------

test("finding 2: a flipped bit in an option key or value, a name, a shape or an offset is refused", () => {
  const rnn = encodeModel(new RNN({ inputSize: 2, hiddenSize: 3, nonlinearity: "relu", batchFirst: true, rng: new Rng(2) }));
  const text = Buffer.from(rnn).toString("latin1");
  for (const needle of ['"batchFirst"', '"relu"', '"nonlinearity"', '"weight_hh_l0"', '"shape":[3,3]', '"data_offsets":[', '"note"'].filter((n) => text.includes(n))) {
    const at = text.indexOf(needle) + 2;
    for (let bit = 0; bit < 8; bit++) {
      const m = Uint8Array.from(rnn);
      m[at] ^= 1 << bit;
      assert.throws(() => decodeModel(m, "rnn.safetensors"), refusedWith("rnn.safetensors", /checksum mismatch|not valid JSON|file-sha256/), `${needle} bit ${bit}`);
    }
  }
  // Every single bit of the header, exhaustively.
  const { headerLen } = splitSafetensors(rnn);
  let refused = 0;
  for (let i = 0; i < 8 + headerLen; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const m = Uint8Array.from(rnn);
      m[i] ^= 1 << bit;
      assert.throws(() => decodeModel(m, "rnn.safetensors"), (e: unknown) => e instanceof SafetensorsError, `byte ${i} bit ${bit}`);
      refused++;
    }
  }
  assert.equal(refused, 8 * (8 + headerLen));
});

test("finding 2: a file without the whole-file checksum (written before it existed) is refused unless acceptLegacy", () => {
  const bytes = lstmFile();
  const { header, body } = splitSafetensors(bytes);
  delete (header.__metadata__ as Record<string, string>)["rnnkit.file-sha256"];
  const legacy = writeSafetensors(header, body, false);
  assert.throws(() => decodeModel(legacy, "old.safetensors"), refusedWith("old.safetensors", /no whole-file checksum.*re-save/));
  const { model } = decodeModel(legacy, "old.safetensors", { acceptLegacy: true });
  assert.equal(model.namedParameters().length, 8);
  model.dispose();
  // Legacy files still get every structural check.
  const spec = JSON.parse((header.__metadata__ as Record<string, string>)["rnnkit.model"]);
  spec.options.hiddenSize = 12000;
  (header.__metadata__ as Record<string, string>)["rnnkit.model"] = JSON.stringify(spec);
  assert.throws(() => decodeModel(writeSafetensors(header, body, false), "old.safetensors", { acceptLegacy: true }), refusedWith("old.safetensors", /do not match/));
});

// --- finding 3: a small file cannot make the loader allocate much more than its size -----

test("finding 3: huge hiddenSize / numLayers in a small (re-sealed) file are refused fast, with short messages, allocating nothing", () => {
  const bytes = lstmFile();
  const bombs: Array<[string, Record<string, unknown>]> = [
    ["hiddenSize=12000", { hiddenSize: 12000 }],
    ["numLayers=1e6", { numLayers: 1e6 }],
    ["numLayers=1e5", { numLayers: 1e5 }],
    ["numLayers=1024, bidirectional", { numLayers: 1024, bidirectional: true }],
    ["inputSize=2^24", { inputSize: 2 ** 24 }],
    ["hiddenSize=1.5", { hiddenSize: 1.5 }],
    ["hiddenSize=-3", { hiddenSize: -3 }],
    ['hiddenSize="4"', { hiddenSize: "4" }],
    ["batchFirst=null", { batchFirst: null }],
    ["bias=1", { bias: 1 }],
    ['nonlinearity="relu" on an LSTM', { nonlinearity: "relu" }],
    ['dtype="float16"', { dtype: "float16" }],
    ["an unknown key", { hiddenSizes: 4 }],
  ];
  for (const [what, options] of bombs) {
    const forged = withSpec(bytes, (s) => Object.assign(s.options, options));
    let err: unknown = null;
    const m = measured(() => {
      try { decodeModel(forged, "bomb.safetensors"); } catch (e) { err = e; }
    });
    assert.ok(refusedWith("bomb.safetensors", /option|do not match/)(err), `${what}: ${String(err)}`);
    assert.ok(m.ms < 200, `${what}: ${m.ms} ms`);
    assert.ok(m.arrayBuffers < 16 * forged.length + 65536, `${what}: ArrayBuffers grew by ${m.arrayBuffers} for a ${forged.length}-byte file`);
    console.log(`# ${what}: refused in ${m.ms.toFixed(1)} ms, ArrayBuffers +${m.arrayBuffers} B, RSS +${(m.rss / 2 ** 20).toFixed(1)} MiB for a ${forged.length}-byte file; ${(err as Error).message.length}-char message`);
  }
  const topo = encodeModel(new SequenceToVector({ cell: "gru", inputSize: 2, hiddenSize: 3, outputSize: 2, rng: new Rng(3) }));
  for (const options of [{ outputSize: 1e7 }, { cell: "lstm" }, { nonlinearity: "tanh" }, { cell: "conv" }]) {
    assert.throws(() => decodeModel(withSpec(topo, (s) => Object.assign(s.options, options)), "t.safetensors"), refusedWith("t.safetensors", /option|do not match/));
  }
  const ed = encodeModel(new EncoderDecoder({ cell: "lstm", sourceInputSize: 2, targetVocabSize: 4, embeddingSize: 3, hiddenSize: 3, rng: new Rng(4) }));
  for (const options of [{ sourceVocabSize: 5 }, { targetVocabSize: 1e6 }, { embeddingSize: 0 }]) {
    assert.throws(() => decodeModel(withSpec(ed, (s) => Object.assign(s.options, options)), "e.safetensors"), refusedWith("e.safetensors", /option|do not match|exactly one/));
  }
});

test("finding 3: a safetensors header whose tensors all point at the same bytes allocates nothing", () => {
  const n = 5000;
  const header: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) header[`t${i}`] = { dtype: "F32", shape: [65536], data_offsets: [0, 262144] };
  const forged = writeSafetensors(header, new Uint8Array(262144), false);
  let err: unknown = null;
  const m = measured(() => { try { decodeSafetensors(forged, "overlap.safetensors"); } catch (e) { err = e; } });
  assert.ok(err instanceof SafetensorsError && /overlaps/.test(err.message), String(err));
  assert.ok(m.arrayBuffers < forged.length, `ArrayBuffers grew by ${m.arrayBuffers}`);
  console.log(`# ${n} tensors on one span: refused in ${m.ms.toFixed(1)} ms, ArrayBuffers +${m.arrayBuffers} B for a ${forged.length}-byte file`);
});

test("custom types: parameterShapes is checked before the factory runs; without it the built module must match the file", () => {
  class Pair extends (Linear as unknown as { new(o: ConstructorParameters<typeof Linear>[0]): Linear }) {}
  let built = 0;
  registerModelType("TestPair", (o, rng) => { built++; return new Pair({ inFeatures: o.n as number, outFeatures: o.n as number, rng }); }, {
    parameterShapes: (o) => {
      if (!Number.isInteger(o.n) || (o.n as number) < 1 || (o.n as number) > 1000) throw new Error("n must be an integer in [1, 1000]");
      return { weight: [o.n as number, o.n as number], bias: [o.n as number] };
    },
  });
  const pair = new Pair({ inFeatures: 3, outFeatures: 3, rng: new Rng(5) });
  const bytes = encodeModel(pair, { type: "TestPair", options: { n: 3 } });
  const back = decodeModel(bytes, "pair.safetensors");
  assert.equal(built, 1);
  back.model.dispose();
  built = 0;
  assert.throws(() => decodeModel(withSpec(bytes, (s) => { s.options.n = 1e6; }), "pair.safetensors"), refusedWith("pair.safetensors", /n must be an integer/));
  assert.throws(() => decodeModel(withSpec(bytes, (s) => { s.options.n = 4; }), "pair.safetensors"), refusedWith("pair.safetensors", /do not match/));
  assert.equal(built, 0);
  registerModelType("TestLoose", (o, rng) => new Pair({ inFeatures: o.n as number, outFeatures: o.n as number, rng }));
  const loose = encodeModel(pair, { type: "TestLoose", options: { n: 3 } });
  decodeModel(loose, "loose.safetensors").model.dispose();
  assert.throws(() => decodeModel(withSpec(loose, (s) => { s.options.n = 5; }), "loose.safetensors"), refusedWith("loose.safetensors", /module built from/));
  assert.throws(() => decodeModel(withSpec(loose, (s) => { s.options.n = null; }), "loose.safetensors"), refusedWith("loose.safetensors", /.+/));
  pair.dispose();
});

// --- finding 4: IDX gzip bombs ----------------------------------------------------------------

test("finding 4: an IDX gzip bomb is refused as soon as it inflates past what its header declares", () => {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(IDX_IMAGES_MAGIC, 0);
  [20, 28, 28].forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
  const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(64 * 2 ** 20)]), { level: 9 });
  const path = join(tmp, "bomb-images-idx3-ubyte.gz");
  writeFileSync(path, bomb);
  let err: unknown = null;
  const m = measured(() => { try { readIdx(path); } catch (e) { err = e; } });
  assert.ok(err instanceof IdxError && err.message.startsWith(`${path}: `) && /inflates to more than the 15696 bytes its header \[20, 28, 28\] declares/.test(err.message), String(err));
  assert.ok(m.ms < 1000, `${m.ms} ms`);
  assert.ok(m.arrayBuffers < 4 * 2 ** 20, `ArrayBuffers grew by ${m.arrayBuffers}`);
  console.log(`# gzip bomb (${bomb.length} B inflating to 64 MiB, header [20, 28, 28]): refused in ${m.ms.toFixed(1)} ms, ArrayBuffers +${(m.arrayBuffers / 1024).toFixed(0)} KiB, RSS +${(m.rss / 2 ** 20).toFixed(1)} MiB`);

  // A header that declares more than the stream could ever hold, or more than any IDX file read here.
  for (const dims of [[60000, 28, 28], [65535, 65535, 65535]]) {
    const h = Buffer.alloc(16);
    h.writeUInt32BE(IDX_IMAGES_MAGIC, 0);
    dims.forEach((d, k) => h.writeUInt32BE(d, 4 + 4 * k));
    const p = join(tmp, `declared-${dims[0]}.gz`);
    writeFileSync(p, gzipSync(Buffer.concat([h, Buffer.alloc(100)])));
    const r = measured(() => assert.throws(() => readIdx(p), (e: unknown) => e instanceof IdxError && /truncated|more than/.test(e.message)));
    assert.ok(r.arrayBuffers < 2 ** 20 && r.ms < 1000);
    writeFileSync(p, Buffer.concat([h, Buffer.alloc(100)]));
    assert.throws(() => readIdx(p), (e: unknown) => e instanceof IdxError && /truncated|more than/.test(e.message));
  }
  // A gzip header padded with a long file name before the data still reads.
  const labels = Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0, 3]), Buffer.from([7, 2, 1])]);
  const gz = gzipSync(labels);
  const named = Buffer.concat([gz.subarray(0, 3), Buffer.from([gz[3] | 8]), gz.subarray(4, 10), Buffer.alloc(5000, 0x61), Buffer.from([0]), gz.subarray(10)]);
  const np = join(tmp, "named.gz");
  writeFileSync(np, named);
  assert.deepEqual([...readIdx(np).data], [7, 2, 1]);
  assert.equal(IDX_LABELS_MAGIC, 0x801);
});

// --- finding 9: no TypeError escapes; refusals name the file ------------------------------

test("finding 9: hostile JSON in a header or spec gives the format's error naming the file", () => {
  const bytes = lstmFile();
  const { header, body } = splitSafetensors(bytes);
  const cases: Array<[string, (h: Record<string, unknown>) => void]> = [
    ['"w": null', (h) => { h.w = null; }],
    ['"w": 1', (h) => { h.w = 1; }],
    ['"w": []', (h) => { h.w = []; }],
    ["shape null", (h) => { (h.weight_ih_l0 as Record<string, unknown>).shape = null; }],
    ["data_offsets strings", (h) => { (h.weight_ih_l0 as Record<string, unknown>).data_offsets = ["0", "1"]; }],
    ["__metadata__ an array", (h) => { h.__metadata__ = ["a"]; }],
    ["__metadata__ null", (h) => { h.__metadata__ = null; }],
    ["rnnkit.model = null", (h) => { (h.__metadata__ as Record<string, unknown>)["rnnkit.model"] = "null"; }],
    ["rnnkit.model = []", (h) => { (h.__metadata__ as Record<string, unknown>)["rnnkit.model"] = "[]"; }],
    ["rnnkit.model = 5", (h) => { (h.__metadata__ as Record<string, unknown>)["rnnkit.model"] = "5"; }],
    ["options null", (h) => { (h.__metadata__ as Record<string, unknown>)["rnnkit.model"] = '{"type":"LSTM","options":null}'; }],
    ["type a number", (h) => { (h.__metadata__ as Record<string, unknown>)["rnnkit.model"] = '{"type":5,"options":{}}'; }],
    ["type __proto__", (h) => { (h.__metadata__ as Record<string, unknown>)["rnnkit.model"] = '{"type":"__proto__","options":{}}'; }],
    ["options with __proto__", (h) => { (h.__metadata__ as Record<string, unknown>)["rnnkit.model"] = '{"type":"LSTM","options":{"__proto__":{"hiddenSize":4},"inputSize":3}}'; }],
    ["metadata value a number", (h) => { (h.__metadata__ as Record<string, unknown>).note = 5; }],
  ];
  for (const seal of [false, true]) {
    for (const [what, edit] of cases) {
      const h = structuredClone(header);
      edit(h);
      const forged = writeSafetensors(h, body, seal);
      assert.throws(() => decodeModel(forged, "hostile.safetensors"), refusedWith("hostile.safetensors", /.+/), `${what} (${seal ? "sealed" : "stale"})`);
    }
  }
  for (const raw of ["", "{", "null", "[]", '"x"', "{\"a\":{\"dtype\":\"F32\",\"shape\":[1e400],\"data_offsets\":[0,4]}}"]) {
    const json = Buffer.from(raw);
    const b = new Uint8Array(8 + json.length + 4);
    new DataView(b.buffer).setBigUint64(0, BigInt(json.length), true);
    b.set(json, 8);
    assert.throws(() => decodeSafetensors(b, "raw.safetensors"), (e: unknown) => e instanceof SafetensorsError && e.message.startsWith("raw.safetensors: "), raw);
  }
  const big = new Uint8Array(16);
  new DataView(big.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
  assert.throws(() => decodeModel(big, "huge-length.safetensors"), refusedWith("huge-length.safetensors", /header length/));
});

// --- properties ------------------------------------------------------------------------------

const nameArb = fc.string({ minLength: 0, maxLength: 12, unit: "binary" }).filter((s) => s !== "__metadata__");
const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 3 });

test("property: decodeSafetensors(encodeSafetensors(x)) = x for any names, shapes, dtypes, values and metadata", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(nameArb, shapeArb, fc.boolean(), fc.integer()), { selector: ([n]) => n, maxLength: 6 }),
      fc.dictionary(fc.string({ unit: "binary", maxLength: 10 }).filter((k) => !k.startsWith("rnnkit.") && k !== "__proto__"), fc.string({ unit: "binary", maxLength: 20 }), { maxKeys: 4 }),
      (specs, metadata) => {
        const tensors = specs.map(([name, shape, f64, seed]) => {
          const r = new Rng(seed);
          const n = shape.reduce((a, b) => a * b, 1);
          const data = f64 ? Float64Array.from({ length: n }, () => r.normal() * 1e10) : Float32Array.from({ length: n }, () => r.normal());
          if (n > 0 && seed % 3 === 0) data[0] = [NaN, -0, Infinity][seed % 9 / 3 | 0];
          return [name, { shape, data }] as [string, { shape: number[]; data: Float32Array | Float64Array }];
        });
        const out = decodeSafetensors(encodeSafetensors(tensors, metadata), "p.safetensors", { requireFileChecksum: true });
        assert.deepEqual([...out.tensors.keys()], tensors.map(([n]) => n));
        for (const [name, t] of tensors) {
          const got = out.tensors.get(name)!;
          assert.deepEqual(got.shape, t.shape);
          assert.equal(got.data.constructor, t.data.constructor);
          assert.ok(Buffer.from(got.data.buffer).equals(Buffer.from(t.data.buffer)), name);
        }
        for (const [k, v] of Object.entries(metadata)) assert.equal(out.metadata[k], v);
      },
    ),
    { seed: 7, numRuns: 150 },
  );
});

const size = fc.integer({ min: 1, max: 4 });
const recurrentOptions = fc.record({
  inputSize: size, hiddenSize: size, numLayers: fc.integer({ min: 1, max: 3 }), bidirectional: fc.boolean(),
  batchFirst: fc.boolean(), bias: fc.boolean(), dtype: fc.constantFrom("float32" as const, "float64" as const),
});
const cellArb = fc.constantFrom("rnn" as const, "lstm" as const, "gru" as const);
const modelArb: fc.Arbitrary<(rng: Rng) => Module> = fc.oneof(
  recurrentOptions.map((o) => (rng: Rng) => new LSTM({ ...o, rng })),
  recurrentOptions.map((o) => (rng: Rng) => new GRU({ ...o, rng })),
  fc.tuple(recurrentOptions, fc.constantFrom("tanh" as const, "relu" as const, "sigmoid" as const)).map(([o, nonlinearity]) => (rng: Rng) => new RNN({ ...o, nonlinearity, rng })),
  fc.record({ inFeatures: size, outFeatures: size, bias: fc.boolean() }).map((o) => (rng: Rng) => new Linear({ ...o, rng })),
  fc.tuple(recurrentOptions, cellArb, size, fc.constantFrom(SequenceToVector, SequenceToSequence, VectorToSequence)).map(([o, cell, outputSize, T]) =>
    (rng: Rng) => new T({ ...o, cell, outputSize, ...(cell === "rnn" ? { nonlinearity: "relu" as const } : {}), rng })),
  fc.tuple(cellArb, fc.boolean(), size, size, size, fc.integer({ min: 1, max: 2 })).map(([cell, tokens, v, e, h, numLayers]) =>
    (rng: Rng) => new EncoderDecoder({ cell, ...(tokens ? { sourceVocabSize: v + 1 } : { sourceInputSize: v }), targetVocabSize: v + 2, embeddingSize: e, hiddenSize: h, numLayers, rng })),
);

test("property: decodeModel(encodeModel(m)) rebuilds the same spec and parameters bit for bit for any built-in options", () => {
  fc.assert(
    fc.property(modelArb, fc.integer(), (make, seed) => {
      const model = make(new Rng(seed));
      const bytes = encodeModel(model);
      const back = decodeModel(bytes, "p.safetensors");
      try {
        assert.equal(back.model.constructor, model.constructor);
        assert.deepEqual(back.spec, JSON.parse(JSON.stringify((model as { modelSpec?: () => unknown }).modelSpec?.() ?? back.spec)));
        const a = model.namedParameters();
        const b = back.model.namedParameters();
        assert.deepEqual(b.map(([n, p]) => [n, p.shape, p.dtype]), a.map(([n, p]) => [n, p.shape, p.dtype]));
        a.forEach(([n, p], i) => assert.ok(Buffer.from(b[i][1].data.buffer, b[i][1].data.byteOffset, b[i][1].data.byteLength).equals(Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength)), n));
        assert.deepEqual(encodeModel(back.model, back.spec), bytes);
      } finally {
        back.model.dispose();
        model.dispose();
      }
    }),
    { seed: 11, numRuns: 120 },
  );
});
