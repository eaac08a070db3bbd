/**
 * Keras's two model containers read from bytes into `{config, weights}` for the shared importer
 * (./keras-import.ts):
 *
 *   .keras (Keras 3): a zip of config.json, metadata.json and model.weights.h5, whose weights are
 *     numbered per layer: layers/<path>/vars/<k>, layers/<path>/cell/vars/<k>, Bidirectional's
 *     layers/<path>/{forward,backward}_layer/cell/vars/<k>, TimeDistributed's layers/<path>/layer/vars/<k>;
 *     the layer's own name is the `name` attribute of layers/<path>/vars.
 *   .h5 (Keras 2 or 3 `model.save("x.h5")`): HDF5 with the config in the root attribute
 *     model_config, keras_version beside it, and model_weights/<layer> listing its datasets in
 *     the attribute weight_names (`lstm/lstm_cell/kernel:0`, `seq/bi/forward_lstm/lstm_cell/bias`, …).
 *
 * The format is told by the bytes (zip or HDF5 signature), not the file name. Not here: reading
 * files from disk (src/node/keras-load.ts), weights-only files (`save_weights`), optimizer state.
 */
import { type Fail, type KerasDialect, type KerasSource, type KerasWeight } from "./keras-config.js";
import { importKerasSource, type ImportedKerasModel } from "./keras-import.js";
import { loadFflate, loadH5wasm, DEFAULT_IMPORTERS, type H5Entity, type H5File, type KerasLibraryImporters } from "./keras-libs.js";

/** A refusal of `importKeras` / `loadKerasModel`; the message names the file and the part. */
export class KerasImportError extends Error {
  override name = "KerasImportError";
}

const ZIP = [0x50, 0x4b, 0x03, 0x04];
const HDF5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (bytes: Uint8Array, magic: number[]): boolean => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

/**
 * Reads a Keras model (`.keras` zip or `.h5` HDF5, told apart by their first bytes) into a
 * trainable rnnkit module: see ./keras-import.ts for what is built, docs/keras.md for the layers.
 * `name` is the file's name in messages. Needs the optional packages h5wasm (and fflate for
 * `.keras`), imported on the first call.
 *
 * @example
 * const { model, notes } = await importKeras(new Uint8Array(readFileSync("model.keras")), "model.keras");
 * const y = model.forward(x); // x [B, T, I] batch-first, like Keras
 */
export async function importKeras(bytes: Uint8Array, name = "model.keras", importers: KerasLibraryImporters = DEFAULT_IMPORTERS): Promise<ImportedKerasModel> {
  const fail: Fail = (part) => {
    throw new KerasImportError(`importKeras: ${name}: ${part}`);
  };
  const source = await readKerasContainer(bytes, fail, importers);
  return importKerasSource(source, fail);
}

/** The config and weights of a `.keras` or `.h5` file's bytes. */
export async function readKerasContainer(bytes: Uint8Array, fail: Fail, importers: KerasLibraryImporters = DEFAULT_IMPORTERS): Promise<KerasSource> {
  if (!(bytes instanceof Uint8Array)) return fail("the file's content must be a Uint8Array");
  if (startsWith(bytes, ZIP)) return readKerasZip(bytes, fail, importers);
  if (startsWith(bytes, HDF5)) return readKerasH5(bytes, fail, importers);
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(" ");
  return fail(`not a Keras model: the file starts with ${head || "nothing (it is empty)"}, neither a zip (.keras: 50 4b 03 04) nor HDF5 (.h5: 89 48 44 46 0d 0a 1a 0a)`);
}

async function readKerasZip(bytes: Uint8Array, fail: Fail, importers: KerasLibraryImporters): Promise<KerasSource> {
  const { unzipSync } = await loadFflate(importers);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (e) {
    return fail(`cannot be read as a zip (truncated or corrupt?): ${(e as Error)?.message ?? String(e)}`);
  }
  for (const part of ["config.json", "model.weights.h5"]) {
    if (files[part] === undefined) fail(`the zip has no ${part} (it holds ${Object.keys(files).join(", ") || "nothing"}); a .keras file has config.json and model.weights.h5`);
  }
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder().decode(files["config.json"]));
  } catch (e) {
    return fail(`config.json is not JSON: ${(e as Error).message}`);
  }
  const notes: string[] = [];
  const weights = await withH5(files["model.weights.h5"], "model.weights.h5", fail, importers, (file) => {
    if (file.keys().includes("optimizer")) notes.push("model.weights.h5: the optimizer's state (group optimizer) is not read");
    return kerasZipWeights(file, fail);
  });
  return { dialect: "keras3", config, weights, weightsPart: "model.weights.h5", notes };
}

