/**
 * The ONNX protobuf messages rnnkit writes and reads, as a protobufjs reflection schema
 * written from the field numbers of the ONNX spec (onnx/onnx.proto, proto2): only the
 * messages and fields an inference graph of dense float tensors needs — no sparse
 * tensors, functions, training info or non-tensor types. Unknown fields in a file that
 * is read are skipped by protobuf's rules.
 *
 * protobufjs is an optional peer dependency: it is imported here, lazily, the first time
 * ONNX bytes are written or read, so `import "rnnkit"` works without it installed.
 */

/** Refusal when protobufjs cannot be imported. */
export const PROTOBUFJS_MISSING = "ONNX support needs the protobufjs package: npm install protobufjs";

/** TensorProto.DataType values rnnkit uses. */
export const DataType = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;

/** AttributeProto.AttributeType values rnnkit uses. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

const repeated = (type: string, id: number, packed?: boolean) =>
  packed === undefined ? { rule: "repeated", type, id } : { rule: "repeated", type, id, options: { packed } };

/**
 * The schema (protobufjs JSON). Repeated scalars say `packed` explicitly, as the spec's
 * proto2 does: only float_data and int64_data are packed there.
 */
export const ONNX_SCHEMA: Record<string, unknown> = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            ir_version: { type: "int64", id: 1 },
            opset_import: repeated("OperatorSetIdProto", 8),
            producer_name: { type: "string", id: 2 },
            producer_version: { type: "string", id: 3 },
            domain: { type: "string", id: 4 },
            model_version: { type: "int64", id: 5 },
            doc_string: { type: "string", id: 6 },
            graph: { type: "GraphProto", id: 7 },
            metadata_props: repeated("StringStringEntryProto", 14),
          },
        },
        OperatorSetIdProto: {
          fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } },
        },
        StringStringEntryProto: {
          fields: { key: { type: "string", id: 1 }, value: { type: "string", id: 2 } },
        },
        GraphProto: {
          fields: {
            node: repeated("NodeProto", 1),
            name: { type: "string", id: 2 },
            initializer: repeated("TensorProto", 5),
            doc_string: { type: "string", id: 10 },
            input: repeated("ValueInfoProto", 11),
            output: repeated("ValueInfoProto", 12),
            value_info: repeated("ValueInfoProto", 13),
          },
        },
        NodeProto: {
          fields: {
            input: repeated("string", 1),
            output: repeated("string", 2),
            name: { type: "string", id: 3 },
            op_type: { type: "string", id: 4 },
            domain: { type: "string", id: 7 },
            attribute: repeated("AttributeProto", 5),
            doc_string: { type: "string", id: 6 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            doc_string: { type: "string", id: 13 },
            type: { type: "AttributeType", id: 20 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            s: { type: "bytes", id: 4 },
            t: { type: "TensorProto", id: 5 },
            g: { type: "GraphProto", id: 6 },
            floats: repeated("float", 7, false),
            ints: repeated("int64", 8, false),
            strings: repeated("bytes", 9),
            tensors: repeated("TensorProto", 10),
            graphs: repeated("GraphProto", 11),
          },
          nested: {
            AttributeType: {
              values: {
                UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, SPARSE_TENSOR: 11,
                FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10, SPARSE_TENSORS: 12,
              },
            },
          },
        },
        ValueInfoProto: {
          fields: { name: { type: "string", id: 1 }, type: { type: "TypeProto", id: 2 }, doc_string: { type: "string", id: 3 } },
        },
        TypeProto: {
          oneofs: { value: { oneof: ["tensor_type"] } },
          fields: { tensor_type: { type: "Tensor", id: 1 }, denotation: { type: "string", id: 6 } },
          nested: {
            Tensor: {
              fields: { elem_type: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } },
            },
          },
        },
        TensorShapeProto: {
          fields: { dim: repeated("Dimension", 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ["dim_value", "dim_param"] } },
              fields: { dim_value: { type: "int64", id: 1 }, dim_param: { type: "string", id: 2 }, denotation: { type: "string", id: 3 } },
            },
          },
        },
        TensorProto: {
          fields: {
            dims: repeated("int64", 1, false),
            data_type: { type: "int32", id: 2 },
            float_data: repeated("float", 4, true),
            int32_data: repeated("int32", 5, true),
            int64_data: repeated("int64", 7, true),
            name: { type: "string", id: 8 },
            doc_string: { type: "string", id: 12 },
            raw_data: { type: "bytes", id: 9 },
            double_data: repeated("double", 10, true),
          },
          nested: {
            DataType: {
              values: {
                UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
                FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
              },
            },
          },
        },
      },
    },
  },
};

/**
 * What rnnkit uses of a protobufjs message type. Declared here rather than imported from
 * protobufjs, so that the published type declarations compile without the optional package.
 */
export interface MessageType {
  /** null when the plain object fits the message, else what is wrong. */
  verify(object: Record<string, unknown>): string | null;
  fromObject(object: Record<string, unknown>): object;
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
  toObject(message: object, options: { longs: NumberConstructor; arrays: boolean }): Record<string, unknown>;
}

/** The message types rnnkit encodes and decodes. */
export interface OnnxProto {
  ModelProto: MessageType;
}

/** The part of the protobufjs module rnnkit uses. */
interface Protobufjs {
  Root: { fromJSON(json: Record<string, unknown>): { lookupType(name: string): MessageType } };
}

/** How protobufjs is imported; replaceable so the missing-package refusal can be tested. */
export type ProtobufImporter = () => Promise<{ default: Protobufjs }>;

const importProtobuf: ProtobufImporter = () => import("protobufjs/light.js");

let loaded: Promise<OnnxProto> | undefined;

/**
 * The ONNX message types, built from ONNX_SCHEMA once protobufjs is imported. Rejects
 * with PROTOBUFJS_MISSING (and the import's own message) when it cannot be.
 */
export function loadOnnxProto(importer: ProtobufImporter = importProtobuf): Promise<OnnxProto> {
  if (importer !== importProtobuf) return build(importer);
  loaded ??= build(importer).catch((e: unknown) => {
    loaded = undefined; // a later call may find the package installed
    throw e;
  });
  return loaded;
}

async function build(importer: ProtobufImporter): Promise<OnnxProto> {
  let protobuf: Protobufjs;
  try {
    protobuf = (await importer()).default;
  } catch (e) {
    throw new Error(`${PROTOBUFJS_MISSING} (${(e as Error)?.message ?? String(e)})`);
  }
  const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
  return { ModelProto: root.lookupType("onnx.ModelProto") };
}
