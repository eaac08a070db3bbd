/**
 * NumPy's `.npy` format, bytes in and bytes out (files are the Node layer's, src/node/npy-files.ts):
 *
 *   [6 bytes: \x93NUMPY][2 bytes: version major, minor][header length: 2 bytes (1.0) or 4 (2.0, 3.0),
 *   little-endian][header][data]
 *
 * The header is a Python dict literal, `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`,
 * latin-1 (1.0, 2.0) or UTF-8 (3.0), padded with spaces and ended by `\n`; the data follows in C order.
 * `writeNpy` writes exactly what NumPy's `np.save` writes for the same array (version 1.0 unless the
 * header needs more, the same spare room after the dict and padding to a multiple of 64), so files
 * compare byte for byte. `readNpy` parses the header with a small strict parser of that dict syntax
 * (not eval) and checks every part, and the data's length against the shape, before it allocates
 * anything: what it returns takes no more memory than the file's data bytes.
 *
 * Not here: `.npz` archives (zip files of .npy), structured, object, string, complex, float16 and
 * datetime dtypes, big-endian data, Fortran-ordered arrays, memory mapping.
 */

/** The dtypes read and written, by NumPy's names; `bool` is one byte per value, 0 or 1. */
export type NpyDtype =
  | "float32" | "float64" | "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16" | "uint32" | "uint64" | "bool";

/** The typed array holding each dtype's values (64-bit integers as BigInt arrays, so none is rounded). */
export interface NpyDataOf {
  float32: Float32Array;
  float64: Float64Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
}

/**
 * A NumPy array: its dtype, its shape (`[]` for a 0-d array) and its values in C (row-major)
 * order, `data.length` = the product of `shape`.
 */
export type NpyArray = { [D in NpyDtype]: { dtype: D; shape: number[]; data: NpyDataOf[D] } }[NpyDtype];

/** A `.npy` file or array refused: the message names the file (or the function), the part and what was expected. */
export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NpyError";
  }
}

/** Options of `writeNpy`. */
export interface WriteNpyOptions {
  /**
   * The format version, as `np.lib.format.write_array(f, a, version=…)` takes it. Default: what
   * `np.save` picks, 1.0 unless the header is too long for its 2-byte length (then 2.0).
   */
  version?: "1.0" | "2.0" | "3.0";
}

interface DtypeInfo {
  /** NumPy's type character and item size, as in the descr `<f4`. */
  kind: "f" | "i" | "u" | "b";
  size: 1 | 2 | 4 | 8;
  ctor: { new (buffer: ArrayBuffer, byteOffset: number, length: number): NpyArray["data"] };
}

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  float32: { kind: "f", size: 4, ctor: Float32Array },
  float64: { kind: "f", size: 8, ctor: Float64Array },
  int8: { kind: "i", size: 1, ctor: Int8Array },
  int16: { kind: "i", size: 2, ctor: Int16Array },
  int32: { kind: "i", size: 4, ctor: Int32Array },
  int64: { kind: "i", size: 8, ctor: BigInt64Array },
  uint8: { kind: "u", size: 1, ctor: Uint8Array },
  uint16: { kind: "u", size: 2, ctor: Uint16Array },
  uint32: { kind: "u", size: 4, ctor: Uint32Array },
  uint64: { kind: "u", size: 8, ctor: BigUint64Array },
  bool: { kind: "b", size: 1, ctor: Uint8Array },
};

const DTYPE_NAMES = Object.keys(DTYPES) as NpyDtype[];
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** NumPy aligns the data to this many bytes (np.lib.format.ARRAY_ALIGN). */
const ALIGN = 64;
/** Spare spaces np.save leaves after the dict, less the digits of the first axis (GROWTH_AXIS_MAX_DIGITS). */
const GROWTH_DIGITS = 21;
/** NumPy 2's limit on dimensions (NumPy 1 allows 32); more is refused before any arithmetic on them. */
const MAX_DIMS = 64;
/** Whether this machine stores numbers little-endian (every current JavaScript host does; the data is swapped otherwise). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The descr np.save writes for a dtype: `<` for multi-byte types, `|` (no byte order) for one-byte ones. */
function descrOf(dtype: NpyDtype): string {
  const { kind, size } = DTYPES[dtype];
  return `${size === 1 ? "|" : "<"}${kind}${size}`;
}