async function readKerasH5(bytes: Uint8Array, fail: Fail, importers: KerasLibraryImporters): Promise<KerasSource> {
  return withH5(bytes, "the HDF5 file", fail, importers, (file) => {
    const attr = file.attrs.model_config?.value;
    if (typeof attr !== "string") {
      const what = file.attrs.layer_names !== undefined ? "a weights-only file (save_weights)" : "not a Keras model";
      return fail(`no model_config attribute at the HDF5 root: ${what}; save the whole model with model.save("x.h5")`);
    }
    let config: unknown;
    try {
      config = JSON.parse(attr);
    } catch (e) {
      return fail(`the model_config attribute is not JSON: ${(e as Error).message}`);
    }
    const version = String(file.attrs.keras_version?.value ?? "");
    const dialect: KerasDialect = version.startsWith("3") ? "keras3" : "keras2";
    const group = file.get("model_weights");
    if (group === null || group.type !== "Group") return fail("no model_weights group: the file holds a config but no weights");
    const notes = file.keys().includes("optimizer_weights") ? ["the optimizer's state (group optimizer_weights) is not read"] : [];
    return { dialect, config, weights: h5ModelWeights(group, fail), weightsPart: "model_weights", notes };
  });
}

let fileCounter = 0;

/**
 * The file size an HDF5 superblock (versions 0 to 3, at offset 0) declares — its base address
 * plus its end-of-file address — or null when it cannot be told. Checked before opening, so
 * a truncated file is refused by name rather than by HDF5's own error stack.
 */
function hdf5DeclaredSize(bytes: Uint8Array): number | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[8];
  const offsets = version <= 1 ? bytes[13] : bytes[9];
  const baseAt = version === 0 ? 24 : version === 1 ? 28 : 12;
  if (version > 3 || (offsets !== 4 && offsets !== 8) || bytes.length < baseAt + 3 * offsets) return null;
  const address = (at: number): number | null => {
    if (offsets === 4) {
      const v = view.getUint32(at, true);
      return v === 0xffffffff ? null : v;
    }
    const v = view.getBigUint64(at, true);
    return v === 0xffffffffffffffffn || v > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(v);
  };
  const base = address(baseAt);
  const eof = address(baseAt + 2 * offsets);
  return base === null || eof === null ? null : base + eof;
}

/** Runs `read` on the HDF5 bytes opened in h5wasm's in-memory file system, and removes them after. */
async function withH5<T>(bytes: Uint8Array, part: string, fail: Fail, importers: KerasLibraryImporters, read: (file: H5File) => T): Promise<T> {
  const h5 = await loadH5wasm(importers);
  if (h5.FS === null) return fail("h5wasm has no file system to open the bytes in");
  const declared = startsWith(bytes, HDF5) ? hdf5DeclaredSize(bytes) : null;
  if (!startsWith(bytes, HDF5)) fail(`${part} is not HDF5 (it does not start with the HDF5 signature)`);
  if (declared !== null && declared > bytes.length) fail(`${part} is truncated: its HDF5 superblock declares ${declared} bytes, it has ${bytes.length}`);
  const path = `/rnnkit-keras-${++fileCounter}.h5`;
  h5.FS.writeFile(path, bytes);
  let file: H5File | null = null;
  try {
    try {
      file = new h5.File(path, "r");
      file.keys();
    } catch (e) {
      return fail(`${part} cannot be read as HDF5 (truncated or corrupt?): ${hdf5Reason(e)}`);
    }
    try {
      return read(file);
    } catch (e) {
      if (e instanceof KerasImportError) throw e;
      return fail(`${part} cannot be read as HDF5 (corrupt?): ${hdf5Reason(e)}`);
    }
  } finally {
    try {
      file?.close();
    } finally {
      h5.FS.unlink(path);
    }
  }
}

/**
 * What went wrong, in one line: HDF5 reports an error as its whole stack ("HDF5-DIAG: Error
 * detected…", then "#000: …/H5G.c line 437 in H5Gopen2(): unable to open group" down to the
 * innermost cause); the innermost frame's description says most.
 */
