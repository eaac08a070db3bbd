/**
 * The worker side of ./keras-reader.ts: reads a Keras container's config and weights with
 * h5wasm and fflate (`readKerasContainer`) and posts them back, or posts the refusal. Runs in
 * its own thread so that the HDF5 library, which can loop forever on a crafted file and leaks
 * what an error interrupts, can be stopped and thrown away.
 */
import { parentPort } from "node:worker_threads";
import { readKerasContainer } from "../interop/keras-files.js";
import type { KerasSource } from "../interop/keras-config.js";

/** A request: the container's bytes. */
export interface KerasReadRequest {
  bytes: Uint8Array;
}

/** A reply: the source read, or the refusal's text (the part, without the file name). */
export type KerasReadReply = { source: KerasSource } | { refusal: string } | { error: string };

/** A refusal raised through `fail`, so it can be told from anything else that goes wrong. */
class Refused extends Error {}

parentPort?.on("message", (request: KerasReadRequest) => {
  readKerasContainer(request.bytes, (part) => {
    throw new Refused(part);
  }).then(
    // Copied, not transferred: a weight's array may be a view of h5wasm's own memory.
    (source) => parentPort?.postMessage({ source } satisfies KerasReadReply),
    (e: unknown) => {
      const reply: KerasReadReply = e instanceof Refused ? { refusal: e.message } : { error: e instanceof Error ? e.message : String(e) };
      parentPort?.postMessage(reply);
    },
  );
});
