/**
 * The two optional packages that reading Keras files needs, imported lazily the first time a
 * `.keras` or `.h5` is read, so `import "rnnkit"` works without them: h5wasm (HDF5, opened
 * from bytes in its in-memory file system, never from disk) and fflate (zip). Only the few
 * members rnnkit uses are declared here, so the published types compile without the packages.
 */

/** Refusal when h5wasm cannot be imported. */
export const H5WASM_MISSING = "reading Keras .h5 and .keras files needs the h5wasm package: npm install h5wasm";
/** Refusal when fflate cannot be imported. */
export const FFLATE_MISSING = "reading Keras .keras files needs the fflate package: npm install fflate";

/** An HDF5 attribute. */
export interface H5Attribute {
  value: unknown;
}

/** An HDF5 group or dataset, as h5wasm gives it. */
export interface H5Entity {
  type: string;
  attrs: Record<string, H5Attribute>;
  keys?(): string[];
  get?(name: string): H5Entity | null;
  shape?: number[] | null;
  dtype?: unknown;
  value?: unknown;
}

export interface H5File extends H5Entity {
  keys(): string[];
  get(name: string): H5Entity | null;
  close(): unknown;
}

/** The part of h5wasm rnnkit uses. */
export interface H5wasm {
  ready: Promise<unknown>;
  /** The Emscripten module, set once `ready` resolves. */
  Module?: { activate_throwing_error_handler?(): number };
  FS: { writeFile(path: string, data: Uint8Array): void; unlink(path: string): void } | null;
  File: new (path: string, mode: "r") => H5File;
}

/** The part of fflate rnnkit uses. */
export interface Fflate {
  unzipSync(data: Uint8Array): Record<string, Uint8Array>;
}

/** How the packages are imported; replaceable so the missing-package refusals can be tested. */
export interface KerasLibraryImporters {
  h5wasm: () => Promise<unknown>;
  fflate: () => Promise<unknown>;
}

export const DEFAULT_IMPORTERS: KerasLibraryImporters = {
  h5wasm: () => import("h5wasm"),
  fflate: () => import("fflate"),
};

let h5: Promise<H5wasm> | undefined;

/** h5wasm, ready; rejects with H5WASM_MISSING (and the import's own message) when it cannot be imported. */
export function loadH5wasm(importers: KerasLibraryImporters = DEFAULT_IMPORTERS): Promise<H5wasm> {
  const load = async (): Promise<H5wasm> => {
    let m: H5wasm;
    try {
      m = (await importers.h5wasm()) as H5wasm;
    } catch (e) {
      throw new Error(`${H5WASM_MISSING} (${(e as Error)?.message ?? String(e)})`);
    }
    await m.ready;
    // HDF5 prints every error's whole stack to stderr by default; with this handler an error
    // is thrown instead (and refused with the file named), so a corrupt file says nothing twice.
    m.Module?.activate_throwing_error_handler?.();
    return m;
  };
  if (importers !== DEFAULT_IMPORTERS) return load();
  h5 ??= load().catch((e: unknown) => {
    h5 = undefined; // a later call may find the package installed
    throw e;
  });
  return h5;
}

/** fflate; rejects with FFLATE_MISSING when it cannot be imported. */
export async function loadFflate(importers: KerasLibraryImporters = DEFAULT_IMPORTERS): Promise<Fflate> {
  try {
    return (await importers.fflate()) as Fflate;
  } catch (e) {
    throw new Error(`${FFLATE_MISSING} (${(e as Error)?.message ?? String(e)})`);
  }
}