function hdf5Reason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const frames = [...message.matchAll(/#\d+: .* in (\w+)\(\): (.*)$/gm)];
  const last = frames.at(-1);
  return last === undefined ? message.split("\n")[0] : `${last[2].trim()} (HDF5 ${last[1]})`;
}

/** A dataset's float32 values and shape, or a refusal naming it. */
function datasetOf(entity: H5Entity | null, path: string, fail: Fail): { shape: number[]; data: Float32Array } {
  if (entity === null || entity.type !== "Dataset") return fail(`weight '${path}' is not a dataset`);
  let value: unknown;
  try {
    value = entity.value;
  } catch (e) {
    return fail(`weight '${path}' cannot be read (truncated file?): ${hdf5Reason(e)}`);
  }
  if (!(value instanceof Float32Array)) return fail(`weight '${path}' is ${JSON.stringify(entity.dtype)}, not float32; only float32 weights are read`);
  const shape = entity.shape ?? [];
  if (shape.reduce((a, b) => a * b, 1) !== value.length) fail(`weight '${path}': ${value.length} values for shape ${JSON.stringify(shape)}`);
  return { shape: [...shape], data: value };
}

const children = (g: H5Entity): string[] => (g.keys === undefined ? [] : g.keys());
const child = (g: H5Entity, name: string): H5Entity | null => (g.get === undefined ? null : g.get(name));

/** How deep under layers/<layer>/ the weights of a .keras may be nested. */
const MAX_WEIGHT_DEPTH = 8;

/** model.weights.h5 of a .keras: every dataset under layers/, numbered, tagged with its layer's name. */
function kerasZipWeights(file: H5File, fail: Fail): KerasWeight[] {
  const out: KerasWeight[] = [];
  const layers = file.get("layers");
  if (layers === null) return out;
  for (const key of children(layers)) {
    const group = child(layers, key) as H5Entity;
    const vars = child(group, "vars");
    const ownName = vars?.attrs.name?.value;
    const layer = typeof ownName === "string" ? ownName : key;
    const visit = (g: H5Entity, rel: string[]): void => {
      // Keras nests a layer's variables at most a few groups deep (layers/<layer>/forward_layer/cell/vars/<k>);
      // a corrupt file's group can link back to its ancestor, which would recurse forever.
      if (rel.length > MAX_WEIGHT_DEPTH) fail(`model.weights.h5: group 'layers/${key}/${rel.join("/")}' is nested deeper than a Keras layer's variables (${MAX_WEIGHT_DEPTH} groups)`);
      for (const k of children(g)) {
        const e = child(g, k) as H5Entity;
        const parts = [...rel, k];
        const path = `layers/${key}/${parts.join("/")}`;
        if (e.type === "Group") {
          visit(e, parts);
          continue;
        }
        const index = Number(k);
        if (!Number.isInteger(index) || rel[rel.length - 1] !== "vars") fail(`model.weights.h5: dataset '${path}' is not a layer's numbered variable (…/vars/<k>)`);
        const direction = parts.includes("forward_layer") ? "forward" : parts.includes("backward_layer") ? "backward" : null;
        out.push({ layer, direction, role: null, index, path, ...datasetOf(e, path, fail) });
      }
    };
    visit(group, []);
  }
  return out;
}

/** model_weights of an .h5: each layer's weight_names, tagged with role and direction from the names. */
function h5ModelWeights(group: H5Entity, fail: Fail): KerasWeight[] {
  const out: KerasWeight[] = [];
  const listed = group.attrs.layer_names?.value;
  const layers = Array.isArray(listed) ? listed.map(String) : children(group);
  for (const layer of layers) {
    const g = child(group, layer);
    if (g === null) return fail(`model_weights lists layer '${layer}' but has no group model_weights/${layer}`);
    const names = g.attrs.weight_names?.value;
    const list = Array.isArray(names) ? names.map(String) : [];
    const counters = new Map<string, number>();
    for (const weightName of list) {
      const path = `model_weights/${layer}/${weightName}`;
      const parts = weightName.replace(/:0$/, "").split("/");
      const dirPart = parts.find((p) => p.startsWith("forward_") || p.startsWith("backward_"));
      const direction = dirPart === undefined ? null : dirPart.startsWith("forward_") ? "forward" : "backward";
      const index = counters.get(String(direction)) ?? 0;
      counters.set(String(direction), index + 1);
      out.push({ layer, direction, role: parts[parts.length - 1], index, path, ...datasetOf(child(g, weightName), path, fail) });
    }
  }
  return out;
}

