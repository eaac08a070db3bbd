/**
 * ONNX export of every rnnkit model type, float32, as one ONNX graph with dynamic batch and
 * time axes that onnxruntime runs: bare RNN / LSTM / GRU stacks, Linear, SequenceToSequence,
 * SequenceToVector, VectorToSequence, EncoderDecoder, a topology with a Dense output activation
 * (TfjsOutputActivationModule) (./export-topologies.ts), KerasLayersModel (./export-keras.ts),
 * and OnnxGraph modules (their graph written back). The building blocks' nodes are in
 * ./export-layers.ts. Not here: sequence lengths (every row runs all T steps), an initial state
 * input, float64; reading ONNX models back into modules (./import.ts).
 *
 * The model's spec (as in rnnkit model files) is in metadata_props under "rnnkit.model",
 * so rnnkit can recognise its own exports.
 */
import type { Module } from "../nn/module.js";
import { specOf, type ModelSpec } from "../io/model-file.js";
import { KerasLayersModel } from "../interop/keras-layers-model.js";
import { TfjsOutputActivationModule } from "../interop/output-activation.js";
import { loadOnnxProto } from "./proto.js";
import { topologyGraph, type BuiltGraph } from "./export-topologies.js";
import { kerasGraph } from "./export-keras.js";

/** The opset used unless options.opset says otherwise. */
export const DEFAULT_OPSET = 14;
/** Opsets the export accepts: every op used has the same semantics from 14 on. */
export const OPSET_RANGE = [14, 21] as const;
/** metadata_props key holding the model spec JSON ({"type", "options"}), as in model files. */
export const ONNX_SPEC_KEY = "rnnkit.model";
/** metadata_props key saying the file is an rnnkit export, and of which layout. */
export const ONNX_FORMAT_KEY = "rnnkit.format";
export const ONNX_FORMAT = "onnx/1";

const SUPPORTED =
  "RNN, LSTM, GRU, Linear, SequenceToSequence, SequenceToVector, VectorToSequence, EncoderDecoder, TfjsOutputActivationModule, KerasLayersModel and OnnxGraph (float32)";

export interface OnnxExportOptions {
  /** The ai.onnx opset to declare, 14..21. Default 14. */
  opset?: number;
  /** ModelProto.producer_version (the CLI gives rnnkit's version). Default: not written. */
  producerVersion?: string;
  /** More metadata_props (for example a character model's vocabulary); rnnkit's own keys win. */
  metadata?: Record<string, string>;
}

/** The graph of `model`, or a refusal naming the module (or its wide parameter) and what is supported. */
function graphOf(model: Module): BuiltGraph {
  const name = (model as { constructor?: { name?: string } })?.constructor?.name ?? String(model);
  const built = model instanceof KerasLayersModel ? kerasGraph(model) : topologyGraph(model);
  if (built === null) throw new Error(`exportOnnx: cannot export ${name}; ONNX export supports ${SUPPORTED}`);
  const wide = model.namedParameters().find(([, p]) => p.dtype !== "float32");
  if (wide !== undefined) {
    throw new Error(`exportOnnx: ${name} parameter '${wide[0]}' is ${wide[1].dtype}; ONNX export supports ${SUPPORTED} (build the model with dtype "float32")`);
  }
  return built;
}

/**
 * The spec written to metadata_props: the model file spec; a topology with an output activation,
 * which model files do not record, as {type: "TfjsOutputActivationModule", options: {activation, inner}}.
 */
function exportSpec(model: Module): ModelSpec {
  if (model instanceof TfjsOutputActivationModule) {
    return { type: "TfjsOutputActivationModule", options: { activation: model.activation, inner: specOf(model.inner) } };
  }
  return specOf(model);
}

/** The IR version that goes with an opset (ONNX's versioning table). */
function irVersionFor(opset: number): number {
  return opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

/**
 * The ModelProto of `model` as a plain object (protobufjs `fromObject` input); no protobufjs
 * needed. Refuses, naming the module, what `exportOnnx` refuses.
 */
export function onnxModelObject(model: Module, options: OnnxExportOptions = {}): Record<string, unknown> {
  // A module that is an ONNX graph already (OnnxGraph, src/onnx/graph.ts) writes that graph back.
  const own = (model as { onnxModelObject?: (o: { producerVersion?: string }) => Record<string, unknown> }).onnxModelObject;
  if (typeof own === "function") {
    const object = own.call(model, { producerVersion: options.producerVersion });
    const metadata = Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value }));
    return metadata.length === 0 ? object : { ...object, metadata_props: metadata };
  }
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < OPSET_RANGE[0] || opset > OPSET_RANGE[1]) {
    throw new RangeError(`exportOnnx: options.opset must be an integer in ${OPSET_RANGE[0]}..${OPSET_RANGE[1]}, got ${String(opset)}`);
  }
  const { g, inputs, outputs, name } = graphOf(model);
  const metadata: Record<string, string> = { ...options.metadata, [ONNX_FORMAT_KEY]: ONNX_FORMAT, [ONNX_SPEC_KEY]: JSON.stringify(exportSpec(model)) };
  return {
    ir_version: irVersionFor(opset),
    opset_import: [{ domain: "", version: opset }],
    producer_name: "rnnkit",
    ...(options.producerVersion === undefined ? {} : { producer_version: options.producerVersion }),
    graph: { name, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
    metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  };
}

/**
 * The ONNX model (ModelProto bytes) of any rnnkit model with float32 parameters. Inputs and
 * outputs: a bare layer x [time, batch, I] ([batch, time, I] with batchFirst) → `output`, `h`
 * (and `c` for an LSTM); Linear x [batch, I] → y; SequenceToSequence / SequenceToVector (with
 * or without an output activation) x → y; VectorToSequence v [batch, I] and `steps` (int64
 * scalar) → y [steps, batch, O]; EncoderDecoder `src` (int64 ids [src_time, batch], or
 * features) and `tgt_in` (int64 ids [tgt_time, batch]) → `logits`; KerasLayersModel x
 * ([batch, time, I], or int64 ids [batch, time]) → y. Needs the protobufjs package. Refuses
 * any other module or dtype, naming it.
 * @example
 * const model = new SequenceToVector({ cell: "lstm", inputSize: 3, hiddenSize: 16, outputSize: 2, rng: new Rng(0) });
 * const bytes = await exportOnnx(model); // onnxruntime: InferenceSession.create(bytes)
 */
export async function exportOnnx(model: Module, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  const object = onnxModelObject(model, options);
  const { ModelProto } = await loadOnnxProto();
  const invalid = ModelProto.verify(object);
  if (invalid !== null) throw new Error(`exportOnnx: internal error, the ModelProto does not verify: ${invalid}`);
  return ModelProto.encode(ModelProto.fromObject(object)).finish();
}
