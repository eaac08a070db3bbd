/**
 * `rnnkit predict MODEL IN0.npy [IN1.npy …] [-o OUT.npy] [--steps N]`: a saved model run on NumPy
 * arrays. Thin: checks the paths, loads the model (any readable format, src/node/model-formats.ts),
 * reads the arrays, hands them to `predictArrays` (src/io/predict-arrays.ts, which knows what each
 * model type reads) and writes the first output as float32 `.npy`, or prints its shape and a
 * summary. Every refusal is one line naming the file and what was expected (exit 2).
 */
import { dirname, extname } from "node:path";
import { Command } from "commander";
import { modelFileReader, readableModelFormats } from "../node/model-formats.js";
import { readNpyFile, writeNpyFile } from "../node/npy-files.js";
import { checkWritableDir } from "../node/atomic.js";
import { predictArrays, type PredictArraysResult } from "../io/predict-arrays.js";
import { expectFile } from "./paths.js";
import { parseNumber, VOCAB_KEY, vocabularyOf } from "./sample.js";
import { usageExitCodes } from "./train-text.js";

/** The command's options as commander hands them over (strings). */
export interface PredictArgs {
  output?: string;
  steps?: string;
}

/** Values shown in the summary, at most. */
const FIRST_VALUES = 8;

const pyShape = (s: readonly number[]) => (s.length === 1 ? `(${s[0]},)` : `(${s.join(", ")})`);
const num = (v: number) => String(Number(v.toPrecision(6)));

/** The output's shape, min, max and mean (over its finite values) and its first values. */
export function summarizeOutput(result: PredictArraysResult, inputs: readonly string[]): string {
  const { shape, data } = result.output;
  const lines = [`${result.model} on ${inputs.join(", ")}: output float32 ${pyShape(shape)}`];
  let min = Infinity, max = -Infinity, sum = 0, finite = 0;
  for (const v of data) {
    if (!Number.isFinite(v)) continue;
    finite++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (finite > 0) lines.push(`  min ${num(min)}  max ${num(max)}  mean ${num(sum / finite)}`);
  if (finite < data.length) lines.push(`  ${data.length - finite} of ${data.length} values are NaN or infinite`);
  const first = Array.from(data.subarray(0, FIRST_VALUES), num).join(", ");
  lines.push(`  first values (C order): ${first}${data.length > FIRST_VALUES ? ", …" : ""}`);
  return lines.join("\n");
}

/**
 * Runs the model file on the arrays and writes the output to `args.output` (returning a line
 * saying so) or returns the summary. Throws, naming the file and what was expected, for a model
 * or an array that cannot be used.
 */
export async function predictFromFiles(modelPath: string, inputPaths: readonly string[], args: PredictArgs): Promise<string> {
  const steps = args.steps === undefined ? undefined : parseNumber("steps", args.steps, (v) => Number.isInteger(v) && v >= 1, "a positive integer", "predict");
  const out = args.output;
  if (out !== undefined) {
    if (extname(out).toLowerCase() !== ".npy") throw new Error(`predict: -o ${out}: the output is written as a NumPy array; give a path ending in .npy`);
    checkWritableDir(dirname(out));
  }
  const reader = modelFileReader(modelPath, "predict"); // the format first: a .pt path is refused for what it is
  expectFile(modelPath, `a model file: ${readableModelFormats()}`);
  const { model, metadata } = await reader.read(modelPath);
  try {
    const vocabSize = metadata[VOCAB_KEY] === undefined ? undefined : vocabularyOf(modelPath, metadata).length;
    const inputs = inputPaths.map((path) => {
      expectFile(path, "a NumPy array file (.npy, written by np.save)");
      return { name: path, array: readNpyFile(path) };
    });
    const result = predictArrays(model, inputs, { vocabSize, steps });
    if (out === undefined) return summarizeOutput(result, inputPaths);
    writeNpyFile(out, result.output);
    return `wrote ${out}: float32 ${pyShape(result.output.shape)}, the output of ${result.model}`;
  } finally {
    model.dispose();
  }
}

/** `rnnkit predict`: add to the program (`program.addCommand(predictCommand())`). */
export function predictCommand(): Command {
  const cmd = new Command("predict")
    .description("run a saved model on NumPy arrays (.npy) and write or summarize its output")
    .argument("<model-file>", `the model: ${readableModelFormats()}`)
    .argument("<inputs...>", "the model's inputs in order, one .npy file each (np.save)")
    .option("-o, --output <file.npy>", "write the output here as float32 .npy (default: print its shape and a summary)")
    .option("--steps <n>", "steps to generate (VectorToSequence models only)")
    .addHelpText(
      "after",
      `
Inputs (time-major unless the model was built with batchFirst; leave out B for one sequence):
  SequenceToVector, SequenceToSequence, RNN, LSTM, GRU   x [T, B, I] float32/float64
  a character model (vocabulary in rnnkit.vocab)          x [T, B] int32/int64 token ids, one-hot encoded
  SequenceToVector, SequenceToSequence with vocabSize     x [T, B] int32/int64 token ids, through its embedding
  VectorToSequence (with --steps)                         v [B, I] float32/float64
  EncoderDecoder                                          src [T_in, B] ids (or [T_in, B, I] floats), tgtIn [T_out, B] ids
  Linear                                                  x [..., I] float32/float64
  an ONNX graph (not a recurrent stack)                   each graph input in order, as the file declares it
float64 inputs to a float32 model are rounded to float32.`,
    )
    .action(async (file: string, inputs: string[], opts: PredictArgs) => {
      process.stdout.write(`${await predictFromFiles(file, inputs, opts)}\n`);
    });
  return usageExitCodes(cmd);
}
