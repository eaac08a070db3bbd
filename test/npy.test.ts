/**
 * NumPy `.npy` arrays (src/io/npy.ts, src/node/npy-files.ts): the files NumPy 1.24 wrote in
 * test/fixtures/npy/ (tools/make_npy_fixtures.py) read to the values in their manifest, and the
 * same arrays written by `writeNpy` byte for byte equal to NumPy's files; round trips over every
 * dtype and awkward shapes; every malformed case refused with an NpyError naming the file and the
 * part; and a seeded mutation loop over valid files in which every mutant is either refused with
 * an NpyError or read as a well-formed array, quickly and without a large allocation.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readNpy, writeNpy, npyTokenIds, NpyError, type NpyArray, type NpyDtype } from "../src/index.js";
import { readNpyFile, writeNpyFile } from "../src/node/index.js";
import { Rng } from "../src/tensor/random.js";
import { byteMutant } from "./support/mutate.js";

const FIXTURES = resolve("test/fixtures/npy");
const tmp = mkdtempSync(join(tmpdir(), "rnnkit-npy-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Expected {
  written: string;
  version?: "1.0" | "2.0" | "3.0";
  dtype?: NpyDtype;
  shape?: number[];
  values?: Array<number | string | boolean>;
  refused?: string;
}
const manifest = JSON.parse(readFileSync(join(FIXTURES, "manifest.json"), "utf8")) as { numpy: string; files: Record<string, Expected> };
const accepted = Object.entries(manifest.files).filter(([, e]) => e.refused === undefined);
const refused = Object.entries(manifest.files).filter(([, e]) => e.refused !== undefined);
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

const CTORS = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array, bool: Uint8Array,
} as const;
const DTYPES = Object.keys(CTORS) as NpyDtype[];

/** The manifest's array built without the reader: values as the dtype's typed array. */
function fromManifest(e: Expected): NpyArray {
  const dtype = e.dtype!;
  const values = e.values!;
  const Ctor = CTORS[dtype] as unknown as new (values: unknown[]) => NpyArray["data"];
  const raw = dtype === "int64" || dtype === "uint64" ? values.map((v) => BigInt(v as string)) : dtype === "bool" ? values.map((v) => (v ? 1 : 0)) : values;
  return { dtype, shape: e.shape!, data: new Ctor(raw) } as NpyArray;
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A well-formed array: a known dtype, non-negative integer dims, data of the dtype's type and the shape's length. */
function wellFormed(a: NpyArray): boolean {
  return Object.hasOwn(CTORS, a.dtype) && a.data instanceof CTORS[a.dtype] && Array.isArray(a.shape) &&
    a.shape.every((d) => Number.isSafeInteger(d) && d >= 0) && a.data.length === product(a.shape);
}

test("readNpy reads every file NumPy wrote to the manifest's dtype, shape and values", () => {
  assert.ok(accepted.length >= 15, "the fixtures are there");
  for (const [name, e] of accepted) {
    const a = readNpy(fixture(name), name);
    assert.equal(a.dtype, e.dtype, name);
    assert.deepEqual(a.shape, e.shape, name);
    assert.ok(wellFormed(a), name);
    // deepEqual is Object.is on numbers: -0 and 0 differ, as they should here.
    assert.deepEqual(Array.from(a.data as ArrayLike<number | bigint>), Array.from(fromManifest(e).data as ArrayLike<number | bigint>), name);
  }
  const big = readNpy(fixture("int64.npy"));
  assert.equal(big.data[4], 9007199254740993n, "int64 beyond 2^53 is exact");
  assert.equal(readNpy(fixture("uint64.npy")).data[1], 18446744073709551615n);
  assert.deepEqual(readNpy(fixture("scalar.npy")), { dtype: "float64", shape: [], data: new Float64Array([3.5]) });
});

test("writeNpy writes NumPy's bytes exactly, for every fixture's array (versions 1.0, 2.0, 3.0)", () => {
  for (const [name, e] of accepted) {
    const bytes = writeNpy(fromManifest(e), e.version === "1.0" ? {} : { version: e.version });
    assert.ok(Buffer.from(bytes).equals(Buffer.from(fixture(name))), `${name} (${e.written}) differs from NumPy ${manifest.numpy}'s file`);
  }
  // The same arrays with np.save's default version are 1.0 files.
  const v2 = manifest.files["version2.npy"];
  assert.equal(writeNpy(fromManifest(v2))[6], 1);
});

test("round trips: every dtype, shapes from 0-d to empty and 5-d, versions 1.0 to 3.0, and through files", () => {
  const rng = new Rng(11);
  const shapes = [[], [0], [1], [3], [2, 0, 4], [2, 3], [1, 1, 1, 1], [2, 1, 3, 1, 2], [70]];
  const value = (dtype: NpyDtype): number | bigint => {
    switch (dtype) {
      case "float32": return Math.fround(rng.normal() * 1e3);
      case "float64": return rng.normal() * 1e-5;
      case "int8": return rng.int(256) - 128;
      case "int16": return rng.int(65536) - 32768;
      case "int32": return rng.nextUint32() | 0;
      case "int64": return BigInt.asIntN(64, (BigInt(rng.nextUint32()) << 32n) | BigInt(rng.nextUint32()));
      case "uint8": return rng.int(256);
      case "uint16": return rng.int(65536);
      case "uint32": return rng.nextUint32();
      case "uint64": return (BigInt(rng.nextUint32()) << 32n) | BigInt(rng.nextUint32());
      case "bool": return rng.int(2);
      default: {
        const unknown: never = dtype;
        throw new Error(`no values for ${String(unknown)}`);
      }
    }
  };
  let cases = 0;
  for (const dtype of DTYPES) {
    for (const shape of shapes) {
      const Ctor = CTORS[dtype] as unknown as new (values: unknown[]) => NpyArray["data"];
      const a = { dtype, shape, data: new Ctor(Array.from({ length: product(shape) }, () => value(dtype))) } as NpyArray;
      for (const version of [undefined, "1.0", "2.0", "3.0"] as const) {
        const bytes = writeNpy(a, { version });
        assert.equal((bytes.length - a.data.byteLength) % 64, 0, "the data starts at a multiple of 64");
        assert.deepEqual(readNpy(bytes, "t.npy"), a, `${dtype} ${JSON.stringify(shape)} ${version ?? "default"}`);
        cases++;
      }
    }
  }
  assert.equal(cases, DTYPES.length * shapes.length * 4);
  // A view into a larger buffer writes only its own values.
  const big = new Float32Array([9, 1, 2, 3, 9]);
  const view: NpyArray = { dtype: "float32", shape: [3], data: big.subarray(1, 4) };
  assert.deepEqual(Array.from(readNpy(writeNpy(view)).data as Float32Array), [1, 2, 3]);
  // Files: written atomically, read back with the path in messages.
  const path = join(tmp, "sub", "a.npy");
  writeNpyFile(path, view);
  assert.deepEqual(readNpyFile(path), { dtype: "float32", shape: [3], data: new Float32Array([1, 2, 3]) });
  assert.deepEqual(readdirSync(join(tmp, "sub")), ["a.npy"], "no temporary file left");
  assert.throws(() => readNpyFile(join(FIXTURES, "fortran.npy")), (e: Error) => e instanceof NpyError && e.message.startsWith(`${join(FIXTURES, "fortran.npy")}: `));
});

// --- refusals --------------------------------------------------------------------------------

/** An .npy file with this header text (padded and ended with \n unless `raw`) and data bytes. */
function npy(header: string, data: Uint8Array | number = 0, opts: { version?: [number, number]; raw?: boolean; length?: number } = {}): Uint8Array {
  const [major, minor] = opts.version ?? [1, 0];
  const lenBytes = major === 1 ? 2 : 4;
  const text = opts.raw ? header : `${header}${" ".repeat((64 - ((8 + lenBytes + header.length + 1) % 64)) % 64)}\n`;
  const head = Buffer.from(text, major >= 3 ? "utf8" : "latin1");
  const body = typeof data === "number" ? new Uint8Array(data) : data;
  const out = Buffer.alloc(8 + lenBytes + head.length + body.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, minor]).copy(out);
  if (lenBytes === 2) out.writeUInt16LE(opts.length ?? head.length, 8);
  else out.writeUInt32LE(opts.length ?? head.length, 8);
  head.copy(out, 8 + lenBytes);
  Buffer.from(body).copy(out, 8 + lenBytes + head.length);
  return Uint8Array.from(out);
}
const dict = (descr: string, fortran: string, shape: string) => `{'descr': ${descr}, 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
const good = (shape = "(2, 3)") => dict("'<f4'", "False", shape);

test("every malformed file is refused with an NpyError naming the file, the part and what was expected", () => {
  const valid = fixture("float32_2d.npy");
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ["wrong magic", Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x5a, ...valid.subarray(6)]), /^x\.npy: magic: expected the bytes \\x93NUMPY/],
    ["not npy at all", new TextEncoder().encode("a,b\n1,2\n"), /^x\.npy: magic: /],
    ["an .npz archive", Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0]), /^x\.npy: magic: a zip archive \(an \.npz/],
    ["empty file", new Uint8Array(0), /^x\.npy: magic: the file is empty; an \.npy file starts with the bytes \\x93NUMPY/],
    ["part of the magic", valid.subarray(0, 4), /^x\.npy: truncated: 4 bytes, not even the whole magic/],
    ["only the magic", valid.subarray(0, 6), /^x\.npy: truncated: 6 bytes, no version/],
    ["version 4.0", npy(good(), 24, { version: [4, 0] }), /^x\.npy: version: 4\.0 is not an \.npy format version \(1\.0, 2\.0 and 3\.0 are read\)/],
    ["version 1.1", npy(good(), 24, { version: [1, 1] }), /^x\.npy: version: 1\.1 /],
    ["no header length", valid.subarray(0, 9), /^x\.npy: truncated: 9 bytes, no header length/],
    ["truncated header", valid.subarray(0, 40), /^x\.npy: header length: 118 bytes, but only 30 follow/],
    ["header length bigger than the file", npy(good(), 24, { length: 60000 }), /^x\.npy: header length: 60000 bytes, but only \d+ follow \(a truncated file, or not \.npy\)/],
    ["version 2 header length of 4 GiB", npy(good(), 24, { version: [2, 0], length: 0xffffffff }), /^x\.npy: header length: 4294967295 bytes/],
    ["header not a dict", npy("[1, 2, 3]"), /^x\.npy: header: expected '\{' \(the header is a Python dict literal\) at character 0/],
    ["JSON instead of Python", npy('{"descr": "<f4", "fortran_order": false, "shape": [2, 3]}', 24), /^x\.npy: header: expected the value of "fortran_order": a string, True, False or a tuple/],
    ["missing key", npy("{'descr': '<f4', 'shape': (2, 3), }", 24), /^x\.npy: header: no "fortran_order" key \(expected exactly 'descr', 'fortran_order' and 'shape'\)/],
    ["extra key", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'note': 'x', }", 24), /^x\.npy: header: unexpected key "note"/],
    ["duplicate key", npy("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", 24), /^x\.npy: header: key "descr" appears twice/],
    ["missing comma", npy("{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}", 24), /^x\.npy: header: expected ',' or '\}' after a value at character 16/],
    ["unclosed string", npy("{'descr': '<f4, 'fortran_order': False}", 24), /^x\.npy: header: expected ',' or '\}' after a value/],
    ["string escape", npy("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2, 3), }", 24), /^x\.npy: header: the string at character 10 holds a backslash escape/],
    ["no final newline", npy(`${good()}   `, 24, { raw: true }), /^x\.npy: header: does not end with a newline/],
    ["text after the dict", npy(`${good()} x`, 24), /^x\.npy: header: expected only spaces after the dict's '\}'/],
    ["unclosed dict", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", 24), /^x\.npy: header: expected a quoted key or '\}' at character \d+, found the end of the header/],
    ["big-endian", npy(dict("'>f4'", "False", "(2, 3)"), 24), /^x\.npy: header: 'descr' is ">f4": big-endian data, which is not read/],
    ["native byte order", npy(dict("'=f4'", "False", "(2, 3)"), 24), /^x\.npy: header: 'descr' is "=f4": no explicit byte order \('='\); expected '<'/],
    ["no byte order", npy(dict("'f8'", "False", "(2, 3)"), 48), /^x\.npy: header: 'descr' is "f8": no explicit byte order \(none\)/],
    ["fortran order", npy(dict("'<f4'", "True", "(2, 3)"), 24), /^x\.npy: header: saved with fortran_order=True; save a C-ordered array/],
    ["fortran order as a string", npy(dict("'<f4'", "'no'", "(2, 3)"), 24), /^x\.npy: header: 'fortran_order' is not True or False/],
    ["object dtype", npy(dict("'|O'", "False", "(2,)"), 16), /^x\.npy: header: 'descr' is "\|O": an object array \(pickled Python objects\)/],
    ["unicode dtype", npy(dict("'<U5'", "False", "(2,)"), 40), /^x\.npy: header: 'descr' is "<U5": not a dtype that is read \(read: <f4 <f8/],
    ["datetime dtype", npy(dict("'<M8[ns]'", "False", "(2,)"), 16), /^x\.npy: header: 'descr' is "<M8\[ns\]": not a dtype that is read/],
    ["structured dtype", npy(dict("[('a', '<f4')]", "False", "(2,)"), 8), /^x\.npy: header: 'descr' is a list of fields: a structured dtype/],
    ["descr not a string", npy(dict("True", "False", "(2, 3)"), 24), /^x\.npy: header: 'descr' is not a string/],
    ["negative shape", npy(good("(-1, 3)")), /^x\.npy: header: 'shape' entry 0 \("-1"\) is negative; expected a non-negative integer/],
    ["non-integer shape", npy(good("(2.5, 3)"), 24), /^x\.npy: header: 'shape' entry 0 \("2\.5"\) is not an integer written in decimal digits/],
    ["exponent in shape", npy(good("(2, 1e+3)"), 24), /^x\.npy: header: 'shape' entry 1 \("1e\+3"\) is not an integer/],
    ["Python 2 long", npy(good("(2L, 3L)"), 24), /^x\.npy: header: 'shape' entry 0 \("2L"\) is not an integer/],
    ["overflowing shape entry", npy(good("(99999999999999999999, 3)"), 24), /^x\.npy: header: 'shape' entry 0 \("99999999999999999999"\) overflows/],
    ["shape (3) is a number", npy(good("(3)"), 12), /^x\.npy: header: 'shape': \(3\) is a number, not a tuple; a 1-d shape is written \(3,\)/],
    ["shape as a list", npy(good("[2, 3]"), 24), /^x\.npy: header: expected the value of "shape": a string, True, False or a tuple/],
    ["shape as a string", npy(good("'2, 3'"), 24), /^x\.npy: header: 'shape' is a string, expected a tuple of non-negative integers/],
    ["too many dimensions", npy(good(`(${Array(65).fill(1).join(", ")})`), 4), /^x\.npy: header: 'shape' has 65 dimensions; at most 64 are read/],
    ["a size bomb", npy(good("(4294967296, 4294967296, 4294967296)"), 24), /^x\.npy: data: truncated: shape \(4294967296, 4294967296, 4294967296\) of float32 needs 316912650057057350374175801344 bytes, the file has 24/],
    ["data too short", valid.subarray(0, valid.length - 1), /^x\.npy: data: truncated: shape \(2, 3\) of float32 needs 24 bytes, the file has 23 after the header/],
    ["trailing bytes", Uint8Array.from([...valid, 0, 0, 0, 0]), /^x\.npy: data: 4 trailing bytes: shape \(2, 3\) of float32 needs 24 bytes, the file has 28/],
    ["bool byte 2", npy(dict("'|b1'", "False", "(3,)"), Uint8Array.from([1, 2, 0])), /^x\.npy: data: bool value 1 is the byte 2, expected 0 or 1/],
    ["version 3 header not UTF-8", (() => {
      const b = npy(good(), 24, { version: [3, 0] });
      b[14] = 0xff;
      return b;
    })(), /^x\.npy: header: not valid UTF-8/],
    ["latin-1 letter in a version 1 header", npy(good().replace("descr", "d\u00e9scr"), 24), /^x\.npy: header: unexpected key "d\u00e9scr"/],
  ];
  for (const [label, bytes, want] of cases) {
    assert.throws(() => readNpy(bytes, "x.npy"), (e: unknown) => {
      assert.ok(e instanceof NpyError, `${label}: ${String(e)}`);
      assert.match(e.message, want, label);
      assert.ok(e.message.length < 400, `${label}: a short message`);
      return true;
    }, label);
  }
  // The fixtures NumPy wrote that must be refused.
  for (const [name, e] of refused) {
    assert.throws(() => readNpy(fixture(name), name), (err: unknown) => err instanceof NpyError && err.message.startsWith(`${name}: `) && err.message.includes(e.refused!), name);
  }
  // Whitespace and quoting NumPy does not write but Python's dict syntax allows are read.
  const loose = npy("{ \"shape\" : ( 2 , 3 , ) ,'fortran_order':False,\t'descr':\"<f4\"}", 24);
  assert.deepEqual(readNpy(loose).shape, [2, 3]);
  assert.deepEqual(readNpy(npy("{'descr': '<u1', 'fortran_order': False, 'shape': (2,)}", Uint8Array.from([7, 8]))).data, Uint8Array.from([7, 8]));
  assert.equal(readNpy(npy(dict("'>u1'", "False", "(1,)"), 1)).dtype, "uint8", "a single byte has no byte order");
});

test("writeNpy and npyTokenIds refuse what is not a well-formed array, naming the part", () => {
  const bad: Array<[unknown, RegExp]> = [
    [null, /^writeNpy: expected \{ dtype, shape, data \}, got null/],
    [{ dtype: "float16", shape: [1], data: new Float32Array(1) }, /^writeNpy: dtype "float16" is not one of float32, float64/],
    [{ dtype: "float32", shape: [2], data: new Float64Array(2) }, /^writeNpy: dtype float32 holds its values in a Float32Array, got Float64Array/],
    [{ dtype: "uint8", shape: [2], data: new Uint8ClampedArray(2) }, /^writeNpy: dtype uint8 holds its values in a Uint8Array, got Uint8ClampedArray/],
    [{ dtype: "float32", shape: [2, 2], data: new Float32Array(3) }, /^writeNpy: 3 values for shape \(2, 2\) \(4 expected\)/],
    [{ dtype: "float32", shape: [-1], data: new Float32Array(0) }, /^writeNpy: shape must be an array of at most 64 non-negative integers, got \[-1\]/],
    [{ dtype: "float32", shape: [1.5], data: new Float32Array(0) }, /^writeNpy: shape must be/],
    [{ dtype: "bool", shape: [2], data: Uint8Array.from([1, 3]) }, /^writeNpy: bool value 1 is 3, expected 0 or 1/],
  ];
  for (const [array, want] of bad) assert.throws(() => writeNpy(array as NpyArray), (e: unknown) => e instanceof NpyError && want.test(e.message), String(want));
  assert.throws(() => writeNpy({ dtype: "int8", shape: [], data: new Int8Array(1) }, { version: "4.0" as "1.0" }), /writeNpy: version "4\.0" is not "1\.0", "2\.0" or "3\.0"/);

  const ids = readNpy(fixture("tokens.npy"), "tokens.npy"); // int64 [4, 2], ids 0..3
  assert.deepEqual(npyTokenIds(ids, 4, "tokens.npy"), Int32Array.from([3, 0, 1, 2, 2, 2, 0, 1]));
  assert.throws(() => npyTokenIds(ids, 3, "tokens.npy"), /^NpyError: tokens\.npy: token id 3 at \[0, 0\] is outside \[0, 3\) \(a vocabulary of 3\)$/);
  const neg: NpyArray = { dtype: "int32", shape: [2, 2], data: Int32Array.from([0, 1, -1, 0]) };
  assert.throws(() => npyTokenIds(neg, 5, "n.npy"), /n\.npy: token id -1 at \[1, 0\] is outside \[0, 5\)/);
  const huge: NpyArray = { dtype: "int64", shape: [1], data: BigInt64Array.from([2n ** 40n]) };
  assert.throws(() => npyTokenIds(huge, 5, "h.npy"), /h\.npy: token id 1099511627776 at \[0\] is outside/);
  assert.deepEqual(npyTokenIds({ dtype: "uint8", shape: [2], data: Uint8Array.from([4, 0]) }, 5), Int32Array.from([4, 0]));
  assert.throws(() => npyTokenIds(readNpy(fixture("float32_2d.npy")), 5, "f.npy"), /f\.npy: dtype float32 holds no token ids; expected integers \(int32 or int64\)/);
  assert.throws(() => npyTokenIds(readNpy(fixture("bool.npy")), 5, "b.npy"), /b\.npy: dtype bool holds no token ids/);
});

// --- mutation loop --------------------------------------------------------------------------

/** Edits of a valid file's header that keep it parseable as a file: a rewritten shape, descr or header length. */
function headerMutant(rng: Rng, bytes: Uint8Array): { label: string; bytes: Uint8Array } {
  const major = bytes[6];
  const lenBytes = major === 1 ? 2 : 4;
  const hlen = major === 1 ? bytes[8] | (bytes[9] << 8) : Buffer.from(bytes).readUInt32LE(8);
  const start = 8 + lenBytes;
  const header = Buffer.from(bytes.subarray(start, start + hlen)).toString("latin1");
  const data = bytes.subarray(start + hlen);
  const dims = [0, 1, 2, 3, 7, 255, 65536, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53];
  switch (rng.int(3)) {
    case 0: {
      const n = rng.int(5);
      const shape = Array.from({ length: n }, () => dims[rng.int(dims.length)]);
      const text = n === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
      const edited = header.replace(/\([^)]*\)/, text);
      return { label: `shape ${text}`, bytes: npy(edited.trimEnd(), Uint8Array.from(data), { version: [major, 0] }) };
    }
    case 1: {
      const descrs = ["<f4", "<f8", "|u1", "<i8", "|b1", "<u2", ">i4", "<c16", "|O", "<f2", "|V8", "<i3"];
      const d = descrs[rng.int(descrs.length)];
      return { label: `descr ${d}`, bytes: npy(header.replace(/'descr': '[^']*'/, `'descr': '${d}'`).trimEnd(), Uint8Array.from(data), { version: [major, 0] }) };
    }
    default: {
      const out = Uint8Array.from(bytes);
      const v = [0, 1, hlen - 1, hlen + 1, hlen + 64, 0xffff, 0x7fffffff][rng.int(7)];
      if (major === 1) {
        out[8] = v & 0xff;
        out[9] = (v >> 8) & 0xff;
      } else Buffer.from(out.buffer).writeUInt32LE(v >>> 0, 8);
      return { label: `header length ${v}`, bytes: out };
    }
  }
}

test("mutation loop: every mutant of a valid file is refused with an NpyError or read as a well-formed array", () => {
  const rng = new Rng(20_251);
  const files = ["float32_2d.npy", "float64_3d.npy", "int64.npy", "bool.npy", "scalar.npy", "empty.npy", "version2.npy", "version3.npy", "tokens.npy"];
  const tally = { mutants: 0, refused: 0, accepted: 0, other: [] as string[], slowestMs: 0, worstGrowth: 0 };
  const parts = new Map<string, number>();
  for (const file of files) {
    const bytes = fixture(file);
    const hlen = bytes[6] === 1 ? bytes[8] | (bytes[9] << 8) : Buffer.from(bytes).readUInt32LE(8);
    const headerEnd = (bytes[6] === 1 ? 10 : 12) + hlen;
    for (let i = 0; i < 80; i++) {
      // Half byte-level damage focused on the magic and header, a quarter anywhere, a quarter header edits.
      const m = i % 4 === 3 ? headerMutant(rng, bytes) : byteMutant(rng, bytes, i % 4 === 2 ? undefined : [0, headerEnd]);
      tally.mutants++;
      const ab0 = process.memoryUsage().arrayBuffers;
      const t0 = performance.now();
      let got: NpyArray | null = null;
      try {
        got = readNpy(m.bytes, "m.npy");
      } catch (e) {
        if (e instanceof NpyError && e.message.startsWith("m.npy: ")) {
          tally.refused++;
          const part = /^m\.npy: ([a-z ]+|'[a-z_]+')/.exec(e.message)?.[1] ?? "?";
          parts.set(part, (parts.get(part) ?? 0) + 1);
        } else tally.other.push(`${file}, ${m.label}: ${String(e)}`);
      }
      const ms = performance.now() - t0;
      tally.slowestMs = Math.max(tally.slowestMs, ms);
      tally.worstGrowth = Math.max(tally.worstGrowth, process.memoryUsage().arrayBuffers - ab0);
      if (ms > 500) tally.other.push(`${file}, ${m.label}: took ${ms.toFixed(0)} ms`);
      if (got === null) continue;
      if (!wellFormed(got)) tally.other.push(`${file}, ${m.label}: accepted a malformed array`);
      else if (got.data.byteLength > m.bytes.length) tally.other.push(`${file}, ${m.label}: ${got.data.byteLength} data bytes from a ${m.bytes.length}-byte file`);
      else {
        tally.accepted++;
        // What was read writes and reads back to the same array.
        assert.deepEqual(readNpy(writeNpy(got)), got, `${file}, ${m.label}`);
      }
    }
  }
  const summary = [...parts].sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${n}`).join(", ");
  console.log(`# npy mutants: ${tally.mutants}: ${tally.refused} refused (${summary}), ${tally.accepted} read as well-formed arrays, ` +
    `${tally.other.length} other; slowest ${tally.slowestMs.toFixed(1)} ms; worst arrayBuffers growth ${(tally.worstGrowth / 1024).toFixed(0)} KiB`);
  assert.deepEqual(tally.other.slice(0, 10), []);
  assert.equal(tally.mutants, files.length * 80);
  assert.ok(tally.refused > tally.mutants / 2 && tally.accepted > 0, "both outcomes occur");
  assert.ok(tally.worstGrowth < 4 * 1024 * 1024, "no large allocation");
});
