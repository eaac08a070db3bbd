/**
 * A topology followed by the activation of a Keras / TF.js Dense head: what an imported chain
 * of recurrent layers with a non-linear Dense becomes, since SequenceToSequence /
 * SequenceToVector end in a plain Linear. Not a general activation layer: graphs that need
 * activations inside are KerasLayersModel (./keras-layers-model.ts).
 */
import type { Tensor } from "../tensor/tensor.js";
import { Module } from "../nn/module.js";
import type { SequenceToSequence, SequenceToVector, SequenceForwardOptions } from "../nn/topologies.js";
import { relu, sigmoid, tanh } from "../ops/elementwise.js";
import { softmax } from "../ops/softmax.js";

/** The activations a final Dense layer may have. */
export type TfjsOutputActivation = "linear" | "softmax" | "sigmoid" | "tanh" | "relu";

/**
 * A topology followed by an elementwise (or, for softmax, last-axis) activation: what a Dense
 * layer with a non-linear activation becomes. Its parameters are the topology's, under the
 * same names (`embedding.weight` when it reads tokens, `rnn.…`, `head.…`), so it trains like it; `inner` gives the pre-activation
 * output (train a softmax classifier on `inner`'s logits with crossEntropy). Model files do
 * not record the activation: save `inner` and re-apply it.
 */
export class TfjsOutputActivationModule extends Module {
  readonly inner: SequenceToSequence | SequenceToVector;
  readonly activation: Exclude<TfjsOutputActivation, "linear">;

  constructor(inner: SequenceToSequence | SequenceToVector, activation: Exclude<TfjsOutputActivation, "linear">) {
    super();
    this.inner = inner;
    this.activation = activation;
    if (inner.embedding !== null) this.registerModule("embedding", inner.embedding);
    this.registerModule("rnn", inner.rnn);
    this.registerModule("head", inner.head);
  }

  /** activation(inner.forward(x)): x [B, T, I] (or token ids [B, T]) → [B, T, O] or [B, O]. */
  forward(x: Tensor, options: SequenceForwardOptions = {}): Tensor {
    return applyDenseActivation(this.inner.forward(x, options), this.activation);
  }
}

/** A Dense layer's activation on its output y: softmax over the last axis, the others elementwise. */
export function applyDenseActivation(y: Tensor, activation: TfjsOutputActivation): Tensor {
  switch (activation) {
    case "linear":
      return y;
    case "softmax":
      return softmax(y, -1);
    case "sigmoid":
      return sigmoid(y);
    case "tanh":
      return tanh(y);
    case "relu":
      return relu(y);
    default: {
      const unknown: never = activation;
      throw new Error(`unknown Dense activation '${unknown as string}'`);
    }
  }
}
