/**
 * Reading IDX files (LeCun's MNIST format) from disk, for Node: gunzips when the bytes
 * start with the gzip magic, then parses with the core's `parseIdx`.
 *
 * The work is bounded by what the header declares: a gzipped file is first inflated only
 * far enough to read its header (a prefix of the stream, at most 1 MiB of output), then
 * inflated with zlib's `maxOutputLength` set to the header plus the declared payload plus
 * one byte, so a stream that inflates to more than declared (a gzip bomb) is refused as
 * soon as it does. Every refusal is an IdxError naming the file.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { constants, gunzipSync } from "node:zlib";
import { IdxError, isGzip, MAX_IDX_PAYLOAD, parseIdx, readIdxHeader, type IdxArray } from "../data/idx.js";

/** The most a rank-3 header takes; the probe inflates until it has this much. */
const LONGEST_HEADER = 16;
/** Output allowed to the header probe. */
const PROBE_OUTPUT = 1 << 20;
/** Deflate's best ratio is about 1032:1; a stream cannot inflate to more than this per byte. */
const DEFLATE_MAX_RATIO = 1032;

const zlibCode = (e: unknown) => (e as { code?: unknown })?.code;

/** Inflates the first `k` bytes of `gz` (as far as they go); "too large" past PROBE_OUTPUT bytes. */
function inflatePrefix(gz: Uint8Array, k: number, path: string): Uint8Array | "too large" {
  try {
    return gunzipSync(gz.subarray(0, k), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: PROBE_OUTPUT });
  } catch (e) {
    if (zlibCode(e) === "ERR_BUFFER_TOO_LARGE") return "too large";
    throw new IdxError(`${path}: corrupted gzip stream (${(e as Error).message})`);
  }
}

/**
 * At least the first LONGEST_HEADER inflated bytes of `gz` (all of them if the stream is
 * shorter), inflating prefixes of doubling length and never more than PROBE_OUTPUT bytes.
 */
function inflateHead(gz: Uint8Array, path: string): Uint8Array {
  let lo = 0; // a prefix known to give fewer than LONGEST_HEADER bytes
  let k = Math.min(64, gz.length);
  for (;;) {
    const out = inflatePrefix(gz, k, path);
    if (out === "too large") {
      // Output grows by at most ~1 KiB per input byte: bisect to a prefix in between.
      let hi = k;
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        const r = inflatePrefix(gz, mid, path);
        if (r === "too large") hi = mid;
        else if (r.length >= LONGEST_HEADER) return r;
        else lo = mid;
      }
      throw new IdxError(`${path}: corrupted gzip stream (one byte inflates to more than ${PROBE_OUTPUT} bytes)`);
    }
    if (out.length >= LONGEST_HEADER || k === gz.length) return out;
    lo = k;
    k = Math.min(2 * k, gz.length);
  }
}

/** Reads the whole file, refusing one larger than `limit` bytes before reading it. */
function readBounded(path: string, limit: number): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new IdxError(`${path}: cannot be read (${(e as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > limit) throw new IdxError(`${path}: ${size} bytes is larger than any IDX file read here (${limit} bytes at most)`);
    const bytes = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, bytes, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    return at === size ? bytes : bytes.subarray(0, at);
  } catch (e) {
    if (e instanceof IdxError) throw e;
    throw new IdxError(`${path}: cannot be read (${(e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

/** Inflates a gzipped IDX file, allowing no more output than its header declares (plus one byte). */
export function gunzipIdx(gz: Uint8Array, path: string): Uint8Array {
  const head = inflateHead(gz, path);
  // A stream shorter than the longest header was inflated whole by the probe, which does
  // not insist on the end of the stream: inflate it again strictly (CRC-32 and length).
  if (head.length < LONGEST_HEADER) return strictGunzip(gz, LONGEST_HEADER, path, "16 bytes");
  const { dims, headerBytes, payloadBytes } = readIdxHeader(head, path);
  const declared = headerBytes + payloadBytes;
  if (declared > DEFLATE_MAX_RATIO * gz.length + 1024) {
    throw new IdxError(`${path}: truncated: the header [${dims.join(", ")}] declares ${payloadBytes} payload bytes, more than ${gz.length} gzipped bytes can hold`);
  }
  return strictGunzip(gz, declared + 1, path, `the ${declared} bytes its header [${dims.join(", ")}] declares`);
}

/** The whole stream inflated and checked (CRC-32, length), refused past `limit` bytes of output. */
function strictGunzip(gz: Uint8Array, limit: number, path: string, declared: string): Uint8Array {
  try {
    return gunzipSync(gz, { maxOutputLength: limit });
  } catch (e) {
    if (zlibCode(e) === "ERR_BUFFER_TOO_LARGE") throw new IdxError(`${path}: the gzip stream inflates to more than ${declared}`);
    throw new IdxError(`${path}: corrupted gzip stream (${(e as Error).message})`);
  }
}

/**
 * Reads an IDX file from disk, gunzipping it first when it starts with the gzip magic.
 * Throws IdxError naming the file for anything it cannot read.
 * @example const { dims, data } = readIdx("data/mnist/t10k-labels-idx1-ubyte.gz"); // dims [10000]
 */
export function readIdx(path: string): IdxArray {
  const bytes = readBounded(path, MAX_IDX_PAYLOAD + (1 << 20));
  return parseIdx(isGzip(bytes) ? gunzipIdx(bytes, path) : bytes, path);
}
