/**
 * Mutations for the file-format fuzzers (test/formats-fuzz.test.ts, test/interop-fuzz.test.ts): byte-level damage
 * (bit flips, overwrites, truncations, insertions, deletions), structured edits of a
 * safetensors header's JSON (numbers changed, keys renamed, values nulled, …, including
 * inside metadata values that hold JSON), and an independent safetensors writer (node:crypto,
 * not the library's code) that re-seals an edited header with valid checksums, as an
 * attacker who knows the format would.
 */
import { createHash } from "node:crypto";
import type { Rng } from "../../src/tensor/random.js";

export interface Mutant {
  /** What was done, precisely enough to redo it. */
  label: string;
  bytes: Uint8Array;
  /** Re-sealed with valid checksums: a forged file, which may legitimately say something else. */
  sealed: boolean;
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x20, 0x30, 0x39, 0x2d, 0x65];

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/**
 * One random byte-level mutation of `bytes`. With `focus` = [begin, end) half of the
 * positions fall in that range (the header of a safetensors file, say).
 */
export function byteMutant(rng: Rng, bytes: Uint8Array, focus?: [number, number]): Mutant {
  const n = bytes.length;
  const pos = () => (focus !== undefined && rng.int(2) === 0 ? focus[0] + rng.int(Math.max(1, focus[1] - focus[0])) : rng.int(n));
  const kind = rng.int(6);
  const out = Uint8Array.from(bytes); // a copy, also when given a Buffer (whose slice() is a view)
  switch (kind) {
    case 0: {
      const flips = 1 + rng.int(3);
      const where: string[] = [];
      for (let k = 0; k < flips; k++) {
        const p = pos();
        const bit = rng.int(8);
        out[p] ^= 1 << bit;
        where.push(`${p}:${bit}`);
      }
      return { label: `flip bits ${where.join(",")}`, bytes: out, sealed: false };
    }
    case 1: {
      const p = pos();
      const len = 1 + rng.int(4);
      const vals: number[] = [];
      for (let k = 0; k < len && p + k < n; k++) {
        const v = rng.int(2) === 0 ? pick(rng, INTERESTING) : rng.int(256);
        out[p + k] = v;
        vals.push(v);
      }
      return { label: `overwrite at ${p} with [${vals.join(",")}]`, bytes: out, sealed: false };
    }
    case 2: {
      const len = rng.int(2) === 0 ? rng.int(n) : Math.max(0, n - 1 - rng.int(16));
      return { label: `truncate to ${len}`, bytes: Uint8Array.from(bytes.subarray(0, len)), sealed: false };
    }
    case 3: {
      const p = rng.int(n + 1);
      const ins = Uint8Array.from({ length: 1 + rng.int(16) }, () => (rng.int(2) === 0 ? pick(rng, INTERESTING) : rng.int(256)));
      const res = new Uint8Array(n + ins.length);
      res.set(bytes.subarray(0, p));
      res.set(ins, p);
      res.set(bytes.subarray(p), p + ins.length);
      return { label: `insert [${[...ins].join(",")}] at ${p}`, bytes: res, sealed: false };
    }
    case 4: {
      const p = pos();
      const len = 1 + rng.int(16);
      const res = new Uint8Array(n - Math.min(len, n - p));
      res.set(bytes.subarray(0, p));
      res.set(bytes.subarray(p + len), p);
      return { label: `delete ${len} bytes at ${p}`, bytes: res, sealed: false };
    }
    default: {
      const p = pos();
      const len = 1 + rng.int(8);
      const chunk = Uint8Array.from(bytes.subarray(p, p + len));
      const q = rng.int(n + 1);
      const res = new Uint8Array(n + chunk.length);
      res.set(bytes.subarray(0, q));
      res.set(chunk, q);
      res.set(bytes.subarray(q), q + chunk.length);
      return { label: `duplicate ${chunk.length} bytes from ${p} at ${q}`, bytes: res, sealed: false };
    }
  }
}

/** Header JSON and data bytes of a safetensors file (the test's own reader). */
export function splitSafetensors(bytes: Uint8Array): { header: Record<string, unknown>; body: Uint8Array; headerLen: number } {
  const n = Number(Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString("utf8")) as Record<string, unknown>;
  return { header, body: bytes.subarray(8 + n), headerLen: n };
}

const FILE_KEY = "rnnkit.file-sha256";
const DATA_KEY = "rnnkit.sha256";

/**
 * A safetensors file from a header object and data bytes. With `seal`, the metadata's
 * checksums are recomputed (data SHA-256, and the whole-file SHA-256 with its own digits
 * read as zeros); otherwise the header is written as given.
 */
