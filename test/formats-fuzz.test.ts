/**
 * Mutation fuzzer over the three file formats read from outside: model files
 * (decodeModel), training checkpoints (restoreCheckpoint) and IDX files, plain and
 * gzipped (readIdx). Every mutant must be refused with the format's error type
 * (SafetensorsError / CheckpointError / IdxError, naming the file) or, if accepted, load
 * exactly the original — or, for a forged mutant re-sealed with valid checksums, exactly
 * what the forged file says. Nothing else may escape, each case must take under a second,
 * and what a case allocates is measured against the file's size.
 *
 * Seeded and bounded: a few thousand cases in `npm test`; `npm run fuzz` (RNNKIT_FUZZ=20)
 * runs twenty times as many with other seeds.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  Rng, LSTM, GRU, RNN, Linear, SequenceToVector, EncoderDecoder, Adam, encodeModel, decodeModel, SafetensorsError,
  encodeCheckpoint, restoreCheckpoint, CheckpointError, type Module,
} from "../src/index.js";
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxError } from "../src/data/idx.js";
import { readIdx } from "../src/node/idx-files.js";
import { byteMutant, headerMutant, rawTensors, splitSafetensors, writeSafetensors, type Mutant } from "./support/mutate.js";

const SCALE = Math.max(1, Number(process.env.RNNKIT_FUZZ ?? 1));
const SEED = 20_240 + (SCALE > 1 ? SCALE * 1000 : 0);
const CASE_LIMIT_MS = 1000;

const tmp = mkdtempSync(join(tmpdir(), "rnnkit-fuzz-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Tally {
  mutants: number;
  refused: number;
  identical: number;
  /** Forged (re-sealed) mutants accepted with exactly what they say. */
  consistent: number;
  other: string[];
  slowestMs: number;
  /** Largest growth of arrayBuffers during one case, relative to that case's file size. */
  worstMemRatio: number;
  worstMemBytes: number;
}

const tally = (): Tally => ({ mutants: 0, refused: 0, identical: 0, consistent: 0, other: [], slowestMs: 0, worstMemRatio: 0, worstMemBytes: 0 });

/** Runs one case, timing it and measuring what it leaves allocated in ArrayBuffers. */
function measure<T>(t: Tally, size: number, fn: () => T): T {
  const ab0 = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    const ms = performance.now() - t0;
    const grown = Math.max(0, process.memoryUsage().arrayBuffers - ab0);
    t.slowestMs = Math.max(t.slowestMs, ms);
    if (grown > t.worstMemBytes) t.worstMemBytes = grown;
    t.worstMemRatio = Math.max(t.worstMemRatio, grown / Math.max(1, size));
    if (ms > CASE_LIMIT_MS) t.other.push(`took ${ms.toFixed(0)} ms (limit ${CASE_LIMIT_MS})`);
  }
}

function report(name: string, t: Tally, ms: number): string {
  return `${name}: ${t.mutants} mutants: ${t.refused} refused, ${t.identical} accepted identical, ${t.consistent} forged accepted as written, ` +
    `${t.other.length} other; slowest case ${t.slowestMs.toFixed(1)} ms; worst arrayBuffers growth ${(t.worstMemBytes / 1024).toFixed(0)} KiB ` +
    `(${t.worstMemRatio.toFixed(1)}× the file); ${(ms / 1000).toFixed(1)} s`;
}

const sameBits = (a: Float32Array | Float64Array, b: Float32Array | Float64Array) =>
  a.constructor === b.constructor && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Parameters of `m` equal the raw tensors of `bytes` (names, shapes, dtype, bits). */
