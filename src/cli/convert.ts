/**
 * `rnnkit convert IN OUT`: a saved model written in another format, picked by OUT's extension —
 * ONNX (`.onnx`, via `exportOnnx` in src/onnx/export.ts), a TensorFlow.js layers model
 * (`DIR/model.json` with `weights.bin` beside it, via `saveLayersModel`) or an rnnkit model file
 * again (`.safetensors`, rewritten with the current checksum). IN is read as `predict` reads models
 * (src/node/model-formats.ts): an rnnkit model file, or an ONNX model read by `importOnnx` — a
 * recurrent stack lifted into rnnkit's modules or any other graph of the supported operators as
 * an OnnxGraph (so `convert model.onnx model.safetensors` turns PyTorch's export into an rnnkit
 * model file; an OnnxGraph goes to .onnx and .safetensors, not to TF.js). A Dense activation a
 * model file records (rnnkit.outputActivation) is applied in the ONNX graph and the TF.js Dense.
 * Thin: a new output format is one more entry in WRITERS. Writes are atomic; every refusal is one
 * line naming the file and what was expected (exit 2).
 */
import { basename, dirname, extname } from "node:path";
import { Command } from "commander";
import { OUTPUT_ACTIVATION_KEY, modelFileReader, readableModelFormats } from "../node/model-formats.js";
import { saveLayersModel } from "../node/tfjs-files.js";
import { checkWritableDir, writeFileAtomic } from "../node/atomic.js";
import { saveModel } from "../node/files.js";
import { exportOnnx } from "../onnx/export.js";
import { OnnxGraph } from "../onnx/graph.js";
import type { Module } from "../nn/module.js";
import { SequenceToSequence, SequenceToVector } from "../nn/topologies.js";
import { TfjsOutputActivationModule } from "../interop/output-activation.js";
import { DATA_CHECKSUM_KEY, FILE_CHECKSUM_KEY } from "../io/safetensors.js";
import type { LoadedModel } from "../io/model-file.js";
import { expectFile } from "./paths.js";
import { usageExitCodes } from "./train-text.js";

/** A format `convert` writes: its name, its extensions (lower case, with the dot) and its writer. */
export interface ModelFileWriter {
  format: string;
  extensions: readonly string[];
  write: (path: string, loaded: LoadedModel, producerVersion: string) => Promise<void> | void;
}

/** The metadata that describes one safetensors file (its checksums), not the model: not carried over. */
const FILE_KEYS = new Set([DATA_CHECKSUM_KEY, FILE_CHECKSUM_KEY, "rnnkit.format", "rnnkit.model"]);
const carriedMetadata = (metadata: Record<string, string>, drop: string[] = []) =>
  Object.fromEntries(Object.entries(metadata).filter(([k]) => !FILE_KEYS.has(k) && !drop.includes(k)));

/**
 * The model with the Dense activation a model file records under OUTPUT_ACTIVATION_KEY applied,
 * so that an ONNX graph computes the original model's outputs (a model read from Keras or TF.js
 * applies it already). The key itself is not written to ONNX: the graph holds the activation.
 */
