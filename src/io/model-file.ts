/**
 * Model files: the parameters in safetensors under their PyTorch names, with the
 * model's type and constructor options in the metadata (`rnnkit.model`), so that
 * `loadModel` rebuilds the same module in a fresh process and its outputs match bit
 * for bit. A bare `LSTM`'s file holds exactly `torch.nn.LSTM`'s state dict.
 * Built-in types: RNN, LSTM, GRU, Linear and the four topologies; add your own with
 * `registerModelType` and a `modelSpec()` method. Bytes in, bytes out (`encodeModel`,
 * `decodeModel`); `saveModel`/`loadModel` with paths are in the Node layer.
 */
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from "./safetensors.js";
import { Rng } from "../tensor/random.js";
import type { Module } from "../nn/module.js";
import { RNN, LSTM, GRU } from "../nn/recurrent.js";
import { Linear } from "../nn/linear.js";
import { SequenceToVector, SequenceToSequence, VectorToSequence, EncoderDecoder } from "../nn/topologies.js";

export const MODEL_FORMAT = "model/1";

/** How to rebuild a module: a registered type and its JSON constructor options (no rng). */
export interface ModelSpec {
  type: string;
  options: Record<string, unknown>;
}

/** Builds a module of a type from its options; weights are overwritten on load, so any rng will do. */
export type ModelFactory = (options: Record<string, unknown>, rng: Rng) => Module;

const registry = new Map<string, ModelFactory>();

export function registerModelType(type: string, factory: ModelFactory): void {
  registry.set(type, factory);
}

type RecurrentOptions = ConstructorParameters<typeof RNN>[0];
registerModelType("RNN", (o, rng) => new RNN({ ...(o as Omit<RecurrentOptions, "rng">), rng }));
registerModelType("LSTM", (o, rng) => new LSTM({ ...(o as Omit<RecurrentOptions, "rng">), rng }));
registerModelType("GRU", (o, rng) => new GRU({ ...(o as Omit<RecurrentOptions, "rng">), rng }));
registerModelType("Linear", (o, rng) => new Linear({ ...(o as Omit<ConstructorParameters<typeof Linear>[0], "rng">), rng }));
type HeadedOptions = Omit<ConstructorParameters<typeof SequenceToVector>[0], "rng">;
registerModelType("SequenceToVector", (o, rng) => new SequenceToVector({ ...(o as HeadedOptions), rng }));
registerModelType("SequenceToSequence", (o, rng) => new SequenceToSequence({ ...(o as HeadedOptions), rng }));
registerModelType("VectorToSequence", (o, rng) => new VectorToSequence({ ...(o as HeadedOptions), rng }));
registerModelType("EncoderDecoder", (o, rng) => new EncoderDecoder({ ...(o as Omit<ConstructorParameters<typeof EncoderDecoder>[0], "rng">), rng }));

/** The spec of a built-in module (or of any module with a `modelSpec()` method). */
export function specOf(model: Module): ModelSpec {
  const own = (model as { modelSpec?: () => ModelSpec }).modelSpec;
  if (typeof own === "function") return own.call(model);
  const dtype = model.parameters()[0]?.dtype ?? "float32";
  if (model instanceof RNN || model instanceof LSTM || model instanceof GRU) {
    const { cell, nonlinearity, inputSize, hiddenSize, numLayers, bidirectional, bias, batchFirst } = model.spec;
    const options: Record<string, unknown> = { inputSize, hiddenSize, numLayers, bidirectional, bias, batchFirst, dtype };
    if (cell === "rnn") options.nonlinearity = nonlinearity ?? "tanh";
    return { type: cell === "rnn" ? "RNN" : cell === "lstm" ? "LSTM" : "GRU", options };
  }
  if (model instanceof Linear) {
    const { inFeatures, outFeatures, bias = true } = model.options;
    return { type: "Linear", options: { inFeatures, outFeatures, bias, dtype } };
  }
  throw new Error("encodeModel: cannot tell how to rebuild this module; pass a spec or give it a modelSpec() method");
}

/**
 * The model file's bytes: `model`'s parameters with its spec and optional string metadata.
 * @example const bytes = encodeModel(new LSTM({ inputSize: 3, hiddenSize: 8, rng: new Rng(0) }));
 */
export function encodeModel(model: Module, spec: ModelSpec = specOf(model), metadata: Record<string, string> = {}): Uint8Array {
  if (!registry.has(spec.type)) throw new Error(`encodeModel: model type '${spec.type}' is not registered (registerModelType)`);
  const tensors = model.namedParameters().map(([n, t]) => [n, { shape: t.shape, data: t.data }] as [string, { shape: readonly number[]; data: Float32Array | Float64Array }]);
  return encodeSafetensors(tensors, { ...metadata, "rnnkit.format": MODEL_FORMAT, "rnnkit.model": JSON.stringify(spec) });
}

export interface LoadedModel<M extends Module = Module> {
  model: M;
  spec: ModelSpec;
  metadata: Record<string, string>;
}

/**
 * Rebuilds the module that `encodeModel` wrote and loads its parameters; refuses (with a
 * message naming `path`, the file's name for messages) any bytes that do not fit.
 */
export function decodeModel<M extends Module = Module>(bytes: Uint8Array, path = "model file"): LoadedModel<M> {
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  if (metadata["rnnkit.format"] !== MODEL_FORMAT) {
    throw new SafetensorsError(`${path}: not an rnnkit model file (format ${metadata["rnnkit.format"] ?? "missing"}); for bare weights use decodeSafetensors + loadStateDict`);
  }
  let spec: ModelSpec;
  try {
    spec = JSON.parse(metadata["rnnkit.model"] ?? "");
  } catch {
    throw new SafetensorsError(`${path}: the model spec in the metadata is unreadable`);
  }
  const factory = registry.get(spec.type);
  if (factory === undefined) throw new Error(`${path}: model type '${spec.type}' is not registered (registerModelType)`);
  const model = factory(spec.options, new Rng(0)) as M;
  const dict = Object.fromEntries(tensors);
  for (const [name, p] of model.namedParameters()) {
    const t = dict[name];
    if (t !== undefined && (t.data instanceof Float64Array) !== (p.data instanceof Float64Array)) {
      throw new SafetensorsError(`${path}: ${name} is stored as ${t.data instanceof Float64Array ? "F64" : "F32"} but the model is ${p.dtype}`);
    }
  }
  model.loadStateDict(dict);
  return { model, spec, metadata };
}
