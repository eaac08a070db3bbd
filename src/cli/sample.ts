/**
 * `rnnkit sample <model-file> [--prime TEXT] [--temperature T] [--length N] [--seed N]`:
 * text from a saved character model (a SequenceToSequence over one-hot characters whose
 * file metadata holds its vocabulary under `rnnkit.vocab`, as the charnn experiment
 * writes it). Thin: checks the arguments and the file, then calls `generateText`.
 */
import { loadModel } from "../node/files.js";
import { SequenceToSequence } from "../nn/topologies.js";
import { Rng } from "../tensor/random.js";
import { generateText } from "../nn/generate.js";
import { expectFile } from "./paths.js";

/** The metadata key that holds the vocabulary: a JSON array of one-character strings, index = class id. */
export const VOCAB_KEY = "rnnkit.vocab";

/** The command's options as commander hands them over (strings). */
export interface SampleArgs {
  prime?: string;
  temperature: string;
  length: string;
  seed: string;
}

/** A numeric command-line option, refused with the command, the option, what it got and what is allowed. */
export function parseNumber(name: string, raw: string, check: (v: number) => boolean, want: string, command = "sample"): number {
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(v) || !check(v)) throw new Error(`${command}: --${name} must be ${want}, got '${raw}'`);
  return v;
}

/** The vocabulary stored in a model file's metadata; refuses a file without one. */
export function vocabularyOf(path: string, metadata: Record<string, string>): string[] {
  const raw = metadata[VOCAB_KEY];
  if (raw === undefined) {
    throw new Error(
      `${path}: the model file holds no vocabulary (metadata key ${VOCAB_KEY}), so its class ids cannot be turned into characters; ` +
        `save character models with saveModel(path, model, spec, { "${VOCAB_KEY}": JSON.stringify(vocab.chars) })`,
    );
  }
  let chars: unknown;
  try {
    chars = JSON.parse(raw);
  } catch {
    throw new Error(`${path}: the vocabulary in ${VOCAB_KEY} is not JSON`);
  }
  if (!Array.isArray(chars) || chars.length === 0 || !chars.every((c) => typeof c === "string" && [...c].length === 1)) {
    throw new Error(`${path}: the vocabulary in ${VOCAB_KEY} must be a non-empty JSON array of single characters`);
  }
  if (new Set(chars).size !== chars.length) throw new Error(`${path}: the vocabulary in ${VOCAB_KEY} repeats a character`);
  return chars as string[];
}

/**
 * The generated text: the prime followed by `length` sampled characters. Without a
 * prime the model starts from a newline (or, if it has none, its first character),
 * which is not printed.
 */
export function sampleFromFile(path: string, args: SampleArgs): string {
  const temperature = parseNumber("temperature", args.temperature, (v) => v >= 0, "a number ≥ 0");
  const length = parseNumber("length", args.length, (v) => Number.isInteger(v) && v >= 0, "a non-negative integer");
  const seed = parseNumber("seed", args.seed, Number.isInteger, "an integer");
  if (args.prime === "") throw new Error("sample: --prime must not be empty (leave it out to start from a newline)");
  expectFile(path, "a model file (.safetensors) saved by rnnkit, e.g. by repro charnn");
  const { model, metadata } = loadModel(path);
  const chars = vocabularyOf(path, metadata);
  if (!(model instanceof SequenceToSequence)) {
    throw new Error(`${path}: holds a ${model.constructor.name}; sample needs a SequenceToSequence character model`);
  }
  const prime = args.prime ?? (chars.includes("\n") ? "\n" : chars[0]);
  const text = generateText(model, chars, { prime, length, temperature, rng: new Rng(seed) });
  return args.prime === undefined ? text : prime + text;
}
