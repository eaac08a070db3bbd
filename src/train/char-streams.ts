/**
 * Character ids read as B parallel streams, the way character models are trained with
 * truncated BPTT (charnn, `rnnkit train text`): stream b is the contiguous slice
 * [b·S, (b+1)·S) with S = ⌊n / B⌋; a window takes the same positions of every stream, so
 * the state carried from one window to the next continues each stream's text.
 */
import { noGrad } from "../autograd/tape.js";
import { crossEntropy } from "../ops/loss.js";
import { oneHot } from "../ops/gather.js";
import { reshape } from "../ops/movement.js";
import type { RecurrentState } from "../ops/recurrent.js";
import type { SequenceToSequence } from "../nn/topologies.js";
import type { Tensor } from "../tensor/tensor.js";

export interface Streams {
  ids: Int32Array;
  B: number;
  /** Characters per stream. */
  S: number;
}

/** `ids` cut into B streams (the few characters past B·S are left out). */
export function charStreams(ids: Int32Array, B: number): Streams {
  return { ids, B, S: Math.floor(ids.length / B) };
}

/**
 * One window of the streams: one-hot inputs x [T, B, V] at positions [start, start+T) of
 * every stream and the next characters as targets [T·B], time-major.
 */
export function streamWindow(s: Streams, V: number, start: number, T: number): { x: Tensor; targets: Int32Array } {
  const inputs = new Int32Array(T * s.B), targets = new Int32Array(T * s.B);
  for (let b = 0; b < s.B; b++) {
    const base = b * s.S + start;
    for (let t = 0; t < T; t++) {
      inputs[t * s.B + b] = s.ids[base + t];
      targets[t * s.B + b] = s.ids[base + t + 1];
    }
  }
  return { x: reshape(oneHot(inputs, V), [T, s.B, V]), targets };
}

/**
 * Mean nats per character over `ids` read as up to 32 parallel streams with the state
 * carried through each, so every character but each stream's first is predicted.
 */
export function streamLoss(model: SequenceToSequence, ids: Int32Array, V: number, window: number): number {
  const s = charStreams(ids, Math.max(1, Math.min(32, Math.floor((ids.length - 1) / Math.max(1, window)))));
  let total = 0, count = 0;
  noGrad(() => {
    let state: RecurrentState | undefined;
    for (let start = 0; start < s.S - 1; start += window) {
      const T = Math.min(window, s.S - 1 - start);
      const { x, targets } = streamWindow(s, V, start, T);
      const r = model.forwardWithState(x, { state });
      state = r.state;
      total += crossEntropy(r.y, targets, { reduction: "sum" }).item();
      count += targets.length;
    }
  });
  return total / count;
}