function matchesFile(m: Module, bytes: Uint8Array): boolean {
  const raw = rawTensors(bytes);
  const own = m.namedParameters();
  if (own.length !== raw.size) return false;
  return own.every(([n, p]) => {
    const r = raw.get(n);
    if (r === undefined || r.shape.join() !== p.shape.join()) return false;
    const data = p.data;
    return r.dtype === (data instanceof Float64Array ? "F64" : "F32") && Buffer.from(r.raw).equals(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
}

// --- model files ---------------------------------------------------------------------------

function models(): Module[] {
  return [
    new LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, rng: new Rng(1) }),
    new GRU({ inputSize: 2, hiddenSize: 3, batchFirst: true, dtype: "float64", rng: new Rng(2) }),
    new RNN({ inputSize: 2, hiddenSize: 3, nonlinearity: "relu", bias: false, rng: new Rng(3) }),
    new Linear({ inFeatures: 4, outFeatures: 2, rng: new Rng(4) }),
    new SequenceToVector({ cell: "lstm", inputSize: 2, hiddenSize: 3, outputSize: 2, rng: new Rng(5) }),
    new EncoderDecoder({ cell: "gru", sourceVocabSize: 5, targetVocabSize: 4, embeddingSize: 3, hiddenSize: 3, rng: new Rng(6) }),
  ];
}

/** Byte damage (half of it in the header), stale header edits and re-sealed (forged) header edits. */
function safetensorsMutants(rng: Rng, bytes: Uint8Array, count: number): Mutant[] {
  const { headerLen } = splitSafetensors(bytes);
  const out: Mutant[] = [];
  for (let i = 0; i < count; i++) {
    const k = i % 4;
    out.push(k < 2 ? byteMutant(rng, bytes, [0, 8 + headerLen]) : headerMutant(rng, bytes, k === 3));
  }
  return out;
}

test("model files: every mutant is refused with a SafetensorsError naming the file, or loads the original (forged: what it says)", () => {
  const t0 = performance.now();
  const t = tally();
  const rng = new Rng(SEED);
  const name = "fuzz.safetensors";
  for (const model of models()) {
    const bytes = encodeModel(model, undefined, { note: "fuzzed" });
    const original = decodeModel(bytes, name);
    for (const m of safetensorsMutants(rng, bytes, 200 * SCALE)) {
      t.mutants++;
      let loaded: ReturnType<typeof decodeModel> | null = null;
      try {
        loaded = measure(t, m.bytes.length, () => decodeModel(m.bytes, name));
      } catch (e) {
        if (e instanceof SafetensorsError && e.message.startsWith(`${name}: `)) t.refused++;
        else t.other.push(`${m.label}: ${String(e)}`);
        continue;
      }
      try {
        if (!m.sealed) {
          const same = JSON.stringify(loaded.spec) === JSON.stringify(original.spec) &&
            JSON.stringify(loaded.metadata) === JSON.stringify(original.metadata) &&
            loaded.model.namedParameters().every(([n, p], i) => {
              const [n0, p0] = original.model.namedParameters()[i];
              return n === n0 && p.shape.join() === p0.shape.join() && sameBits(p.data, p0.data);
            });
          if (same) t.identical++;
          else t.other.push(`${m.label}: accepted with different contents`);
        } else {
          const written = JSON.parse(splitSafetensors(m.bytes).header.__metadata__ ? (splitSafetensors(m.bytes).header.__metadata__ as Record<string, string>)["rnnkit.model"] : "null");
          if (JSON.stringify(loaded.spec) === JSON.stringify(written) && matchesFile(loaded.model, m.bytes)) t.consistent++;
          else t.other.push(`${m.label}: forged file accepted with contents other than it says`);
        }
      } finally {
        loaded.model.dispose();
      }
    }
    original.model.dispose();
    model.dispose();
  }
  console.log(`# ${report("model files", t, performance.now() - t0)}`);
  assert.deepEqual(t.other.slice(0, 10), []);
});

// --- checkpoints ---------------------------------------------------------------------------

function checkpointRun(seed: number) {
  const model = new SequenceToVector({ cell: "lstm", inputSize: 2, hiddenSize: 3, outputSize: 2, rng: new Rng(seed) });
  const optimizer = new Adam(model.parameters(), { lr: 1e-2 });
  const rng = new Rng(seed + 1);
  return { model, optimizer, rng };
}

test("checkpoints: every mutant is refused with a CheckpointError, changing nothing, or restores the original", () => {
  const t0 = performance.now();
  const t = tally();
  const findings: string[] = [];
  const rng = new Rng(SEED + 1);
  const src = checkpointRun(7);
  const g = new Rng(8);
  for (let s = 0; s < 2; s++) {
    for (const p of src.model.parameters()) p.grad = Float32Array.from({ length: p.size }, () => g.normal());
    src.optimizer.step();
  }
  src.rng.next();
  const trainer = { step: 2, epoch: 1, batchInEpoch: 1, permutation: [2, 0, 1, 3], extra: { lossSum: 1.25 } };
  const config = { lr: 0.01, note: "fuzz" };
  const bytes = encodeCheckpoint(src.model, src.optimizer, src.rng, trainer, config);
  const want = { params: src.model.namedParameters(), optim: JSON.stringify(src.optimizer.stateDict()), rng: JSON.stringify(src.rng.getState()) };
  const name = "fuzz.ckpt";
  for (const m of safetensorsMutants(rng, bytes, 600 * SCALE)) {
    t.mutants++;
    const dst = checkpointRun(99);
    const before = { params: dst.model.namedParameters().map(([, p]) => p.data.slice()), optim: JSON.stringify(dst.optimizer.stateDict()), rng: JSON.stringify(dst.rng.getState()) };
    let got: ReturnType<typeof restoreCheckpoint>;
    try {
      got = measure(t, m.bytes.length, () => restoreCheckpoint(m.bytes, dst.model, dst.optimizer, dst.rng, name));
    } catch (e) {
      if (!(e instanceof CheckpointError)) {
        t.other.push(`${m.label}: ${String(e)}`);
      } else {
        t.refused++;
        const unchanged = dst.model.namedParameters().every(([, p], i) => sameBits(p.data, before.params[i])) &&
          JSON.stringify(dst.optimizer.stateDict()) === before.optim && JSON.stringify(dst.rng.getState()) === before.rng;
        if (!unchanged) findings.push(`${m.label}: refused (${e.message.slice(0, 120)}) but changed the model, optimizer or generator`);
        if (!e.message.includes(name)) findings.push(`${m.label}: refusal does not name the file: ${e.message.slice(0, 120)}`);
      }
      dst.model.dispose();
      continue;
    }
    const same = dst.model.namedParameters().every(([n, p], i) => n === want.params[i][0] && sameBits(p.data, want.params[i][1].data)) &&
      JSON.stringify(dst.optimizer.stateDict()) === want.optim && JSON.stringify(dst.rng.getState()) === want.rng &&
      JSON.stringify(got.trainer) === JSON.stringify(trainer) && JSON.stringify(got.config) === JSON.stringify(config);
    if (same) t.identical++;
    else if (m.sealed) t.consistent++; // a forged checkpoint; its contents are checked by checkpoint.ts's own rules
    else t.other.push(`${m.label}: accepted with different contents`);
    dst.model.dispose();
  }
  src.model.dispose();
  console.log(`# ${report("checkpoints", t, performance.now() - t0)}`);
  for (const f of findings.slice(0, 20)) console.log(`# checkpoint finding: ${f}`);
  assert.deepEqual(t.other.slice(0, 10), []);
  assert.deepEqual(findings.slice(0, 10), []);
});

// --- IDX -----------------------------------------------------------------------------------

function idx(magic: number, dims: number[], payload: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, k) => head.writeUInt32BE(d, 4 + 4 * k));
  return Uint8Array.from(Buffer.concat([head, payload]));
}

