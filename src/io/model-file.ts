/**
 * Model files: the parameters in safetensors under their PyTorch names, with the
 * model's type and constructor options in the metadata (`rnnkit.model`), so that
 * `loadModel` rebuilds the same module in a fresh process and its outputs match bit
 * for bit. A bare `LSTM`'s file holds exactly `torch.nn.LSTM`'s state dict.
 * Built-in types: RNN, LSTM, GRU, Linear and the four topologies (SequenceToVector and
 * SequenceToSequence with or without a token Embedding); add your own with
 * `registerModelType` and a `modelSpec()` method. Bytes in, bytes out (`encodeModel`,
 * `decodeModel`); `saveModel`/`loadModel` with paths are in the Node layer.
 *
 * Loading trusts nothing in the file: the whole-file checksum (./safetensors.ts), then the
 * spec against the type's schema (./model-schema.ts), then the parameters the options imply
 * against the tensors' names, shapes and dtypes in the header — all before the module is
 * constructed, so what is allocated is bounded by the file's own size. Every refusal is a
 * SafetensorsError naming the file, the part and what was expected (docs/model-files.md).
 */
import { decodeSafetensors, encodeSafetensors, isPlainObject, quote, SafetensorsError, type NamedTensor } from "./safetensors.js";
import { BUILTIN_SCHEMAS, OptionError, type BuiltinSchema, type ParameterLayout } from "./model-schema.js";
import { Rng } from "../tensor/random.js";
import type { Module } from "../nn/module.js";
import { RNN, LSTM, GRU } from "../nn/recurrent.js";
import { Linear } from "../nn/linear.js";
import { SequenceToVector, SequenceToSequence, VectorToSequence, EncoderDecoder } from "../nn/topologies.js";

export const MODEL_FORMAT = "model/1";
const SPEC_KEY = "rnnkit.model";

/** How to rebuild a module: a registered type and its JSON constructor options (no rng). */
export interface ModelSpec {
  type: string;
  options: Record<string, unknown>;
}

/** Builds a module of a type from its options; weights are overwritten on load, so any rng will do. */
export type ModelFactory = (options: Record<string, unknown>, rng: Rng) => Module;

/** Optional checks for a registered type, run on a file's options before the factory. */
export interface ModelTypeOptions {
  /**
   * The parameters (`namedParameters()` names → shapes) a module built from `options`
   * has, computed without building it; throw to refuse the options. When given,
   * `decodeModel` compares it with the file's tensors before calling the factory, so a
   * hostile file cannot make the factory allocate. Without it the factory runs on the
   * file's options and the module is refused afterwards if its parameters differ from
   * the file's tensors.
   */
  parameterShapes?: (options: Record<string, unknown>) => Record<string, readonly number[]>;
}

interface RegisteredType {
  factory: ModelFactory;
  schema?: BuiltinSchema;
  parameterShapes?: ModelTypeOptions["parameterShapes"];
}

const registry = new Map<string, RegisteredType>();

/**
 * Registers (or replaces) a model type for `decodeModel`. Registering a built-in name
 * replaces the built-in type and its schema.
 */
export function registerModelType(type: string, factory: ModelFactory, options: ModelTypeOptions = {}): void {
  registry.set(type, { factory, parameterShapes: options.parameterShapes });
}

function registerBuiltin(type: string, factory: ModelFactory): void {
  registry.set(type, { factory, schema: BUILTIN_SCHEMAS[type] });
}

type RecurrentOptions = ConstructorParameters<typeof RNN>[0];
registerBuiltin("RNN", (o, rng) => new RNN({ ...(o as Omit<RecurrentOptions, "rng">), rng }));
registerBuiltin("LSTM", (o, rng) => new LSTM({ ...(o as Omit<ConstructorParameters<typeof LSTM>[0], "rng">), rng }));
registerBuiltin("GRU", (o, rng) => new GRU({ ...(o as Omit<ConstructorParameters<typeof GRU>[0], "rng">), rng }));
registerBuiltin("Linear", (o, rng) => new Linear({ ...(o as Omit<ConstructorParameters<typeof Linear>[0], "rng">), rng }));
type SequenceOptions = Omit<ConstructorParameters<typeof SequenceToVector>[0], "rng">;
registerBuiltin("SequenceToVector", (o, rng) => new SequenceToVector({ ...(o as SequenceOptions), rng }));
registerBuiltin("SequenceToSequence", (o, rng) => new SequenceToSequence({ ...(o as SequenceOptions), rng }));
registerBuiltin("VectorToSequence", (o, rng) => new VectorToSequence({ ...(o as Omit<ConstructorParameters<typeof VectorToSequence>[0], "rng">), rng }));
registerBuiltin("EncoderDecoder", (o, rng) => new EncoderDecoder({ ...(o as Omit<ConstructorParameters<typeof EncoderDecoder>[0], "rng">), rng }));

