import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  fit, Rng, Tensor, Adam, SGD, stepDecay, NonFiniteError, CheckpointError, LSTM, mseLoss, slice, reshape, Linear,
  type ProgressEvent, type RecurrentState,
} from "../src/index.js";
import { checkpointFile, loadCheckpoint, readCheckpointFile, saveCheckpoint } from "../src/node/files.js";
import { Progress, terminalProgress } from "../src/node/progress.js";
import { checkFiniteGradients } from "../src/train/guard.js";
import { truncatedBptt, detachState } from "../src/train/tbptt.js";
import { signRun } from "./support/sign-task.js";

const tmp = () => mkdtempSync(join(tmpdir(), "rnnkit-train-"));
const paramsOf = (m: { parameters(): Tensor[] }) => m.parameters().map((p) => Array.from(p.data));
const quiet = {};

test("fit learns the sign task, records history with validation loss and accuracy", () => {
  const r = signRun(1);
  const res = fit(r.model, r.train, { ...quiet, forward: r.forward, optimizer: r.optimizer, rng: r.rng, epochs: 12, batchSize: 16, validation: r.validation });
  assert.equal(res.history.length, 12);
  assert.equal(res.steps, 12 * 6);
  const first = res.history[0], last = res.history.at(-1)!;
  assert.ok(last.loss < first.loss * 0.5, `loss ${first.loss} → ${last.loss}`);
  assert.ok(last.valAccuracy! >= 0.9, `validation accuracy ${last.valAccuracy}`);
  assert.ok(last.valLoss! < first.valLoss!);
});

test("the same seed gives the same parameters; another seed does not", () => {
  const run = (seed: number) => {
    const r = signRun(seed);
    fit(r.model, r.train, { ...quiet, forward: r.forward, optimizer: r.optimizer, rng: r.rng, epochs: 2, batchSize: 16 });
    return paramsOf(r.model);
  };
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
});

test("schedule sets the learning rate per step; clipNorm reports the norm before clipping", () => {
  const r = signRun(2);
  const seen: Array<{ lr: number; gradNorm?: number }> = [];
  fit(r.model, r.train, {
    ...quiet, forward: r.forward, optimizer: r.optimizer, rng: r.rng, epochs: 2, batchSize: 16, clipNorm: 1e-3,
    schedule: stepDecay(0.1, { stepSize: 4, gamma: 0.5 }), callbacks: { onStep: (i) => seen.push(i) },
  });
  assert.deepEqual(seen.slice(0, 9).map((s) => s.lr), [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025]);
  assert.ok(seen.every((s) => s.gradNorm! > 1e-3));
});

test("early stopping ends training when validation loss stops improving", () => {
  const r = signRun(5);
  r.optimizer.lr = 0; // nothing changes, so validation never improves after the first epoch
  const res = fit(r.model, r.train, { ...quiet, forward: r.forward, optimizer: r.optimizer, rng: r.rng, epochs: 10, batchSize: 32, validation: r.validation, earlyStopping: { patience: 2 } });
  assert.equal(res.history.length, 3);
  assert.ok(res.stoppedEarly);
});

test("a NaN stops training with the step named, and the last good checkpoint is left as it was", () => {
  const r = signRun(6);
  const path = join(tmp(), "ckpt.safetensors");
  const weight = r.model.head.weight;
  let good: Buffer | null = null;
  assert.throws(
    () => fit(r.model, r.train, {
      ...quiet, forward: r.forward, optimizer: r.optimizer, rng: r.rng, epochs: 3, batchSize: 16,
      checkpoint: checkpointFile(path, { everySteps: 2 }),
      callbacks: { onStep: ({ step }) => { if (step === 3) { good = readFileSync(path); weight.data[3] = NaN; } } },
    }),
    (e: unknown) => e instanceof NonFiniteError && e.step === 4 && /step 4: the loss is NaN/.test(e.message),
  );
  assert.ok(good !== null);
  assert.deepEqual(readFileSync(path), good);
});

