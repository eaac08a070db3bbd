/**
 * Helper threads for the wasm kernels: the hand-off protocol between the calling thread
 * and helpers that each run their own instance of the kernels on the same shared memory.
 * One block of shared integers per helper carries a job (a GEMM over a slice of C, given
 * as byte addresses into the shared memory) and two counters: the caller bumps `seq` to
 * post a job, the helper sets `done` to the same number when it has finished. Helpers spin
 * briefly after a job (the next one of a training step follows within microseconds), then
 * sleep in Atomics.wait. A job is claimed before it runs (`claim`, compare-and-exchange):
 * the caller, done with its own part, claims and runs every job no helper has started yet,
 * so a helper the OS has not scheduled (all cores busy) costs no wait. Platform-neutral:
 * spawning the helpers is the platform's business (src/node/threads.ts for Node); src/node/wasm-worker.ts
 * is the helper's side.
 *
 * How a product is split (see `WasmKernelsImpl.gemm`) keeps every element's arithmetic the
 * same as in one call, so results do not depend on the number of threads.
 */

import { wasmApi, type WasmMemory, type WasmModule } from "./api.js";

/** Int32 slots per helper: 32 (128 bytes) keeps helpers' counters on separate cache lines. */
export const SLOT_INTS = 32;
export const SLOT = {
  /** Job number posted by the caller (0: none yet). */
  seq: 0,
  /** Job number the helper has finished. */
  done: 1,
  /** 1 once the helper has instantiated the kernels; −1 if it failed. */
  ready: 2,
  /** What to run: OP_GEMM or OP_STOP. */
  op: 3,
  /** Set by a helper whose job threw (the caller then throws too). */
  failed: 4,
  /** The number of the last job claimed, by the helper or by the caller (see `claimJob`). */
  claim: 5,
  /** GEMM arguments from here on (see `writeGemm`). */
  args: 8,
} as const;
export const OP_GEMM = 1;
export const OP_STOP = 2;

/** Arguments of the kernels' `gemm` export, all byte addresses or counts except alpha and beta. */
export interface GemmArgs {
  m: number;
  n: number;
  k: number;
  alpha: number;
  a: number;
  rsA: number;
  csA: number;
  b: number;
  rsB: number;
  csB: number;
  beta: number;
  c: number;
  ldc: number;
}

/** Spins of the caller, and of a helper after a job, before sleeping (a few tens of µs). */
const SPINS = 20000;

export interface TeamMember {
  terminate(): unknown;
}

export class Team {
  /** Threads including the caller. */
  readonly size: number;
  readonly #ctl: Int32Array;
  readonly #args: Float32Array;
  readonly #members: TeamMember[];
  /** The last job number posted, as int32 (it is stored in an Int32Array and compared with what is read back). */
  #seq = 0;
  #closed = false;
  readonly #callerBlocks: boolean;

  /**
   * `control` holds SLOT_INTS · (size − 1) int32s, shared with the helpers `members`.
   * `callerBlocks` = false for a caller that may not `Atomics.wait` (a browser page's main
   * thread): it then spins on the few jobs a helper has already started.
   */
  constructor(control: SharedArrayBuffer, members: TeamMember[], { callerBlocks = true }: { callerBlocks?: boolean } = {}) {
    this.size = members.length + 1;
    this.#ctl = new Int32Array(control);
    this.#args = new Float32Array(control);
    this.#members = members;
    this.#callerBlocks = callerBlocks;
  }

