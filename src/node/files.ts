/**
 * Model files, checkpoints and safetensors on disk, for Node: the core's byte encodings
 * (src/io, src/train/checkpoint.ts) written atomically (./atomic.ts) and read back with the
 * path in every message.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic.js";
import { decodeSafetensors, encodeSafetensors, type NamedTensor, type SafetensorsContents } from "../io/safetensors.js";
import { decodeModel, encodeModel, specOf, type DecodeModelOptions, type LoadedModel, type ModelSpec } from "../io/model-file.js";
import { CheckpointError, encodeCheckpoint, restoreCheckpoint, type CheckpointContents, type TrainerState } from "../train/checkpoint.js";
import type { Module } from "../nn/module.js";
import type { Optimizer } from "../optim/optimizer.js";
import type { Rng } from "../tensor/random.js";

/** Writes named tensors and string metadata as a safetensors file, atomically. */
export function saveSafetensors(path: string, tensors: Iterable<[string, NamedTensor]>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads and validates a safetensors file. */
export function loadSafetensors(path: string): SafetensorsContents {
  return decodeSafetensors(new Uint8Array(readFileSync(path)), path);
}

/**
 * Saves `model` (atomically) with its spec and optional string metadata.
 * @example saveModel("lstm.safetensors", new LSTM({ inputSize: 3, hiddenSize: 8, rng: new Rng(0) }));
 */
export function saveModel(path: string, model: Module, spec: ModelSpec = specOf(model), metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeModel(model, spec, metadata));
}

/**
 * Rebuilds the saved module and loads its parameters; refuses with a SafetensorsError
 * naming the file any file that does not fit (docs/model-files.md).
 */
export function loadModel<M extends Module = Module>(path: string, options: DecodeModelOptions = {}): LoadedModel<M> {
  return decodeModel<M>(new Uint8Array(readFileSync(path)), path, options);
}

/**
 * Writes a checkpoint atomically (temp file + rename): model, optimizer, `rng`, the model's
 * own generators (Dropout's), `trainer` and `config`. Throws NonFiniteError, writing nothing,
 * if a parameter or optimizer buffer holds NaN or ±Inf.
 */
export function saveCheckpoint(
  path: string, model: Module, optimizer: Optimizer, rng: Rng, trainer: TrainerState, config: Record<string, unknown> = {},
): void {
  writeFileAtomic(path, encodeCheckpoint(model, optimizer, rng, trainer, config));
}

/** Reads a checkpoint file; throws CheckpointError (and changes nothing) if the file is missing or refused. */
export function readCheckpointFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CheckpointError(`checkpoint refused: ${path}: ${(e as Error).message}`);
  }
}

/**
 * Restores model, optimizer, `rng` and the model's generators from a checkpoint file and
 * returns the trainer state and config. The whole file is checked first (src/train/checkpoint.ts);
 * a refusal is a CheckpointError naming `path`, the part and what was expected, and changes nothing.
 */
export function loadCheckpoint(path: string, model: Module, optimizer: Optimizer, rng: Rng): CheckpointContents {
  return restoreCheckpoint(readCheckpointFile(path), model, optimizer, rng, path);
}

/**
 * `fit`'s checkpoint option writing to `path` atomically.
 * @example fit(model, data, { ...options, checkpoint: checkpointFile("run.ckpt", { everySteps: 100 }) });
 *          fit(model, data, { ...options, resumeFrom: readCheckpointFile("run.ckpt") });
 */
export function checkpointFile(path: string, options: { everySteps?: number } = {}): { write: (bytes: Uint8Array) => void; everySteps?: number } {
  return { write: (bytes) => writeFileAtomic(path, bytes), everySteps: options.everySteps };
}
