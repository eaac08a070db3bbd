// Tests of the wasm kernels' helper threads: how a product is split (every slice keeps the
// kernel path of the whole), threaded GEMMs equal to the single-threaded ones bit for bit
// over awkward sizes and every transpose case, a training run that gives the same bits at
// 1 and 3 threads, `setThreads` on backends that cannot use helpers, and the claim that
// lets the caller run jobs no helper has started.
import { test } from "node:test";
import assert from "node:assert/strict";
import { useKernels } from "../src/backend/kernels.js";
import { tsKernels } from "../src/backend/ts/index.js";
import { loadWasmKernels, type WasmKernels } from "../src/backend/wasm/index.js";
import { setThreads, threads } from "../src/backend/select.js";
import { splitGemm } from "../src/backend/wasm/kernels.js";
import { spawnNodeHelpers } from "../src/node/threads.js";
import "../src/node/platform.js";
import { claimJob, SLOT, SLOT_INTS, Team, type GemmArgs } from "../src/backend/wasm/team.js";
import { Adam } from "../src/optim/adam.js";
import { LSTM } from "../src/nn/recurrent.js";
import { Linear } from "../src/nn/linear.js";
import { mseLoss } from "../src/ops/loss.js";
import { Rng } from "../src/tensor/random.js";
import { Tensor } from "../src/tensor/tensor.js";
import { randomF32 } from "./support/random.js";