/** A value quoted for a message, cut short so that a hostile file cannot make the message huge. */
function show(s: string, max = 40): string {
  const q = JSON.stringify(s.length > max ? s.slice(0, max) : s);
  return s.length > max ? `${q}…` : q;
}

/** A shape as Python writes the tuple: `(2, 3)`, `(5,)`, `()`. */
function pyTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** Reverses each `size`-byte group of `bytes` in place (little-endian ↔ this host's order). */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

// --- the header's dict literal --------------------------------------------------------------

/** A parsed header value: what the three keys can hold, plus enough of the rest to name it. */
type HeaderValue =
  | { kind: "string"; text: string }
  | { kind: "bool"; value: boolean }
  /** Number tokens as written (`3`, `-1`, `2.5`, `3L`), checked by the caller. */
  | { kind: "tuple"; items: string[] };

/**
 * A strict parser of the dict literals NumPy writes: `{` string `:` value (`,` string `:` value)*
 * `,`? `}` where a value is a quoted string without escapes, `True`/`False` or a tuple of number
 * tokens (`()`, `(5,)`, `(2, 3)`); whitespace between tokens. Anything else is refused with the
 * position and what was expected — no Python evaluation, no JSON rewriting.
 */
class HeaderParser {
  pos = 0;
  constructor(private readonly text: string, private readonly fail: (msg: string) => never) {}

  private found(): string {
    return this.pos >= this.text.length ? "the end of the header" : show(this.text.slice(this.pos, this.pos + 12), 12);
  }

  private expected(what: string): never {
    return this.fail(`header: expected ${what} at character ${this.pos}, found ${this.found()}`);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && " \t\r\n".includes(this.text[this.pos])) this.pos++;
  }

  private eat(ch: string): boolean {
    this.skipSpace();
    if (this.text[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }

  private string(what: string): string {
    this.skipSpace();
    const quote = this.text[this.pos];
    if (quote !== "'" && quote !== '"') this.expected(what);
    const start = ++this.pos;
    for (; this.pos < this.text.length; this.pos++) {
      const c = this.text[this.pos];
      if (c === quote) return this.text.slice(start, this.pos++);
      if (c === "\\" || c === "\n") this.fail(`header: the string at character ${start - 1} holds ${c === "\\" ? "a backslash escape" : "a line break"}; NumPy writes neither`);
    }
    return this.fail(`header: the string at character ${start - 1} is not closed`);
  }

  private number(): string {
    this.skipSpace();
    const start = this.pos;
    if (this.text[this.pos] === "-" || this.text[this.pos] === "+") this.pos++;
    while (this.pos < this.text.length && /[0-9A-Za-z_.]/.test(this.text[this.pos])) {
      // An exponent's sign belongs to the number: 2.5e+3.
      this.pos += /[eE]/.test(this.text[this.pos]) && /[+-]/.test(this.text[this.pos + 1] ?? "") ? 2 : 1;
    }
    if (this.pos === start || !/[0-9]/.test(this.text.slice(start, this.pos))) {
      this.pos = start;
      this.expected("a number or ')' in the shape tuple");
    }
    return this.text.slice(start, this.pos);
  }

  private tuple(): HeaderValue {
    const items: string[] = [];
    for (;;) {
      if (this.eat(")")) break;
      items.push(this.number());
      if (this.eat(")")) {
        // Python's (5) is the number 5, not a tuple.
        if (items.length === 1) this.fail(`header: 'shape': (${items[0]}) is a number, not a tuple; a 1-d shape is written (${items[0]},)`);
        break;
      }
      if (!this.eat(",")) this.expected("',' or ')' in the shape tuple");
    }
    return { kind: "tuple", items };
  }

  private value(key: string): HeaderValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === "'" || c === '"') return { kind: "string", text: this.string("a string") };
    if (c === "(") {
      this.pos++;
      return this.tuple();
    }
    for (const [word, value] of [["True", true], ["False", false]] as const) {
      if (this.text.startsWith(word, this.pos) && !/[A-Za-z0-9_]/.test(this.text[this.pos + word.length] ?? "")) {
        this.pos += word.length;
        return { kind: "bool", value };
      }
    }
    if (c === "[" && key === "descr") this.fail("header: 'descr' is a list of fields: a structured dtype, which is not read (save a plain numeric array)");
    return this.expected(`the value of ${show(key)}: a string, True, False or a tuple`);
  }

  /** The dict's entries in order (duplicates refused), then only whitespace up to the end. */
  dict(): Map<string, HeaderValue> {
    const out = new Map<string, HeaderValue>();
    if (!this.eat("{")) this.expected("'{' (the header is a Python dict literal)");
    for (;;) {
      if (this.eat("}")) break;
      const key = this.string("a quoted key or '}'");
      if (out.has(key)) this.fail(`header: key ${show(key)} appears twice`);
      if (!this.eat(":")) this.expected(`':' after the key ${show(key)}`);
      out.set(key, this.value(key));
      if (this.eat("}")) break;
      if (!this.eat(",")) this.expected("',' or '}' after a value");
    }
    this.skipSpace();
    if (this.pos !== this.text.length) this.expected("only spaces after the dict's '}'");
    return out;
  }
}

