/**
 * `rnnkit/onnx`: export of every rnnkit model type to ONNX (layer stacks, Linear, the four
 * topologies, Keras / TF.js imports with their activations and layer graphs; float32) for
 * onnxruntime and other ONNX consumers, import of
 * ONNX models back into trainable modules (recurrent stacks, from PyTorch's exporter or rnnkit's
 * own, lifted into rnnkit's layers; any other graph of the supported operators as an OnnxGraph),
 * and a summary reader for ONNX bytes. Platform-neutral. A separate entry because it needs the
 * optional peer dependency protobufjs (`npm install protobufjs`), imported only when ONNX
 * bytes are first written or read; `rnnkit` itself never loads it. docs/onnx.md.
 *
 * @module rnnkit/onnx
 */
export {
  exportOnnx, onnxModelObject, DEFAULT_OPSET, OPSET_RANGE, ONNX_SPEC_KEY, ONNX_FORMAT_KEY, ONNX_FORMAT, type OnnxExportOptions,
} from "./onnx/export.js";
export { importOnnx, type OnnxImport } from "./onnx/import.js";
export { OnnxGraph, ONNX_GRAPH_TYPE, evaluateGraph, type OnnxGraphExportOptions, type EvaluateGraphOptions } from "./onnx/graph.js";
export { GRAPH_OPS, GRAPH_OPSETS, checkGraph, parseGraphDef } from "./onnx/graph-check.js";
export type { OpEntry, OpContext, AttrCheck } from "./onnx/graph-op-kit.js";
export type { Ints, Value as GraphValue } from "./onnx/graph-values.js";
export { graphDefOf, graphModelObject, GraphRefusal, type GraphDef, type NodeDef, type ValueDef, type TensorDef, type AttrDef } from "./onnx/graph-def.js";
export { readOnnxInfo, type OnnxModelInfo, type OnnxValueInfo } from "./onnx/read.js";
export { toOnnxGateOrder, fromOnnxGateOrder, ONNX_GATE_SOURCE } from "./onnx/gates.js";
export { PROTOBUFJS_MISSING } from "./onnx/proto.js";
