/**
 * The trainer's state under attack: resumes are exact (early stopping, schedule, a dropout
 * with its own generator), checkpoints whose content is wrong are refused and change
 * nothing, the divergence guard names what went non-finite and never lets it into a
 * checkpoint, changed settings are refused, and runs killed (SIGKILL) at seeded random
 * moments — during checkpoint writes too — resume to the uninterrupted result bit for bit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import {
  fit, Rng, Tensor, Adam, SGD, Module, LSTM, Linear, Dropout, NonFiniteError, CheckpointError, sum, mul, stepDecay,
  encodeSafetensors, decodeSafetensors, encodeCheckpoint, type Dataset, type FitResult, type Optimizer,
} from "../src/index.js";
import { stringifyExact, parseExact } from "../src/train/checkpoint.js";
import { checkpointFile, loadCheckpoint, readCheckpointFile, saveCheckpoint } from "../src/node/files.js";
import { dropoutRun } from "./support/dropout-run.js";
import { signTask } from "./support/sign-task.js";

const tmp = () => mkdtempSync(join(tmpdir(), "rnnkit-trainstate-"));

type Run = ReturnType<typeof dropoutRun>;

/** Everything a run leaves behind that a resume must reproduce. */
function snapshot(r: Run) {
  return {
    params: r.model.parameters().map((p) => Array.from(p.data)),
    optimizer: r.optimizer.stateDict(),
    rng: r.rng.getState(),
    generators: r.model.namedGenerators().map(([n, g]) => [n, g.getState()]),
  };
}
const historyOf = (res: FitResult) => res.history.map(({ seconds: _s, ...rest }) => rest);

/** A fresh run whose weights, optimizer and generators are all wrong until a checkpoint restores them. */
function scrambled(seed: number): Run {
  const r = dropoutRun(seed, 5);
  for (const p of r.model.parameters()) p.data.fill(0.25);
  r.rng.next();
  return r;
}

/** The uninterrupted run, with the bytes of every checkpoint it wrote. */
function reference(seed: number, everySteps = 2) {
  const r = dropoutRun(seed);
  const checkpoints: Uint8Array[] = [];
  const result = fit(r.model, r.train, { ...r.options, checkpoint: { write: (b) => checkpoints.push(b), everySteps } });
  return { result, checkpoints, snap: snapshot(r) };
}

function metaOf(bytes: Uint8Array): Record<string, unknown> {
  return parseExact(decodeSafetensors(bytes, "ckpt").metadata["rnnkit.checkpoint"]) as Record<string, unknown>;
}

test("JSON of the trainer state keeps Infinity, -Infinity, NaN and -0", () => {
  const v = { a: Infinity, b: [-Infinity, NaN, -0, 0, 1.5], c: { $float: "nope" } };
  const back = parseExact(stringifyExact(v)) as typeof v;
  assert.equal(back.a, Infinity);
  assert.deepEqual(back.b, [-Infinity, NaN, -0, 0, 1.5]);
  assert.ok(Object.is(back.b[2], -0));
  assert.deepEqual(back.c, { $float: "nope" });
});

test("finding 1: resuming with early stopping from any checkpoint ends exactly like the uninterrupted run", () => {
  const seed = 4;
  const ref = reference(seed);
  assert.ok(ref.result.stoppedEarly && ref.result.history.length >= 6, `the reference stops early after ${ref.result.history.length} epochs`);
  // Before the first validation the best loss is Infinity; plain JSON would have written null.
  assert.match(decodeSafetensors(ref.checkpoints[0], "c").metadata["rnnkit.checkpoint"], /"bestValLoss":\{"\$float":"Infinity"\}/);
  let resumes = 0;
  for (const bytes of ref.checkpoints) {
    const r = scrambled(seed);
    const out = fit(r.model, r.train, { ...r.options, resumeFrom: bytes });
    assert.deepEqual(historyOf(out), historyOf(ref.result), `resumed from step ${(metaOf(bytes).trainer as { step: number }).step}`);
    assert.equal(out.steps, ref.result.steps);
    assert.equal(out.stoppedEarly, true);
    assert.deepEqual(snapshot(r), ref.snap);
    resumes++;
  }
  assert.ok(resumes > 20);
});

