/**
 * TF.js layers models from disk: `loadLayersModel(modelJsonPath)` reads model.json and the
 * weight files its manifest names (relative to model.json's folder) and imports them with
 * `importLayersModel` (src/interop/tfjs-import.ts). Not TF.js's loader: no URLs, no HTTP.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import { importLayersModel, TfjsImportError, type ImportedLayersModel } from "../interop/tfjs-import.js";

/**
 * Reads `modelJsonPath` and its weight files into a trainable rnnkit model (see docs/tfjs.md).
 * Refuses, naming the file: unreadable or non-JSON model.json, a weight path outside its
 * folder, a missing weight file, and every refusal of `importLayersModel`.
 * @example
 * const { model, notes } = loadLayersModel("tfjs-model/model.json");
 * const y = model.forward(x); // x [B, T, I], batch-first
 */
export function loadLayersModel(modelJsonPath: string): ImportedLayersModel {
  const who = "loadLayersModel";
  if (typeof modelJsonPath !== "string" || modelJsonPath === "") {
    throw new TypeError(`${who}: modelJsonPath must be a non-empty string, got ${JSON.stringify(modelJsonPath)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(modelJsonPath, "utf8"));
  } catch (e) {
    throw new TfjsImportError(`${who}: ${modelJsonPath}: cannot be read as JSON: ${(e as Error).message}`);
  }
  const manifest = (json as { weightsManifest?: unknown } | null)?.weightsManifest;
  const paths: string[] = [];
  if (Array.isArray(manifest)) {
    for (const g of manifest) {
      const ps = (g as { paths?: unknown } | null)?.paths;
      if (Array.isArray(ps)) for (const p of ps) if (typeof p === "string") paths.push(p);
    }
  }
  const dir = dirname(modelJsonPath);
  const shards = paths.map((p) => {
    const rel = normalize(p);
    if (isAbsolute(p) || rel === ".." || rel.startsWith(`..${sep}`) || /^[a-z][a-z0-9+.-]*:\/\//i.test(p)) {
      throw new TfjsImportError(`${who}: ${modelJsonPath}: weight file '${p}' is not a path inside the model's folder`);
    }
    const file = join(dir, rel);
    if (!existsSync(file)) throw new TfjsImportError(`${who}: ${modelJsonPath}: weight file '${p}' is missing (${file})`);
    return new Uint8Array(readFileSync(file));
  });
  return importLayersModel(json, shards, modelJsonPath);
}
