/**
 * Inverted dropout: in training each element is zeroed with probability p and the
 * survivors are scaled by 1/(1−p), so the expected activation is unchanged and eval
 * mode is the identity. The mask is drawn from the module's own `Rng` on every
 * forward, so a seeded run repeats exactly. The product with the mask is the `mul`
 * op, so the gradient is upstream ⊙ mask/(1−p) with no extra derivative rule. Checkpoints
 * save the generator's state (`Module.namedGenerators`), so a resumed run draws the same masks.
 */
import { Module } from "./module.js";
import { Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";
import { mul } from "../ops/elementwise.js";

export interface DropoutOptions {
  /** Probability of zeroing an element, in [0, 1). */
  p: number;
  /** Source of the masks; advanced by one draw per element per training forward. */
  rng: Rng;
}

export class Dropout extends Module {
  readonly p: number;
  readonly #rng: Rng;

  /**
   * @example
   * const drop = new Dropout({ p: 0.2, rng: new Rng(7) });
   * const y = drop.forward(h);      // training: ~20% zeros, the rest × 1.25
   * drop.eval(); drop.forward(h);   // returns h itself
   */
  constructor(options: DropoutOptions) {
    super();
    const { p, rng } = options;
    // p = 1 would make the scale 1/(1−p) infinite; zeroing everything is not a use case.
    if (!(typeof p === "number" && p >= 0 && p < 1)) throw new RangeError(`Dropout: p must be in [0, 1), got ${p}`);
    this.p = p;
    this.#rng = rng;
  }

  /** The mask generator, saved and restored by training checkpoints under `<module name>.rng`. */
  protected override ownGenerators(): ReadonlyArray<readonly [string, Rng]> {
    return [["rng", this.#rng]];
  }

  /** x of any shape → same shape; x itself in eval mode or with p = 0. */
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const mask = Tensor.zeros(x.shape, { dtype: x.dtype });
    const keepScale = 1 / (1 - this.p);
    for (let i = 0; i < mask.size; i++) mask.data[i] = this.#rng.bernoulli(this.p) ? 0 : keepScale;
    return mul(x, mask);
  }
}