test("finding 6: a dropout layer's own generator is checkpointed by module name; another set of generators is refused", () => {
  const seed = 1;
  const ref = reference(seed, 5);
  const bytes = ref.checkpoints[3];
  assert.deepEqual(Object.keys(metaOf(bytes).generators as object), ["drop.rng"]);
  const r = scrambled(seed); // its dropout draws from Rng(5), not Rng(77)
  const out = fit(r.model, r.train, { ...r.options, resumeFrom: bytes });
  assert.deepEqual(historyOf(out), historyOf(ref.result));
  assert.deepEqual(snapshot(r), ref.snap);

  // The same parameters, the dropout registered under another name: refused, nothing changed.
  class Renamed extends Module {
    constructor(rng: Rng) {
      super();
      this.registerModule("lstm", new LSTM({ inputSize: 1, hiddenSize: 6, rng }));
      this.registerModule("dropout", new Dropout({ p: 0.3, rng: new Rng(77) }));
      this.registerModule("head", new Linear({ inFeatures: 6, outFeatures: 2, rng }));
    }
  }
  class NoDropout extends Module {
    constructor(rng: Rng) {
      super();
      this.registerModule("lstm", new LSTM({ inputSize: 1, hiddenSize: 6, rng }));
      this.registerModule("head", new Linear({ inFeatures: 6, outFeatures: 2, rng }));
    }
  }
  for (const [model, pattern] of [
    [new Renamed(new Rng(0)), /generators: expected the model's generators \[dropout\.rng\], got \[drop\.rng\]; missing dropout\.rng; not in the model drop\.rng/],
    [new NoDropout(new Rng(0)), /not in the model drop\.rng/],
  ] as const) {
    const before = model.parameters().map((p) => Array.from(p.data));
    const gens = model.namedGenerators().map(([, g]) => g.getState());
    const rng = new Rng(3);
    assert.throws(() => fit(model, r.train, { ...r.options, optimizer: new Adam(model.parameters()), rng, resumeFrom: bytes }),
      (e: unknown) => e instanceof CheckpointError && pattern.test(e.message) && /resumeFrom/.test(e.message));
    assert.deepEqual(model.parameters().map((p) => Array.from(p.data)), before);
    assert.deepEqual(model.namedGenerators().map(([, g]) => g.getState()), gens);
    assert.deepEqual(rng.getState(), new Rng(3).getState());
  }
});

/** Parsed checkpoint metadata, reached into freely to break it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** Re-encodes a checkpoint with its metadata (and tensors) changed: the container is valid, the content is not. */
function craft(bytes: Uint8Array, change: (meta: Loose, tensors: Map<string, { shape: number[]; data: Float32Array | Float64Array }>) => void, format?: string): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes, "ckpt");
  const meta = parseExact(metadata["rnnkit.checkpoint"]) as Loose;
  const copy = new Map([...tensors].map(([n, t]) => [n, { shape: [...t.shape], data: t.data.slice() }]));
  change(meta, copy);
  return encodeSafetensors(copy, { "rnnkit.format": format ?? metadata["rnnkit.format"], "rnnkit.checkpoint": stringifyExact(meta) });
}

