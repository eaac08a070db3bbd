/**
 * Training checkpoints: model parameters, optimizer state, the run's generator and every
 * generator the model draws from (Dropout's, by module name), the trainer's position,
 * running sums, early-stopping counters and history, and the run's config, as the bytes of
 * one safetensors file (the Node layer writes them atomically, src/node/files.ts).
 *
 * Layout: tensors `model.<param name>` and `optim.<param index>.<buffer>`; metadata
 * `rnnkit.format` = "checkpoint/2" and `rnnkit.checkpoint` = JSON of the rest, in which
 * a non-finite number (or −0) is written as `{"$float": "Infinity" | "-Infinity" | "NaN" | "-0"}`
 * so that it reads back as the same number (plain JSON would write Infinity as null).
 *
 * Writing refuses a state holding a non-finite parameter or optimizer buffer
 * (NonFiniteError). Reading checks the whole file against the schema below — every field's
 * type, range and length, the generators' names against the model's, the optimizer's kind,
 * hyper-parameters and buffers against the optimizer, every tensor's name, size and
 * finiteness — before changing anything; a refused file changes nothing and the
 * CheckpointError names the file, the part and what was expected.
 */
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from "../io/safetensors.js";
import type { Module } from "../nn/module.js";
import type { Optimizer, OptimizerStateDict } from "../optim/optimizer.js";
import type { Rng, RngState } from "../tensor/random.js";
import type { EpochRecord } from "./fit.js";
import { checkFiniteOptimizerState, checkFiniteParameters } from "./guard.js";

export const CHECKPOINT_FORMAT = "checkpoint/2";

/** `fit`'s running sums of the current epoch, early-stopping counters and history. */
export interface LoopState {
  lossSum: number;
  count: number;
  correct: number;
  counted: number;
  /** Best validation loss so far (Infinity before the first validation). */
  bestValLoss: number;
  /** Epochs since the best validation loss improved by minDelta. */
  badEpochs: number;
  /** Early stopping (or a callback) ended the run at the last epoch end. */
  stopped: boolean;
  /** One record per completed epoch. */
  history: EpochRecord[];
}

/** The settings that shape a `fit` run; resuming with different ones is refused unless allowed. */
export interface RunSettings {
  batchSize: number;
  shuffle: boolean;
  trainLength: number;
  /** `Dataset.checksum` of the training set, null if it has none. */
  trainChecksum: string | null;
  validationLength: number | null;
  validationChecksum: string | null;
  clipNorm: number | null;
  clipValue: number | null;
  earlyStopping: { patience: number; minDelta: number } | null;
  /** The schedule's rate for the next step (a probe that a changed schedule fails), null without one. */
  scheduleLr: number | null;
}

/** Where the training loop stands; enough to continue exactly. */
export interface TrainerState {
  /** Optimizer steps taken. */
  step: number;
  epoch: number;
  /** Next batch to take within the epoch. */
  batchInEpoch: number;
  /** The epoch's sample order (null between epochs). */
  permutation: number[] | null;
  /** `fit`'s sums, counters and history (absent in states made by hand). */
  loop?: LoopState;
  /** `fit`'s run settings (absent in states made by hand). */
  settings?: RunSettings;
  /** Anything else (JSON; non-finite numbers are kept). */
  extra: Record<string, unknown>;
}

export interface CheckpointContents {
  trainer: TrainerState;
  rngState: RngState;
  /** The model's generators' states by name (`drop.rng`). */
  generators: Record<string, RngState>;
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
  rng: RngState;
  generators: Record<string, RngState>;
  config: Record<string, unknown>;
  optimizer: Omit<OptimizerStateDict, "state"> & { state: Array<{ step: number; buffers: string[] } | null> };
}

// ---------------------------------------------------------------------------------------
// JSON that keeps non-finite numbers

