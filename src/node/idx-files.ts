/**
 * Reading IDX files (LeCun's MNIST format) from disk, for Node: gunzips when the bytes
 * start with the gzip magic, then parses with the core's `parseIdx`.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { IdxError, isGzip, parseIdx, type IdxArray } from "../data/idx.js";

/**
 * Reads an IDX file from disk, gunzipping it first when it starts with the gzip magic.
 * @example const { dims, data } = readIdx("data/mnist/t10k-labels-idx1-ubyte.gz"); // dims [10000]
 */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array = readFileSync(path);
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new IdxError(`${path}: corrupted gzip stream (${(e as Error).message})`);
    }
  }
  return parseIdx(bytes, path);
}