test("finding 2: a checkpoint whose content is wrong is refused with the file, the part and what was expected, and changes nothing", () => {
  const ref = reference(2, 4);
  const good = ref.checkpoints[2]; // mid-epoch: a permutation, Adam state, a dropout generator
  const dir = tmp();
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ["trainer key renamed", craft(good, (m) => { m.trainer_ = m.trainer; delete m.trainer; }), /checkpoint\.trainer_: expected no such key|checkpoint\.trainer: expected to be present/],
    ["lr as a string", craft(good, (m) => { m.optimizer.hyperParameters.lr = "0.01"; }), /checkpoint\.optimizer\.hyperParameters\.lr: expected a finite number, got "0\.01"/],
    ["lr negative", craft(good, (m) => { m.optimizer.hyperParameters.lr = -0.41; }), /checkpoint\.optimizer: .*lr must be a finite number ≥ 0, got -0\.41/],
    ["lr missing", craft(good, (m) => { delete m.optimizer.hyperParameters.lr; }), /hyperParameters lack lr/],
    ["betas of one", craft(good, (m) => { m.optimizer.hyperParameters.betas = [0.9]; }), /betas/],
    ["generator of three words", craft(good, (m) => { m.rng = m.rng.slice(0, 3); }), /checkpoint\.rng: expected an array of 4/],
    ["generator word out of range", craft(good, (m) => { m.generators["drop.rng"][1] = 2 ** 32; }), /checkpoint\.generators\.drop\.rng\[1\]: expected an integer in \[0, 4294967295\], got 4294967296/],
    ["generator all zeros", craft(good, (m) => { m.generators["drop.rng"] = [0, 0, 0, 0]; }), /not all zeros/],
    ["generator missing", craft(good, (m) => { m.generators = {}; }), /missing drop\.rng/],
    ["step fractional", craft(good, (m) => { m.trainer.step = 4.5; }), /checkpoint\.trainer\.step: expected an integer/],
    ["permutation repeats an index", craft(good, (m) => { m.trainer.permutation[1] = m.trainer.permutation[0]; }), /checkpoint\.trainer\.permutation\[1\]: expected each of 0\.\.95 once/],
    ["permutation too short", craft(good, (m) => { m.trainer.permutation.pop(); }), /expected each of 0\.\.94 once|96 indices/],
    ["batch past the epoch", craft(good, (m) => { m.trainer.batchInEpoch = 9; }), /checkpoint\.trainer\.batchInEpoch: expected an integer ≤ 6/],
    ["history longer than the epochs", craft(good, (m) => { m.trainer.loop.history.push({ epoch: 1, loss: 1, lr: 0.1, steps: 1, seconds: 0 }); }), /checkpoint\.trainer\.loop\.history: expected \d+ records \(one per completed epoch\), got \d+ records/],
    ["best loss as null", craft(good, (m) => { m.trainer.loop.bestValLoss = null; }), /checkpoint\.trainer\.loop\.bestValLoss: expected a number, got null/],
    ["early-stopping counter negative", craft(good, (m) => { m.trainer.loop.badEpochs = -1; }), /checkpoint\.trainer\.loop\.badEpochs/],
    ["settings batch size zero", craft(good, (m) => { m.trainer.settings.batchSize = 0; }), /checkpoint\.trainer\.settings\.batchSize/],
    ["config not an object", craft(good, (m) => { m.config = [1]; }), /checkpoint\.config: expected an object/],
    ["optimizer of another kind", craft(good, (m) => { m.optimizer.optimizer = "SGD"; }), /does not fit this model and optimizer: expected Adam, got SGD/],
    ["a buffer name dropped", craft(good, (m, t) => { m.optimizer.state[0].buffers = ["expAvg"]; t.delete("optim.0.expAvgSq"); }), /expected \["expAvg","expAvgSq"\]/],
    ["a buffer of the wrong length", craft(good, (_m, t) => { const b = t.get("optim.1.expAvg")!; t.set("optim.1.expAvg", { shape: [3], data: b.data.slice(0, 3) }); }), /optim\.1\.expAvg has 3 values, expected 144/],
    ["state step beyond stepCount", craft(good, (m) => { m.optimizer.state[0].step = m.optimizer.stepCount + 1; }), /step must be an integer in \[1, stepCount/],
    ["a weight that is NaN", craft(good, (_m, t) => { t.get("model.head.weight")!.data[3] = NaN; }), /model: tensor model\.head\.weight \(element 3\) is NaN, expected a finite number/],
    ["a buffer that is Infinity", craft(good, (_m, t) => { t.get("optim.2.expAvgSq")!.data[0] = Infinity; }), /optim\.2\.expAvgSq \(element 0\) is Infinity/],
    ["a stray tensor", craft(good, (_m, t) => { t.set("junk", { shape: [1], data: Float32Array.of(1) }); }), /got also junk/],
    ["a model tensor reshaped", craft(good, (_m, t) => { const w = t.get("model.head.weight")!; t.set("model.head.weight", { shape: [6, 2], data: w.data }); }), /head\.weight has shape \[6, 2\], expected \[2, 6\]/],
    ["the old format", craft(good, () => {}, "checkpoint/1"), /not an rnnkit checkpoint of format checkpoint\/2 \(format checkpoint\/1\)/],
    ["metadata not JSON", (() => { const { tensors } = decodeSafetensors(good, "c"); return encodeSafetensors(tensors, { "rnnkit.format": "checkpoint/2", "rnnkit.checkpoint": "{\"trainer\":" }); })(), /is not JSON/],
  ];
  for (const [what, bytes, pattern] of cases) {
    const target = scrambled(2);
    const before = snapshot(target);
    const path = join(dir, `${what.replaceAll(" ", "-")}.ckpt`);
    writeFileSync(path, bytes);
    assert.throws(() => loadCheckpoint(path, target.model, target.optimizer, target.rng),
      (e: unknown) => e instanceof CheckpointError && e.message.includes(path) && pattern.test(e.message), what);
    assert.throws(() => fit(target.model, target.train, { ...target.options, resumeFrom: bytes }),
      (e: unknown) => e instanceof CheckpointError && /resumeFrom/.test(e.message), what);
    assert.deepEqual(snapshot(target), before, `${what}: nothing changed`);
  }
  // The untouched checkpoint still loads.
  const ok = scrambled(2);
  loadCheckpoint((writeFileSync(join(dir, "good.ckpt"), good), join(dir, "good.ckpt")), ok.model, ok.optimizer, ok.rng);
});

