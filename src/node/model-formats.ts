/**
 * A model file of any format rnnkit reads, picked by its extension, loaded into a module: the
 * one place commands such as `predict` get models from: rnnkit's own model files (`.safetensors`,
 * ./files.ts), ONNX models (`.onnx`, `importOnnx` in src/onnx/import.ts: a recurrent stack lifted
 * into rnnkit's modules, any other graph of the supported operators as an OnnxGraph; asynchronous
 * since protobufjs is imported lazily), TensorFlow.js layers models (`model.json` with its weight
 * files, ./tfjs-load.ts) and Keras models (`.keras`, `.h5`, ./keras-load.ts). A reader for another
 * format is one more entry in READERS returning the same LoadedModel, and every command that loads
 * through here reads it.
 * Not here: converting between formats, sniffing a format from the bytes.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { loadModel } from "./files.js";
import type { LoadedModel } from "../io/model-file.js";
import { importOnnx } from "../onnx/import.js";
import { loadLayersModel } from "./tfjs-load.js";
import { loadKerasModel } from "./keras-load.js";

/** A model format that can be read: its name, its file extensions (lower case, with the dot) and its loader. */
export interface ModelFileReader {
  format: string;
  extensions: readonly string[];
  read: (path: string) => LoadedModel | Promise<LoadedModel>;
}

/** An ONNX model as a module, lifted or interpreted (its notes are not metadata: a model read from ONNX carries none). */
async function readOnnxModel(path: string): Promise<LoadedModel> {
  const { model, spec } = await importOnnx(new Uint8Array(readFileSync(path)), path);
  return { model, spec, metadata: {} };
}

/** The metadata key that records a TF.js model's Dense activation, which rnnkit model files do not hold. */
export const OUTPUT_ACTIVATION_KEY = "rnnkit.outputActivation";

/**
 * A TF.js layers model lifted into a module. A Dense activation other than linear is applied by
 * the module (so `predict` gives TF.js's outputs) and recorded in the metadata under
 * OUTPUT_ACTIVATION_KEY, since an rnnkit model file saves the model without it.
 */
function readLayersModel(path: string): LoadedModel {
  const { model, spec, outputActivation } = loadLayersModel(path);
  return { model, spec, metadata: outputActivation === "linear" ? {} : { [OUTPUT_ACTIVATION_KEY]: outputActivation } };
}

/**
 * A Keras model (.keras or .h5) lifted into a module; a chain's Dense activation is recorded
 * like a TF.js model's (a KerasLayersModel keeps its activations in its own spec).
 */
async function readKerasModel(path: string): Promise<LoadedModel> {
  const { model, spec, outputActivation } = await loadKerasModel(path);
  return { model, spec, metadata: outputActivation === "linear" ? {} : { [OUTPUT_ACTIVATION_KEY]: outputActivation } };
}

const READERS: readonly ModelFileReader[] = [
  { format: "rnnkit model files", extensions: [".safetensors"], read: (path) => loadModel(path) },
  { format: "ONNX models", extensions: [".onnx"], read: readOnnxModel },
  { format: "TensorFlow.js layers models", extensions: [".json"], read: readLayersModel },
  { format: "Keras models", extensions: [".keras", ".h5", ".hdf5"], read: readKerasModel },
];

/** Formats people will try that are not read (yet), so the refusal can name what the file is. */
const NOT_READ: Record<string, string> = {
  ".pt": "a PyTorch pickle",
  ".pth": "a PyTorch pickle",
  ".ckpt": "a training checkpoint (the model is the .safetensors file written beside it)",
  ".npy": "a NumPy array, not a model",
};

/** "rnnkit model files (.safetensors)": what can be read, for help texts and refusals. */
export function readableModelFormats(): string {
  return READERS.map((r) => `${r.format} (${r.extensions.join(", ")})`).join(", ");
}

/**
 * The reader for `path`'s format (by extension, case-insensitive), without touching the file;
 * refuses any other, naming the file, what it looks like and what `who` reads today.
 */
export function modelFileReader(path: string, who: string): ModelFileReader {
  const ext = extname(path).toLowerCase();
  const reader = READERS.find((r) => r.extensions.includes(ext));
  if (reader === undefined) {
    const what = NOT_READ[ext] ?? (ext === "" ? "a file without an extension" : `a ${ext} file`);
    throw new Error(`${path}: ${what}; ${who} reads ${readableModelFormats()} today`);
  }
  return reader;
}

/**
 * Loads a model file of any readable format (see `modelFileReader`). The readers' own refusals
 * (a corrupt file: SafetensorsError naming it) pass through unchanged.
 * @example const { model, metadata } = await loadModelFile("classifier.safetensors", "predict");
 */
export async function loadModelFile(path: string, who: string): Promise<LoadedModel> {
  return modelFileReader(path, who).read(path);
}
