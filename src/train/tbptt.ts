/**
 * Truncated backpropagation through time over long streams: each stream (a batch of
 * them run in parallel) is cut into consecutive windows of `windowSize` steps; each
 * window is one forward, one backward and one optimizer step; the final state of a
 * window is carried, detached, into the next, so gradients stop at the window edge
 * while the state keeps its memory. The state is reset (null) at the start of every
 * epoch, the stream boundary. This is the protocol of the echo-dependency tutorial
 * (`num_steps` windows over a batch of parallel rows).
 */
import { Tensor } from "../tensor/tensor.js";
import type { Module } from "../nn/module.js";
import { Optimizer } from "../optim/optimizer.js";
import { checkBoolean, checkInteger, checkKnownKeys, checkNumber, checkOptionsObject, describeValue } from "../util/check.js";
import { clipGradNorm, clipGradValue } from "../optim/clip.js";
import { checkFiniteAfterUpdate, checkFiniteGradients, checkFiniteLoss } from "./guard.js";
import { ProgressEmitter, type ProgressCallback } from "./progress.js";

/** A recurrent state: a tensor, or an object/array of them (e.g. `{ h, c }`). */
export type CarriedState = Tensor | readonly CarriedState[] | { readonly [key: string]: CarriedState };

/** The same state cut from the graph (shares data; gradients stop here). */
export function detachState<S extends CarriedState>(state: S): S {
  if (state instanceof Tensor) return state.detach() as S;
  if (Array.isArray(state)) return state.map((s) => detachState(s as CarriedState)) as unknown as S;
  return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, detachState(v as CarriedState)])) as S;
}

export interface WindowInfo {
  epoch: number;
  /** Window index within the epoch. */
  window: number;
  /** First time step of the window. */
  start: number;
  step: number;
  loss: number;
}

export interface TbpttOptions<S extends CarriedState> {
  /** Length of each parallel stream in time steps. */
  length: number;
  /** Steps per window (the tutorial's `num_steps`). */
  windowSize: number;
  /** Forward over steps [start, start + size) from `state` (null = zeros): the window's loss and final state. */
  forward: (start: number, size: number, state: S | null) => { loss: Tensor; state: S };
  optimizer: Optimizer;
  epochs?: number;
  /** Keep a final window shorter than windowSize (default: drop it, as the tutorial does). */
  keepPartial?: boolean;
  clipNorm?: number;
  clipValue?: number;
  onWindow?: (info: WindowInfo) => void;
  /** Receives progress events; default none. */
  progress?: ProgressCallback;
}

export interface TbpttResult {
  /** Loss of every window, in order. */
  losses: number[];
  steps: number;
}

const TBPTT_OPTIONS = [
  "length", "windowSize", "forward", "optimizer", "epochs", "keepPartial", "clipNorm", "clipValue", "onWindow", "progress",
] as const;

/** Every option checked before anything runs: names, types and ranges. */
function validateTbpttOptions(o: Record<string, unknown>): void {
  const who = "truncatedBptt";
  checkKnownKeys(who, o, TBPTT_OPTIONS);
  checkInteger(who, "length", o.length);
  checkInteger(who, "windowSize", o.windowSize);
  if (o.epochs !== undefined) checkInteger(who, "epochs", o.epochs);
  checkBoolean(who, "keepPartial", o.keepPartial, false);
  for (const name of ["forward", "onWindow", "progress"] as const) {
    if ((name === "forward" || o[name] !== undefined) && typeof o[name] !== "function") {
      throw new TypeError(`${who}: ${name} must be a function, got ${describeValue(o[name])}`);
    }
  }
  if (!(o.optimizer instanceof Optimizer)) throw new TypeError(`${who}: optimizer must be an Optimizer, got ${describeValue(o.optimizer)}`);
  for (const name of ["clipNorm", "clipValue"] as const) {
    if (o[name] !== undefined && checkNumber(who, name, o[name]) <= 0) throw new RangeError(`${who}: ${name} must be > 0, got ${o[name] as number}`);
  }
}

/** Trains `model` with truncated BPTT; see the file comment. */
export function truncatedBptt<S extends CarriedState>(model: Module, options: TbpttOptions<S>): TbpttResult {
  validateTbpttOptions(checkOptionsObject("truncatedBptt", options));
  const { length, windowSize, optimizer, epochs = 1, keepPartial = false } = options;
  const full = Math.floor(length / windowSize);
  const windows = full + (keepPartial && length % windowSize !== 0 ? 1 : 0);
  if (windows === 0) throw new Error(`truncatedBptt: a stream of ${length} steps holds no full window of ${windowSize}`);
  const named = model.namedParameters();
  const params = named.map(([, t]) => t);
  const losses: number[] = [];
  const progress = new ProgressEmitter(options.progress, "tbptt", epochs * windows);
  let step = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      let state: S | null = null;
      for (let w = 0; w < windows; w++) {
        const start = w * windowSize;
        const size = Math.min(windowSize, length - start);
        optimizer.zeroGrad();
        const out = options.forward(start, size, state);
        const loss = out.loss.item();
        checkFiniteLoss(step + 1, loss, named);
        out.loss.backward();
        checkFiniteGradients(step + 1, named);
        if (options.clipNorm !== undefined) clipGradNorm(params, options.clipNorm);
        if (options.clipValue !== undefined) clipGradValue(params, options.clipValue);
        optimizer.step();
        step++;
        checkFiniteAfterUpdate(step, optimizer, named);
        state = detachState(out.state);
        losses.push(loss);
        options.onWindow?.({ epoch, window: w, start, step, loss });
        progress.step(step, { epoch: epoch + 1, loss });
      }
    }
  } finally {
    progress.end();
  }
  return { losses, steps: step };
}
