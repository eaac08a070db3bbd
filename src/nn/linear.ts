/**
 * Linear (dense) layer: y = x·Wᵀ + b with PyTorch's names and layout
 * (`weight` [O, I], `bias` [O]) and PyTorch's default init U(±1/√I).
 */
import { Module } from "./module.js";
import { Tensor, type DType } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";
import { fillUniform } from "./init.js";
import { linear } from "../ops/matmul.js";
import { checkBoolean, checkDType, checkInteger, checkKnownKeys, checkOptionsObject, checkRng, checkTensorLike } from "../util/check.js";

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  rng: Rng;
  dtype?: DType;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  /**
   * @example
   * const head = new Linear({ inFeatures: 16, outFeatures: 1, rng: new Rng(0) });
   * const y = head.forward(h); // [B, 16] → [B, 1]
   */
  constructor(readonly options: LinearOptions) {
    super();
    checkKnownKeys("Linear", checkOptionsObject("Linear", options), ["inFeatures", "outFeatures", "bias", "rng", "dtype"]);
    const I = checkInteger("Linear", "inFeatures", options.inFeatures);
    const O = checkInteger("Linear", "outFeatures", options.outFeatures);
    const bias = checkBoolean("Linear", "bias", options.bias, true);
    const rng = checkRng("Linear", options.rng);
    const dtype = checkDType("Linear", options.dtype);
    const bound = 1 / Math.sqrt(I);
    this.weight = this.registerParameter("weight", fillUniform(Tensor.zeros([O, I], { dtype }), rng, bound));
    this.bias = bias ? this.registerParameter("bias", fillUniform(Tensor.zeros([O], { dtype }), rng, bound)) : null;
  }

  /** x [..., I] → [..., O]. */
  forward(x: Tensor): Tensor {
    checkTensorLike("Linear.forward", "x", x, ` [..., ${this.weight.shape[1]}]`);
    return linear(x, this.weight, this.bias ?? undefined);
  }
}