const FLOAT_TAG = "$float";
const TAGGED: Record<string, number> = { Infinity: Infinity, "-Infinity": -Infinity, NaN: NaN, "-0": -0 };

/** JSON.stringify that writes ±Infinity, NaN and −0 as `{"$float": "…"}` instead of null / 0. */
export function stringifyExact(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))) return { [FLOAT_TAG]: Object.is(v, -0) ? "-0" : String(v) };
    return v;
  });
}

/** JSON.parse that reads `stringifyExact`'s tagged numbers back. */
export function parseExact(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const tag = (v as Record<string, unknown>)[FLOAT_TAG];
      if (keys.length === 1 && keys[0] === FLOAT_TAG && typeof tag === "string" && Object.hasOwn(TAGGED, tag)) return TAGGED[tag];
    }
    return v;
  });
}

// ---------------------------------------------------------------------------------------
// Schema

class SchemaError extends Error {
  constructor(readonly at: string, readonly expected: string, got: unknown) {
    super(`${at}: expected ${expected}, got ${show(got)}`);
  }
}

/** A description to print as it is (not as a JSON value). */
class Said {
  constructor(readonly text: string) {}
}

function show(v: unknown): string {
  if (v instanceof Said) return v.text;
  if (typeof v === "number") return String(v);
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

type Check = (v: unknown, at: string) => void;

const fail = (at: string, expected: string, got: unknown): never => {
  throw new SchemaError(at, expected, got);
};

const int = (min = 0, max = Number.MAX_SAFE_INTEGER): Check => (v, at) => {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) fail(at, `an integer in [${min}, ${max}]`, v);
};
const finite = (min = -Infinity): Check => (v, at) => {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) fail(at, min === -Infinity ? "a finite number" : `a finite number ≥ ${min}`, v);
};
const anyNumber: Check = (v, at) => {
  if (typeof v !== "number") fail(at, "a number", v);
};
const bool: Check = (v, at) => {
  if (typeof v !== "boolean") fail(at, "true or false", v);
};
const str: Check = (v, at) => {
  if (typeof v !== "string") fail(at, "a string", v);
};
const nullable = (c: Check): Check => (v, at) => {
  if (v !== null) c(v, at);
};
const arrayOf = (c: Check, length?: number): Check => (v, at) => {
  if (!Array.isArray(v)) return fail(at, length === undefined ? "an array" : `an array of ${length}`, v);
  if (length !== undefined && v.length !== length) fail(at, `an array of ${length}`, v);
  v.forEach((x, i) => c(x, `${at}[${i}]`));
};
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** An object with exactly these keys (those in `optional` may be absent). */
const object = (shape: Record<string, Check>, optional: readonly string[] = []): Check => (v, at) => {
  if (!isPlainObject(v)) return fail(at, `an object with ${Object.keys(shape).join(", ")}`, v);
  for (const k of Object.keys(v)) if (!(k in shape)) fail(`${at}.${k}`, `no such key (known: ${Object.keys(shape).join(", ")})`, v[k]);
  for (const [k, c] of Object.entries(shape)) {
    if (!(k in v)) {
      if (!optional.includes(k)) fail(`${at}.${k}`, "to be present", undefined);
      continue;
    }
    c(v[k], `${at}.${k}`);
  }
};
const recordOf = (c: Check): Check => (v, at) => {
  if (!isPlainObject(v)) return fail(at, "an object", v);
  for (const [k, x] of Object.entries(v)) c(x, `${at}.${k}`);
};
const json: Check = (v, at) => {
  if (v === null || typeof v === "string" || typeof v === "boolean" || typeof v === "number") return;
  if (Array.isArray(v)) return v.forEach((x, i) => json(x, `${at}[${i}]`));
  if (isPlainObject(v)) return Object.entries(v).forEach(([k, x]) => json(x, `${at}.${k}`));
  fail(at, "a JSON value", v);
};
const rngState: Check = (v, at) => {
  arrayOf(int(0, 0xffffffff), 4)(v, at);
  if ((v as number[]).every((w) => w === 0)) fail(at, "a generator state that is not all zeros", v);
};
const hyperValue: Check = (v, at) => {
  if (typeof v === "boolean") return;
  if (Array.isArray(v)) return arrayOf(finite())(v, at);
  finite()(v, at);
};