/** An independent reading of plain IDX bytes: null where readIdx must refuse. */
function referenceIdx(b: Uint8Array): { dims: number[]; data: Uint8Array } | null {
  if (b.length < 4) return null;
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const magic = buf.readUInt32BE(0);
  if (magic !== IDX_IMAGES_MAGIC && magic !== IDX_LABELS_MAGIC) return null;
  const rank = magic & 0xff;
  if (b.length < 4 + 4 * rank) return null;
  const dims = Array.from({ length: rank }, (_, k) => buf.readUInt32BE(4 + 4 * k));
  if (dims.slice(1).includes(0)) return null;
  const n = dims.reduce((a, c) => a * c, 1);
  return b.length - 4 - 4 * rank === n ? { dims, data: b.subarray(4 + 4 * rank) } : null;
}

/** The header's dimensions set to awkward values (size bombs among them), plain or gzipped. */
function dimsMutant(rng: Rng, plain: Uint8Array, gz: boolean): Mutant {
  const out = Uint8Array.from(plain);
  const rank = out[3];
  const k = rng.int(rank);
  const v = [0, 1, 2, 20, 28, 60000, 2 ** 16, 2 ** 31, 2 ** 32 - 1][rng.int(9)];
  new DataView(out.buffer).setUint32(4 + 4 * k, v, false);
  return { label: `dims[${k}] = ${v}${gz ? ", gzipped" : ""}`, bytes: gz ? Uint8Array.from(gzipSync(out)) : out, sealed: true };
}

