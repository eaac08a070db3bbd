/**
 * Embedding: a learned lookup table of token vectors, PyTorch's `nn.Embedding`
 * (parameter `weight` [V, E], initialized N(0, 1)). The lookup and its scatter-add
 * backward are the `embedding` op; this is only the module that owns the table.
 * Not here: padding_idx, max_norm, sparse gradients.
 */
import { Module } from "./module.js";
import { Tensor, type DType } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";
import { embedding } from "../ops/gather.js";
import { checkDType, checkInteger, checkKnownKeys, checkOptionsObject, checkRng, describeValue } from "../util/check.js";

export interface EmbeddingOptions {
  /** V: number of rows (vocabulary size). */
  numEmbeddings: number;
  /** E: width of each row. */
  embeddingDim: number;
  /** Draws the initial table from N(0, 1), row by row. */
  rng: Rng;
  dtype?: DType;
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** [V, E]. */
  readonly weight: Tensor;

  /**
   * @example
   * const embed = new Embedding({ numEmbeddings: 10, embeddingDim: 4, rng: new Rng(0) });
   * const e = embed.forward([3, 1, 4, 1, 5, 9], [3, 2]); // [3, 2, 4]
   */
  constructor(options: EmbeddingOptions) {
    super();
    checkKnownKeys("Embedding", checkOptionsObject("Embedding", options), ["numEmbeddings", "embeddingDim", "rng", "dtype"]);
    const V = checkInteger("Embedding", "numEmbeddings", options.numEmbeddings);
    const E = checkInteger("Embedding", "embeddingDim", options.embeddingDim);
    const rng = checkRng("Embedding", options.rng);
    const dtype = checkDType("Embedding", options.dtype);
    this.numEmbeddings = V;
    this.embeddingDim = E;
    const table = Tensor.zeros([V, E], { dtype });
    for (let i = 0; i < table.size; i++) table.data[i] = rng.normal();
    this.weight = this.registerParameter("weight", table);
  }

  /**
   * Rows of `weight` for every index: indices laid out as `shape` → [...shape, E].
   * A Tensor of integer ids may be passed instead; its shape is then the layout.
   */
  forward(indices: ArrayLike<number> | Tensor, shape?: readonly number[]): Tensor {
    if (!(indices instanceof Tensor) && (typeof indices !== "object" || indices === null || typeof indices.length !== "number")) {
      throw new TypeError(`Embedding.forward: indices must be an array of token ids or a Tensor, got ${describeValue(indices)}`);
    }
    if (indices instanceof Tensor) return embedding(this.weight, indices.data, shape ?? indices.shape);
    return embedding(this.weight, indices, shape);
  }
}