const epochRecord: Check = object(
  { epoch: int(1), loss: anyNumber, accuracy: finite(0), valLoss: anyNumber, valAccuracy: finite(0), lr: finite(0), steps: int(0), seconds: finite(0) },
  ["accuracy", "valLoss", "valAccuracy"],
);

const loopState: Check = object({
  lossSum: finite(),
  count: int(0),
  correct: int(0),
  counted: int(0),
  bestValLoss: anyNumber,
  badEpochs: int(0),
  stopped: bool,
  history: arrayOf(epochRecord),
});

const runSettings: Check = object({
  batchSize: int(1),
  shuffle: bool,
  trainLength: int(1),
  trainChecksum: nullable(str),
  validationLength: nullable(int(1)),
  validationChecksum: nullable(str),
  clipNorm: nullable(finite(0)),
  clipValue: nullable(finite(0)),
  earlyStopping: nullable(object({ patience: int(1), minDelta: finite(0) })),
  scheduleLr: nullable(finite(0)),
});

const trainerState: Check = (v, at) => {
  object(
    { step: int(0), epoch: int(0), batchInEpoch: int(0), permutation: nullable(arrayOf(int(0))), loop: loopState, settings: runSettings, extra: recordOf(json) },
    ["loop", "settings"],
  )(v, at);
  const t = v as TrainerState;
  if (t.permutation === null) {
    if (t.batchInEpoch !== 0) fail(`${at}.batchInEpoch`, "0 between epochs (permutation null)", t.batchInEpoch);
  } else {
    const seen = new Uint8Array(t.permutation.length);
    t.permutation.forEach((p, i) => {
      if (p >= seen.length || seen[p]) fail(`${at}.permutation[${i}]`, `each of 0..${seen.length - 1} once`, p);
      seen[p] = 1;
    });
  }
  if (t.settings !== undefined) {
    const s = t.settings;
    if (t.permutation !== null && t.permutation.length !== s.trainLength) fail(`${at}.permutation`, `${s.trainLength} indices (settings.trainLength)`, new Said(`${t.permutation.length} indices`));
    const batches = Math.ceil(s.trainLength / s.batchSize);
    if (t.batchInEpoch > batches) fail(`${at}.batchInEpoch`, `an integer ≤ ${batches} batches per epoch`, t.batchInEpoch);
  }
  if (t.loop !== undefined) {
    const l = t.loop;
    if (l.history.length !== t.epoch) fail(`${at}.loop.history`, `${t.epoch} records (one per completed epoch)`, new Said(`${l.history.length} records`));
    l.history.forEach((r, i) => {
      if (r.epoch !== i + 1) fail(`${at}.loop.history[${i}].epoch`, String(i + 1), r.epoch);
      if (r.steps > t.step) fail(`${at}.loop.history[${i}].steps`, `at most step ${t.step}`, r.steps);
    });
    if (l.correct > l.counted) fail(`${at}.loop.correct`, `at most counted = ${l.counted}`, l.correct);
    if (l.stopped && t.permutation !== null) fail(`${at}.loop.stopped`, "false within an epoch", l.stopped);
  }
};

const metaSchema: Check = object({
  trainer: trainerState,
  rng: rngState,
  generators: recordOf(rngState),
  config: recordOf(json),
  optimizer: object({
    optimizer: str,
    hyperParameters: recordOf(hyperValue),
    stepCount: int(0),
    state: arrayOf(nullable(object({ step: int(1), buffers: arrayOf(str) }))),
  }),
});

// ---------------------------------------------------------------------------------------
// Writing