test("finding 2: flipped bits in the metadata are refused (CheckpointError, nothing changed) or load into a run that trains without a TypeError", (t) => {
  const good = reference(3, 4).checkpoints[2];
  const headerEnd = 8 + Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
  let refused = 0, ran = 0;
  fc.assert(
    fc.property(fc.integer({ min: 8, max: headerEnd - 1 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
      const bytes = Uint8Array.from(good);
      bytes[at] ^= 1 << bit;
      const r = scrambled(3);
      const before = snapshot(r);
      try {
        fit(r.model, r.train, { ...r.options, epochs: 2, resumeFrom: bytes });
        ran++;
      } catch (e) {
        if (e instanceof NonFiniteError) return void ran++; // e.g. a learning rate made huge: the guard stops it
        assert.ok(e instanceof CheckpointError, `byte ${at} bit ${bit}: ${(e as Error).stack}`);
        assert.deepEqual(snapshot(r), before);
        refused++;
      }
    }),
    { seed: 20240611, numRuns: 150 },
  );
  assert.ok(refused > 100, `${refused} refused, ${ran} ran`);
  t.diagnostic(`flipped bits: ${refused} refused, ${ran} ran`);
});

/** A model whose `rnn.weight_hh_l0` alone enters the loss, each element scaled by `scale`. */
function scaledLossRun(scale: Float32Array, makeOptimizer: (m: Module) => Optimizer) {
  class Net extends Module {
    readonly rnn = this.registerModule("rnn", new LSTM({ inputSize: 1, hiddenSize: 4, rng: new Rng(0) }));
  }
  const model = new Net();
  const w = model.rnn.namedParameters().find(([n]) => n === "weight_hh_l0")![1];
  const data: Dataset<null> = { length: 4, batch: () => null };
  const written: Uint8Array[] = [];
  const run = () => fit(model, data, {
    forward: () => ({ loss: sum(mul(w, new Tensor(scale, w.shape))) }), optimizer: makeOptimizer(model), rng: new Rng(1),
    epochs: 3, batchSize: 1, checkpoint: { write: (b) => written.push(b), everySteps: 1 },
  });
  return { run, written, w };
}

test("finding 5: Inf in Adam's expAvgSq from finite gradients stops training at that step, named, and is never checkpointed", () => {
  const scale = new Float32Array(64).fill(1e-3);
  scale[37] = 1e21; // the gradient is finite; its square overflows float32 in expAvgSq
  const { run, written, w } = scaledLossRun(scale, (m) => new Adam(m.parameters(), { lr: 0.01 }));
  assert.throws(run, (e: unknown) => e instanceof NonFiniteError && e.step === 1 &&
    /step 1: Adam's expAvgSq of rnn\.weight_hh_l0 \(element 37\) is Infinity; nothing was saved/.test(e.message));
  assert.equal(written.length, 0);
  assert.ok(w.data.every(Number.isFinite));
});

test("finding 5: an update that makes a weight infinite is named at that step, without any checkpoint configured", () => {
  const scale = new Float32Array(64).fill(1e-3);
  scale[37] = 1e10;
  const { run } = scaledLossRun(scale, (m) => new SGD(m.parameters(), { lr: 1e30 }));
  assert.throws(run, (e: unknown) => e instanceof NonFiniteError && e.step === 1 && /step 1: parameter rnn\.weight_hh_l0 \(element 37\) is -Infinity/.test(e.message));
});

test("finding 5: a weight made infinite outside the optimizer is named behind the NaN loss; non-finite optimizer state is never saved", () => {
  const r = dropoutRun(6);
  assert.throws(() => fit(r.model, r.train, { ...r.options, callbacks: { onStep: ({ step }) => { if (step === 3) r.model.head.weight.data[3] = Infinity; } } }),
    (e: unknown) => e instanceof NonFiniteError && e.step === 4 && /step 4: the loss is NaN because parameter head\.weight \(element 3\) is Infinity/.test(e.message));
  const s = dropoutRun(6);
  fit(s.model, s.train, { ...s.options, epochs: 1 });
  (s.optimizer.stateOf(2)!.buffers.expAvg as Float32Array)[5] = NaN;
  const path = join(tmp(), "never.ckpt");
  assert.throws(() => saveCheckpoint(path, s.model, s.optimizer, s.rng, { step: 6, epoch: 1, batchInEpoch: 0, permutation: null, extra: {} }),
    /Adam's expAvg of lstm\.bias_ih_l0 \(element 5\) is NaN/);
  assert.equal(existsSync(path), false);
  assert.throws(() => encodeCheckpoint(s.model, s.optimizer, s.rng, { step: 6, epoch: 1, batchInEpoch: 0, permutation: null, extra: {} }), NonFiniteError);
});

test("resuming with settings that change the run is refused with each difference named, unless allowed; more epochs are fine", () => {
  const seed = 1;
  const ref = reference(seed, 5);
  const bytes = ref.checkpoints[2]; // mid-epoch
  const refused = (change: (r: Run) => Partial<Run["options"]> & { train?: Dataset<never> }, pattern: RegExp) => {
    const r = scrambled(seed);
    const before = snapshot(r);
    const { train, ...opts } = change(r);
    assert.throws(() => fit(r.model, train ?? r.train, { ...r.options, ...opts, resumeFrom: bytes }),
      (e: unknown) => e instanceof CheckpointError && pattern.test(e.message) && /allowSettingChanges/.test(e.message));
    assert.deepEqual(snapshot(r), before);
  };
  refused(() => ({ batchSize: 32 }), /resumeFrom: this run's settings differ from the checkpoint's: batchSize 16 → 32/);
  refused(() => ({ train: signTask(new Rng(9), 80) as never }), /trainLength 96 → 80/);
  refused((r) => ({ train: { ...r.train, length: 96, batch: r.train.batch, checksum: "sha256:other" } as never }), /trainChecksum null → "sha256:other"/);
  refused(() => ({ validation: signTask(new Rng(5), 16) }), /validationLength 32 → 16/);
  refused(() => ({ shuffle: false }), /shuffle true → false/);
  refused(() => ({ clipNorm: 1 }), /clipNorm 5 → 1/);
  refused(() => ({ earlyStopping: { patience: 3, minDelta: 0.01 } }), /earlyStopping \{"patience":2,"minDelta":0.01\} → \{"patience":3,"minDelta":0.01\}/);
  refused(() => ({ schedule: stepDecay(0.1, { stepSize: 12, gamma: 0.7 }) }), /schedule \(its rate at this step\) 0\.05 → 0\.1/);
  refused(() => ({ schedule: undefined }), /schedule \(its rate at this step\) 0\.05 → null/);

  // More epochs: the same run (it stops early anyway).
  const more = scrambled(seed);
  const out = fit(more.model, more.train, { ...more.options, epochs: 40, resumeFrom: bytes });
  assert.deepEqual(historyOf(out), historyOf(ref.result));
  // Allowed: a different run, but it runs to the end.
  const allowed = scrambled(seed);
  const res = fit(allowed.model, allowed.train, { ...allowed.options, batchSize: 32, allowSettingChanges: true, resumeFrom: bytes });
  assert.ok(res.history.length >= 1 && res.steps > 10);
  const shorter = scrambled(seed);
  const res2 = fit(shorter.model, signTask(new Rng(9), 80), { ...shorter.options, allowSettingChanges: true, resumeFrom: bytes });
  assert.ok(res2.history.length >= 1);
});

test("a run killed (SIGKILL) at seeded random moments, during checkpoint writes too, resumes to the uninterrupted result bit for bit", async (t) => {
  const register = join(import.meta.dirname, "..", "src", "node", "register.js");
  const child = join(import.meta.dirname, "support", "trainstate-child.js");
  const everySteps = 3;
  let kills = 0;
  for (const [seed, planSeed] of [[1, 101], [4, 202]] as const) {
    const ref = reference(seed, everySteps);
    const T = ref.result.steps;
    const plan = new Rng(planSeed);
    const between = (lo: number, hi: number) => lo + plan.int(hi - lo);
    const kill = [
      { step: between(1, Math.floor(T / 3)) },
      { write: 1 + plan.int(2), phase: "half" },
      { step: between(Math.floor(T / 3), Math.floor((2 * T) / 3)) },
      { write: 1 + plan.int(2), phase: "rename" },
      { step: between(Math.floor((2 * T) / 3), T) },
    ];
    const dir = tmp();
    const path = join(dir, "run.ckpt");
    for (const k of kill) {
      const res = spawnSync(process.execPath, ["--import", register, child, path, String(seed), String(everySteps), JSON.stringify(k)], { encoding: "utf8" });
      assert.equal(res.signal, "SIGKILL", `seed ${seed}, kill ${JSON.stringify(k)}: ${res.stderr}`);
      kills++;
    }
    const r = scrambled(seed);
    // The resumed run writes its checkpoints to the same file: its first save removes what killed writers left.
    const out = fit(r.model, r.train, { ...r.options, checkpoint: checkpointFile(path, { everySteps }), resumeFrom: readCheckpointFile(path) });
    assert.deepEqual(historyOf(out), historyOf(ref.result), `seed ${seed}: history`);
    assert.equal(out.steps, T);
    assert.equal(out.stoppedEarly, ref.result.stoppedEarly);
    assert.deepEqual(snapshot(r), ref.snap, `seed ${seed}: parameters, optimizer state and generators`);
    await t.test(`seed ${seed}: no stale temporary files remain in the checkpoint directory`, () => {
      assert.deepEqual(readdirSync(dir), ["run.ckpt"]);
    });
  }
  assert.equal(kills, 10);
});

test("a hand-made trainer state (no loop or settings) still saves and loads", () => {
  const r = dropoutRun(12);
  const path = join(tmp(), "hand.ckpt");
  saveCheckpoint(path, r.model, r.optimizer, r.rng, { step: 0, epoch: 0, batchInEpoch: 0, permutation: null, extra: { note: "x", best: -Infinity } });
  const target = scrambled(12);
  const back = loadCheckpoint(path, target.model, target.optimizer, target.rng);
  assert.deepEqual(back.trainer.extra, { note: "x", best: -Infinity });
  assert.deepEqual(back.generators, { "drop.rng": new Rng(77).getState() });
  assert.deepEqual(snapshot(target).params, snapshot(r).params);
});
