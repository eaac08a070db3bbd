/**
 * TF.js layers models on disk: `saveLayersModel(dir, model)` writes the two artifacts of
 * `exportLayersModel` (src/interop/tfjs-export.ts), `model.json` and its weights file, into
 * `dir`, each atomically. The weights are written first, so a model.json on disk never names
 * weights that are not there yet. Loading is TF.js's own: `tf.loadLayersModel("file://…/model.json")`
 * with @tensorflow/tfjs-node, or over HTTP in a browser.
 */
import { join } from "node:path";
import type { Module } from "../nn/module.js";
import { exportLayersModel, type ExportLayersModelOptions } from "../interop/tfjs-export.js";
import { writeFileAtomic } from "./atomic.js";

/** Where `saveLayersModel` wrote the model. */
export interface SavedLayersModel {
  modelJsonPath: string;
  weightsPath: string;
}

/**
 * Exports `model` (a SequenceToSequence or SequenceToVector over RNN or LSTM layers; see
 * docs/tfjs.md) and writes `dir/model.json` and `dir/<weightsFile>` (default weights.bin),
 * creating `dir` if needed. Refusals are exportLayersModel's, before anything is written.
 * @example
 * saveLayersModel("web/model", model); // then in a browser: await tf.loadLayersModel("model/model.json")
 */
export function saveLayersModel(dir: string, model: Module, options: ExportLayersModelOptions = {}): SavedLayersModel {
  if (typeof dir !== "string" || dir === "") throw new TypeError(`saveLayersModel: dir must be a non-empty string, got ${JSON.stringify(dir)}`);
  const { modelJson, weightData, weightsFile } = exportLayersModel(model, options);
  const weightsPath = join(dir, weightsFile);
  const modelJsonPath = join(dir, "model.json");
  writeFileAtomic(weightsPath, weightData);
  writeFileAtomic(modelJsonPath, `${JSON.stringify(modelJson)}\n`);
  return { modelJsonPath, weightsPath };
}
