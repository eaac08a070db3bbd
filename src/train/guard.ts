/**
 * Divergence guard: training stops at the first NaN or Inf in the loss, in a gradient
 * (before the optimizer touches the weights), or in a parameter or an optimizer state
 * buffer right after each update, with an error naming the step, the parameter and the
 * state entry. A checkpoint is never written from a state holding a non-finite value
 * (`encodeCheckpoint` checks too).
 *
 * Cost: one pass over each parameter and each state buffer per step, a multiply-add per
 * element with no branch (v·0 is 0 for finite v and NaN for NaN and ±Inf, so the sum stays 0
 * unless something is non-finite); only then a second pass finds the element.
 */
import type { Tensor } from "../tensor/tensor.js";
import type { Optimizer } from "../optim/optimizer.js";

export class NonFiniteError extends Error {
  constructor(
    readonly step: number,
    readonly where: string,
    readonly value: number,
    /** What explains it, when known (a non-finite parameter behind a NaN loss). */
    readonly explanation?: string,
  ) {
    super(`training diverged at step ${step}: ${where} is ${value}${explanation ? ` because ${explanation}` : ""}; nothing was saved from this step`);
    this.name = "NonFiniteError";
  }
}

/**
 * Throws if the loss is NaN or ±Inf; with `named`, a non-finite parameter that explains it
 * is named too (a weight changed outside the optimizer, e.g. by a callback).
 */
export function checkFiniteLoss(step: number, loss: number, named?: ReadonlyArray<readonly [string, Tensor]>): void {
  if (Number.isFinite(loss)) return;
  const bad = named === undefined ? null : firstNonFiniteParameter(named);
  const cause = bad === null ? undefined : `parameter ${bad.name} (element ${bad.index}) is ${bad.value}`;
  throw new NonFiniteError(step, "the loss", loss, cause);
}

/** Throws on the first parameter whose gradient holds NaN or ±Inf. */
export function checkFiniteGradients(step: number, named: ReadonlyArray<readonly [string, Tensor]>): void {
  for (const [name, t] of named) {
    const g = t.grad;
    if (g === null) continue;
    const i = firstNonFinite(g);
    if (i >= 0) throw new NonFiniteError(step, `the gradient of ${name} (element ${i})`, g[i]);
  }
}

/** Index of the first NaN or ±Inf in `d`, or −1. */
function firstNonFinite(d: ArrayLike<number>): number {
  let acc = 0;
  for (let i = 0; i < d.length; i++) acc += d[i] * 0;
  if (acc === 0) return -1;
  for (let i = 0; i < d.length; i++) if (d[i] - d[i] !== 0) return i;
  return -1;
}

function firstNonFiniteParameter(named: ReadonlyArray<readonly [string, Tensor]>): { name: string; index: number; value: number } | null {
  for (const [name, t] of named) {
    const d = t.data;
    const i = firstNonFinite(d);
    if (i >= 0) return { name, index: i, value: d[i] };
  }
  return null;
}

/** Throws on the first parameter holding NaN or ±Inf. */
export function checkFiniteParameters(step: number, named: ReadonlyArray<readonly [string, Tensor]>): void {
  const bad = firstNonFiniteParameter(named);
  if (bad !== null) throw new NonFiniteError(step, `parameter ${bad.name} (element ${bad.index})`, bad.value);
}

/**
 * Throws on the first optimizer state buffer holding NaN or ±Inf, naming the optimizer, the
 * buffer and the parameter ("Adam's expAvgSq of rnn.weight_hh_l0 (element 37)"). `named`
 * gives the parameters' names; one not in it is called by its tensor name or index.
 */
export function checkFiniteOptimizerState(step: number, optimizer: Optimizer, named: ReadonlyArray<readonly [string, Tensor]>): void {
  const params = optimizer.params;
  for (let p = 0; p < params.length; p++) {
    const s = optimizer.stateOf(p);
    if (s === undefined) continue;
    for (const key in s.buffers) {
      const b = s.buffers[key];
      const i = firstNonFinite(b);
      if (i >= 0) {
        const name = named.find(([, t]) => t === params[p])?.[0] ?? params[p].name ?? `parameter ${p}`;
        throw new NonFiniteError(step, `${optimizer.kind}'s ${key} of ${name} (element ${i})`, b[i]);
      }
    }
  }
}

/** After an update: every parameter and every optimizer state buffer is finite, or this throws naming the first that is not. */
export function checkFiniteAfterUpdate(step: number, optimizer: Optimizer, named: ReadonlyArray<readonly [string, Tensor]>): void {
  checkFiniteParameters(step, named);
  checkFiniteOptimizerState(step, optimizer, named);
}
