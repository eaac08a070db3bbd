/**
 * TensorFlow.js layers-model import: a `model.json` + weights (as `model.save` or
 * `tensorflowjs_converter` writes them) read into a trainable rnnkit module. The inverse of
 * ./tfjs-export.ts, platform-neutral (bytes in; the files are read by `loadLayersModel` in
 * src/node/tfjs-load.ts). This file reads the container — the weights manifest and the weight
 * bytes, checked against each other — and hands `{config, weights}` to the one Keras-topology
 * importer (./keras-import.ts), which also reads `.keras` and `.h5` files: the layers, what
 * they become and the refusals are documented there and in docs/keras.md.
 *
 * Weight names in the manifest: `<layer>/kernel`, `<layer>/recurrent_kernel`, `<layer>/bias`,
 * Bidirectional's `<layer>/forward_<inner>/kernel` and `<layer>/backward_<inner>/…`,
 * Embedding's `<layer>/embeddings`. TF.js's own defaults differ from Keras's: its LSTM's and
 * GRU's recurrent_activation is hard_sigmoid (clip(0.2x + 0.5, 0, 1): gateActivation
 * "hardSigmoid") and its GRU always applies the reset before the recurrent product (resetAfter
 * false, with its one bias [3H] as bias_ih and bias_hh = 0).
 */
import { isObject, readKerasGraph, show, type KerasWeight } from "./keras-config.js";
import { importKerasSource, type ImportedKerasModel } from "./keras-import.js";

export { TfjsOutputActivationModule, type TfjsOutputActivation } from "./output-activation.js";
export { fromTfjsGateOrder } from "./keras-layers.js";

/** A refusal of `importLayersModel` / `loadLayersModel`; the message names the file and the part. */
export class TfjsImportError extends Error {
  override name = "TfjsImportError";
}

/** What `importLayersModel` returns: the shared importer's result (model, spec, outputActivation, notes, dialect "tfjs"). */
export type ImportedLayersModel = ImportedKerasModel;

interface WeightRead {
  name: string;
  shape: number[];
  /** Byte offset in the concatenated weight data. */
  offset: number;
}

/**
 * Reads a TF.js layers model (see the header) from its model.json content and its weight
 * data (the files of the manifest's `paths`, in order: one array per path, or all of them
 * concatenated) into a trainable rnnkit model. `name` is the model.json's name in messages.
 *
 * @example
 * const { model, notes } = importLayersModel(JSON.parse(modelJsonText), weightsBinBytes);
 * const y = model.forward(x); // x [B, T, I], batch-first like TF.js
 */
export function importLayersModel(modelJson: unknown, weightData: Uint8Array | readonly Uint8Array[], name = "model.json"): ImportedLayersModel {
  const fail = (part: string): never => {
    throw new TfjsImportError(`importLayersModel: ${name}: ${part}`);
  };
  if (!isObject(modelJson)) fail(`must be a JSON object (a TF.js layers model), got ${show(modelJson)}`);
  const root = modelJson as Record<string, unknown>;
  if (root.format !== undefined && root.format !== "layers-model") {
    fail(`format '${String(root.format)}' is not a layers model ("layers-model"); graph models (tf.loadGraphModel) cannot be imported`);
  }
  const topology = root.modelTopology;
  if (!isObject(topology)) fail(`modelTopology must be an object, got ${show(topology)}`);
  // The structure first, so a malformed topology is named before the weights are looked at.
  readKerasGraph(topology, fail);
  const { weights, bytes } = readWeights(root.weightsManifest, weightData, fail);
  const tagged = weights.map((w): KerasWeight => {
    const parts = w.name.replace(/:0$/, "").split("/");
    const dirPart = parts.slice(1, -1).find((p) => p.startsWith("forward_") || p.startsWith("backward_"));
    return {
      layer: parts[0], direction: dirPart === undefined ? null : dirPart.startsWith("forward_") ? "forward" : "backward",
      role: parts[parts.length - 1], index: 0, path: w.name, shape: w.shape,
      data: readFloat32(bytes, w.offset, w.shape.reduce((a, b) => a * b, 1)),
    };
  });
  return importKerasSource({ dialect: "tfjs", config: topology, weights: tagged, weightsPart: "weightsManifest" }, fail);
}