/** The spec of a built-in module (or of any module with a `modelSpec()` method). */
export function specOf(model: Module): ModelSpec {
  const own = (model as { modelSpec?: () => ModelSpec }).modelSpec;
  if (typeof own === "function") return own.call(model);
  const dtype = model.parameters()[0]?.dtype ?? "float32";
  if (model instanceof RNN || model instanceof LSTM || model instanceof GRU) {
    const { cell, nonlinearity, inputSize, hiddenSize, numLayers, bidirectional, bias, batchFirst, gateActivation, resetAfter } = model.spec;
    const options: Record<string, unknown> = { inputSize, hiddenSize, numLayers, bidirectional, bias, batchFirst, dtype };
    if (cell === "rnn") options.nonlinearity = nonlinearity ?? "tanh";
    // Written only where they differ from the defaults, so such files read as before.
    if (gateActivation !== undefined && gateActivation !== "sigmoid") options.gateActivation = gateActivation;
    if (resetAfter === false) options.resetAfter = false;
    return { type: cell === "rnn" ? "RNN" : cell === "lstm" ? "LSTM" : "GRU", options };
  }
  if (model instanceof Linear) {
    const { inFeatures, outFeatures, bias = true } = model.options;
    return { type: "Linear", options: { inFeatures, outFeatures, bias, dtype } };
  }
  throw new Error("encodeModel: cannot tell how to rebuild this module; pass a spec or give it a modelSpec() method");
}

/** Names of a list for a message: the first few, then how many in all. */
function listNames(names: string[]): string {
  const shown = names.slice(0, 4).map((n) => quote(n, 40)).join(", ");
  return names.length > 4 ? `${shown}, … (${names.length} in all)` : shown;
}

const shapeText = (s: readonly number[]) => `[${s.length > 6 ? `${s.slice(0, 6).join(", ")}, …` : s.join(", ")}]`;

/**
 * What is wrong when `expected` (names → shapes, optionally dtype) does not match the
 * tensors; null when they match exactly.
 */
function layoutMismatch(
  expected: ReadonlyArray<readonly [string, readonly number[]]>, tensors: ReadonlyMap<string, NamedTensor>, dtype?: "F32" | "F64",
): string | null {
  const want = new Map(expected);
  const missing = [...want.keys()].filter((n) => !tensors.has(n));
  const extra = [...tensors.keys()].filter((n) => !want.has(n));
  const problems: string[] = [];
  if (missing.length) problems.push(`missing: ${listNames(missing)}`);
  if (extra.length) problems.push(`unexpected: ${listNames(extra)}`);
  for (const [name, shape] of want) {
    const t = tensors.get(name);
    if (t === undefined) continue;
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(`tensor ${quote(name, 40)}: shape ${shapeText(t.shape)} in the file, ${shapeText(shape)} expected`);
    } else if (dtype !== undefined && (t.data instanceof Float64Array ? "F64" : "F32") !== dtype) {
      problems.push(`tensor ${quote(name, 40)}: ${t.data instanceof Float64Array ? "F64" : "F32"} in the file, ${dtype} expected`);
    }
    if (problems.length >= 6) break;
  }
  return problems.length ? problems.slice(0, 6).join("; ") : null;
}

/** The spec as the file will hold it (JSON), checked against the type's schema. */
function checkedSpec(spec: ModelSpec, where: string): { spec: ModelSpec; entry: RegisteredType } {
  const entry = registry.get(spec.type);
  if (entry === undefined) throw new SafetensorsError(`${where}: model type ${quote(spec.type)} is not registered (registerModelType)`);
  return { spec, entry };
}

/**
 * The model file's bytes: `model`'s parameters with its spec and optional string metadata.
 * Refuses (Error) a spec that `decodeModel` would refuse, so every file written can be read.
 * @example const bytes = encodeModel(new LSTM({ inputSize: 3, hiddenSize: 8, rng: new Rng(0) }));
 */
export function encodeModel(model: Module, spec: ModelSpec = specOf(model), metadata: Record<string, string> = {}): Uint8Array {
  if (!registry.has(spec.type)) throw new Error(`encodeModel: model type '${spec.type}' is not registered (registerModelType)`);
  const json = JSON.stringify(spec);
  const { entry } = checkedSpec(JSON.parse(json) as ModelSpec, "encodeModel");
  const tensors = model.namedParameters().map(([n, t]) => [n, { shape: t.shape, data: t.data }] as [string, NamedTensor]);
  const expected = expectedLayout(entry, JSON.parse(json) as ModelSpec, "encodeModel");
  if (expected !== null) {
    const dtype = entry.schema !== undefined ? dtypeOf(spec.options) : undefined;
    const wrong = layoutMismatch(expected.layout, new Map(tensors), dtype);
    if (wrong !== null) throw new Error(`encodeModel: the module's parameters do not match its ${spec.type} spec (${wrong})`);
  }
  return encodeSafetensors(tensors, { ...metadata, "rnnkit.format": MODEL_FORMAT, [SPEC_KEY]: json });
}

