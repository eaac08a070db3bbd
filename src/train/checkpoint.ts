/**
 * Training checkpoints: model parameters, optimizer state, generator state, step,
 * position in the epoch and the run's config, as the bytes of one safetensors file (the
 * Node layer writes them atomically, src/node/files.ts). Loading validates the whole file (structure, checksum, every name and
 * shape, the optimizer kind) before changing anything; a refused file changes nothing.
 *
 * Layout: tensors `model.<param name>` and `optim.<param index>.<buffer>`; metadata
 * `rnnkit.format` = "checkpoint/1" and `rnnkit.checkpoint` = JSON of the rest.
 */
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../io/safetensors.js";
import type { Module } from "../nn/module.js";
import type { Optimizer, OptimizerStateDict } from "../optim/optimizer.js";
import { Rng, type RngState } from "../tensor/random.js";

export const CHECKPOINT_FORMAT = "checkpoint/1";

/** Where the training loop stands; enough to continue exactly. */
export interface TrainerState {
  /** Optimizer steps taken. */
  step: number;
  epoch: number;
  /** Next batch to take within the epoch. */
  batchInEpoch: number;
  /** The epoch's sample order (null between epochs). */
  permutation: number[] | null;
  /** Running sums of the epoch so far and whatever else the loop needs (JSON). */
  extra: Record<string, unknown>;
}

export interface CheckpointContents {
  trainer: TrainerState;
  rngState: RngState;
  config: Record<string, unknown>;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

interface Meta {
  trainer: TrainerState;
  rngState: RngState;
  config: Record<string, unknown>;
  optimizer: Omit<OptimizerStateDict, "state"> & { state: Array<{ step: number; buffers: string[] } | null> };
}

/** The checkpoint's bytes: model, optimizer state, generator state, trainer position and config. */
export function encodeCheckpoint(model: Module, optimizer: Optimizer, rng: Rng, trainer: TrainerState, config: Record<string, unknown> = {}): Uint8Array {
  const tensors: Array<[string, NamedTensor]> = model.namedParameters().map(([n, t]) => [`model.${n}`, { shape: t.shape, data: t.data }]);
  const od = optimizer.stateDict();
  const state = od.state.map((s, i) => {
    if (s === null) return null;
    const p = optimizer.params[i];
    const names = Object.keys(s.buffers);
    for (const b of names) {
      const data = p.data instanceof Float64Array ? Float64Array.from(s.buffers[b]) : Float32Array.from(s.buffers[b]);
      tensors.push([`optim.${i}.${b}`, { shape: [data.length], data }]);
    }
    return { step: s.step, buffers: names };
  });
  const meta: Meta = { trainer, rngState: rng.getState(), config, optimizer: { ...od, state } };
  return encodeSafetensors(tensors, { "rnnkit.format": CHECKPOINT_FORMAT, "rnnkit.checkpoint": JSON.stringify(meta) });
}

/**
 * Restores model, optimizer and generator from checkpoint bytes and returns the trainer
 * state and config. Throws CheckpointError (and changes nothing) if anything is off;
 * `path` names the bytes in messages.
 */
export function restoreCheckpoint(bytes: Uint8Array, model: Module, optimizer: Optimizer, rng: Rng, path = "checkpoint"): CheckpointContents {
  let contents;
  try {
    contents = decodeSafetensors(bytes, path);
  } catch (e) {
    throw new CheckpointError(`checkpoint refused: ${(e as Error).message}`);
  }
  const { tensors, metadata } = contents;
  if (metadata["rnnkit.format"] !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`checkpoint refused: ${path} is not an rnnkit checkpoint (format ${metadata["rnnkit.format"] ?? "missing"})`);
  }
  let meta: Meta;
  try {
    meta = JSON.parse(metadata["rnnkit.checkpoint"] ?? "");
  } catch {
    throw new CheckpointError(`checkpoint refused: ${path} has unreadable trainer metadata`);
  }
  const modelDict: Record<string, NamedTensor> = {};
  for (const [name, t] of tensors) if (name.startsWith("model.")) modelDict[name.slice(6)] = t;
  let optimDict: OptimizerStateDict;
  try {
    optimDict = {
      ...meta.optimizer,
      state: meta.optimizer.state.map((s, i) =>
        s === null ? null : {
          step: s.step,
          buffers: Object.fromEntries(s.buffers.map((b) => {
            const t = tensors.get(`optim.${i}.${b}`);
            if (t === undefined) throw new Error(`optimizer buffer optim.${i}.${b} is missing`);
            return [b, Array.from(t.data)];
          })),
        }),
    };
  } catch (e) {
    throw new CheckpointError(`checkpoint refused: ${path}: ${(e as Error).message}`);
  }
  const before = model.stateDict();
  try {
    rngOfState(meta.rngState); // validate before anything is written
    model.loadStateDict(modelDict);
    optimizer.loadStateDict(optimDict);
    rng.setState(meta.rngState);
  } catch (e) {
    model.loadStateDict(before);
    throw new CheckpointError(`checkpoint refused: ${path} does not fit this model and optimizer: ${(e as Error).message}`);
  }
  return { trainer: meta.trainer, rngState: meta.rngState, config: meta.config };
}

function rngOfState(state: RngState): Rng {
  const r = new Rng(0);
  r.setState(state);
  return r;
}
