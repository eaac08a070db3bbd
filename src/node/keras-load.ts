/**
 * Keras models from disk: `loadKerasModel(path)` reads a `.keras` or `.h5` file and imports it
 * with `importKeras` (src/interop/keras-files.ts), which tells the two apart by their bytes.
 */
import { readFileSync } from "node:fs";
import { importKeras, KerasImportError } from "../interop/keras-files.js";
import type { ImportedKerasModel } from "../interop/keras-import.js";

/**
 * Reads the Keras model at `path` into a trainable rnnkit model (see docs/keras.md). Refuses,
 * naming the file: a file that cannot be read, and every refusal of `importKeras`.
 * @example
 * const { model, notes } = await loadKerasModel("model.keras");
 * const y = model.forward(x); // x [B, T, I] batch-first (or token ids [B, T])
 */
export async function loadKerasModel(path: string): Promise<ImportedKerasModel> {
  if (typeof path !== "string" || path === "") throw new TypeError(`loadKerasModel: path must be a file path, got ${String(path)}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new KerasImportError(`loadKerasModel: ${path}: cannot be read: ${(e as Error).message}`);
  }
  return importKeras(bytes, path);
}