function withOutputActivation(model: Module, metadata: Record<string, string>): Module {
  const activation = metadata[OUTPUT_ACTIVATION_KEY];
  if (activation === undefined || model instanceof TfjsOutputActivationModule) return model;
  if (!(model instanceof SequenceToSequence || model instanceof SequenceToVector)) {
    throw new Error(`metadata ${OUTPUT_ACTIVATION_KEY} '${activation}' is recorded on a ${model.constructor.name}; only SequenceToSequence and SequenceToVector carry an output activation`);
  }
  if (!(OUTPUT_ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new Error(`metadata ${OUTPUT_ACTIVATION_KEY} is '${activation}'; expected one of ${OUTPUT_ACTIVATIONS.join(", ")}`);
  }
  return new TfjsOutputActivationModule(model, activation as (typeof OUTPUT_ACTIVATIONS)[number]);
}
const OUTPUT_ACTIVATIONS = ["softmax", "sigmoid", "tanh", "relu"] as const;

const WRITERS: readonly ModelFileWriter[] = [
  {
    format: "ONNX",
    extensions: [".onnx"],
    write: async (path, { model, metadata }, producerVersion) => {
      writeFileAtomic(path, await exportOnnx(withOutputActivation(model, metadata), { producerVersion, metadata: carriedMetadata(metadata, [OUTPUT_ACTIVATION_KEY]) }));
    },
  },
  {
    format: "TensorFlow.js layers models",
    extensions: [".json"],
    write: (path, { model, metadata }) => {
      if (model instanceof OnnxGraph) {
        throw new Error("an ONNX graph run by rnnkit's interpreter (OnnxGraph) is not written as a TensorFlow.js layers model: only recurrent stacks lifted into SequenceToSequence, SequenceToVector or RNN / LSTM / GRU map to Keras layers; write .onnx or .safetensors");
      }
      if (basename(path) !== "model.json") throw new Error(`a TensorFlow.js layers model is written as DIR/model.json (weights.bin beside it); name the output …/model.json`);
      saveLayersModel(dirname(path), withOutputActivation(model, metadata));
    },
  },
  {
    format: "rnnkit model files",
    extensions: [".safetensors"],
    write: (path, { model, spec, metadata }) => saveModel(path, model, spec, carriedMetadata(metadata)),
  },
];

/** "ONNX (.onnx), rnnkit model files (.safetensors)": what `convert` writes. */
export function writableModelFormats(): string {
  return WRITERS.map((w) => `${w.format} (${w.extensions.join(", ")})`).join(", ");
}

/** The writer for `path`'s extension (case-insensitive); refuses any other, naming the file and what is written. */
export function modelFileWriter(path: string): ModelFileWriter {
  const ext = extname(path).toLowerCase();
  const writer = WRITERS.find((w) => w.extensions.includes(ext));
  if (writer === undefined) {
    const what = ext === "" ? "a path without an extension" : `a ${ext} file`;
    throw new Error(`convert: ${path}: ${what}; convert writes ${writableModelFormats()} today`);
  }
  return writer;
}

/**
 * Reads the model at `input` and writes it to `output` in the format of its extension;
 * returns the line saying what was written. Refuses (Error naming the file) before reading
 * anything when either format or the output directory is unusable, and names both files when
 * the writer refuses the model (a model ONNX export does not cover).
 */
export async function convertModelFile(input: string, output: string, producerVersion: string): Promise<string> {
  const reader = modelFileReader(input, "convert");
  const writer = modelFileWriter(output);
  checkWritableDir(dirname(output));
  expectFile(input, `a model file: ${readableModelFormats()}`);
  const loaded = await reader.read(input);
  try {
    await writer.write(output, loaded, producerVersion);
  } catch (e) {
    throw new Error(`convert: ${input} → ${output}: ${(e as Error)?.message ?? String(e)}`);
  } finally {
    loaded.model.dispose();
  }
  const activation = loaded.metadata[OUTPUT_ACTIVATION_KEY];
  const dropped = activation !== undefined && writer.extensions.includes(".safetensors")
    ? ` (the ${activation} on its output is not part of an rnnkit model file: it is recorded in the metadata as ${OUTPUT_ACTIVATION_KEY}; apply it to the outputs)`
    : "";
  return `wrote ${output}: ${loaded.spec.type} as ${writer.format}${dropped}`;
}

/** `rnnkit convert`: add to the program with rnnkit's version (written into ONNX files as producer_version). */
export function convertCommand(producerVersion: string): Command {
  const cmd = new Command("convert")
    .description("write a saved model in another format, picked by the output's extension")
    .argument("<model-file>", `the model: ${readableModelFormats()}`)
    .argument("<output>", `where to write it: ${writableModelFormats()}`)
    .addHelpText(
      "after",
      `
ONNX export covers every rnnkit model type (float32): RNN, LSTM, GRU, Linear, the four
topologies, Keras / TF.js models with their output activation, KerasLayersModel graphs, and
ONNX graphs read by rnnkit's interpreter (written back with their current weights); it needs
the protobufjs package (npm install protobufjs). See docs/onnx.md for each graph's inputs.`,
    )
    .action(async (input: string, output: string) => {
      process.stdout.write(`${await convertModelFile(input, output, producerVersion)}\n`);
    });
  return usageExitCodes(cmd);
}
