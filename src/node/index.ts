/**
 * rnnkit's Node layer (`import … from "rnnkit/node"`): files on disk (model files,
 * checkpoints, safetensors and NumPy .npy arrays, written atomically; MNIST IDX files), the terminal progress
 * bar, the RNNKIT_BACKEND / RNNKIT_THREADS environment variables, and the native kernels
 * (`loadNativeKernels`: which GEMM variants this CPU runs). Importing it also registers
 * Node's hooks with the core (the WebAssembly builds read from disk, worker threads for
 * `setThreads`, the native addon for `useBackend("native")`). Everything else comes from the platform-neutral `rnnkit`.
 *
 * @example
 * import { LSTM, Rng } from "rnnkit";
 * import { saveModel, loadModel } from "rnnkit/node";
 * saveModel("lstm.safetensors", new LSTM({ inputSize: 3, hiddenSize: 8, rng: new Rng(0) }));
 * const { model } = loadModel<LSTM>("lstm.safetensors");
 *
 * @module rnnkit/node
 */
import "./platform.js";

export {
  saveModel, loadModel, saveCheckpoint, loadCheckpoint, readCheckpointFile, checkpointFile, saveSafetensors, loadSafetensors,
} from "./files.js";
export { readNpyFile, writeNpyFile } from "./npy-files.js";
export { saveLayersModel, type SavedLayersModel } from "./tfjs-files.js";
export { loadLayersModel } from "./tfjs-load.js";
export { loadKerasModel, type LoadKerasOptions } from "./keras-load.js";
export { writeFileAtomic } from "./atomic.js";
export { checkWritableDir } from "./atomic.js";
export { readIdx } from "./idx-files.js";
export { loadMnistDir } from "./mnist-files.js";
export { terminalProgress, type ProgressMode } from "./progress.js";
export { configureFromEnvironment } from "./environment.js";
export { loadNativeKernels, type NativeKernels, type NativeKernelOptions, type NativeGemmVariant } from "./native.js";