// --- reading ---------------------------------------------------------------------------------

/** The dtype a descr names; refuses, saying why, every descr that is not one of NpyDtype's. */
function dtypeOfDescr(descr: string, fail: (msg: string) => never): NpyDtype {
  const where = `header: 'descr' is ${show(descr)}`;
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  if (m === null) {
    if (/^[<>|=]?O\d*$/.test(descr)) fail(`${where}: an object array (pickled Python objects), which is not read; save a numeric array`);
    return fail(`${where}: not a dtype that is read (read: ${DTYPE_NAMES.map(descrOf).join(" ")})`);
  }
  const [, order, kind, digits] = m;
  if (kind === "O") fail(`${where}: an object array (pickled Python objects), which is not read; save a numeric array`);
  const dtype = DTYPE_NAMES.find((d) => DTYPES[d].kind === kind && String(DTYPES[d].size) === digits);
  if (dtype === undefined) return fail(`${where}: not a dtype that is read (read: ${DTYPE_NAMES.map(descrOf).join(" ")})`);
  // A single byte has no byte order: NumPy writes `|`, and accepts `<`, `>` and `=` for it too.
  if (DTYPES[dtype].size > 1 && order !== "<") {
    if (order === ">") fail(`${where}: big-endian data, which is not read; save it little-endian (a.astype('<${kind}${digits}'))`);
    fail(`${where}: no explicit byte order (${order === "" ? "none" : `'${order}'`}); expected '<' (little-endian), as NumPy writes it`);
  }
  return dtype;
}

/** The shape's entries as numbers, each a non-negative integer no larger than 2^53 − 1. */
function shapeOf(value: HeaderValue | undefined, fail: (msg: string) => never): number[] {
  if (value?.kind !== "tuple") return fail(`header: 'shape' is ${value?.kind === "bool" ? "a boolean" : "a string"}, expected a tuple of non-negative integers`);
  if (value.items.length > MAX_DIMS) fail(`header: 'shape' has ${value.items.length} dimensions; at most ${MAX_DIMS} are read`);
  return value.items.map((token, k) => {
    const where = `header: 'shape' entry ${k} (${show(token, 24)})`;
    if (/^-[0-9]+$/.test(token)) fail(`${where} is negative; expected a non-negative integer`);
    if (!/^\+?[0-9]+$/.test(token)) fail(`${where} is not an integer written in decimal digits`);
    const v = Number(token);
    if (!Number.isSafeInteger(v)) fail(`${where} overflows: larger than 2^53 − 1`);
    return v;
  });
}

