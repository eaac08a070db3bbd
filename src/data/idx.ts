/**
 * IDX files, the format of LeCun's MNIST distribution: a big-endian header (magic
 * 0x0000 | type | rank, then one uint32 per dimension) followed by the payload. Files
 * may be gzipped; we tell by the gzip magic bytes, not by the name (src/node/idx-files.ts
 * reads and gunzips them; parsing here takes bytes). Only the two unsigned
 * byte layouts MNIST uses are read: images 0x00000803 [n, rows, cols] and labels
 * 0x00000801 [n]. Anything else, any header declaring more than MAX_IDX_PAYLOAD bytes, and
 * any file whose payload is not exactly as long as its header says, is refused with an
 * IdxError naming the file and the fault.
 */

/** Magic numbers of the two MNIST layouts (type 0x08 = unsigned byte, then the rank). */
export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

/** A decoded IDX file: its magic, dimensions (outermost first) and uint8 payload in file order. */
export interface IdxArray {
  magic: number;
  dims: number[];
  data: Uint8Array;
}

/** Thrown for a file that is not a readable MNIST IDX file; the message names the file. */
export class IdxError extends Error {
  override name = "IdxError";
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Whether `bytes` start with the gzip magic (the Node layer gunzips such files before parsing). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

const hex = (v: number) => `0x${v.toString(16).padStart(8, "0")}`;

/** Largest payload (product of the dimensions, in bytes) an IDX file may declare: 1 GiB. */
export const MAX_IDX_PAYLOAD = 2 ** 30;

/** What an IDX header declares. */
export interface IdxHeader {
  magic: number;
  dims: number[];
  /** Bytes of the header: 4 + 4 · rank. */
  headerBytes: number;
  /** Bytes of payload the dimensions declare (at most MAX_IDX_PAYLOAD). */
  payloadBytes: number;
}

/**
 * Reads and checks the header at the start of `bytes` (the payload may be absent: the
 * gzip reader inflates the header first to learn how much to allow). `name` is only for
 * messages. Refuses a wrong magic, a truncated header, zero image dimensions and a
 * payload over MAX_IDX_PAYLOAD.
 */
export function readIdxHeader(bytes: Uint8Array, name: string): IdxHeader {
  if (bytes.length < 4) throw new IdxError(`${name}: ${bytes.length} bytes is too short for an IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== IDX_IMAGES_MAGIC && magic !== IDX_LABELS_MAGIC) {
    throw new IdxError(
      `${name}: wrong magic ${hex(magic)}; expected ${hex(IDX_IMAGES_MAGIC)} (images) or ${hex(IDX_LABELS_MAGIC)} (labels)`,
    );
  }
  const rank = magic & 0xff;
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new IdxError(`${name}: truncated header: ${bytes.length} bytes, a rank-${rank} header needs ${headerBytes}`);
  }
  const dims = Array.from({ length: rank }, (_, k) => view.getUint32(4 + 4 * k, false));
  // The count may be 0 (an empty split); a zero-sized image is not an image.
  if (dims.slice(1).some((d) => d === 0)) throw new IdxError(`${name}: image dimensions ${dims.join("×")} include a zero`);
  const payloadBytes = dims.reduce((a, b) => a * b, 1);
  if (payloadBytes > MAX_IDX_PAYLOAD) {
    throw new IdxError(`${name}: the header [${dims.join(", ")}] declares ${payloadBytes} payload bytes, more than the ${MAX_IDX_PAYLOAD} read`);
  }
  return { magic, dims, headerBytes, payloadBytes };
}

/**
 * Decodes the bytes of an IDX file (already un-gzipped). `name` is only for messages.
 * The payload is a view into `bytes`, not a copy.
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  const { magic, dims, headerBytes, payloadBytes: expected } = readIdxHeader(bytes, name);
  const payload = bytes.length - headerBytes;
  if (payload < expected) {
    throw new IdxError(`${name}: truncated: the header [${dims.join(", ")}] needs ${expected} payload bytes, the file has ${payload}`);
  }
  if (payload > expected) {
    throw new IdxError(`${name}: ${payload - expected} unexpected bytes after the ${expected} payload bytes of [${dims.join(", ")}]`);
  }
  return { magic, dims, data: bytes.subarray(headerBytes) };
}