export function writeSafetensors(header: Record<string, unknown>, body: Uint8Array, seal: boolean): Uint8Array {
  const meta = header.__metadata__;
  const sealable = seal && typeof meta === "object" && meta !== null && !Array.isArray(meta);
  if (sealable) {
    (meta as Record<string, unknown>)[DATA_KEY] = createHash("sha256").update(body).digest("hex");
    (meta as Record<string, unknown>)[FILE_KEY] = "0".repeat(64);
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.from(json, "utf8");
  const out = new Uint8Array(8 + head.length + body.length);
  Buffer.from(out.buffer).writeBigUInt64LE(BigInt(head.length), 0);
  out.set(head, 8);
  out.set(body, 8 + head.length);
  if (sealable) {
    const needle = Buffer.from(`${JSON.stringify(FILE_KEY)}:"${"0".repeat(64)}"`);
    const at = Buffer.from(out.buffer).indexOf(needle, 8);
    const digest = createHash("sha256").update(out).digest("hex");
    out.set(Buffer.from(digest), at + needle.length - 65);
  }
  return out;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A place in the header: a container and a key, `inString` when inside a metadata value holding JSON. */
interface Slot {
  path: string;
  parent: Record<string, Json> | Json[];
  key: string | number;
}

function slots(root: Json, path: string, out: Slot[]): void {
  if (Array.isArray(root)) {
    root.forEach((v, i) => {
      out.push({ path: `${path}[${i}]`, parent: root, key: i });
      slots(v, `${path}[${i}]`, out);
    });
  } else if (root !== null && typeof root === "object") {
    for (const [k, v] of Object.entries(root)) {
      out.push({ path: `${path}.${k}`, parent: root, key: k });
      slots(v, `${path}.${k}`, out);
    }
  }
}

const NUMBERS = [0, -1, 1, 2, 1.5, 1e6, 1e9, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, 12000, 100000, 1000000, -0];

/** One structured edit of the value or key at a random slot; returns its description. */
function editSlot(rng: Rng, s: Slot): string {
  const p = s.parent as Record<string | number, Json>;
  const v = p[s.key];
  const put = (nv: Json) => {
    p[s.key] = nv;
    return `${s.path} = ${JSON.stringify(nv)?.slice(0, 40)}`;
  };
  const choice = rng.int(10);
  if (choice === 0) return put(null);
  if (choice === 1 && !Array.isArray(s.parent)) {
    const obj = s.parent as Record<string, Json>;
    const nk = pick(rng, [`${s.key}x`, String(s.key).toUpperCase(), String(s.key).slice(1), `_${s.key}`]);
    const entries = Object.entries(obj).map(([k, x]) => [k === s.key ? nk : k, x] as const);
    for (const k of Object.keys(obj)) delete obj[k];
    for (const [k, x] of entries) obj[k] = x;
    return `rename ${s.path} to ${nk}`;
  }
  if (choice === 2) {
    if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
    else delete (s.parent as Record<string, Json>)[s.key as string];
    return `delete ${s.path}`;
  }
  if (typeof v === "number") {
    return put(rng.int(2) === 0 ? pick(rng, NUMBERS) : pick(rng, [v + 1, v - 1, v * 2, Math.floor(v / 2), v * 1000]));
  }
  if (typeof v === "boolean") return put(pick(rng, [!v, "true", 1, null] as Json[]));
  if (typeof v === "string") return put(pick(rng, ["", `${v}x`, v.slice(0, v.length >> 1), "null", "{}", "[]", "1", "float64", "relu", "F64", "I32"] as Json[]));
  if (Array.isArray(v)) {
    const which = rng.int(4);
    if (which === 0) { v.push(pick(rng, NUMBERS)); return `push onto ${s.path}`; }
    if (which === 1) { v.pop(); return `pop ${s.path}`; }
    if (which === 2) { v.reverse(); return `reverse ${s.path}`; }
    return put({});
  }
  if (v !== null && typeof v === "object") {
    if (rng.int(2) === 0) { (v)[pick(rng, ["zz", "bias", "dtype", "extra"])] = pick(rng, NUMBERS); return `add a key to ${s.path}`; }
    return put([]);
  }
  return put(pick(rng, NUMBERS));
}

/** One structured edit, in place, at a random place of a JSON value (a model.json, a Keras config); returns what was done. */
export function jsonEdit(rng: Rng, root: unknown): string {
  const all: Slot[] = [];
  slots(root as Json, "$", all);
  return all.length === 0 ? "nothing to edit" : editSlot(rng, pick(rng, all));
}

/**
 * One structured edit of a safetensors file's header, written either stale (the old
 * checksums kept: must be refused or load the original) or re-sealed (a forged file).
 * Metadata values that parse as JSON (the model spec, the checkpoint's state) are edited
 * inside as well.
 */
export function headerMutant(rng: Rng, bytes: Uint8Array, seal: boolean): Mutant {
  const { header, body } = splitSafetensors(bytes);
  const meta = header.__metadata__ as Record<string, string>;
  const inner = Object.entries(meta).filter(([, v]) => v.startsWith("{"));
  let label: string;
  if (inner.length > 0 && rng.int(2) === 0) {
    const [key, text] = pick(rng, inner);
    const root = JSON.parse(text) as Json;
    const all: Slot[] = [];
    slots(root, key, all);
    label = editSlot(rng, pick(rng, all));
    meta[key] = JSON.stringify(root);
  } else {
    const all: Slot[] = [];
    slots(header as Json, "header", all);
    label = editSlot(rng, pick(rng, all));
  }
  return { label: `${seal ? "sealed" : "stale"} edit: ${label}`, bytes: writeSafetensors(header, body, seal), sealed: seal };
}

/** The file with the model spec's options replaced (re-sealed): a size bomb when they are huge. */
export function withSpec(bytes: Uint8Array, edit: (spec: { type: string; options: Record<string, unknown> }) => void): Uint8Array {
  const { header, body } = splitSafetensors(bytes);
  const meta = header.__metadata__ as Record<string, string>;
  const spec = JSON.parse(meta["rnnkit.model"]);
  edit(spec);
  meta["rnnkit.model"] = JSON.stringify(spec);
  return writeSafetensors(header, body, true);
}

/** The tensors a safetensors file holds, by the test's own reader: name → {dtype, shape, raw bytes}. */
export function rawTensors(bytes: Uint8Array): Map<string, { dtype: string; shape: number[]; raw: Uint8Array }> {
  const { header, body } = splitSafetensors(bytes);
  const out = new Map<string, { dtype: string; shape: number[]; raw: Uint8Array }>();
  for (const [name, e] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets: [b, end] } = e as { dtype: string; shape: number[]; data_offsets: [number, number] };
    out.set(name, { dtype, shape, raw: body.subarray(b, end) });
  }
  return out;
}
