/**
 * Text from a character model: a SequenceToSequence that reads one-hot characters (or
 * character ids through its embedding) and predicts the logits of the next, stepped one
 * character at a time with `StepRunner` and its samples fed back in.
 */
import { oneHot } from "../ops/gather.js";
import { Tensor } from "../tensor/tensor.js";
import type { Rng } from "../tensor/random.js";
import { sampleLogits } from "./sampling.js";
import { StepRunner } from "./streaming.js";
import type { RecurrentState } from "../ops/recurrent.js";
import type { SequenceToSequence } from "./topologies.js";
import { checkInteger, checkKnownKeys, checkNumber, checkOptionsObject, checkRng, describeValue } from "../util/check.js";

export interface GenerateOptions {
  /**
   * Characters read before generating (at least one); the last one's prediction is the first
   * sample. Characters are code points: an emoji is one character.
   */
  prime: string;
  /** Characters to generate. */
  length: number;
  /** 0 = greedy; 1 = the model's distribution. */
  temperature: number;
  rng: Rng;
  /** State before the prime; zeros when omitted. */
  state?: RecurrentState;
}

/**
 * Generates `length` characters (the prime not included) from a character model: a
 * SequenceToSequence whose input is a one-hot character (or, with vocabSize, a character id
 * through its embedding) and whose output is the logits of the next, stepped one character
 * at a time with `StepRunner`.
 */
export function generateText(model: SequenceToSequence, chars: readonly string[], options: GenerateOptions): string {
  const who = "generateText";
  if (!Array.isArray(chars) || chars.length === 0 || !chars.every((c) => typeof c === "string" && [...c].length === 1)) {
    throw new TypeError(`${who}: chars must be a non-empty array of single characters (code points), got ${describeValue(chars)}`);
  }
  checkKnownKeys(who, checkOptionsObject(who, options), ["prime", "length", "temperature", "rng", "state"]);
  const V = chars.length;
  const { prime } = options;
  if (typeof prime !== "string") throw new TypeError(`${who}: prime must be a string, got ${describeValue(prime)}`);
  const length = checkInteger(who, "length", options.length, 0);
  const temperature = checkNumber(who, "temperature", options.temperature, 0);
  const rng = checkRng(who, options.rng);
  const reads = model.embedding?.numEmbeddings ?? model.rnn.spec.inputSize;
  if (reads !== V || model.head.options.outFeatures !== V) {
    throw new Error(`generateText: the model reads ${reads} and predicts ${model.head.options.outFeatures} classes, but the vocabulary has ${V} characters`);
  }
  if (prime.length === 0) throw new Error("generateText: the prime needs at least one character");
  const index = new Map(chars.map((c, i) => [c, i]));
  const runner = new StepRunner(model);
  let state = options.state ?? runner.initialState(1);
  let next = -1;
  const feed = (id: number) => {
    const r = runner.step(model.embedding === null ? oneHot([id], V) : Tensor.from([id]), state);
    state = r.state;
    next = sampleLogits(r.y.data, temperature, rng);
  };
  for (const ch of prime) {
    const id = index.get(ch);
    if (id === undefined) throw new Error(`generateText: the prime's character ${JSON.stringify(ch)} is not in the model's vocabulary`);
    feed(id);
  }
  let out = "";
  for (let i = 0; i < length; i++) {
    out += chars[next];
    if (i + 1 < length) feed(next);
  }
  return out;
}