test("a non-finite parameter is never written to a checkpoint; a non-finite gradient is named", () => {
  const r = signRun(7);
  const path = join(tmp(), "ckpt.safetensors");
  assert.throws(
    () => fit(r.model, r.train, {
      ...quiet, forward: r.forward, optimizer: r.optimizer, rng: r.rng, epochs: 1, batchSize: 16, checkpoint: checkpointFile(path, { everySteps: 2 }),
      callbacks: { onStep: ({ step }) => { if (step === 2) r.model.head.bias!.data[1] = Infinity; } },
    }),
    (e: unknown) => e instanceof NonFiniteError && e.step === 2 && /head\.bias/.test(e.message),
  );
  assert.equal(existsSync(path), false);
  const p = new Tensor(Float32Array.from([1, 2]), [2], { requiresGrad: true });
  p.grad = Float32Array.from([0, -Infinity]);
  assert.throws(() => checkFiniteGradients(9, [["encoder.weight_hh_l0", p]]), /step 9: the gradient of encoder\.weight_hh_l0 \(element 1\) is -Infinity/);
});

test("a run killed (SIGKILL) mid-training and resumed from its checkpoint ends with exactly the same parameters", () => {
  const epochs = 3, batchSize = 16, everySteps = 4;
  const ref = signRun(11);
  const refResult = fit(ref.model, ref.train, { ...quiet, forward: ref.forward, optimizer: ref.optimizer, rng: ref.rng, epochs, batchSize, validation: ref.validation });

  const path = join(tmp(), "run.ckpt");
  const support = pathToFileURL(join(import.meta.dirname, "support", "sign-task.js")).href;
  const index = pathToFileURL(join(import.meta.dirname, "..", "src", "index.js")).href;
  const nodeLayer = pathToFileURL(join(import.meta.dirname, "..", "src", "node", "index.js")).href;
  const child = `
    import { fit } from ${JSON.stringify(index)};
    import { checkpointFile } from ${JSON.stringify(nodeLayer)};
    import { signRun } from ${JSON.stringify(support)};
    const r = signRun(11);
    fit(r.model, r.train, { forward: r.forward, optimizer: r.optimizer, rng: r.rng, epochs: ${epochs}, batchSize: ${batchSize},
      validation: r.validation, checkpoint: checkpointFile(${JSON.stringify(path)}, { everySteps: ${everySteps} }),
      callbacks: { onStep: ({ step }) => { if (step === 10) process.kill(process.pid, "SIGKILL"); } } });
  `;
  const res = spawnSync(process.execPath, ["--input-type=module", "-e", child], { encoding: "utf8" });
  assert.equal(res.signal, "SIGKILL", res.stderr);

  const resumed = signRun(11); // the same data; weights, optimizer and generator are scrambled and must come from the checkpoint
  for (const p of resumed.model.parameters()) p.data.fill(0.5);
  resumed.rng.next();
  const out = fit(resumed.model, resumed.train, { ...quiet, forward: resumed.forward, optimizer: resumed.optimizer, rng: resumed.rng, epochs, batchSize, validation: resumed.validation, resumeFrom: readCheckpointFile(path) });
  assert.equal(out.steps, refResult.steps);
  assert.deepEqual(paramsOf(resumed.model), paramsOf(ref.model));
  assert.deepEqual(out.history.map((h) => [h.loss, h.valLoss, h.accuracy]), refResult.history.map((h) => [h.loss, h.valLoss, h.accuracy]));
});

test("a truncated, corrupted or mismatched checkpoint is refused and changes nothing", () => {
  const r = signRun(12);
  const path = join(tmp(), "c.ckpt");
  saveCheckpoint(path, r.model, r.optimizer, r.rng, { step: 0, epoch: 0, batchInEpoch: 0, permutation: null, extra: {} });
  const bytes = readFileSync(path);
  const target = signRun(13);
  const before = paramsOf(target.model);
  const rngBefore = target.rng.getState();
  const attempt = (data: Uint8Array, model = target.model, optimizer = target.optimizer) => {
    writeFileSync(path, data);
    return () => loadCheckpoint(path, model, optimizer, target.rng);
  };
  assert.throws(attempt(bytes.subarray(0, bytes.length - 7)), (e: unknown) => e instanceof CheckpointError && /truncated|trailing|ends at/.test((e as Error).message));
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length - 5] ^= 1;
  assert.throws(attempt(flipped), /checksum mismatch/);
  const other = new LSTM({ inputSize: 1, hiddenSize: 7, rng: new Rng(0) });
  assert.throws(attempt(bytes, other as never, new Adam(other.parameters(), { lr: 0.1 })), /does not fit|missing|unexpected/);
  assert.throws(attempt(bytes, target.model, new SGD(target.model.parameters(), { lr: 0.1 }) as never), /does not fit/);
  assert.deepEqual(paramsOf(target.model), before);
  assert.deepEqual(target.rng.getState(), rngBefore);
});

