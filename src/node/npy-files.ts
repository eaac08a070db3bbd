/**
 * NumPy `.npy` files on disk, for Node: the core's byte encoding (src/io/npy.ts) read with the
 * path in every message and written atomically (./atomic.ts), like the model files.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic.js";
import { readNpy, writeNpy, type NpyArray, type WriteNpyOptions } from "../io/npy.js";

/**
 * Reads and checks a `.npy` file; a refused file is an NpyError whose message starts with `path`.
 * @example const x = readNpyFile("x.npy"); // { dtype: "float32", shape: [5, 2, 4], data: Float32Array(40) }
 */
export function readNpyFile(path: string): NpyArray {
  return readNpy(new Uint8Array(readFileSync(path)), path);
}

/**
 * Writes `array` as a `.npy` file, atomically, with the bytes NumPy's `np.save` writes.
 * @example writeNpyFile("y.npy", { dtype: "float32", shape: [2], data: new Float32Array([0.5, 1]) });
 */
export function writeNpyFile(path: string, array: NpyArray, options: WriteNpyOptions = {}): void {
  writeFileAtomic(path, writeNpy(array, options));
}
