/**
 * The four sequence-model topologies of the classic tutorials, each a recurrent layer
 * stack (`RNN`, `LSTM` or `GRU` from ./recurrent.ts, picked by `cell`) plus Linear heads:
 *
 *   SequenceToVector    x [T, B, I] → final state of the top layer → Linear → [B, O]
 *   SequenceToSequence  x [T, B, I] → output at every step → Linear → [T, B, O]
 *   VectorToSequence    v [B, I] repeated as the input of every step → Linear → [T, B, O]
 *   EncoderDecoder      source → encoder final state → initial state of a decoder over
 *                       embedded target tokens → Linear → logits [T_out, B, V]
 *
 * SequenceToVector and SequenceToSequence may read token ids instead (`vocabSize` +
 * `embeddingSize`): ids [T, B] → Embedding `embedding` → [T, B, E] → the same stack and head.
 * That is what `importOnnx` lifts PyTorch's Embedding → LSTM / GRU / RNN → Linear exports into,
 * and what Keras / TF.js chains InputLayer → Embedding → recurrent layers → Dense import as; with
 * or without the embedding, these two stream (StepRunner) and export to ONNX and TF.js.
 *
 * Sub-modules are named `embedding`, `rnn` and `head` (`encoder`, `decoder`, … for the encoder–
 * decoder), so a state dict reads `embedding.weight`, `rnn.weight_ih_l0`, `head.weight`. Not here:
 * attention, beam search, dropout between layers.
 */
