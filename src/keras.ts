/**
 * `rnnkit/keras`: Keras model files as bytes — Keras 3 `.keras` zips and `.h5` files — read into
 * trainable rnnkit modules (`importKeras`; files on disk: `loadKerasModel` in `rnnkit/node`).
 * Platform-neutral. A separate entry because it needs the optional peer dependencies h5wasm
 * (HDF5) and fflate (zip), imported only when a Keras file is first read, so that a bundle of
 * `rnnkit` never holds them. The Keras layer graphs themselves (`KerasLayersModel`) and TF.js
 * layers models need neither and are in `rnnkit`. docs/keras.md.
 *
 * @module rnnkit/keras
 */
export { importKeras, KerasImportError } from "./interop/keras-files.js";
export { H5WASM_MISSING, FFLATE_MISSING, type KerasLibraryImporters } from "./interop/keras-libs.js";
export type { ImportedKerasModel } from "./interop/keras-import.js";
