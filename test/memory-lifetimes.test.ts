// Buffer lifetimes with the WebAssembly kernels: long loops — training steps with a
// validation loss computed with gradients enabled, streaming steps, evaluation forwards
// that record a graph and never run its backward, models made and disposed — keep the
// wasm arena's live bytes flat, whether or not the garbage collector ever runs (every
// graph, loss and model is kept reachable until the end, so the collector cannot free
// anything that the figures depend on). And the failure the design review measured — a
// wasm memory filled by dropped models, then "no room in wasm memory" — is shown on a
// small memory, and gone with `dispose()`. Each test runs on a fresh backend instance, so
// its figures start from an empty arena.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { useKernels, type KernelMemory } from "../src/backend/kernels.js";
import { loadWasmKernels, type WasmKernels, type LoadWasmOptions } from "../src/backend/wasm/index.js";
import { poolFor } from "../src/backend/pool.js";
import { noGrad } from "../src/autograd/tape.js";
import { mseLoss } from "../src/ops/loss.js";
import { Adam } from "../src/optim/adam.js";
import { LSTM } from "../src/nn/recurrent.js";
import { SequenceToSequence } from "../src/nn/topologies.js";
import { StepRunner } from "../src/nn/streaming.js";
import { Rng } from "../src/tensor/random.js";
import { Tensor } from "../src/tensor/tensor.js";

const MiB = 1024 ** 2;

/** A fresh shared-memory wasm backend, made active for `fn`, with its memory. */
function withWasm(fn: (K: WasmKernels, memory: KernelMemory) => void, options: LoadWasmOptions = {}): void {
  const K = loadWasmKernels(options);
  assert.ok(K !== null && K.memory !== undefined, "the shared-memory wasm build did not load: run `npm run build`");
  useKernels(K);
  try {
    fn(K, K.memory);
  } finally {
    useKernels(null);
  }
}

function randomTensor(rng: Rng, shape: number[]): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-1, 1);
  return t;
}

/** A small LSTM sequence model: x [T, B, I] → y [T, B, 1]. */
const SIZES = { T: 12, B: 4, I: 6, H: 24 };

function smallModel(seed: number): SequenceToSequence {
  return new SequenceToSequence({ cell: "lstm", inputSize: SIZES.I, hiddenSize: SIZES.H, outputSize: 1, rng: new Rng(seed) });
}

function batch(rng: Rng): { x: Tensor; y: Tensor } {
  const { T, B, I } = SIZES;
  return { x: randomTensor(rng, [T, B, I]), y: randomTensor(rng, [T, B, 1]) };
}

function report(t: TestContext, what: string, first: number, last: number): void {
  t.diagnostic(`${what}: live wasm bytes after the first iterations ${first}, after the loop ${last}`);
}

test("training: thousands of steps (forward, backward, Adam), with a validation loss under grad every few steps, keep wasm memory flat", (t) => {
  withWasm((K, memory) => {
    const rng = new Rng(1);
    const model = smallModel(2);
    const opt = new Adam(model, { lr: 1e-3 });
    const val = batch(rng);
    const validationLosses: Tensor[] = []; // their graphs stay reachable, never backpropagated
    const steps = 3000;
    let first = 0;
    for (let step = 0; step < steps; step++) {
      const { x, y } = batch(rng);
      const loss = mseLoss(model.forward(x), y);
      loss.backward();
      opt.step();
      opt.zeroGrad();
      assert.ok(poolFor(K).keptLeases <= poolFor(K).maxKeptLeases);
      if (step % 5 === 0) validationLosses.push(mseLoss(model.forward(val.x), val.y)); // grad on, no backward
      if (step === 20) first = memory.liveBytes;
    }
    const last = memory.liveBytes;
    report(t, `${steps} training steps, ${validationLosses.length} validation losses`, first, last);
    assert.equal(last, first);
    assert.ok(Number.isFinite(validationLosses.at(-1)!.item()));
  });
});

test("streaming: thousands of StepRunner steps (one row: the step path; eight rows: the sequence path) keep wasm memory flat", (t) => {
  withWasm((_K, memory) => {
    const rng = new Rng(3);
    const runner = new StepRunner(smallModel(4));
    for (const [B, steps] of [[1, 5000], [8, 2000]]) {
      let state = runner.initialState(B);
      let first = 0;
      for (let s = 0; s < steps; s++) {
        const r = runner.step(randomTensor(rng, [B, SIZES.I]), state);
        state = r.state;
        if (s === 10) first = memory.liveBytes;
      }
      const last = memory.liveBytes;
      report(t, `${steps} streaming steps, B = ${B}`, first, last);
      assert.equal(last, first);
    }
  });
});

test("evaluation: thousands of forwards with gradients enabled and no backward keep wasm memory flat (and under noGrad)", (t) => {
  withWasm((K, memory) => {
    const rng = new Rng(5);
    const model = smallModel(6);
    const pool = poolFor(K);
    const losses: Tensor[] = []; // every graph stays reachable: the collector cannot help
    const forwards = 3000;
    let first = 0;
    for (let i = 0; i < forwards; i++) {
      const { x, y } = batch(rng);
      const loss = mseLoss(model.forward(x), y);
      assert.ok(loss.requiresGrad, "a graph was recorded");
      losses.push(loss);
      if (i === 20) first = memory.liveBytes;
    }
    const last = memory.liveBytes;
    report(t, `${forwards} forwards with grad, no backward`, first, last);
    assert.equal(last, first);
    assert.equal(pool.keptLeases, pool.maxKeptLeases, "the newest graphs keep their workspaces in wasm memory, no more");

    // The oldest graph can still be backpropagated, from its workspace on the heap, with
    // the gradients a fresh forward gives.
    losses[0].backward();
    const fromHeap = model.parameters().map((p) => Float32Array.from(p.grad!));
    model.zeroGrad();
    const again = batch(new Rng(5));
    mseLoss(model.forward(again.x), again.y).backward();
    model.parameters().forEach((p, i) => assert.deepEqual(p.grad, fromHeap[i], `${p.name}: the same gradient`));

    const before = memory.liveBytes;
    noGrad(() => {
      for (let i = 0; i < forwards; i++) {
        const { x, y } = batch(rng);
        mseLoss(model.forward(x), y).item();
      }
    });
    report(t, `${forwards} forwards under noGrad`, before, memory.liveBytes);
    assert.equal(memory.liveBytes, before);
  });
});

