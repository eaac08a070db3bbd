/** What `tf.io.fromMemory` takes, from `exportLayersModel`'s output, so tests load exports without files. */
import type * as tf from "@tensorflow/tfjs";
import type { ExportedLayersModel } from "../../src/index.js";

/** The exported model.json and weight bytes as TF.js model artifacts. */
export function artifactsOf(e: ExportedLayersModel): tf.io.ModelArtifacts {
  const { modelTopology, weightsManifest, format, generatedBy, convertedBy } = e.modelJson;
  const weightData = e.weightData.buffer.slice(e.weightData.byteOffset, e.weightData.byteOffset + e.weightData.byteLength) as ArrayBuffer;
  return { modelTopology, weightSpecs: weightsManifest.flatMap((g) => g.weights), weightData, format, generatedBy, convertedBy };
}
