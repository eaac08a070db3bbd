/**
 * Streaming inference: one time step at a time with the state carried by the caller,
 * for token-by-token prediction (live signals, generation). A `StepRunner` wraps a
 * topology made of one recurrent stack read out by a Linear head (SequenceToSequence,
 * SequenceToVector, VectorToSequence) and runs, per call, the same fused layer op as a
 * whole-sequence forward over a sequence of length 1 — so stepping through a sequence
 * gives the whole-sequence outputs by construction. A model with a token Embedding takes one
 * id per row and step. No graph is recorded. Not here:
 * bidirectional models, which need the whole sequence before their first output.
 */
import type { Linear } from "./linear.js";
import type { Embedding } from "./embedding.js";
import type { RecurrentLayerModule } from "./topologies.js";
import { Tensor, type DType } from "../tensor/tensor.js";
import { expectShape, sameShape, ShapeError, shapeToString } from "../tensor/shape.js";
import { reshape } from "../ops/movement.js";
import { noGrad } from "../autograd/tape.js";
import { cellClassName, type RecurrentState } from "../ops/recurrent.js";

/** A model that can be streamed: a unidirectional recurrent stack whose top output feeds a Linear head. */
export interface Streamable {
  readonly rnn: RecurrentLayerModule;
  readonly head: Linear;
  /** A token input's table (SequenceToVector, SequenceToSequence with vocabSize): steps then take ids [B]. */
  readonly embedding?: Embedding | null;
}

export interface StepResult {
  /** The head's output for this step, [B, O]. */
  y: Tensor;
  /** The state after this step, to pass to the next call: h (and c for the LSTM) [L, B, H]. */
  state: RecurrentState;
}

/**
 * Runs a model one step at a time. The sizes, cell kind and layout are read once at
 * construction; a call builds no module and records no graph: it runs the fused layer
 * op over one step, which takes its streaming path (per layer one `affine` kernel call
 * for both products and both biases, and one gate kernel, into the caller's results; no
 * workspace), and the head (a reset-before GRU, `resetAfter: false`, runs the sequence
 * path over the one step instead: its second product reads r⊙h). The modules' parameters live in the backend's memory
 * (`Module.registerParameter`), so the kernels read the weights in place.
 *
 * For SequenceToSequence, y at step t equals forward(x)[t]; for SequenceToVector, y
 * after step t equals forward(x[0..t]); for VectorToSequence, feed v at every step.
 *
 * @example
 * const runner = new StepRunner(model);            // model: SequenceToSequence over LSTM
 * let state = runner.initialState(1);
 * for (const x of incoming) {                       // x [1, I] (token ids [1] with an embedding)
 *   const r = runner.step(x, state);
 *   state = r.state;
 *   emit(r.y);                                      // [1, O]
 * }
 */
export class StepRunner {
  readonly #layer: RecurrentLayerModule;
  readonly #head: Linear;
  readonly #embedding: Embedding | null;
  readonly #inputSize: number;
  readonly #hiddenSize: number;
  readonly #numLayers: number;
  readonly #lstm: boolean;
  readonly #batchFirst: boolean;
  readonly #dtype: DType;

  constructor(model: Streamable) {
    const { spec } = model.rnn;
    if (spec.bidirectional) {
      throw new Error(
        `StepRunner: a bidirectional ${cellClassName(spec.cell)} cannot stream (its reverse direction starts at the end of the sequence)`,
      );
    }
    this.#layer = model.rnn;
    this.#head = model.head;
    this.#embedding = model.embedding ?? null;
    this.#inputSize = spec.inputSize;
    this.#hiddenSize = spec.hiddenSize;
    this.#numLayers = spec.numLayers;
    this.#lstm = spec.cell === "lstm";
    this.#batchFirst = spec.batchFirst;
    this.#dtype = model.rnn.weights[0].dtype;
  }

  /** The all-zero state for B rows (what a whole-sequence forward starts from). */
  initialState(batch: number): RecurrentState {
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`StepRunner.initialState: batch must be a positive integer, got ${batch}`);
    const shape = [this.#numLayers, batch, this.#hiddenSize];
    const h = Tensor.zeros(shape, { dtype: this.#dtype });
    return this.#lstm ? { h, c: Tensor.zeros(shape, { dtype: this.#dtype }) } : { h };
  }

  /**
   * One step: x [B, I] (or token ids [B] with an embedding) and the state before it (zeros
   * when omitted) → y [B, O] and the state after.
   */
  step(x: Tensor, state?: RecurrentState): StepResult {
    expectShape(`StepRunner.step: x${this.#embedding === null ? "" : " (token ids)"}`, x.shape, this.#embedding === null ? [-1, this.#inputSize] : [-1]);
    const B = x.shape[0];
    if (state !== undefined) {
      const expected = [this.#numLayers, B, this.#hiddenSize];
      for (const [key, t] of [["h", state.h], ["c", state.c]] as const) {
        if (t !== undefined && !sameShape(t.shape, expected)) {
          throw new ShapeError(
            `StepRunner.step: state.${key} ${shapeToString(t.shape)} does not fit x ${shapeToString(x.shape)}: expected ${shapeToString(expected)}`,
          );
        }
      }
    }
    return noGrad(() => {
      // A one-step sequence has the same memory layout time-major and batch-first.
      const features = this.#embedding === null ? x : this.#embedding.forward(x);
      const seq = reshape(features, this.#batchFirst ? [B, 1, this.#inputSize] : [1, B, this.#inputSize]);
      const r = this.#layer.forward(seq, state);
      const top = reshape(r.output, [B, this.#hiddenSize]);
      return { y: this.#head.forward(top), state: r.state };
    });
  }
}
