/**
 * A user's text file as training data for a character model: checked to be UTF-8 text
 * before anything else happens (a binary file, NUL bytes or invalid byte sequences are
 * refused with the byte offset), with its SHA-256 so a model can name the data it was
 * trained on.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";

/** A text file read and checked. */
export interface TextData {
  text: string;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
  bytes: number;
}

/** The error of bad data: the command line prints its message on one line and exits 2. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }
}

/** The offset of the first byte where `bytes` stops being valid UTF-8, or −1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let n: number, min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      n = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/**
 * Reads `path` as UTF-8 text. Refuses (DataError, one line) a missing file, a directory,
 * an empty file, a file with NUL bytes (binary data) and one that is not valid UTF-8.
 */
export function readTextFile(path: string): TextData {
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) throw new DataError(`${path}: is a directory; give a text file`);
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === "ENOENT" ? `${path}: no such file` : `${path}: cannot be read (${(e as Error).message})`);
  }
  if (bytes.length === 0) throw new DataError(`${path}: the file is empty`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new DataError(`${path}: not a text file (a NUL byte at byte ${nul}); give a UTF-8 text file`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new DataError(`${path}: not UTF-8 text (an invalid byte sequence${at >= 0 ? ` at byte ${at}` : ""}); convert it to UTF-8 first`);
  }
  return { text, sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length };
}
