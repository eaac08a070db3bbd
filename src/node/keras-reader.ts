/**
 * Reading Keras containers (`.keras` zips, `.h5`) in a worker thread with a time limit, for
 * `loadKerasModel` and the commands. The HDF5 library can loop forever on a crafted file (a
 * corrupt variable-length string in an attribute, found by test/interop-fuzz.test.ts), and an
 * error it raises mid-read leaves its memory behind; in a worker, a read that overruns is
 * stopped and the worker replaced, and after every REFUSALS_PER_WORKER refusals the worker is
 * replaced too, so hostile files cost a bounded time and what they leave behind is bounded. The module itself is built on the calling thread from what the
 * worker read (`importKerasSource`), so the result is the same as `importKeras`'s.
 */
import { Worker } from "node:worker_threads";
import { KerasImportError } from "../interop/keras-files.js";
import { importKerasSource, type ImportedKerasModel } from "../interop/keras-import.js";
import type { Fail } from "../interop/keras-config.js";
import type { KerasReadReply, KerasReadRequest } from "./keras-read-worker.js";

/** How long reading one file may take by default, in milliseconds. */
export const KERAS_READ_TIMEOUT_MS = 30_000;

/** Refusals a reader worker sees before it is replaced (each may leave some of HDF5's memory behind). */
const REFUSALS_PER_WORKER = 16;

let worker: Worker | null = null;
let refusals = 0;

function readerWorker(): Worker {
  worker ??= new Worker(new URL("./keras-read-worker.js", import.meta.url));
  worker.unref();
  return worker;
}

/** Stops the reader's worker (the next read starts a fresh one). */
export async function closeKerasReader(): Promise<void> {
  const w = worker;
  worker = null;
  refusals = 0;
  if (w !== null) await w.terminate();
}

/**
 * Imports the Keras model in `bytes` (named `name` in refusals) like `importKeras`, reading the
 * container in a worker thread; refuses a read that takes longer than `timeoutMs`.
 */
export async function importKerasIsolated(bytes: Uint8Array, name: string, timeoutMs = KERAS_READ_TIMEOUT_MS): Promise<ImportedKerasModel> {
  const fail: Fail = (part) => {
    throw new KerasImportError(`importKeras: ${name}: ${part}`);
  };
  const w = readerWorker();
  const reply = await new Promise<KerasReadReply | "timeout">((resolve, reject) => {
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    const onMessage = (r: KerasReadReply) => finish(r);
    const onError = (e: Error) => {
      cleanup();
      worker = null;
      reject(new KerasImportError(`importKeras: ${name}: the reader stopped: ${e.message}`));
    };
    function cleanup(): void {
      clearTimeout(timer);
      w.off("message", onMessage);
      w.off("error", onError);
    }
    function finish(r: KerasReadReply | "timeout"): void {
      cleanup();
      resolve(r);
    }
    w.on("message", onMessage);
    w.on("error", onError);
    w.postMessage({ bytes } satisfies KerasReadRequest);
  });
  if (reply === "timeout" || "error" in reply || ("refusal" in reply && ++refusals >= REFUSALS_PER_WORKER)) await closeKerasReader(); // a fresh worker for the next file
  if (reply === "timeout") return fail(`reading it did not finish within ${timeoutMs / 1000} s (a corrupt HDF5 file can make the HDF5 library loop); refused`);
  if ("refusal" in reply) return fail(reply.refusal);
  if ("error" in reply) throw new KerasImportError(`importKeras: ${name}: ${reply.error}`);
  return importKerasSource(reply.source, fail);
}
