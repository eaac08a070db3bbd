/**
 * The browser example's Web Worker (a module worker): the page's training again, off the
 * main thread. It answers one message with its losses and its model as bytes, which the
 * page loads back. Started by main.ts:
 *   new Worker(new URL("./worker.js", import.meta.url), { type: "module" })
 */
import { initBackend, backendInfo, encodeModel, type BackendInfo } from "../../src/index.js";
import { train, probe } from "./train.js";

export type WorkerReply =
  | { backend: BackendInfo; losses: number[]; stepsPerSecond: number; outputs: Float32Array; bytes: Uint8Array }
  | { error: string };

self.onmessage = async () => {
  try {
    await initBackend(); // a worker compiles the WebAssembly kernels too, once, before first use
    const { losses, stepsPerSecond, model } = train();
    const bytes = encodeModel(model);
    const reply: WorkerReply = { backend: backendInfo(), losses, stepsPerSecond, outputs: probe(model), bytes };
    self.postMessage(reply, { transfer: [bytes.buffer] });
  } catch (e) {
    self.postMessage({ error: (e as Error).stack ?? String(e) } satisfies WorkerReply);
  }
};
