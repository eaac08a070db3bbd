/**
 * The plain-object form of the ONNX messages an export writes (protobufjs `fromObject` input)
 * and `GraphBuilder`, which collects a graph's nodes and initializers under unique names. No
 * model knowledge here: the model families' emitters (./export-*.ts) build on it.
 */
import { AttributeType, DataType } from "./proto.js";

export type Attribute = { name: string; type: number; i?: number; f?: number; s?: Uint8Array; ints?: number[]; floats?: number[]; strings?: Uint8Array[] };
export interface NodeObject { name: string; op_type: string; input: string[]; output: string[]; attribute: Attribute[] }
export interface TensorObject { name: string; data_type: number; dims: number[]; raw_data?: Uint8Array; int64_data?: number[] }
export type Dim = { dim_value: number } | { dim_param: string };
export interface ValueInfo { name: string; type: { tensor_type: { elem_type: number; shape: { dim: Dim[] } } } }

const utf8 = new TextEncoder();
export const intAttr = (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i });
export const stringAttr = (name: string, s: string): Attribute => ({ name, type: AttributeType.STRING, s: utf8.encode(s) });
export const stringsAttr = (name: string, v: string[]): Attribute => ({ name, type: AttributeType.STRINGS, strings: v.map((s) => utf8.encode(s)) });
export const intsAttr = (name: string, ints: number[]): Attribute => ({ name, type: AttributeType.INTS, ints });
export const floatsAttr = (name: string, floats: number[]): Attribute => ({ name, type: AttributeType.FLOATS, floats });

/** The dynamic axes every export declares. */
export const BATCH: Dim = { dim_param: "batch" };
export const TIME: Dim = { dim_param: "time" };
export const fixed = (n: number): Dim => ({ dim_value: n });

/** A graph input or output of element type float32 (or int64 for token ids and step counts). */
export const valueInfo = (name: string, dims: Dim[], elemType: number = DataType.FLOAT): ValueInfo => ({
  name, type: { tensor_type: { elem_type: elemType, shape: { dim: dims } } },
});

/** Float32 little-endian bytes (TensorProto.raw_data is little-endian whatever the host). */
function rawFloat32(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let k = 0; k < values.length; k++) view.setFloat32(4 * k, values[k], true);
  return out;
}

/** Concatenation of float blocks into one float32 array. */
export function concatFloats(parts: ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Collects the graph's nodes (named op_index) and initializers (names must be unique; checked). */
export class GraphBuilder {
  readonly nodes: NodeObject[] = [];
  readonly initializers: TensorObject[] = [];
  readonly #names = new Set<string>();

  #fresh(name: string): string {
    if (this.#names.has(name)) throw new Error(`exportOnnx: internal error, the value name '${name}' is used twice`);
    this.#names.add(name);
    return name;
  }

  node(op: string, input: string[], output: string[], attribute: Attribute[] = []): string[] {
    for (const o of output) this.#fresh(o);
    this.nodes.push({ name: `${op}_${this.nodes.length}`, op_type: op, input, output, attribute });
    return output;
  }

  /** One node with one output; returns its name. */
  op(op: string, input: string[], output: string, attribute: Attribute[] = []): string {
    return this.node(op, input, [output], attribute)[0];
  }

  floats(name: string, dims: number[], values: ArrayLike<number>): string {
    this.initializers.push({ name: this.#fresh(name), data_type: DataType.FLOAT, dims, raw_data: rawFloat32(values) });
    return name;
  }

  /** An int64 initializer: a list [n], or a scalar with `scalar`. */
  int64s(name: string, values: number[], scalar = false): string {
    this.initializers.push({ name: this.#fresh(name), data_type: DataType.INT64, dims: scalar ? [] : [values.length], int64_data: values });
    return name;
  }

  transpose(x: string, perm: number[], out: string): string {
    return this.op("Transpose", [x], out, [intsAttr("perm", perm)]);
  }

  /** x reversed along `axis` (Slice with step −1; the very negative end clamps to "before index 0"). */
  reverse(x: string, axis: number, out: string): string {
    return this.op("Slice", [x, this.int64s(`${out}_starts`, [-1]), this.int64s(`${out}_ends`, [-(2 ** 31)]), this.int64s(`${out}_axes`, [axis]), this.int64s(`${out}_steps`, [-1])], out);
  }
}