function sameBits(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}[${i}] = ${got[i]}, expected ${want[i]} bit for bit`);
  }
}

test("splitGemm: whole 8-column panels (else 4-row blocks), slices tile C exactly, none thinner than 2", () => {
  const base: GemmArgs = { m: 0, n: 0, k: 7, alpha: 1, a: 1000, rsA: 9, csA: 1, b: 50000, rsB: 1, csB: 7, beta: 0, c: 90000, ldc: 0 };
  for (const [m, n] of [[3, 200], [150, 150], [1000, 17], [9, 33], [2, 2], [40, 16], [33, 9]]) {
    for (const ways of [1, 2, 3, 4]) {
      const g = { ...base, m, n, ldc: n + 1 };
      const parts = splitGemm(g, ways);
      assert.ok(parts.length === 1 || parts.length === ways);
      if (parts.length === 1) {
        assert.deepEqual(parts[0], g);
        continue;
      }
      const alongN = parts[0].m === m;
      let covered = 0;
      for (const p of parts) {
        assert.ok(p.m >= 2 && p.n >= 2 && p.k === g.k, `${m}×${n}/${ways}: a slice ${p.m}×${p.n}`);
        if (alongN) {
          assert.equal(p.c, g.c + covered * 4);
          assert.equal(p.b, g.b + covered * g.csB * 4);
          assert.equal(covered % 8, 0);
          covered += p.n;
        } else {
          assert.equal(p.c, g.c + covered * g.ldc * 4);
          assert.equal(p.a, g.a + covered * g.rsA * 4);
          assert.equal(covered % 4, 0);
          covered += p.m;
        }
      }
      assert.equal(covered, alongN ? n : m);
    }
  }
});

test("threaded GEMM equals the single-threaded one bit for bit: transposes, awkward sizes, offsets, beta 0 over NaN", () => {
  const one = loadWasmKernels({ minGemmWork: 0, minThreadWork: 0 });
  const many = loadWasmKernels({ minGemmWork: 0, minThreadWork: 0 });
  assert.ok(one && many && many.shared, "the shared-memory SIMD build did not load");
  assert.equal(many.setThreads(3, spawnNodeHelpers), 3);
  try {
    const rng = new Rng(5);
    const shapes: Array<[number, number, number]> = [[150, 150, 150], [50, 512, 128], [33, 65, 129], [130, 37, 300], [7, 49, 513], [64, 17, 5], [9, 130, 2]];
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const [m, n, k] of shapes) {
          const lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 3, ldc = n + 2;
          const a = randomF32(rng, 2 + (transA ? k : m) * lda), b = randomF32(rng, 1 + (transB ? n : k) * ldb);
          for (const beta of [0, 0.5]) {
            const c0 = beta === 0 ? new Float32Array(3 + m * ldc).fill(NaN) : randomF32(rng, 3 + m * ldc);
            const run = (K: WasmKernels): Float32Array => {
              // Operands in the backend's memory, as the layers keep them: no copies around the split.
              const put = (x: Float32Array) => {
                const r = K.memory!.alloc(x.length)!;
                r.set(x);
                return r;
              };
              const C = put(c0);
              K.gemm(transA, transB, m, n, k, 1.5, put(a), 2, lda, put(b), 1, ldb, beta, C, 3, ldc);
              return Float32Array.from(C);
            };
            sameBits(`tA=${transA} tB=${transB} ${m}×${n}×${k} beta=${beta}`, run(many), run(one));
          }
        }
      }
    }
  } finally {
    many.setThreads(1, spawnNodeHelpers);
  }
  assert.equal(many.threads, 1);
});

test("a training run gives the same bits at 1 and 3 threads", () => {
  const train = (n: number): number[] => {
    const K = loadWasmKernels({ minThreadWork: 0 });
    assert.ok(K);
    useKernels(K);
    try {
      assert.equal(setThreads(n), n);
      assert.equal(threads(), n);
      const rng = new Rng(7);
      const lstm = new LSTM({ inputSize: 8, hiddenSize: 40, numLayers: 2, rng });
      const head = new Linear({ inFeatures: 40, outFeatures: 3, rng });
      const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 1e-2 });
      const x = Tensor.zeros([12, 16, 8]), y = Tensor.zeros([12, 16, 3]);
      for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
      for (let i = 0; i < y.size; i++) y.data[i] = rng.normal();
      const losses: number[] = [];
      for (let step = 0; step < 4; step++) {
        opt.zeroGrad();
        const loss = mseLoss(head.forward(lstm.forward(x).output), y);
        loss.backward();
        opt.step();
        losses.push(loss.item());
      }
      return [...losses, ...lstm.parameters().flatMap((p) => Array.from(p.data))];
    } finally {
      setThreads(1);
      useKernels(null);
    }
  };
  sameBits("losses and parameters", train(3), train(1));
});

test("setThreads: 1 where helpers cannot run (TS kernels, private memory); rejects a bad count", () => {
  useKernels(tsKernels);
  try {
    assert.equal(setThreads(4), 1);
    assert.equal(threads(), 1);
  } finally {
    useKernels(null);
  }
  assert.throws(() => setThreads(0), RangeError);
  assert.throws(() => setThreads(1.5), RangeError);
  const priv = loadWasmKernels({ shared: false });
  assert.ok(priv && !priv.shared);
  assert.equal(priv.setThreads(2, spawnNodeHelpers), 1);
});

test("Team.run: jobs no helper claims run on the caller, each exactly once; claimJob gives a job to one side only", () => {
  // Helpers that never start (as when the OS does not schedule them): run must not wait for them.
  const helpers = 3;
  const control = new SharedArrayBuffer(SLOT_INTS * helpers * 4);
  const team = new Team(control, Array.from({ length: helpers }, () => ({ terminate: () => undefined })));
  const job = (m: number): GemmArgs => ({ m, n: 1, k: 1, alpha: 1, a: 0, rsA: 0, csA: 0, b: 0, rsB: 0, csB: 0, beta: 0, c: 0, ldc: 0 });
  for (let round = 0; round < 3; round++) {
    const ran: number[] = [];
    let own = 0;
    team.run([job(1), job(2), job(3)], () => void own++, (g) => void ran.push(g.m));
    assert.equal(own, 1);
    assert.deepEqual(ran, [1, 2, 3]);
  }
  // A caller whose jobs throw reports it after all have run.
  assert.throws(() => team.run([job(1), job(2)], () => undefined, () => { throw new Error("boom"); }), /a helper's part of the product failed/);
  team.close();

  // A job already claimed (by a helper) is not claimed again, by anyone; the next job number is.
  const ctl = new Int32Array(new SharedArrayBuffer(SLOT_INTS * 4));
  assert.equal(claimJob(ctl, 0, 7), true);
  assert.equal(claimJob(ctl, 0, 7), false);
  assert.equal(claimJob(ctl, 0, 8), true);
  // A helper that read job 8 late, after the caller claimed job 9, cannot claim 8 back.
  assert.equal(claimJob(ctl, 0, 9), true);
  assert.equal(claimJob(ctl, 0, 8), false);
  assert.equal(claimJob(ctl, 0, 9), false);
  // Across int32 wrap-around the next number is still ahead.
  ctl[SLOT.claim] = 0x7fffffff;
  assert.equal(claimJob(ctl, 0, -0x80000000), true);
  assert.equal(claimJob(ctl, 0, 0x7fffffff), false);
});