/** The manifest's weights with their byte offsets, and the weight data checked against it. */
function readWeights(
  manifest: unknown, weightData: Uint8Array | readonly Uint8Array[], fail: (part: string) => never,
): { weights: WeightRead[]; bytes: Uint8Array } {
  if (!Array.isArray(manifest) || manifest.length === 0) fail(`weightsManifest must be a non-empty array, got ${show(manifest)}`);
  const groups = manifest as unknown[];
  const weights: WeightRead[] = [];
  const groupBytes: number[] = [];
  const paths: string[] = [];
  let offset = 0;
  groups.forEach((g, gi) => {
    if (!isObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) fail(`weightsManifest[${gi}] must be { paths, weights }`);
    const group = g as { paths: unknown[]; weights: unknown[] };
    group.paths.forEach((p, pi) => {
      if (typeof p !== "string" || p === "") fail(`weightsManifest[${gi}].paths[${pi}] must be a file name, got ${show(p)}`);
      paths.push(p as string);
    });
    let size = 0;
    group.weights.forEach((w, wi) => {
      const at = `weightsManifest[${gi}].weights[${wi}]`;
      if (!isObject(w) || typeof w.name !== "string" || !Array.isArray(w.shape)) return fail(`${at} must be { name, shape, dtype }, got ${show(w)}`);
      if (!w.shape.every((n) => Number.isInteger(n) && (n as number) >= 0)) fail(`${at} '${w.name}': shape ${JSON.stringify(w.shape)} is not a list of sizes`);
      if (w.dtype !== "float32") fail(`${at} '${w.name}': dtype ${show(w.dtype)} is not supported; float32 only`);
      if (w.quantization !== undefined && w.quantization !== null) {
        fail(`${at} '${w.name}': quantized weights are not supported; convert without quantization`);
      }
      weights.push({ name: w.name, shape: w.shape as number[], offset });
      const n = 4 * (w.shape as number[]).reduce((a, b) => a * b, 1);
      offset += n;
      size += n;
    });
    groupBytes.push(size);
  });
  const seen = new Set<string>();
  for (const w of weights) {
    if (seen.has(w.name)) fail(`weightsManifest: weight '${w.name}' is listed twice`);
    seen.add(w.name);
  }
  const shards: readonly Uint8Array[] = weightData instanceof Uint8Array ? [weightData] : weightData;
  if (!Array.isArray(shards) || !shards.every((s) => s instanceof Uint8Array)) fail("the weight data must be a Uint8Array or an array of them");
  if (!(weightData instanceof Uint8Array) && shards.length !== paths.length) {
    fail(`${shards.length} weight files given, but weightsManifest lists ${paths.length} (${paths.join(", ")})`);
  }
  let total = 0;
  for (const s of shards) total += s.length;
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const s of shards) {
    bytes.set(s, at);
    at += s.length;
  }
  if (total < offset) {
    const w = weights.find((v) => v.offset + 4 * v.shape.reduce((a, b) => a * b, 1) > total) as WeightRead;
    fail(
      `weight '${w.name}' ${JSON.stringify(w.shape)} needs bytes ${w.offset}..${w.offset + 4 * w.shape.reduce((a, b) => a * b, 1)} ` +
        `but the weight data (${paths.join(", ")}) holds ${total} bytes; the manifest declares ${offset}`,
    );
  }
  if (total > offset) fail(`the weight data (${paths.join(", ")}) holds ${total} bytes, ${total - offset} more than the ${offset} the manifest declares`);
  if (!(weightData instanceof Uint8Array)) {
    // Shards are per path; a group's weights span its own paths exactly.
    let p = 0;
    groups.forEach((g, gi) => {
      const n = (g as { paths: unknown[] }).paths.length;
      const got = shards.slice(p, p + n).reduce((a, s) => a + s.length, 0);
      if (got !== groupBytes[gi]) fail(`weightsManifest[${gi}] declares ${groupBytes[gi]} bytes, its files hold ${got}`);
      p += n;
    });
  }
  return { weights, bytes };
}

/** count float32 little-endian values from bytes at offset. */
function readFloat32(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let j = 0; j < count; j++) out[j] = view.getFloat32(offset + 4 * j, true);
  return out;
}