export interface LoadedModel<M extends Module = Module> {
  model: M;
  spec: ModelSpec;
  metadata: Record<string, string>;
}

export interface DecodeModelOptions {
  /**
   * Also read model files written before the whole-file checksum (rnnkit.file-sha256)
   * existed. Their header and metadata are then checked against the schema and the
   * tensors but not against a checksum; load such a file only if you trust it, and
   * re-save it. Default false: they are refused.
   */
  acceptLegacy?: boolean;
}

const dtypeOf = (options: Record<string, unknown>): "F32" | "F64" => (options.dtype === "float64" ? "F64" : "F32");

/** The parameters the spec implies (built-in schema or registered `parameterShapes`), or null if unknown before construction. */
function expectedLayout(entry: RegisteredType, spec: ModelSpec, where: string): { layout: ParameterLayout } | null {
  try {
    if (entry.schema !== undefined) return { layout: entry.schema.layout(spec.options) };
    if (entry.parameterShapes !== undefined) {
      const shapes = entry.parameterShapes(spec.options);
      return { layout: Object.entries(shapes).map(([n, s]) => [n, [...s]]) };
    }
    return null;
  } catch (e) {
    const msg = e instanceof OptionError ? e.message : `options refused by the ${spec.type} type's parameterShapes (${quote((e as Error)?.message ?? e, 200)})`;
    throw new SafetensorsError(`${where}: metadata ${quote(SPEC_KEY)}: ${spec.type}: ${msg}`);
  }
}

/**
 * Rebuilds the module that `encodeModel` wrote and loads its parameters; refuses with a
 * SafetensorsError naming `path` (the file's name for messages), the part at fault and
 * what was expected — any bytes that are not a whole, uncorrupted model file whose spec
 * fits its type's schema and whose tensors are exactly the parameters the spec implies.
 * Nothing is constructed until all of that has been checked.
 */
export function decodeModel<M extends Module = Module>(bytes: Uint8Array, path = "model file", options: DecodeModelOptions = {}): LoadedModel<M> {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${path}: ${msg}`);
  };
  const { tensors, metadata } = decodeSafetensors(bytes, path, { requireFileChecksum: options.acceptLegacy !== true });
  if (metadata["rnnkit.format"] !== MODEL_FORMAT) {
    fail(`not an rnnkit model file (metadata "rnnkit.format" is ${quote(metadata["rnnkit.format"] ?? "missing")}, expected ${quote(MODEL_FORMAT)}); for bare weights use decodeSafetensors + loadStateDict`);
  }
  const specKey = `metadata ${quote(SPEC_KEY)}`;
  let raw: unknown;
  try {
    raw = JSON.parse(metadata[SPEC_KEY] ?? "");
  } catch {
    fail(`${specKey}: the model spec is missing or not JSON (expected {"type": …, "options": {…}})`);
  }
  if (!isPlainObject(raw)) return fail(`${specKey}: expected {"type": …, "options": {…}}, got ${quote(raw)}`);
  const extraKeys = Object.keys(raw).filter((k) => k !== "type" && k !== "options");
  if (extraKeys.length) fail(`${specKey}: unexpected key ${quote(extraKeys[0])} (expected only "type" and "options")`);
  if (typeof raw.type !== "string") fail(`${specKey}: "type" is ${quote(raw.type)}, expected a registered type name`);
  if (!isPlainObject(raw.options)) fail(`${specKey}: "options" is ${quote(raw.options)}, expected an object`);
  const spec = raw as unknown as ModelSpec;
  const { entry } = checkedSpec(spec, path);
  const expected = expectedLayout(entry, spec, path);
  if (expected !== null) {
    const wrong = layoutMismatch(expected.layout, tensors, entry.schema !== undefined ? dtypeOf(spec.options) : undefined);
    if (wrong !== null) fail(`the tensors do not match the ${spec.type} options in ${specKey}: ${wrong}`);
  }
  let model: M;
  try {
    model = entry.factory(spec.options, new Rng(0)) as M;
  } catch (e) {
    return fail(`${specKey}: the ${spec.type} options were refused by its constructor: ${quote((e as Error)?.message ?? e, 200)}`);
  }
  try {
    const own = model.namedParameters();
    const wrong = layoutMismatch(own.map(([n, p]) => [n, p.shape]), tensors);
    if (wrong !== null) fail(`the tensors do not match the ${spec.type} module built from ${specKey}: ${wrong}`);
    for (const [name, p] of own) {
      const t = tensors.get(name)!;
      if ((t.data instanceof Float64Array) !== (p.data instanceof Float64Array)) {
        fail(`tensor ${quote(name)} is stored as ${t.data instanceof Float64Array ? "F64" : "F32"} but the model is ${p.dtype}`);
      }
    }
    model.loadStateDict(Object.fromEntries(tensors));
  } catch (e) {
    model.dispose();
    if (e instanceof SafetensorsError) throw e;
    return fail(`loading the parameters failed: ${quote((e as Error)?.message ?? e, 200)}`);
  }
  return { model, spec, metadata };
}