test("IDX files, plain and gzipped: every mutant is refused with an IdxError naming the file, or reads as its bytes say", () => {
  const t0 = performance.now();
  const t = tally();
  const rng = new Rng(SEED + 2);
  const r = new Rng(3);
  const bases = [
    idx(IDX_IMAGES_MAGIC, [7, 4, 5], Uint8Array.from({ length: 140 }, () => r.int(256))),
    idx(IDX_LABELS_MAGIC, [30], Uint8Array.from({ length: 30 }, () => r.int(10))),
  ];
  let fileNo = 0;
  for (const plain of bases) {
    const original = referenceIdx(plain)!;
    const gz = Uint8Array.from(gzipSync(plain));
    const cases: Array<Mutant & { gz: boolean }> = [];
    for (let i = 0; i < 200 * SCALE; i++) {
      const kind = i % 5;
      if (kind === 0) cases.push({ ...byteMutant(rng, plain, [0, 16]), gz: false });
      else if (kind <= 2) cases.push({ ...byteMutant(rng, gz, [0, 24]), gz: true });
      else cases.push({ ...dimsMutant(rng, plain, kind === 4), gz: kind === 4 });
    }
    for (const m of cases) {
      t.mutants++;
      const path = join(tmp, `m${fileNo++}${m.gz ? ".gz" : ""}`);
      writeFileSync(path, m.bytes);
      let got: ReturnType<typeof readIdx>;
      try {
        got = measure(t, m.bytes.length, () => readIdx(path));
      } catch (e) {
        if (e instanceof IdxError && e.message.startsWith(`${path}: `)) t.refused++;
        else t.other.push(`${m.label}: ${String(e)}`);
        continue;
      }
      const eq = (x: { dims: number[]; data: Uint8Array } | null) =>
        x !== null && x.dims.join() === got.dims.join() && Buffer.from(x.data).equals(Buffer.from(got.data));
      if (eq(original)) t.identical++;
      else {
        let inflated: Uint8Array | null = m.bytes;
        if (m.gz) { try { inflated = gunzipSync(m.bytes); } catch { inflated = null; } }
        // IDX has no checksum: a plain file says what its bytes say; gzip's CRC-32 guards the rest.
        if (inflated !== null && (m.sealed || !m.gz) && eq(referenceIdx(inflated))) t.consistent++;
        else t.other.push(`${m.label}: accepted with different contents`);
      }
    }
  }
  console.log(`# ${report("IDX files", t, performance.now() - t0)}`);
  assert.deepEqual(t.other.slice(0, 10), []);
});

test("checkpoints: a file with both checksums removed and its contents edited is refused", () => {
  const src = checkpointRun(7);
  const trainer = { step: 2, epoch: 1, batchInEpoch: 1, permutation: [2, 0, 1, 3], extra: {} };
  const { header, body } = splitSafetensors(encodeCheckpoint(src.model, src.optimizer, src.rng, trainer, {}));
  const meta = header.__metadata__ as Record<string, string>;
  delete meta["rnnkit.file-sha256"];
  delete meta["rnnkit.sha256"];
  const ck = JSON.parse(meta["rnnkit.checkpoint"]);
  ck.trainer.step = 999;
  meta["rnnkit.checkpoint"] = JSON.stringify(ck);
  const dst = checkpointRun(99);
  assert.throws(() => restoreCheckpoint(writeSafetensors(header, body, false), dst.model, dst.optimizer, dst.rng, "c.ckpt"), CheckpointError);
});

test("checkpoints: a forged (re-sealed) file whose trainer state is missing or malformed is refused", () => {
  const src = checkpointRun(7);
  const bytes = encodeCheckpoint(src.model, src.optimizer, src.rng, { step: 2, epoch: 1, batchInEpoch: 1, permutation: [2, 0, 1, 3], extra: {} }, {});
  for (const edit of [(c: Record<string, unknown>) => { delete c.trainer; }, (c: Record<string, unknown>) => { (c.trainer as Record<string, unknown>).permutation = {}; }]) {
    const { header, body } = splitSafetensors(bytes);
    const meta = header.__metadata__ as Record<string, string>;
    const ck = JSON.parse(meta["rnnkit.checkpoint"]);
    edit(ck);
    meta["rnnkit.checkpoint"] = JSON.stringify(ck);
    const dst = checkpointRun(99);
    assert.throws(() => restoreCheckpoint(writeSafetensors(header, body, true), dst.model, dst.optimizer, dst.rng, "c.ckpt"), CheckpointError);
  }
});