test("models: thousands made, trained a step and disposed keep wasm memory flat; disposing returns every parameter byte", (t) => {
  withWasm((_K, memory) => {
    const rng = new Rng(7);
    const disposed: SequenceToSequence[] = []; // kept reachable: only dispose() can give their memory back
    const models = 2000;
    let first = 0;
    for (let i = 0; i < models; i++) {
      const model = smallModel(100 + i);
      const opt = new Adam(model);
      const { x, y } = batch(rng);
      mseLoss(model.forward(x), y).backward();
      opt.step();
      const withModel = memory.liveBytes;
      model.dispose();
      assert.ok(memory.liveBytes < withModel, "dispose() gave memory back");
      disposed.push(model);
      if (i === 10) first = memory.liveBytes;
    }
    const last = memory.liveBytes;
    report(t, `${models} models made, trained one step and disposed`, first, last);
    assert.equal(last, first);

    // Exactly the parameters: a model made and disposed without running leaves the figure where it was.
    const before = memory.liveBytes;
    const lstm = new LSTM({ inputSize: 16, hiddenSize: 64, numLayers: 2, rng: new Rng(8) });
    const resident = lstm.parameters().reduce((n, p) => n + p.data.byteLength, 0);
    assert.ok(memory.liveBytes - before >= resident, "the parameters are in wasm memory");
    lstm.dispose();
    assert.equal(memory.liveBytes, before);
  });
});

test("dispose(): the disposed module, its parameters and an optimizer over them throw clear errors, nothing is read from freed memory", () => {
  withWasm(() => {
    const rng = new Rng(9);
    const model = smallModel(10);
    const opt = new Adam(model);
    const { x, y } = batch(rng);
    const pending = mseLoss(model.forward(x), y); // recorded before the dispose
    const weight = model.parameters()[0];
    model.dispose();
    model.dispose(); // again: nothing
    assert.equal(model.disposed, true);
    assert.throws(() => model.parameters(), /SequenceToSequence\.namedParameters: the module was disposed/);
    assert.throws(() => model.stateDict(), /disposed/);
    assert.throws(() => model.forward(x), /weight_ih_l0' was freed by LSTM\.dispose\(\)/);
    assert.throws(() => weight.data, /freed by LSTM\.dispose\(\)/);
    weight.grad = new Float32Array(weight.shape.reduce((a, b) => a * b, 1));
    assert.throws(() => opt.step(), /freed by LSTM\.dispose\(\)/);
    assert.throws(() => pending.backward(), /was freed by (Linear|LSTM)\.dispose\(\)/);
  });
});

test("the design review's failure, scaled down: dropped models fill a 48 MiB wasm memory and training fails; with dispose() it trains", (t) => {
  const cap = { maxMemoryBytes: 48 * MiB };
  // LSTM with H = 512 as in the review: about 4.5 MB of parameters each.
  const bigLstm = (seed: number) => new LSTM({ inputSize: 32, hiddenSize: 512, rng: new Rng(seed) });
  const trainOnce = (lstm: LSTM): number => {
    const rng = new Rng(11);
    const x = randomTensor(rng, [8, 4, 32]);
    const loss = mseLoss(lstm.forward(x).output, Tensor.zeros([8, 4, 512]));
    loss.backward();
    new Adam(lstm).step();
    return loss.item();
  };

  // Without dispose: models that are merely dropped hold their memory until the collector
  // runs, which it need not (the JS heap is small). Here they are kept reachable, so it
  // cannot: the memory fills and a fresh model cannot train.
  withWasm((_K, memory) => {
    const dropped: LSTM[] = [];
    const resident = (m: LSTM) => m.weights.every((w) => memory.holds(w.data));
    while (dropped.length < 20 && (dropped.length === 0 || resident(dropped.at(-1)!))) {
      dropped.push(bigLstm(dropped.length));
    }
    assert.ok(dropped.length < 20, "the capped memory filled up");
    assert.throws(() => trainOnce(bigLstm(99)), /no room in wasm memory/);
    t.diagnostic(`without dispose: the memory was full (${memory.liveBytes} live bytes) at model ${dropped.length}, then training failed`);
  }, cap);

  // With dispose: many times the memory's size made and disposed, then a fresh model trains.
  withWasm((_K, memory) => {
    for (let i = 0; i < 40; i++) {
      const lstm = bigLstm(i);
      assert.ok(lstm.weights.every((w) => memory.holds(w.data)), `model ${i}: its parameters are in wasm memory`);
      lstm.dispose();
    }
    const fresh = bigLstm(99);
    assert.ok(fresh.weights.every((w) => memory.holds(w.data)));
    assert.ok(Number.isFinite(trainOnce(fresh)));
    t.diagnostic(`with dispose: 40 models made and disposed, then a fresh one trained (${memory.liveBytes} live bytes)`);
    fresh.dispose();
  }, cap);
});