import { Module } from "./module.js";
import { Linear } from "./linear.js";
import { Embedding } from "./embedding.js";
import { GRU, LSTM, RNN, type RNNOptions } from "./recurrent.js";
import type { DType, Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";
import { ShapeError, shapeToString } from "../tensor/shape.js";
import type { GateActivation, RnnActivation } from "../backend/kernels.js";
import { cellClassName, type CellKind, type RecurrentState } from "../ops/recurrent.js";
import { reshape, slice, stack, transpose } from "../ops/movement.js";
import { noGrad } from "../autograd/tape.js";
import { checkInteger, checkKnownKeys, checkOneOf, checkOptionsObject, checkRng, checkTensorLike } from "../util/check.js";

/** Any of the three recurrent layer stacks; all three take and return a `RecurrentState`. */
export type RecurrentLayerModule = RNN | LSTM | GRU;

/**
 * What fixes the recurrent stack of a topology: the layer's options (the generator draws
 * the recurrent stack first, then the heads) plus the cell kind.
 */
export interface RecurrentBlockOptions extends RNNOptions {
  /** Which layer: "rnn" (Elman), "lstm" or "gru"; `nonlinearity` applies to "rnn" only. */
  cell: CellKind;
  /** Cells "lstm" and "gru": the gates' activation (default "sigmoid"). */
  gateActivation?: GateActivation;
  /** Cell "gru" only: false applies the reset before the recurrent product (default true). */
  resetAfter?: boolean;
}

/** Options of the topologies with one Linear head. */
export interface HeadedOptions extends RecurrentBlockOptions {
  /** O: features of the head's output. */
  outputSize: number;
}

/**
 * Options of SequenceToVector and SequenceToSequence: those of a headed topology, plus an
 * optional token input. With `vocabSize` and `embeddingSize` (both or neither) the model
 * reads token ids through an Embedding table `embedding.weight` [V, E] (drawn first from the
 * generator), and `inputSize` may be left out: the stack reads E features per step, so a
 * given inputSize must equal embeddingSize.
 */
export interface SequenceModelOptions extends Omit<HeadedOptions, "inputSize"> {
  /** I: features per step; optional with a token input (then it is embeddingSize). */
  inputSize?: number;
  /** V: rows of the token table; the input is then token ids [T, B] (or [B, T] with batchFirst). */
  vocabSize?: number;
  /** E: width of each token's vector, the stack's input size. */
  embeddingSize?: number;
}

export interface SequenceForwardOptions {
  /** Valid steps per batch row (1..T): packed-sequence semantics of the layer. */
  lengths?: readonly number[];
  /** Initial state; zeros when omitted. */
  state?: RecurrentState;
}

/** The option names of a recurrent block (the layer's plus `cell`). */
const BLOCK_KEYS = [
  "cell", "inputSize", "hiddenSize", "numLayers", "bidirectional", "batchFirst", "bias", "nonlinearity", "gateActivation", "resetAfter",
  "rng", "dtype",
];

/**
 * The layer for `options.cell`; refuses an option the cell does not have (nonlinearity for
 * LSTM and GRU, gateActivation for RNN, resetAfter for RNN and LSTM) rather than ignoring it.
 */
export function createRecurrentLayer(options: RecurrentBlockOptions): RecurrentLayerModule {
  checkKnownKeys("createRecurrentLayer", checkOptionsObject("createRecurrentLayer", options), BLOCK_KEYS);
  checkOneOf("createRecurrentLayer", "cell", options.cell, ["rnn", "lstm", "gru"], "lstm");
  const { cell, inputSize, hiddenSize, numLayers, bidirectional, batchFirst, bias, nonlinearity, gateActivation, resetAfter, rng, dtype } =
    options;
  const layerOptions = { inputSize, hiddenSize, numLayers, bidirectional, batchFirst, bias, rng, dtype };
  if (cell !== "gru" && resetAfter !== undefined) {
    throw new Error(`${cellClassName(cell)}: 'resetAfter' applies to cell "gru" only, got ${JSON.stringify(resetAfter)}`);
  }
  switch (cell) {
    case "rnn":
      if (gateActivation !== undefined) {
        throw new Error(`RNN: 'gateActivation' applies to cells "lstm" and "gru" only (an RNN has no gates), got ${JSON.stringify(gateActivation)}`);
      }
      return new RNN({ ...layerOptions, nonlinearity });
    case "lstm":
    case "gru":
      if (nonlinearity !== undefined) {
        throw new Error(`${cellClassName(cell)}: 'nonlinearity' applies to cell "rnn" only, got '${nonlinearity}'`);
      }
      return cell === "lstm"
        ? new LSTM({ ...layerOptions, gateActivation })
        : new GRU({ ...layerOptions, gateActivation, resetAfter });
    default: {
      const unknown: never = cell;
      throw new Error(`createRecurrentLayer: unknown cell '${unknown as string}' (expected "rnn", "lstm" or "gru")`);
    }
  }
}

/** D·H: the width of a layer's output and of its top layer's final state. */
export function outputWidth(layer: RecurrentLayerModule): number {
  return (layer.spec.bidirectional ? 2 : 1) * layer.spec.hiddenSize;
}

/**
 * The top layer's final hidden state as features [B, D·H], forward | reverse like the
 * layer output. With lengths the layer already took it at each row's last valid step.
 */
export function topLayerState(layer: RecurrentLayerModule, h: Tensor): Tensor {
  const { numLayers: L, hiddenSize: H } = layer.spec;
  const D = layer.spec.bidirectional ? 2 : 1;
  const B = h.shape[1];
  const top = slice(h, 0, (L - 1) * D); // [D, B, H]
  return D === 1 ? reshape(top, [B, H]) : reshape(transpose(top, [1, 0, 2]), [B, D * H]);
}

/** Refuses a non-tensor x and unknown forward options (the layer checks the rest, naming itself). */
function checkForwardOptions(who: string, x: unknown, options: unknown): void {
  checkTensorLike(`${who}.forward`, "x", x);
  checkKnownKeys(`${who}.forward`, checkOptionsObject(`${who}.forward`, options), ["lengths", "state"]);
}

/** Constructor options minus the generator: JSON that rebuilds the module. */
function optionsWithoutRng(options: { rng: unknown }): Record<string, unknown> {
  const { rng: _rng, ...rest } = options;
  return rest;
}

/**
 * The shared body of the three single-stack topologies: an optional token Embedding, a
 * recurrent layer stack and a Linear head reading its [D·H] outputs, plus the spec a model
 * file needs to rebuild it.
 */
abstract class HeadedRecurrent extends Module {
  /** Token ids → [E] vectors, the stack's input; null when the model reads feature vectors. */
  readonly embedding: Embedding | null;
  readonly rnn: RecurrentLayerModule;
  /** [D·H] → [O]. */
  readonly head: Linear;
  readonly #spec: Record<string, unknown>;
  /** The type name model files record: explicit, since minifiers rename classes. */
  protected abstract readonly modelType: string;

  constructor(options: SequenceModelOptions, tokens: boolean) {
    super();
    const who = new.target.name;
    checkKnownKeys(who, checkOptionsObject(who, options), [...BLOCK_KEYS, "outputSize", ...(tokens ? ["vocabSize", "embeddingSize"] : [])]);
    checkOneOf(who, "cell", options.cell, ["rnn", "lstm", "gru"], "lstm");
    checkInteger(who, "outputSize", options.outputSize);
    checkRng(who, options.rng);
    this.#spec = optionsWithoutRng(options);
    const { outputSize: _outputSize, vocabSize, embeddingSize, ...rest } = options;
    if ((vocabSize === undefined) !== (embeddingSize === undefined)) {
      throw new Error(`${who}: give both vocabSize and embeddingSize (token input) or neither (feature input)`);
    }
    let inputSize = rest.inputSize;
    if (vocabSize !== undefined) {
      checkInteger(who, "vocabSize", vocabSize);
      checkInteger(who, "embeddingSize", embeddingSize);
      if (inputSize !== undefined && inputSize !== embeddingSize) {
        throw new Error(`${who}: inputSize ${JSON.stringify(inputSize)} must equal embeddingSize ${embeddingSize} (the stack reads the token vectors), or be left out`);
      }
      inputSize = embeddingSize;
    }
    // Drawn before the stack, as EncoderDecoder draws its source embedding before the encoder.
    this.embedding = vocabSize === undefined
      ? null
      : this.registerModule("embedding", new Embedding({ numEmbeddings: vocabSize, embeddingDim: embeddingSize!, rng: options.rng, dtype: options.dtype }));
    this.rnn = this.registerModule("rnn", createRecurrentLayer({ ...rest, inputSize: inputSize as number }));
    this.head = this.registerModule(
      "head",
      new Linear({ inFeatures: outputWidth(this.rnn), outFeatures: options.outputSize, rng: options.rng, dtype: options.dtype }),
    );
  }

  /** The type and constructor options that rebuild this module (used by model files). */
  modelSpec(): { type: string; options: Record<string, unknown> } {
    return { type: this.modelType, options: this.#spec };
  }

  /**
   * The stack's input: x itself, or with a token input the ids x [T, B] (or [B, T]) as
   * their table rows [T, B, E] (or [B, T, E]).
   */
  protected embed(who: string, x: Tensor): Tensor {
    if (this.embedding === null) return x;
    const order = this.rnn.spec.batchFirst ? "[B, T]" : "[T, B]";
    if (x.rank !== 2) throw new ShapeError(`${who}.forward: x ${shapeToString(x.shape)} must be token ids ${order} (the model has an embedding)`);
    return this.embedding.forward(x);
  }
}

/**
 * Sequence → vector (classification or regression of a whole sequence): the final hidden
 * state of the top layer (both directions' when bidirectional) through a Linear head.
 *
 * @example
 * const model = new SequenceToVector({ cell: "lstm", inputSize: 3, hiddenSize: 16, outputSize: 2, rng: new Rng(0) });
 * const logits = model.forward(x, { lengths: [5, 3] }); // x [5, 2, 3] → [2, 2]
 * // Token input: ids [T, B] as a Tensor of integers → Embedding [V = 100, E = 8] → the stack.
 * const classifier = new SequenceToVector({ cell: "gru", vocabSize: 100, embeddingSize: 8, hiddenSize: 16, outputSize: 2, rng: new Rng(0) });
 * const scores = classifier.forward(Tensor.from([[5, 7], [9, 1], [2, 0]])); // ids [3, 2] → [2, 2]
 */
export class SequenceToVector extends HeadedRecurrent {
  protected readonly modelType = "SequenceToVector";
  constructor(options: SequenceModelOptions) {
    super(options, true);
  }

  /** x [T, B, I] (or [B, T, I]), or token ids [T, B] (or [B, T]) with an embedding → [B, O]. */
  forward(x: Tensor, options: SequenceForwardOptions = {}): Tensor {
    checkForwardOptions("SequenceToVector", x, options);
    const { state } = this.rnn.forward(this.embed("SequenceToVector", x), options.state, { lengths: options.lengths });
    return this.head.forward(topLayerState(this.rnn, state.h));
  }
}

/**
 * Sequence → sequence of the same length (tagging, per-step prediction): the layer
 * output through a Linear head at every step. With lengths, padded steps hold the
 * head's bias (the layer output there is 0); mask them out of the loss.
 *
 * @example
 * const model = new SequenceToSequence({ cell: "gru", inputSize: 1, hiddenSize: 8, outputSize: 1, rng: new Rng(0) });
 * const y = model.forward(x); // x [T, B, 1] → [T, B, 1]
 * // Truncated BPTT over a long stream: carry the final state into the next window.
 * const r = model.forwardWithState(window, { state }); // r.y [T, B, 1]; state = detachState(r.state)
 */
export class SequenceToSequence extends HeadedRecurrent {
  protected readonly modelType = "SequenceToSequence";
  constructor(options: SequenceModelOptions) {
    super(options, true);
  }

  /** x [T, B, I] (or [B, T, I]), or token ids [T, B] (or [B, T]) with an embedding → [T, B, O] (or [B, T, O]). */
  forward(x: Tensor, options: SequenceForwardOptions = {}): Tensor {
    return this.forwardWithState(x, options).y;
  }

  /** `forward`, plus the layer stack's state after the last step (to carry into the next window). */
  forwardWithState(x: Tensor, options: SequenceForwardOptions = {}): { y: Tensor; state: RecurrentState } {
    checkForwardOptions("SequenceToSequence", x, options);
    const r = this.rnn.forward(this.embed("SequenceToSequence", x), options.state, { lengths: options.lengths });
    return { y: this.head.forward(r.output), state: r.state };
  }
}

/**
 * Vector → sequence (generation from a fixed code): the vector v is fed as the input of
 * EVERY step, the state starts at zero, and a Linear head reads each step's output.
 * Repeating the input (rather than using v as the initial state) keeps the code in view
 * at every step and lets v have any width I, independent of H.
 *
 * @example
 * const model = new VectorToSequence({ cell: "lstm", inputSize: 4, hiddenSize: 8, outputSize: 1, rng: new Rng(0) });
 * const y = model.forward(v, 10); // v [B, 4] → [10, B, 1]
 */
export class VectorToSequence extends HeadedRecurrent {
  protected readonly modelType = "VectorToSequence";
  constructor(options: HeadedOptions) {
    super(options, false);
  }

  /** v [B, I] → [steps, B, O] (or [B, steps, O] with batchFirst). */
  forward(v: Tensor, steps: number): Tensor {
    const I = this.rnn.spec.inputSize;
    checkTensorLike("VectorToSequence.forward", "v", v, ` [B, ${I}]`);
    if (v.rank !== 2 || v.shape[1] !== I) {
      throw new ShapeError(`VectorToSequence.forward: v ${shapeToString(v.shape)} must be [B, ${I}] (inputSize ${I})`);
    }
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`VectorToSequence.forward: steps must be a positive integer, got ${steps}`);
    // stack() adds every copy's gradient back into v, so v may require grad.
    const x = stack(new Array<Tensor>(steps).fill(v), this.rnn.spec.batchFirst ? 1 : 0);
    return this.head.forward(this.rnn.forward(x).output);
  }
}

export interface EncoderDecoderOptions {
  /** Cell of both the encoder and the decoder. */
  cell: CellKind;
  /** Source as token ids [T_in, B] embedded with their own table of this many rows; or give `sourceInputSize`. */
  sourceVocabSize?: number;
  /** Source as feature vectors [T_in, B, I]; or give `sourceVocabSize`. */
  sourceInputSize?: number;
  /** V: target vocabulary (including any start / end tokens). */
  targetVocabSize: number;
  /** E: width of the token embeddings (target, and source when it is tokens). */
  embeddingSize: number;
  /** H of both stacks. */
  hiddenSize: number;
  /** L of both stacks (the encoder's [L, B, H] state initializes the decoder's). Default 1. */
  numLayers?: number;
  /** Cell "rnn" only. */
  nonlinearity?: RnnActivation;
  /** Cells "lstm" and "gru": the gates' activation of both stacks (default "sigmoid"). */
  gateActivation?: GateActivation;
  /** Cell "gru" only: false applies the reset before the recurrent product in both stacks (default true). */
  resetAfter?: boolean;
  /** Draws, in order: source embedding, encoder, target embedding, decoder, head. */
  rng: Rng;
  dtype?: DType;
}

const ENCODER_DECODER_KEYS = [
  "cell", "sourceVocabSize", "sourceInputSize", "targetVocabSize", "embeddingSize", "hiddenSize", "numLayers", "nonlinearity",
  "gateActivation", "resetAfter", "rng", "dtype",
];

export interface GreedyDecodeOptions {
  /** Token fed to the decoder at the first step. */
  start: number;
  /** A row stops when it emits this token (which is not included in its output). */
  end?: number;
  /** Most tokens generated per row. */
  maxLength: number;
  /** Valid source steps per row. */
  srcLengths?: readonly number[];
}

/**
 * Encoder–decoder (Sutskever et al. 2014, without attention): the encoder reads the
 * source, its final state (h, and c for the LSTM, at each row's last valid step) is the
 * decoder's initial state, and the decoder reads embedded target tokens and predicts the
 * next token with a Linear vocabulary head. Both stacks are unidirectional and
 * time-major, with the same cell, H and L, so the state passes over unchanged.
 *
 * Training uses teacher forcing: `forward(src, tgtIn)` with tgtIn = [start, y_0, …, y_{T−2}]
 * and the loss against [y_0, …, y_{T−1}]. Inference is `greedyDecode`.
 *
 * @example
 * const model = new EncoderDecoder({ cell: "gru", sourceVocabSize: 6, targetVocabSize: 6, embeddingSize: 8, hiddenSize: 32, rng: new Rng(0) });
 * const logits = model.forward(src, tgtIn);                   // src [3, B], tgtIn [4, B] ids → [4, B, 6]
 * const loss = crossEntropy(logits, tgtOut);
 * const ids = model.greedyDecode(src, { start: 0, end: 1, maxLength: 5 }); // B rows of ids
 */
export class EncoderDecoder extends Module {
  /** Null when the source is feature vectors. */
  readonly sourceEmbedding: Embedding | null;
  readonly encoder: RecurrentLayerModule;
  readonly targetEmbedding: Embedding;
  readonly decoder: RecurrentLayerModule;
  /** [H] → [V]. */
  readonly head: Linear;

  readonly #spec: Record<string, unknown>;

  constructor(options: EncoderDecoderOptions) {
    super();
    checkKnownKeys("EncoderDecoder", checkOptionsObject("EncoderDecoder", options), ENCODER_DECODER_KEYS);
    checkOneOf("EncoderDecoder", "cell", options.cell, ["rnn", "lstm", "gru"], "lstm");
    checkRng("EncoderDecoder", options.rng);
    if (options.sourceVocabSize !== undefined) checkInteger("EncoderDecoder", "sourceVocabSize", options.sourceVocabSize);
    if (options.sourceInputSize !== undefined) checkInteger("EncoderDecoder", "sourceInputSize", options.sourceInputSize);
    for (const key of ["targetVocabSize", "embeddingSize", "hiddenSize"] as const) checkInteger("EncoderDecoder", key, options[key]);
    this.#spec = optionsWithoutRng(options);
    const {
      cell, sourceVocabSize, sourceInputSize, targetVocabSize, embeddingSize, hiddenSize, numLayers, nonlinearity, gateActivation, resetAfter,
      rng, dtype,
    } = options;
    if ((sourceVocabSize === undefined) === (sourceInputSize === undefined)) {
      throw new Error("EncoderDecoder: give exactly one of sourceVocabSize (token source) and sourceInputSize (feature source)");
    }
    const stack = { cell, hiddenSize, numLayers, nonlinearity, gateActivation, resetAfter, rng, dtype };
    this.sourceEmbedding =
      sourceVocabSize === undefined
        ? null
        : this.registerModule("sourceEmbedding", new Embedding({ numEmbeddings: sourceVocabSize, embeddingDim: embeddingSize, rng, dtype }));
    this.encoder = this.registerModule(
      "encoder",
      createRecurrentLayer({ ...stack, inputSize: sourceInputSize ?? embeddingSize }),
    );
    this.targetEmbedding = this.registerModule(
      "targetEmbedding",
      new Embedding({ numEmbeddings: targetVocabSize, embeddingDim: embeddingSize, rng, dtype }),
    );
    this.decoder = this.registerModule("decoder", createRecurrentLayer({ ...stack, inputSize: embeddingSize }));
    this.head = this.registerModule("head", new Linear({ inFeatures: hiddenSize, outFeatures: targetVocabSize, rng, dtype }));
  }

  /** The encoder's final state for src: ids [T_in, B] (token source) or [T_in, B, I] (feature source). */
  encode(src: Tensor, srcLengths?: readonly number[]): RecurrentState {
    checkTensorLike("EncoderDecoder.encode", "src", src, this.sourceEmbedding === null ? " [T_in, B, I]" : " of token ids [T_in, B]");
    let x = src;
    if (this.sourceEmbedding !== null) {
      if (src.rank !== 2) throw new ShapeError(`EncoderDecoder: src ${shapeToString(src.shape)} must be token ids [T_in, B]`);
      x = this.sourceEmbedding.forward(src);
    }
    return this.encoder.forward(x, undefined, { lengths: srcLengths }).state;
  }

  /** The decoder over ids tgtIn [T_out, B] from `state`: logits [T_out, B, V] and the state after the last step. */
  decode(tgtIn: Tensor, state: RecurrentState): { logits: Tensor; state: RecurrentState } {
    checkTensorLike("EncoderDecoder.decode", "tgtIn", tgtIn, " of token ids [T_out, B]");
    checkTensorLike("EncoderDecoder.decode", "state.h", state?.h);
    const B = state.h.shape[1];
    if (tgtIn.rank !== 2 || tgtIn.shape[1] !== B) {
      throw new ShapeError(
        `EncoderDecoder: tgtIn ${shapeToString(tgtIn.shape)} must be token ids [T_out, ${B}] (state h ${shapeToString(state.h.shape)})`,
      );
    }
    const r = this.decoder.forward(this.targetEmbedding.forward(tgtIn), state);
    return { logits: this.head.forward(r.output), state: r.state };
  }

  /** The type and constructor options that rebuild this module (used by model files). */
  modelSpec(): { type: string; options: Record<string, unknown> } {
    return { type: "EncoderDecoder", options: this.#spec };
  }

  /** Teacher-forced logits [T_out, B, V] for src and the decoder inputs tgtIn [T_out, B]. */
  forward(src: Tensor, tgtIn: Tensor, options: { srcLengths?: readonly number[] } = {}): Tensor {
    return this.decode(tgtIn, this.encode(src, options.srcLengths)).logits;
  }

  /**
   * Greedy decoding without grad: from `start`, feed back the most likely token (lowest
   * id on ties) one step at a time. Returns B rows of at most maxLength ids; a row ends
   * before maxLength when it emits `end`, and decoding stops once every row has ended.
   */
  greedyDecode(src: Tensor, options: GreedyDecodeOptions): number[][] {
    const { start, end, maxLength, srcLengths } = options;
    const V = this.targetEmbedding.numEmbeddings;
    if (!Number.isInteger(maxLength) || maxLength < 0) throw new RangeError(`greedyDecode: maxLength must be a non-negative integer, got ${maxLength}`);
    for (const [key, v] of [["start", start], ["end", end]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v < V)) {
        throw new RangeError(`greedyDecode: ${key} ${v} is not a token id in [0, ${V})`);
      }
    }
    return noGrad(() => {
      let state = this.encode(src, srcLengths);
      const B = state.h.shape[1];
      const rows: number[][] = Array.from({ length: B }, () => []);
      const done = new Array<boolean>(B).fill(false);
      let tokens = new Array<number>(B).fill(start);
      for (let t = 0; t < maxLength && done.includes(false); t++) {
        const r = this.decoder.forward(this.targetEmbedding.forward(tokens, [1, B]), state);
        state = r.state;
        const logits = this.head.forward(r.output).data; // [1, B, V]
        tokens = tokens.map((_, b) => argmaxRow(logits, b * V, V));
        for (let b = 0; b < B; b++) {
          if (done[b]) continue;
          if (tokens[b] === end) done[b] = true;
          else rows[b].push(tokens[b]);
        }
      }
      return rows;
    });
  }
}

/** Index of the largest of values[off .. off+n), the first one on ties. */
function argmaxRow(values: ArrayLike<number>, off: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (values[off + k] > values[off + best]) best = k;
  return best;
}
