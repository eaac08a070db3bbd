/**
 * `fit` and `truncatedBptt` refuse bad options before they run a step, each with an error naming the option, the
 * value and what is allowed: the cases an attacker's run found accepted silently (a dataset of
 * length NaN ran 0 steps; earlyStopping.patience NaN or −1; progress "verbose") or failing
 * cryptically (a forward returning a number), and their neighbours.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fit, truncatedBptt, Adam, LSTM, Rng, type FitOptions } from "../src/index.js";
import { signRun, type SignBatch } from "./support/sign-task.js";

/** A fresh sign-task run and options that train; `edit` spoils them. */
function refused(edit: (o: Record<string, unknown>, train: Record<string, unknown>) => void, message: RegExp): void {
  const r = signRun(1);
  const train = { length: r.train.length, batch: (idx: readonly number[]) => r.train.batch(idx) } as Record<string, unknown>;
  const options: Record<string, unknown> = { forward: r.forward, optimizer: r.optimizer, rng: r.rng, epochs: 1, batchSize: 16, validation: r.validation };
  edit(options, train);
  const before = r.model.parameters().map((p) => Array.from(p.data));
  assert.throws(() => fit(r.model, train as never, options as unknown as FitOptions<SignBatch>), message);
  assert.deepEqual(r.model.parameters().map((p) => Array.from(p.data)), before, "nothing was trained");
}

const cases: Array<[string, (o: Record<string, unknown>, train: Record<string, unknown>) => void, RegExp]> = [
  ["a training set of length NaN", (_o, t) => { t.length = NaN; }, /fit: the training set\.length must be a positive integer, got NaN/],
  ["an empty training set", (_o, t) => { t.length = 0; }, /fit: the training set\.length must be a positive integer, got 0/],
  ["a dataset without batch()", (_o, t) => { delete t.batch; }, /fit: the training set must have a batch\(indices\) method, got undefined/],
  ["earlyStopping.patience NaN", (o) => { o.earlyStopping = { patience: NaN }; }, /fit: earlyStopping\.patience must be a positive integer, got NaN/],
  ["earlyStopping.patience −1", (o) => { o.earlyStopping = { patience: -1 }; }, /fit: earlyStopping\.patience must be a positive integer, got -1/],
  ["earlyStopping.minDelta −0.1", (o) => { o.earlyStopping = { patience: 2, minDelta: -0.1 }; }, /fit: earlyStopping\.minDelta must be a finite number ≥ 0, got -0\.1/],
  ["earlyStopping without validation", (o) => { o.earlyStopping = { patience: 2 }; delete o.validation; }, /fit: earlyStopping needs a validation set/],
  ["progress \"verbose\"", (o) => { o.progress = "verbose"; }, /fit: progress must be a function, got "verbose" \(a string\)/],
  ["an unknown option", (o) => { o.batch_size = 16; }, /fit: unknown option 'batch_size' \(did you mean batchSize\?\)/],
  ["no optimizer", (o) => { delete o.optimizer; }, /fit: optimizer must be an Optimizer .*got undefined/],
  ["epochs 2.5", (o) => { o.epochs = 2.5; }, /fit: epochs must be a positive integer, got 2\.5/],
  ["batchSize \"16\"", (o) => { o.batchSize = "16"; }, /fit: batchSize must be a positive integer, got "16" \(a string\)/],
  ["clipNorm 0", (o) => { o.clipNorm = 0; }, /fit: clipNorm must be > 0, got 0/],
  ["shuffle \"false\"", (o) => { o.shuffle = "false"; }, /fit: shuffle must be a boolean, got "false" \(a string\)/],
  ["resumeFrom as a path", (o) => { o.resumeFrom = "run.ckpt"; }, /fit: resumeFrom must be the checkpoint's bytes .*readCheckpointFile\(path\)/],
  ["checkpoint with a path instead of write", (o) => { o.checkpoint = { path: "x" }; }, /fit: checkpoint: unknown option 'path'/],
  ["a forward returning a number", (o) => { o.forward = () => 0.5; }, /fit: forward\(batch, true\) must return \{ loss: Tensor, correct\?, count\? \}, got 0\.5/],
  ["a forward whose loss is a number", (o) => { o.forward = () => ({ loss: 0.5 }); }, /its loss is 0\.5/],
];

for (const [name, edit, message] of cases) {
  test(`fit refuses ${name}`, () => refused(edit, message));
}

test("truncatedBptt refuses bad options by name before any window runs", () => {
  const lstm = new LSTM({ inputSize: 1, hiddenSize: 2, rng: new Rng(0) });
  let windows = 0;
  const good = {
    length: 8, windowSize: 4, optimizer: new Adam(lstm.parameters()),
    forward: () => { windows++; throw new Error("not reached"); },
  };
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ windowSize: 0 }, /truncatedBptt: windowSize must be a positive integer, got 0/],
    [{ length: NaN }, /truncatedBptt: length must be a positive integer, got NaN/],
    [{ epochs: "2" }, /truncatedBptt: epochs must be a positive integer, got "2" \(a string\)/],
    [{ num_steps: 5 }, /truncatedBptt: unknown option 'num_steps'/],
    [{ clipNorm: -1 }, /truncatedBptt: clipNorm must be > 0, got -1/],
    [{ progress: "bar" }, /truncatedBptt: progress must be a function, got "bar" \(a string\)/],
    [{ optimizer: null }, /truncatedBptt: optimizer must be an Optimizer, got null/],
  ];
  for (const [edit, message] of bad) assert.throws(() => truncatedBptt(lstm, { ...good, ...edit } as never), message);
  assert.equal(windows, 0);
});
