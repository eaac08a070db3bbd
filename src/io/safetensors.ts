/**
 * The safetensors format (as read by Python's `safetensors` and hence PyTorch):
 *   [8 bytes: header length N, little-endian u64][N bytes: JSON header][data bytes]
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]}
 * (offsets into the data bytes) and may hold `__metadata__` (string → string).
 * We write F32/F64 little-endian, pad the header with spaces to a multiple of 8,
 * and add two SHA-256 digests to the metadata: `rnnkit.sha256` of the data bytes and
 * `rnnkit.file-sha256` of the whole file (length prefix, header with names, dtypes, shapes,
 * offsets and metadata, data) as written with that digest's 64 hex digits set to "0", so a
 * flipped bit anywhere is detected. Reading validates the whole structure and the digests
 * before it allocates or returns anything. Bytes in, bytes out: reading and writing files
 * is the Node layer's (src/node/files.ts). See docs/model-files.md.
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

/** Metadata key of the SHA-256 of the data bytes (all tensors, in file order). */
export const DATA_CHECKSUM_KEY = "rnnkit.sha256";
/** Metadata key of the SHA-256 of the whole file with this value's hex digits zeroed. */
export const FILE_CHECKSUM_KEY = "rnnkit.file-sha256";
const BYTES: Record<SafetensorsDType, number> = { F32: 4, F64: 8 };
const ZERO_DIGEST = "0".repeat(64);
const HEX64 = /^[0-9a-f]{64}$/;
const utf8 = new TextEncoder();

function sha256(bytes: Uint8Array): string {
  return bytesToHex(sha256Bytes(bytes));
}

/** A value quoted for a message, cut short so that a hostile file cannot make the message huge. */
export function quote(v: unknown, max = 60): string {
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : v === undefined ? "undefined" : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Whether v is a JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The bytes `"key":"value"` as JSON.stringify writes a metadata entry. */
function entryBytes(key: string, value: string): Uint8Array {
  return utf8.encode(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
}

/** Every index where needle starts in hay (at most `limit` of them). */
function findAll(hay: Uint8Array, needle: Uint8Array, limit = 2): number[] {
  const found: number[] = [];
  const first = needle[0];
  outer: for (let i = hay.indexOf(first); i !== -1 && i <= hay.length - needle.length; i = hay.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    found.push(i);
    if (found.length >= limit) break;
  }
  return found;
}

/** SHA-256 of `bytes` with the 64 bytes at `at` read as "0"s. */
function sealDigest(bytes: Uint8Array, at: number): string {
  const h = sha256Bytes.create();
  h.update(bytes.subarray(0, at));
  h.update(utf8.encode(ZERO_DIGEST));
  h.update(bytes.subarray(at + 64));
  return bytesToHex(h.digest());
}

/** Serializes named tensors (in the given order) and string metadata. */
export function encodeSafetensors(tensors: Iterable<[string, NamedTensor]>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = [...tensors];
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === "__metadata__") throw new SafetensorsError("a tensor cannot be named __metadata__");
    if (Object.hasOwn(header, name)) throw new SafetensorsError(`two tensors are named ${quote(name)}`);
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
  const meta: Record<string, string> = { ...metadata };
  delete meta[DATA_CHECKSUM_KEY];
  delete meta[FILE_CHECKSUM_KEY];
  header.__metadata__ = { ...meta, [DATA_CHECKSUM_KEY]: sha256(body), [FILE_CHECKSUM_KEY]: ZERO_DIGEST };
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + utf8.encode(json).length) % 8)) % 8);
  const headerBytes = utf8.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(body, 8 + headerBytes.length);
  // The placeholder entry occurs once: inside JSON strings every quote is escaped.
  const [at] = findAll(headerBytes, entryBytes(FILE_CHECKSUM_KEY, ZERO_DIGEST));
  const valueAt = 8 + at + utf8.encode(`${JSON.stringify(FILE_CHECKSUM_KEY)}:"`).length;
  out.set(utf8.encode(sealDigest(out, valueAt)), valueAt);
  return out;
}

export interface DecodeSafetensorsOptions {
  /**
   * Refuse a file without `rnnkit.file-sha256` (the whole-file digest). Model files
   * require it; plain safetensors written by other tools have none.
   */
  requireFileChecksum?: boolean;
}

interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses and validates a safetensors buffer; throws SafetensorsError naming `what` (the
 * file), the part at fault and what was expected. Nothing is allocated for the tensors
 * until the header, the layout of the data and the checksums have all been checked, so
 * the values returned take no more memory than the file's data bytes.
 */