/** The header's text: latin-1 (versions 1.0 and 2.0) or UTF-8 (3.0). */
function headerText(bytes: Uint8Array, utf8: boolean, fail: (msg: string) => never): string {
  if (utf8) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return fail("header: not valid UTF-8 (version 3.0 headers are UTF-8)");
    }
  }
  // TextDecoder's "latin1" is windows-1252, which differs at 0x80–0x9f; decode byte by byte.
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

/**
 * Reads a `.npy` file's bytes (versions 1.0, 2.0, 3.0; the dtypes of `NpyDtype`, little-endian,
 * C order). Refuses anything else with an NpyError naming `name` (the file), the part (magic,
 * version, header length, header, 'descr', 'fortran_order', 'shape', data) and what was expected.
 * Nothing is allocated for the data before its length has been checked against the shape.
 *
 * @example
 * const a = readNpy(bytes, "x.npy"); // a.dtype "float32", a.shape [2, 3], a.data Float32Array(6)
 * if (a.dtype === "int64") console.log(a.data[0]); // a bigint
 */
export function readNpy(bytes: Uint8Array, name = "npy file"): NpyArray {
  const fail = (msg: string): never => {
    throw new NpyError(`${name}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) throw new NpyError(`readNpy: bytes must be a Uint8Array, got ${bytes === null ? "null" : typeof bytes}`);
  if (bytes.length === 0) fail("magic: the file is empty; an .npy file starts with the bytes \\x93NUMPY");
  const prefix = bytes.subarray(0, MAGIC.length);
  if (!prefix.every((b, i) => b === MAGIC[i])) {
    if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
      fail("magic: a zip archive (an .npz from np.savez?), not an .npy file; save each array with np.save");
    }
    fail(`magic: expected the bytes \\x93NUMPY at the start of an .npy file, found ${show(String.fromCharCode(...prefix))}`);
  }
  if (bytes.length < MAGIC.length) fail(`truncated: ${bytes.length} bytes, not even the whole magic`);
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, no version`);
  const [major, minor] = [bytes[6], bytes[7]];
  if (![1, 2, 3].includes(major) || minor !== 0) fail(`version: ${major}.${minor} is not an .npy format version (1.0, 2.0 and 3.0 are read)`);
  const lengthBytes = major === 1 ? 2 : 4;
  const start = 8 + lengthBytes;
  if (bytes.length < start) fail(`truncated: ${bytes.length} bytes, no header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (headerLength > bytes.length - start) {
    fail(`header length: ${headerLength} bytes, but only ${bytes.length - start} follow (a truncated file, or not .npy)`);
  }
  const text = headerText(bytes.subarray(start, start + headerLength), major === 3, fail);
  if (!text.endsWith("\n")) fail("header: does not end with a newline ('\\n'), as the format requires");
  const entries = new HeaderParser(text, fail).dict();
  for (const key of entries.keys()) {
    if (!["descr", "fortran_order", "shape"].includes(key)) fail(`header: unexpected key ${show(key)} (expected exactly 'descr', 'fortran_order' and 'shape')`);
  }
  for (const key of ["descr", "fortran_order", "shape"]) {
    if (!entries.has(key)) fail(`header: no ${show(key)} key (expected exactly 'descr', 'fortran_order' and 'shape')`);
  }
  const descr = entries.get("descr")!;
  if (descr.kind !== "string") fail("header: 'descr' is not a string, expected a dtype such as '<f4'");
  const dtype = dtypeOfDescr((descr as { text: string }).text, fail);
  const fortran = entries.get("fortran_order")!;
  if (fortran.kind !== "bool") fail("header: 'fortran_order' is not True or False");
  if ((fortran as { value: boolean }).value) fail("header: saved with fortran_order=True; save a C-ordered array (np.ascontiguousarray(a))");
  const shape = shapeOf(entries.get("shape"), fail);

  const { size, ctor } = DTYPES[dtype];
  const dataStart = start + headerLength;
  const have = BigInt(bytes.length - dataStart);
  // BigInt: with up to 64 entries of up to 2^53 the product can be far past 2^53.
  const count = shape.reduce((p, d) => p * BigInt(d), 1n);
  const need = count * BigInt(size);
  const what = `shape ${pyTuple(shape)} of ${dtype} needs ${need} bytes`;
  if (need > have) fail(`data: truncated: ${what}, the file has ${have} after the header`);
  if (need < have) fail(`data: ${have - need} trailing bytes: ${what}, the file has ${have} after the header`);
  const n = Number(count);
  const copy = bytes.slice(dataStart); // its own, aligned buffer
  if (!HOST_LITTLE_ENDIAN) swapBytes(copy, size);
  if (dtype === "bool") {
    const bad = copy.findIndex((b) => b > 1);
    if (bad >= 0) fail(`data: bool value ${bad} is the byte ${copy[bad]}, expected 0 or 1`);
  }
  return { dtype, shape, data: new ctor(copy.buffer, 0, n) } as NpyArray;
}

// --- writing ---------------------------------------------------------------------------------

/** The checked parts of an array given to `writeNpy` (or `npyTokenIds`): dtype info and element count. */
function checkArray(who: string, array: unknown): { dtype: NpyDtype; shape: number[]; data: NpyArray["data"] } {
  if (typeof array !== "object" || array === null) throw new NpyError(`${who}: expected { dtype, shape, data }, got ${array === null ? "null" : typeof array}`);
  const { dtype, shape, data } = array as Record<string, unknown>;
  if (typeof dtype !== "string" || !Object.hasOwn(DTYPES, dtype)) {
    throw new NpyError(`${who}: dtype ${show(String(dtype))} is not one of ${DTYPE_NAMES.join(", ")}`);
  }
  const info = DTYPES[dtype as NpyDtype];
  if (!Array.isArray(shape) || shape.length > MAX_DIMS || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    let text: string;
    try {
      text = JSON.stringify(shape) ?? String(shape);
    } catch {
      text = String(shape);
    }
    throw new NpyError(`${who}: shape must be an array of at most ${MAX_DIMS} non-negative integers, got ${text.length > 60 ? `${text.slice(0, 60)}…` : text}`);
  }
  if (!(data instanceof info.ctor) || (info.ctor === Uint8Array && data instanceof Uint8ClampedArray)) {
    throw new NpyError(`${who}: dtype ${dtype} holds its values in a ${info.ctor.name}, got ${(data as object)?.constructor?.name ?? typeof data}`);
  }
  const count = (shape as number[]).reduce((p, d) => p * d, 1);
  if ((data as NpyArray["data"]).length !== count) {
    throw new NpyError(`${who}: ${(data as NpyArray["data"]).length} values for shape ${pyTuple(shape as number[])} (${count} expected)`);
  }
  return { dtype: dtype as NpyDtype, shape: shape as number[], data: data as NpyArray["data"] };
}

/** The header bytes np.save writes: magic, version, length, dict, spare spaces, padding to 64, `\n`. */
function headerBytes(dtype: NpyDtype, shape: readonly number[], version: WriteNpyOptions["version"]): Uint8Array {
  let dict = `{'descr': '${descrOf(dtype)}', 'fortran_order': False, 'shape': ${pyTuple(shape)}, }`;
  if (shape.length > 0) dict += " ".repeat(GROWTH_DIGITS - String(shape[0]).length);
  const wrap = (major: 1 | 2 | 3): Uint8Array | null => {
    const lengthBytes = major === 1 ? 2 : 4;
    const textLength = dict.length + 1; // + '\n'; the dict is ASCII, so one byte per character
    const pad = ALIGN - ((8 + lengthBytes + textLength) % ALIGN); // a whole ALIGN when already aligned, as NumPy does
    const headerLength = textLength + pad;
    if (major === 1 && headerLength > 0xffff) return null;
    const out = new Uint8Array(8 + lengthBytes + headerLength);
    out.set(MAGIC);
    out[6] = major;
    const dv = new DataView(out.buffer);
    if (major === 1) dv.setUint16(8, headerLength, true);
    else dv.setUint32(8, headerLength, true);
    const text = `${dict}${" ".repeat(pad)}\n`;
    for (let i = 0; i < text.length; i++) out[8 + lengthBytes + i] = text.charCodeAt(i);
    return out;
  };
  if (version === undefined) return wrap(1) ?? wrap(2)!;
  const major = ({ "1.0": 1, "2.0": 2, "3.0": 3 } as const)[version];
  if (major === undefined) throw new NpyError(`writeNpy: version ${show(String(version))} is not "1.0", "2.0" or "3.0"`);
  const out = wrap(major);
  if (out === null) throw new NpyError(`writeNpy: the header for shape ${pyTuple(shape)} is too long for version 1.0; use 2.0`);
  return out;
}

/**
 * The bytes of a `.npy` file holding `array`, exactly as NumPy's `np.save` writes them (or
 * `np.lib.format.write_array` with `options.version`). Refuses (NpyError) an array whose data is
 * not the dtype's typed array, whose length is not the shape's product, or a bool array holding
 * bytes other than 0 and 1.
 *
 * @example
 * const bytes = writeNpy({ dtype: "float32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
 * readNpy(bytes).shape; // [2, 3]
 */
export function writeNpy(array: NpyArray, options: WriteNpyOptions = {}): Uint8Array {
  const { dtype, shape, data } = checkArray("writeNpy", array);
  if (dtype === "bool") {
    const bad = (data as Uint8Array).findIndex((b) => b > 1);
    if (bad >= 0) throw new NpyError(`writeNpy: bool value ${bad} is ${(data as Uint8Array)[bad]}, expected 0 or 1`);
  }
  const head = headerBytes(dtype, shape, options?.version);
  const out = new Uint8Array(head.length + data.byteLength);
  out.set(head);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), head.length);
  if (!HOST_LITTLE_ENDIAN) swapBytes(out.subarray(head.length), DTYPES[dtype].size);
  return out;
}

// --- token ids ------------------------------------------------------------------------------

/** Flat index k of `shape` as NumPy's index `[i, j, …]`. */
function indexText(k: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let a = shape.length - 1; a >= 0; a--) {
    idx.unshift(k % shape[a]);
    k = Math.floor(k / shape[a]);
  }
  return `[${idx.join(", ")}]`;
}

/**
 * An integer array's values as token ids in [0, vocabSize), in an Int32Array (C order, like
 * `array.data`). Refuses (NpyError naming `name`) a float or bool array and the first id out of
 * range, with its index.
 *
 * @example
 * const ids = npyTokenIds(readNpy(bytes, "ids.npy"), 65, "ids.npy"); // int64 [T, B] → Int32Array(T·B)
 */
export function npyTokenIds(array: NpyArray, vocabSize: number, name = "npy array"): Int32Array {
  const { dtype, shape, data } = checkArray("npyTokenIds", array);
  if (!Number.isSafeInteger(vocabSize) || vocabSize < 1 || vocabSize > 2 ** 31) {
    throw new NpyError(`npyTokenIds: vocabSize must be an integer in [1, 2^31], got ${vocabSize}`);
  }
  const { kind } = DTYPES[dtype];
  if (kind !== "i" && kind !== "u") throw new NpyError(`${name}: dtype ${dtype} holds no token ids; expected integers (int32 or int64)`);
  const out = new Int32Array(data.length);
  const V = BigInt(vocabSize);
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    const ok = typeof v === "bigint" ? v >= 0n && v < V : v >= 0 && v < vocabSize;
    if (!ok) throw new NpyError(`${name}: token id ${v} at ${indexText(k, shape)} is outside [0, ${vocabSize}) (a vocabulary of ${vocabSize})`);
    out[k] = Number(v);
  }
  return out;
}