test("truncated BPTT carries the detached state between windows and resets it each epoch", () => {
  const rng = new Rng(4);
  const B = 4, L = 12, k = 3;
  const stream = Tensor.zeros([L, B, 1]);
  for (let i = 0; i < stream.size; i++) stream.data[i] = rng.normal();
  const lstm = new LSTM({ inputSize: 1, hiddenSize: 3, rng });
  const head = new Linear({ inFeatures: 3, outFeatures: 1, rng });
  const params = [...lstm.parameters(), ...head.parameters()];
  const model = { namedParameters: () => [...lstm.namedParameters(), ...head.namedParameters()] } as never;
  const seenStates: Array<boolean> = [];
  const res = truncatedBptt(model, {
    length: L, windowSize: k, epochs: 2, optimizer: new SGD(params, { lr: 0.01 }),
    forward: (start, size, state: RecurrentState | null) => {
      seenStates.push(state !== null && state.h.node === null && !state.h.requiresGrad);
      const x = slice(stream, 0, start, start + size);
      const out = lstm.forward(x, state ?? undefined);
      const pred = head.forward(reshape(out.output, [size * B, 3]));
      return { loss: mseLoss(pred, reshape(x, [size * B, 1])), state: out.state };
    },
  });
  assert.equal(res.losses.length, 8);
  assert.deepEqual(seenStates, [false, true, true, true, false, true, true, true]);
  const t = new Tensor(Float32Array.from([1]), [1], { requiresGrad: true });
  const d = detachState({ h: t, list: [t] });
  assert.equal(d.h.requiresGrad, false);
  assert.equal(d.list[0].data, t.data);
});

test("progress prints plain lines, JSON lines, or nothing", () => {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    const p = new Progress("lines", 4, "train", 0);
    p.update(1, { loss: 0.5 });
    p.update(4, { loss: 0.25 });
    const j = new Progress("json", 2, "fit");
    j.update(2, { loss: 1 });
    new Progress("none", 2, "x").update(2, { loss: 1 });
  } finally {
    console.log = orig;
  }
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^train 1\/4 loss 0\.5000 \| .*\/s \| ETA/);
  assert.equal(JSON.parse(lines[2]).loss, 1);
});

test("fit reports progress as events: start, one step per update, a message per epoch, end", () => {
  const r = signRun(3);
  const events: ProgressEvent[] = [];
  fit(r.model, r.train, { forward: r.forward, optimizer: r.optimizer, rng: r.rng, epochs: 2, batchSize: 32, progress: (e) => events.push(e) });
  const steps = events.filter((e) => e.type === "step");
  assert.deepEqual(events[0], { type: "start", label: "train", total: 2 * Math.ceil(r.train.length / 32) });
  assert.equal(steps.length, events[0].type === "start" ? events[0].total : -1);
  assert.deepEqual(steps.map((e) => e.type === "step" && e.done), steps.map((_, i) => i + 1));
  assert.equal(events.filter((e) => e.type === "message").length, 2);
  assert.deepEqual(events.at(-1), { type: "end", label: "train" });
});

test("terminalProgress prints a run's events as lines", () => {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    const p = terminalProgress("lines", 0);
    p({ type: "start", label: "train", total: 2 });
    p({ type: "step", label: "train", done: 1, total: 2, fields: { loss: 0.5 } });
    p({ type: "message", label: "train", message: "epoch 1/1" });
    p({ type: "end", label: "train" });
  } finally {
    console.log = orig;
  }
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^train 1\/2 loss 0\.5000 \| /);
  assert.equal(lines[1], "epoch 1/1");
});