/**
 * The checkpoint's bytes: model, optimizer state, the run's generator and the model's
 * generators, trainer state and config. Throws NonFiniteError if a parameter or an optimizer
 * buffer holds NaN or ±Inf (nothing is encoded).
 */
export function encodeCheckpoint(model: Module, optimizer: Optimizer, rng: Rng, trainer: TrainerState, config: Record<string, unknown> = {}): Uint8Array {
  const named = model.namedParameters();
  checkFiniteParameters(trainer.step, named);
  checkFiniteOptimizerState(trainer.step, optimizer, named);
  const tensors: Array<[string, NamedTensor]> = named.map(([n, t]) => [`model.${n}`, { shape: t.shape, data: t.data }]);
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
  const generators = Object.fromEntries(model.namedGenerators().map(([n, r]) => [n, r.getState()]));
  const meta: Meta = { trainer, rng: rng.getState(), generators, config, optimizer: { ...od, state } };
  // The schema holds for what we write too: a state that could not be read back is refused now.
  try {
    metaSchema(parseExact(stringifyExact(meta)), "checkpoint");
  } catch (e) {
    if (e instanceof SchemaError) throw new CheckpointError(`checkpoint not written: ${e.message}`);
    throw e;
  }
  return encodeSafetensors(tensors, { "rnnkit.format": CHECKPOINT_FORMAT, "rnnkit.checkpoint": stringifyExact(meta) });
}

// ---------------------------------------------------------------------------------------
// Reading

/** A checkpoint read and checked against a model and optimizer; `apply` writes it into them. */
export interface CheckedCheckpoint {
  contents: CheckpointContents;
  /** Loads model, optimizer, the run's generator and the model's generators. Cannot fail. */
  apply(rng: Rng): void;
}

/**
 * Reads checkpoint bytes and checks all of them against `model` and `optimizer` without
 * changing anything. Throws CheckpointError naming `path`, the part and what was expected.
 */
