/**
 * Keras models from disk: `loadKerasModel(path)` reads a `.keras` or `.h5` file and imports it
 * as `importKeras` (src/interop/keras-files.ts) does, which tells the two apart by their bytes,
 * with the container read in a worker thread under a time limit (./keras-reader.ts).
 */
import { readFileSync } from "node:fs";
import { KerasImportError } from "../interop/keras-files.js";
import type { ImportedKerasModel } from "../interop/keras-import.js";
import { importKerasIsolated, KERAS_READ_TIMEOUT_MS } from "./keras-reader.js";

export interface LoadKerasOptions {
  /** How long reading the file may take before it is refused, in milliseconds. Default 30 000. */
  timeoutMs?: number;
}

/**
 * Reads the Keras model at `path` into a trainable rnnkit model (see docs/keras.md). Refuses,
 * naming the file: a file that cannot be read, every refusal of `importKeras`, and a file whose
 * reading takes longer than `options.timeoutMs` (a corrupt HDF5 file can make the HDF5 library
 * loop; the read runs in a worker thread that is then stopped).
 * @example
 * const { model, notes } = await loadKerasModel("model.keras");
 * const y = model.forward(x); // x [B, T, I] batch-first (or token ids [B, T])
 */
export async function loadKerasModel(path: string, options: LoadKerasOptions = {}): Promise<ImportedKerasModel> {
  if (typeof path !== "string" || path === "") throw new TypeError(`loadKerasModel: path must be a file path, got ${String(path)}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new KerasImportError(`loadKerasModel: ${path}: cannot be read: ${(e as Error).message}`);
  }
  const timeoutMs = options.timeoutMs ?? KERAS_READ_TIMEOUT_MS;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new RangeError(`loadKerasModel: options.timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  return importKerasIsolated(bytes, path, timeoutMs);
}
