/**
 * The safetensors format (as read by Python's `safetensors` and hence PyTorch):
 *   [8 bytes: header length N, little-endian u64][N bytes: JSON header][data bytes]
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]}
 * (offsets into the data bytes) and may hold `__metadata__` (string → string).
 * We write F32/F64 little-endian, pad the header with spaces to a multiple of 8,
 * and add a SHA-256 of the data bytes to the metadata so that a flipped bit is
 * detected. Reading validates everything before returning anything. Bytes in, bytes out:
 * reading and writing files is the Node layer's (src/node/files.ts).
 */
import { sha256 as sha256Bytes } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { Shape } from "../tensor/shape.js";

export type SafetensorsDType = "F32" | "F64";

export interface NamedTensor {
  shape: Shape;
  data: Float32Array | Float64Array;
}

export interface SafetensorsContents {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

const CHECKSUM_KEY = "rnnkit.sha256";
const BYTES: Record<SafetensorsDType, number> = { F32: 4, F64: 8 };

function sha256(bytes: Uint8Array): string {
  return bytesToHex(sha256Bytes(bytes));
}

/** Serializes named tensors (in the given order) and string metadata. */
export function encodeSafetensors(tensors: Iterable<[string, NamedTensor]>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = [...tensors];
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === "__metadata__") throw new SafetensorsError("a tensor cannot be named __metadata__");
    const dtype: SafetensorsDType = t.data instanceof Float64Array ? "F64" : "F32";
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new SafetensorsError(`${name}: ${t.data.length} values for shape [${t.shape.join(", ")}]`);
    const size = n * BYTES[dtype];
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  const body = new Uint8Array(offset);
  const view = new DataView(body.buffer);
  let pos = 0;
  for (const [, t] of entries) {
    if (t.data instanceof Float64Array) for (const v of t.data) { view.setFloat64(pos, v, true); pos += 8; }
    else for (const v of t.data) { view.setFloat32(pos, v, true); pos += 4; }
  }
  header.__metadata__ = { ...metadata, [CHECKSUM_KEY]: sha256(body) };
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(body, 8 + headerBytes.length);
  return out;
}

/** Parses and validates a safetensors buffer; throws SafetensorsError naming what is wrong. */
export function decodeSafetensors(bytes: Uint8Array, what = "file"): SafetensorsContents {
  if (bytes.length < 8) throw new SafetensorsError(`${what}: truncated (${bytes.length} bytes, no header length)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    throw new SafetensorsError(`${what}: truncated or not safetensors (header length ${n} exceeds the ${bytes.length - 8} bytes that follow)`);
  }
  const headerLen = Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SafetensorsError(`${what}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new SafetensorsError(`${what}: header is not a JSON object`);
  const body = bytes.subarray(8 + headerLen);
  const metadata: Record<string, string> = {};
  const rawMeta = header.__metadata__;
  if (rawMeta !== undefined) {
    if (typeof rawMeta !== "object" || rawMeta === null) throw new SafetensorsError(`${what}: __metadata__ is not an object`);
    for (const [k, v] of Object.entries(rawMeta)) {
      if (typeof v !== "string") throw new SafetensorsError(`${what}: metadata ${k} is not a string`);
      metadata[k] = v;
    }
  }
  const spans: Array<[number, number, string]> = [];
  const tensors = new Map<string, NamedTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== "F32" && e.dtype !== "F64") throw new SafetensorsError(`${what}: tensor ${name} has unsupported dtype ${String(e.dtype)} (F32 and F64 are read)`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`${what}: tensor ${name} has an invalid shape`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[1] < offs[0]) {
      throw new SafetensorsError(`${what}: tensor ${name} has invalid data_offsets`);
    }
    const [begin, end] = offs as [number, number];
    const count = (e.shape as number[]).reduce((a, b) => a * b, 1);
    const width = BYTES[e.dtype];
    if (end - begin !== count * width) throw new SafetensorsError(`${what}: tensor ${name}: ${end - begin} bytes for shape [${(e.shape as number[]).join(", ")}] of ${e.dtype}`);
    if (end > body.length) throw new SafetensorsError(`${what}: truncated (tensor ${name} ends at byte ${end} of ${body.length})`);
    spans.push([begin, end, name]);
    const data = e.dtype === "F64" ? new Float64Array(count) : new Float32Array(count);
    const tv = new DataView(body.buffer, body.byteOffset + begin, end - begin);
    for (let i = 0; i < count; i++) data[i] = width === 8 ? tv.getFloat64(i * 8, true) : tv.getFloat32(i * 4, true);
    tensors.set(name, { shape: e.shape as number[], data });
  }
  spans.sort((a, b) => a[0] - b[0]);
  let cursor = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== cursor) throw new SafetensorsError(`${what}: tensor ${name} ${begin < cursor ? "overlaps another" : "leaves a hole before it"}`);
    cursor = end;
  }
  if (cursor !== body.length) throw new SafetensorsError(`${what}: ${body.length - cursor} trailing bytes after the last tensor`);
  const sum = metadata[CHECKSUM_KEY];
  if (sum !== undefined && sum !== sha256(body)) throw new SafetensorsError(`${what}: checksum mismatch: the tensor data is corrupted`);
  return { tensors, metadata };
}
