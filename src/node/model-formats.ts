/**
 * A model file of any format rnnkit reads, picked by its extension, loaded into a module: the
 * one place commands such as `predict` get models from. Today that is rnnkit's own model files
 * (`.safetensors`, ./files.ts). A reader for another format (ONNX, Keras) is one more entry in
 * READERS returning the same LoadedModel, and every command that loads through here reads it.
 * Not here: converting between formats, sniffing a format from the bytes.
 */
import { extname } from "node:path";
import { loadModel } from "./files.js";
import type { LoadedModel } from "../io/model-file.js";

/** A model format that can be read: its name, its file extensions (lower case, with the dot) and its loader. */
export interface ModelFileReader {
  format: string;
  extensions: readonly string[];
  read: (path: string) => LoadedModel;
}

const READERS: readonly ModelFileReader[] = [
  { format: "rnnkit model files", extensions: [".safetensors"], read: (path) => loadModel(path) },
];

/** Formats people will try that are not read (yet), so the refusal can name what the file is. */
const NOT_READ: Record<string, string> = {
  ".onnx": "an ONNX model",
  ".keras": "a Keras model",
  ".h5": "a Keras (HDF5) model",
  ".hdf5": "a Keras (HDF5) model",
  ".pt": "a PyTorch pickle",
  ".pth": "a PyTorch pickle",
  ".ckpt": "a training checkpoint (the model is the .safetensors file written beside it)",
  ".json": "a JSON file (a TensorFlow.js model.json?)",
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
 * @example const { model, metadata } = loadModelFile("classifier.safetensors", "predict");
 */
export function loadModelFile(path: string, who: string): LoadedModel {
  return modelFileReader(path, who).read(path);
}