  /** Waits until every helper is ready; false if one failed or `timeoutMs` passed. */
  waitReady(timeoutMs: number): boolean {
    const deadline = Date.now() + timeoutMs;
    for (let h = 0; h < this.#members.length; h++) {
      const at = h * SLOT_INTS + SLOT.ready;
      while (Atomics.load(this.#ctl, at) === 0) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        Atomics.wait(this.#ctl, at, 0, left);
      }
      if (Atomics.load(this.#ctl, at) !== 1) return false;
    }
    return true;
  }

  /**
   * Runs jobs[h] on helper h (jobs.length ≤ size − 1) while the caller runs `own`, and
   * returns when all are done. A job its helper has not claimed by the time `own` returns
   * runs on the caller through `here` instead.
   */
  run(jobs: GemmArgs[], own: () => void, here: (g: GemmArgs) => void): void {
    if (this.#closed) throw new Error("wasm threads: the team was closed");
    const seq = this.#nextSeq();
    for (let h = 0; h < jobs.length; h++) {
      const base = h * SLOT_INTS;
      writeGemm(this.#ctl, this.#args, base + SLOT.args, jobs[h]);
      Atomics.store(this.#ctl, base + SLOT.op, OP_GEMM);
      Atomics.store(this.#ctl, base + SLOT.seq, seq);
      Atomics.notify(this.#ctl, base + SLOT.seq);
    }
    // The helpers are waited for even when the caller's own part throws: they write into
    // memory the caller may reuse as soon as this returns.
    let ownError: unknown = null;
    try {
      own();
    } catch (e) {
      ownError = e ?? new Error("wasm threads: the caller's part failed");
    }
    let failed = false;
    for (let h = 0; h < jobs.length; h++) {
      if (claimJob(this.#ctl, h * SLOT_INTS, seq)) {
        try {
          here(jobs[h]);
        } catch {
          failed = true;
        }
        continue;
      }
      const at = h * SLOT_INTS + SLOT.done;
      let done = Atomics.load(this.#ctl, at);
      for (let i = 0; done !== seq && i < SPINS; i++) done = Atomics.load(this.#ctl, at);
      while (done !== seq) {
        if (this.#callerBlocks) Atomics.wait(this.#ctl, at, done);
        done = Atomics.load(this.#ctl, at);
      }
      if (Atomics.exchange(this.#ctl, h * SLOT_INTS + SLOT.failed, 0) !== 0) failed = true;
    }
    if (ownError !== null) throw ownError;
    if (failed) throw new Error("wasm threads: a helper's part of the product failed");
  }

  /** The next job number, wrapping as int32 does. */
  #nextSeq(): number {
    this.#seq = (this.#seq + 1) | 0;
    return this.#seq;
  }

  /** Stops the helpers; the team cannot be used afterwards. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const seq = this.#nextSeq();
    for (let h = 0; h < this.#members.length; h++) {
      const base = h * SLOT_INTS;
      Atomics.store(this.#ctl, base + SLOT.op, OP_STOP);
      Atomics.store(this.#ctl, base + SLOT.seq, seq);
      Atomics.notify(this.#ctl, base + SLOT.seq);
    }
    for (const m of this.#members) m.terminate();
  }
}

/**
 * Claims job `seq` of the helper slot at `base` for whoever calls: true for exactly one of
 * the caller and the helper, however their calls interleave. Claims only move forward: a
 * helper that read job N and was then descheduled must not claim N once the caller has
 * claimed N + 1 (it would run N + 1's arguments a second time, concurrently). Job numbers
 * are compared modulo 2³², so the order holds across int32 wrap-around.
 */
export function claimJob(ctl: Int32Array, base: number, seq: number): boolean {
  const last = Atomics.load(ctl, base + SLOT.claim);
  return ((seq - last) | 0) > 0 && Atomics.compareExchange(ctl, base + SLOT.claim, last, seq) === last;
}

/** Stores a job's arguments at int32 index `at` (alpha and beta as float32 bits). */
export function writeGemm(ctl: Int32Array, f32: Float32Array, at: number, g: GemmArgs): void {
  ctl[at] = g.m;
  ctl[at + 1] = g.n;
  ctl[at + 2] = g.k;
  f32[at + 3] = g.alpha;
  ctl[at + 4] = g.a;
  ctl[at + 5] = g.rsA;
  ctl[at + 6] = g.csA;
  ctl[at + 7] = g.b;
  ctl[at + 8] = g.rsB;
  ctl[at + 9] = g.csB;
  f32[at + 10] = g.beta;
  ctl[at + 11] = g.c;
  ctl[at + 12] = g.ldc;
}

/** The inverse of `writeGemm`. */
export function readGemm(ctl: Int32Array, f32: Float32Array, at: number): GemmArgs {
  return {
    m: ctl[at], n: ctl[at + 1], k: ctl[at + 2], alpha: f32[at + 3],
    a: ctl[at + 4], rsA: ctl[at + 5], csA: ctl[at + 6],
    b: ctl[at + 7], rsB: ctl[at + 8], csB: ctl[at + 9],
    beta: f32[at + 10], c: ctl[at + 11], ldc: ctl[at + 12],
  };
}

/** A helper's loop: run jobs from slot `slot` with `gemm` until told to stop. */
export function serve(
  control: SharedArrayBuffer, slot: number,
  gemm: (g: GemmArgs) => void,
): void {
  const ctl = new Int32Array(control);
  const f32 = new Float32Array(control);
  const base = slot * SLOT_INTS;
  // Jobs are numbered from 1: a job posted before this loop starts (the caller may post as
  // soon as `ready` is set) is still seen.
  let seen = 0;
  for (;;) {
    let seq = Atomics.load(ctl, base + SLOT.seq);
    for (let i = 0; seq === seen && i < SPINS; i++) seq = Atomics.load(ctl, base + SLOT.seq);
    if (seq === seen) {
      Atomics.wait(ctl, base + SLOT.seq, seen);
      continue;
    }
    seen = seq;
    if (Atomics.load(ctl, base + SLOT.op) === OP_STOP) return;
    if (!claimJob(ctl, base, seq)) continue; // the caller ran it
    try {
      gemm(readGemm(ctl, f32, base + SLOT.args));
    } catch {
      // The caller reports it: a helper has no one to throw to.
      Atomics.store(ctl, base + SLOT.failed, 1);
    }
    Atomics.store(ctl, base + SLOT.done, seq);
    Atomics.notify(ctl, base + SLOT.done);
  }
}

/** What a helper thread is given: the kernels' module and memory, and its place in the team. */
export interface HelperData {
  module: WasmModule;
  memory: WasmMemory;
  control: SharedArrayBuffer;
  /** This helper's slot in `control`. */
  slot: number;
  /** Byte address of this helper's own GEMM packing workspace in the shared memory. */
  work: number;
}

type GemmExport = (
  m: number, n: number, k: number, alpha: number, a: number, rsA: number, csA: number,
  b: number, rsB: number, csB: number, beta: number, c: number, ldc: number, work: number,
) => void;

/**
 * A helper thread's whole life, on any platform: instantiate the kernels on the shared
 * memory, say ready (or failed) in its slot, then serve jobs until told to stop. Returns
 * whether it started. `onReady` hears the outcome before serving begins (a browser worker
 * posts it to the page, which may not block on the slot).
 */
export function runHelper(data: HelperData, onReady: (ok: boolean) => void = () => undefined): boolean {
  const ctl = new Int32Array(data.control);
  const readyAt = data.slot * SLOT_INTS + SLOT.ready;
  let gemm: GemmExport | null = null;
  try {
    const api = wasmApi();
    if (api === null) throw new Error("no WebAssembly in this thread");
    gemm = new api.Instance(data.module, { env: { memory: data.memory } }).exports.gemm as GemmExport;
  } catch {
    gemm = null;
  }
  Atomics.store(ctl, readyAt, gemm === null ? -1 : 1);
  Atomics.notify(ctl, readyAt);
  onReady(gemm !== null);
  if (gemm === null) return false;
  const run = gemm;
  serve(data.control, data.slot, (g) => run(g.m, g.n, g.k, g.alpha, g.a, g.rsA, g.csA, g.b, g.rsB, g.csB, g.beta, g.c, g.ldc, data.work));
  return true;
}