export function checkCheckpoint(bytes: Uint8Array, model: Module, optimizer: Optimizer, path = "checkpoint"): CheckedCheckpoint {
  const refuse = (what: string): never => {
    throw new CheckpointError(`checkpoint refused: ${path}: ${what}`);
  };
  let decoded;
  try {
    decoded = decodeSafetensors(bytes, path, { requireFileChecksum: true });
  } catch (e) {
    throw new CheckpointError(`checkpoint refused: ${(e as Error).message}`);
  }
  const { tensors, metadata } = decoded;
  if (metadata["rnnkit.format"] !== CHECKPOINT_FORMAT) {
    refuse(`not an rnnkit checkpoint of format ${CHECKPOINT_FORMAT} (format ${metadata["rnnkit.format"] ?? "missing"})`);
  }
  let raw: unknown;
  try {
    raw = parseExact(metadata["rnnkit.checkpoint"] ?? "");
  } catch {
    return refuse("the trainer metadata (rnnkit.checkpoint) is not JSON");
  }
  try {
    metaSchema(raw, "checkpoint");
  } catch (e) {
    if (e instanceof SchemaError) refuse(e.message);
    throw e;
  }
  const meta = raw as Meta;

  // Generators: the same names as the model's.
  const own = model.namedGenerators();
  const ownNames = own.map(([n]) => n);
  const savedNames = Object.keys(meta.generators);
  const missing = ownNames.filter((n) => !savedNames.includes(n));
  const extra = savedNames.filter((n) => !ownNames.includes(n));
  if (missing.length || extra.length) {
    refuse(
      `checkpoint.generators: expected the model's generators [${ownNames.join(", ")}], got [${savedNames.join(", ")}]` +
        (missing.length ? `; missing ${missing.join(", ")}` : "") + (extra.length ? `; not in the model ${extra.join(", ")}` : ""),
    );
  }

  // Tensors: every one accounted for, the right size, finite.
  const used = new Set<string>();
  const take = (name: string, size: number, part: string): NamedTensor => {
    const t = tensors.get(name);
    if (t === undefined) return refuse(`${part}: tensor ${name} is missing`);
    if (t.data.length !== size || t.shape.reduce((a, b) => a * b, 1) !== size) refuse(`${part}: tensor ${name} has ${t.data.length} values, expected ${size}`);
    for (let i = 0; i < t.data.length; i++) if (t.data[i] - t.data[i] !== 0) refuse(`${part}: tensor ${name} (element ${i}) is ${t.data[i]}, expected a finite number`);
    used.add(name);
    return t;
  };
  const modelDict: Record<string, NamedTensor> = {};
  const params = model.namedParameters();
  const absent = params.filter(([n]) => !tensors.has(`model.${n}`)).map(([n]) => n);
  const foreign = [...tensors.keys()].filter((n) => n.startsWith("model.") && !params.some(([p]) => `model.${p}` === n));
  if (absent.length || foreign.length) {
    refuse(`model: does not fit this model and optimizer:${absent.length ? ` missing ${absent.join(", ")}` : ""}${foreign.length ? ` unexpected ${foreign.join(", ")}` : ""}`);
  }
  for (const [n, t] of params) {
    const saved = tensors.get(`model.${n}`)!;
    if (saved.shape.length !== t.shape.length || saved.shape.some((d, i) => d !== t.shape[i])) {
      refuse(`model: does not fit this model and optimizer: ${n} has shape [${saved.shape.join(", ")}], expected [${t.shape.join(", ")}]`);
    }
    modelDict[n] = take(`model.${n}`, t.size, "model");
  }

  if (meta.optimizer.optimizer !== optimizer.kind) {
    refuse(`checkpoint.optimizer.optimizer: does not fit this model and optimizer: expected ${optimizer.kind}, got ${meta.optimizer.optimizer}`);
  }
  if (meta.optimizer.state.length !== optimizer.params.length) {
    refuse(`checkpoint.optimizer.state: does not fit this model and optimizer: expected ${optimizer.params.length} entries, got ${meta.optimizer.state.length}`);
  }
  const optimDict: OptimizerStateDict = {
    ...meta.optimizer,
    state: meta.optimizer.state.map((s, i) =>
      s === null ? null : {
        step: s.step,
        buffers: Object.fromEntries(s.buffers.map((b) => [b, Array.from(take(`optim.${i}.${b}`, optimizer.params[i].size, `checkpoint.optimizer.state[${i}]`).data)])),
      }),
  };
  try {
    optimizer.checkStateDict(optimDict);
  } catch (e) {
    refuse(`checkpoint.optimizer: does not fit this model and optimizer: ${(e as Error).message}`);
  }
  const unexpected = [...tensors.keys()].filter((n) => !used.has(n));
  if (unexpected.length) refuse(`tensors: expected only model.* and the listed optim.* buffers, got also ${unexpected.join(", ")}`);

  const byName = new Map(own);
  return {
    contents: { trainer: meta.trainer, rngState: meta.rng, generators: meta.generators, config: meta.config },
    apply(rng: Rng) {
      model.loadStateDict(modelDict);
      optimizer.loadStateDict(optimDict);
      rng.setState(meta.rng);
      for (const [n, s] of Object.entries(meta.generators)) byName.get(n)!.setState(s);
    },
  };
}

/**
 * Restores model, optimizer, the run's generator and the model's generators from checkpoint
 * bytes and returns the trainer state and config. Throws CheckpointError (and changes
 * nothing) if anything is off; `path` names the bytes in messages.
 */
export function restoreCheckpoint(bytes: Uint8Array, model: Module, optimizer: Optimizer, rng: Rng, path = "checkpoint"): CheckpointContents {
  const checked = checkCheckpoint(bytes, model, optimizer, path);
  checked.apply(rng);
  return checked.contents;
}
