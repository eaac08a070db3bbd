/**
 * Sequential: modules applied one after another, PyTorch's `nn.Sequential`. The
 * children are registered as "0", "1", … so state dicts read `0.weight`, `2.bias`
 * exactly as PyTorch writes them. Only single-tensor-in, single-tensor-out modules
 * compose this way; recurrent layers (which return states too) do not.
 */
import { Module } from "./module.js";
import type { Tensor } from "../tensor/tensor.js";

/** A module that maps one tensor to one tensor (Linear, Dropout, Sequential, …). */
export type TensorModule = Module & { forward(x: Tensor): Tensor };

export class Sequential extends Module {
  readonly layers: readonly TensorModule[];

  /**
   * @example
   * const rng = new Rng(0);
   * const mlp = new Sequential(
   *   new Linear({ inFeatures: 4, outFeatures: 8, rng }),
   *   new Dropout({ p: 0.1, rng }),
   *   new Linear({ inFeatures: 8, outFeatures: 2, rng }),
   * );
   * mlp.forward(x); // [B, 4] → [B, 2];  parameters "0.weight", "0.bias", "2.weight", "2.bias"
   */
  constructor(...layers: TensorModule[]) {
    super();
    layers.forEach((m, i) => this.registerModule(String(i), m));
    this.layers = Object.freeze([...layers]);
  }

  get length(): number {
    return this.layers.length;
  }

  /** x through every layer in order; an empty Sequential is the identity. */
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.forward(y);
    return y;
  }
}
