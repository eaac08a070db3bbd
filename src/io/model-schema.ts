/**
 * The schema of the built-in model types' options in a model file (`rnnkit.model`), and
 * the parameters (names and shapes) those options imply, derived by arithmetic without
 * building anything. `decodeModel` checks a file's spec against the schema and the
 * implied parameters against the tensors in the file's header before it constructs the
 * module, so a file can never make the loader allocate much more than its own size.
 */
import { recurrentParamShapes } from "../ops/recurrent.js";
import type { CellKind } from "../ops/recurrent.js";
import { GATE_ACTIVATIONS } from "../backend/kernels.js";

/** Largest size option (features, hidden units, vocabulary) a model file may declare. */
export const MAX_MODEL_SIZE = 1 << 24;
/** Largest `numLayers` a model file may declare. */
export const MAX_MODEL_LAYERS = 1024;

/** Parameter names and shapes, in the module's `namedParameters()` order. */
export type ParameterLayout = Array<[string, number[]]>;

/** Thrown by the schema; `decodeModel` turns it into a SafetensorsError naming the file. */
export class OptionError extends Error {}

type Kind =
  | { kind: "size" }
  | { kind: "layers" }
  | { kind: "bool" }
  | { kind: "enum"; values: readonly string[] };

const size: Kind = { kind: "size" };
const layers: Kind = { kind: "layers" };
const bool: Kind = { kind: "bool" };
const dtype: Kind = { kind: "enum", values: ["float32", "float64"] };
const cell: Kind = { kind: "enum", values: ["rnn", "lstm", "gru"] };
const nonlinearity: Kind = { kind: "enum", values: ["tanh", "relu", "sigmoid"] };
const gateActivation: Kind = { kind: "enum", values: GATE_ACTIVATIONS };

interface Field {
  type: Kind;
  required: boolean;
}
const req = (type: Kind): Field => ({ type, required: true });
const opt = (type: Kind): Field => ({ type, required: false });

function describe(k: Kind): string {
  switch (k.kind) {
    case "size": return `an integer in [1, ${MAX_MODEL_SIZE}]`;
    case "layers": return `an integer in [1, ${MAX_MODEL_LAYERS}]`;
    case "bool": return "true or false";
    case "enum": return k.values.map((v) => JSON.stringify(v)).join(", ");
  }
}

function fits(k: Kind, v: unknown): boolean {
  switch (k.kind) {
    case "size": return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_MODEL_SIZE;
    case "layers": return Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_MODEL_LAYERS;
    case "bool": return typeof v === "boolean";
    case "enum": return typeof v === "string" && k.values.includes(v);
  }
}

function shortJson(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Checks `options` against `fields`: no unknown key, every required one present, every value of its type. */
function checkFields(options: Record<string, unknown>, fields: Record<string, Field>): void {
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(fields, key)) {
      throw new OptionError(`option ${shortJson(key)} is not an option of this type (expected one of ${Object.keys(fields).join(", ")})`);
    }
  }
  for (const [key, f] of Object.entries(fields)) {
    if (!Object.hasOwn(options, key)) {
      if (f.required) throw new OptionError(`option ${key} is missing (expected ${describe(f.type)})`);
      continue;
    }
    const v = options[key];
    if (!fits(f.type, v)) throw new OptionError(`option ${key} is ${shortJson(v)}, expected ${describe(f.type)}`);
  }
}

const recurrentFields = {
  inputSize: req(size), hiddenSize: req(size), numLayers: opt(layers),
  bidirectional: opt(bool), batchFirst: opt(bool), bias: opt(bool), dtype: opt(dtype),
};

interface StackOptions {
  cell: CellKind;
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  bidirectional?: boolean;
  bias?: boolean;
}

function stackLayout(o: StackOptions, prefix = ""): ParameterLayout {
  const shapes = recurrentParamShapes({
    cell: o.cell, inputSize: o.inputSize, hiddenSize: o.hiddenSize, numLayers: o.numLayers ?? 1,
    bidirectional: o.bidirectional ?? false, bias: o.bias ?? true, batchFirst: false,
  });
  return Object.entries(shapes).map(([n, s]) => [prefix + n, s]);
}

function linearLayout(inFeatures: number, outFeatures: number, bias: boolean, prefix = ""): ParameterLayout {
  const out: ParameterLayout = [[`${prefix}weight`, [outFeatures, inFeatures]]];
  if (bias) out.push([`${prefix}bias`, [outFeatures]]);
  return out;
}

/**
 * Options that belong to some cells only (the constructors refuse them for the others):
 * `nonlinearity` to "rnn", `gateActivation` to "lstm" and "gru", `resetAfter` to "gru".
 */
function checkNonlinearity(o: Record<string, unknown>): void {
  if (o.cell !== "rnn" && Object.hasOwn(o, "nonlinearity")) {
    throw new OptionError(`option nonlinearity applies to cell "rnn" only, not ${shortJson(o.cell)}`);
  }
  if (o.cell === "rnn" && Object.hasOwn(o, "gateActivation")) {
    throw new OptionError('option gateActivation applies to cells "lstm" and "gru" only, not "rnn"');
  }
  if (o.cell !== "gru" && Object.hasOwn(o, "resetAfter")) {
    throw new OptionError(`option resetAfter applies to cell "gru" only, not ${shortJson(o.cell)}`);
  }
}