export function decodeSafetensors(bytes: Uint8Array, what = "file", options: DecodeSafetensorsOptions = {}): SafetensorsContents {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${what}: ${msg}`);
  };
  if (bytes.length < 8) fail(`truncated (${bytes.length} bytes, no header length)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    fail(`truncated or not safetensors (header length ${n} exceeds the ${bytes.length - 8} bytes that follow)`);
  }
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    fail(`header is not valid JSON (${quote((e as Error).message, 120)})`);
  }
  if (!isPlainObject(header)) return fail("header is not a JSON object");
  const body = bytes.subarray(8 + headerLen);
  const metadata: Record<string, string> = {};
  const rawMeta = header.__metadata__;
  if (rawMeta !== undefined) {
    if (!isPlainObject(rawMeta)) fail("header: __metadata__ is not an object of strings");
    for (const [k, v] of Object.entries(rawMeta as Record<string, unknown>)) {
      if (typeof v !== "string") fail(`metadata ${quote(k)}: expected a string, got ${quote(v)}`);
      metadata[k] = v as string;
    }
  }
  // The whole-file digest first: a corrupted file is called corrupted, whatever the damage.
  const sealed = metadata[FILE_CHECKSUM_KEY];
  if (sealed !== undefined) {
    if (!HEX64.test(sealed)) fail(`metadata ${quote(FILE_CHECKSUM_KEY)}: expected 64 lowercase hex digits, got ${quote(sealed)}`);
    const found = findAll(bytes.subarray(8, 8 + headerLen), entryBytes(FILE_CHECKSUM_KEY, sealed));
    if (found.length !== 1) fail(`metadata ${quote(FILE_CHECKSUM_KEY)}: the digest is not written as rnnkit writes it (once, unescaped)`);
    const valueAt = 8 + found[0] + utf8.encode(`${JSON.stringify(FILE_CHECKSUM_KEY)}:"`).length;
    if (sealDigest(bytes, valueAt) !== sealed) {
      const ends = Object.values(header).map((e) => (isPlainObject(e) && Array.isArray(e.data_offsets) ? Number(e.data_offsets[1]) : 0));
      const end = ends.reduce((a, b) => (Number.isFinite(b) && b > a ? b : a), 0);
      if (end > body.length) fail(`truncated: the tensors end at byte ${end} of the ${body.length} data bytes (checksum mismatch)`);
      fail("checksum mismatch: the file is corrupted (header, metadata or tensor data)");
    }
  } else if (options.requireFileChecksum) {
    fail(`no whole-file checksum (metadata ${quote(FILE_CHECKSUM_KEY)}): written by an older rnnkit or another tool; re-save it with this version`);
  }
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const where = `tensor ${quote(name)}`;
    if (!isPlainObject(raw)) fail(`${where}: expected {dtype, shape, data_offsets}, got ${quote(raw)}`);
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== "F32" && e.dtype !== "F64") fail(`${where}: unsupported dtype ${quote(e.dtype)} (F32 and F64 are read)`);
    const dtype = e.dtype as SafetensorsDType;
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${where}: shape ${quote(shape)} is not a list of non-negative integers`);
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[1] < offs[0]) {
      fail(`${where}: data_offsets ${quote(offs)} is not [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [begin, end] = offs as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype]) {
      fail(`${where}: ${end - begin} bytes at data_offsets [${begin}, ${end}] for shape ${quote(shape)} of ${dtype} (${count * BYTES[dtype]} expected)`);
    }
    if (end > body.length) fail(`truncated (${where} ends at byte ${end} of the ${body.length} data bytes)`);
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  const spans = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const { begin, end, name } of spans) {
    if (begin !== cursor) fail(`tensor ${quote(name)} ${begin < cursor ? "overlaps another" : "leaves a hole before it"} (data_offsets [${begin}, ${end}], expected to start at ${cursor})`);
    cursor = end;
  }
  if (cursor !== body.length) fail(`${body.length - cursor} trailing bytes after the last tensor`);
  const sum = metadata[DATA_CHECKSUM_KEY];
  if (sum !== undefined && sum !== sha256(body)) fail("checksum mismatch: the tensor data is corrupted");
  const tensors = new Map<string, NamedTensor>();
  for (const { name, dtype, shape, begin, end } of entries) {
    const count = (end - begin) / BYTES[dtype];
    const data = dtype === "F64" ? new Float64Array(count) : new Float32Array(count);
    const tv = new DataView(body.buffer, body.byteOffset + begin, end - begin);
    if (dtype === "F64") for (let i = 0; i < count; i++) data[i] = tv.getFloat64(i * 8, true);
    else for (let i = 0; i < count; i++) data[i] = tv.getFloat32(i * 4, true);
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}
