/**
 * A summary of an ONNX model's bytes, read with the schema of ./proto.ts: IR version, opsets,
 * producer, metadata_props, the graph's inputs and outputs with their shapes, its op types
 * and its float32 / int64 initializers. Enough to recognise rnnkit's own exports (metadata
 * "rnnkit.model") and to inspect them; rebuilding modules is ./import.ts.
 */
import { DataType, loadOnnxProto } from "./proto.js";

export interface OnnxValueInfo {
  name: string;
  /** A number per fixed axis, the parameter's name ("batch", "time") per dynamic one. */
  shape: Array<number | string>;
}

export interface OnnxModelInfo {
  irVersion: number;
  /** Domain ("" for ai.onnx) → opset version. */
  opsets: Record<string, number>;
  producerName: string;
  producerVersion: string;
  metadata: Record<string, string>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** op_type of every node, in graph order. */
  ops: string[];
  /** FLOAT initializers as float32, INT64 ones as numbers; others are left out. */
  initializers: Record<string, { dims: number[]; data: Float32Array | number[] }>;
}

/* The decoded message, as protobufjs `toObject` gives it with longs as numbers and defaults off. */
interface Decoded {
  ir_version?: number; producer_name?: string; producer_version?: string;
  opset_import?: Array<{ domain?: string; version?: number }>;
  metadata_props?: Array<{ key?: string; value?: string }>;
  graph?: {
    node?: Array<{ op_type?: string }>;
    input?: DecodedValueInfo[]; output?: DecodedValueInfo[];
    initializer?: Array<{ name?: string; data_type?: number; dims?: number[]; raw_data?: Uint8Array; float_data?: number[]; int64_data?: number[] }>;
  };
}
interface DecodedValueInfo { name?: string; type?: { tensor_type?: { shape?: { dim?: Array<{ dim_value?: number; dim_param?: string }> } } } }

const shapeOf = (v: DecodedValueInfo): OnnxValueInfo => ({
  name: v.name ?? "",
  shape: (v.type?.tensor_type?.shape?.dim ?? []).map((d) => d.dim_param ?? d.dim_value ?? "?"),
});

/**
 * The summary of ONNX model bytes; rejects bytes that are not a ModelProto with a graph,
 * naming `what` (the file), and without protobufjs installed.
 * @example const { metadata } = await readOnnxInfo(bytes); JSON.parse(metadata["rnnkit.model"])
 */
export async function readOnnxInfo(bytes: Uint8Array, what = "ONNX model"): Promise<OnnxModelInfo> {
  const { ModelProto } = await loadOnnxProto();
  let m: Decoded;
  try {
    m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, arrays: true }) as Decoded;
  } catch (e) {
    throw new Error(`${what}: not an ONNX model (protobuf decoding failed: ${(e as Error)?.message ?? String(e)})`);
  }
  if (m.graph === undefined) throw new Error(`${what}: not an ONNX model (no graph in the ModelProto)`);
  const initializers: OnnxModelInfo["initializers"] = {};
  for (const t of m.graph.initializer ?? []) {
    const dims = t.dims ?? [];
    if (t.data_type === DataType.FLOAT) {
      let data: Float32Array;
      if (t.raw_data !== undefined && t.raw_data.length > 0) {
        const view = new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength);
        data = Float32Array.from({ length: t.raw_data.length / 4 }, (_, k) => view.getFloat32(4 * k, true));
      } else data = Float32Array.from(t.float_data ?? []);
      initializers[t.name ?? ""] = { dims, data };
    } else if (t.data_type === DataType.INT64) initializers[t.name ?? ""] = { dims, data: t.int64_data ?? [] };
  }
  return {
    irVersion: m.ir_version ?? 0,
    opsets: Object.fromEntries((m.opset_import ?? []).map((o) => [o.domain ?? "", o.version ?? 0])),
    producerName: m.producer_name ?? "",
    producerVersion: m.producer_version ?? "",
    metadata: Object.fromEntries((m.metadata_props ?? []).map((p) => [p.key ?? "", p.value ?? ""])),
    inputs: (m.graph.input ?? []).map(shapeOf),
    outputs: (m.graph.output ?? []).map(shapeOf),
    ops: (m.graph.node ?? []).map((n) => n.op_type ?? ""),
    initializers,
  };
}