/** A built-in type's schema: checks the options, then gives the parameters they imply. */
export interface BuiltinSchema {
  /** Throws OptionError when the options do not fit; returns the parameter layout otherwise. */
  layout(options: Record<string, unknown>): ParameterLayout;
}

const recurrent = (c: CellKind): BuiltinSchema => ({
  layout(o) {
    const fields =
      c === "rnn" ? { ...recurrentFields, nonlinearity: opt(nonlinearity) }
        : c === "lstm" ? { ...recurrentFields, gateActivation: opt(gateActivation) }
          : { ...recurrentFields, gateActivation: opt(gateActivation), resetAfter: opt(bool) };
    checkFields(o, fields);
    return stackLayout({ ...(o as unknown as StackOptions), cell: c });
  },
});

const headedFields = {
  ...recurrentFields, cell: req(cell), outputSize: req(size), nonlinearity: opt(nonlinearity),
  gateActivation: opt(gateActivation), resetAfter: opt(bool),
};
/**
 * The headed topologies; `tokens` (SequenceToVector, SequenceToSequence) also takes the token
 * input: vocabSize and embeddingSize both or neither, inputSize then optional and equal to
 * embeddingSize, and the table `embedding.weight` [V, E] first. Files without them read as before.
 */
const headed = (tokens: boolean): BuiltinSchema => ({
  layout(o) {
    checkFields(o, tokens ? { ...headedFields, inputSize: opt(size), vocabSize: opt(size), embeddingSize: opt(size) } : headedFields);
    checkNonlinearity(o);
    const embedded = Object.hasOwn(o, "vocabSize");
    if (embedded !== Object.hasOwn(o, "embeddingSize")) {
      throw new OptionError("options vocabSize and embeddingSize go together (a token input): give both or neither");
    }
    if (!embedded && !Object.hasOwn(o, "inputSize")) throw new OptionError(`option inputSize is missing (expected ${describe(size)})`);
    if (embedded && Object.hasOwn(o, "inputSize") && o.inputSize !== o.embeddingSize) {
      throw new OptionError(`option inputSize is ${shortJson(o.inputSize)} but must equal embeddingSize ${shortJson(o.embeddingSize)} (or be left out)`);
    }
    const s = o as unknown as StackOptions & { outputSize: number; vocabSize?: number; embeddingSize?: number };
    const width = (s.bidirectional ? 2 : 1) * s.hiddenSize;
    const table: ParameterLayout = embedded ? [["embedding.weight", [s.vocabSize!, s.embeddingSize!]]] : [];
    return [...table, ...stackLayout({ ...s, inputSize: s.embeddingSize ?? s.inputSize }, "rnn."), ...linearLayout(width, s.outputSize, true, "head.")];
  },
});

const encoderDecoderFields = {
  cell: req(cell), sourceVocabSize: opt(size), sourceInputSize: opt(size), targetVocabSize: req(size),
  embeddingSize: req(size), hiddenSize: req(size), numLayers: opt(layers), nonlinearity: opt(nonlinearity),
  gateActivation: opt(gateActivation), resetAfter: opt(bool), dtype: opt(dtype),
};
const encoderDecoder: BuiltinSchema = {
  layout(o) {
    checkFields(o, encoderDecoderFields);
    checkNonlinearity(o);
    if (Object.hasOwn(o, "sourceVocabSize") === Object.hasOwn(o, "sourceInputSize")) {
      throw new OptionError("exactly one of the options sourceVocabSize and sourceInputSize is expected");
    }
    const s = o as { cell: CellKind; sourceVocabSize?: number; sourceInputSize?: number; targetVocabSize: number; embeddingSize: number; hiddenSize: number; numLayers?: number };
    const E = s.embeddingSize;
    const stack = { cell: s.cell, hiddenSize: s.hiddenSize, numLayers: s.numLayers };
    return [
      ...(s.sourceVocabSize !== undefined ? [["sourceEmbedding.weight", [s.sourceVocabSize, E]] as [string, number[]]] : []),
      ...stackLayout({ ...stack, inputSize: s.sourceInputSize ?? E }, "encoder."),
      ["targetEmbedding.weight", [s.targetVocabSize, E]],
      ...stackLayout({ ...stack, inputSize: E }, "decoder."),
      ...linearLayout(s.hiddenSize, s.targetVocabSize, true, "head."),
    ];
  },
};

const linear: BuiltinSchema = {
  layout(o) {
    checkFields(o, { inFeatures: req(size), outFeatures: req(size), bias: opt(bool), dtype: opt(dtype) });
    return linearLayout(o.inFeatures as number, o.outFeatures as number, (o.bias ?? true) as boolean);
  },
};

/** The schema of every built-in model type. */
export const BUILTIN_SCHEMAS: Readonly<Record<string, BuiltinSchema>> = {
  RNN: recurrent("rnn"),
  LSTM: recurrent("lstm"),
  GRU: recurrent("gru"),
  Linear: linear,
  SequenceToVector: headed(true),
  SequenceToSequence: headed(true),
  VectorToSequence: headed(false),
  EncoderDecoder: encoderDecoder,
};
