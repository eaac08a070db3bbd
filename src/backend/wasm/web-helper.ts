/**
 * A helper thread of the wasm kernels in a browser: a module Web Worker started by
 * ./threads-web.ts. Its first message carries `HelperData`; it answers "ready" or "failed",
 * then serves its slice of each split product (`runHelper`) until told to stop. Bundlers
 * that understand `new Worker(new URL("./web-helper.js", import.meta.url))` bundle it on
 * their own; with esbuild, give this file as one more entry point.
 */
import { runHelper, type HelperData } from "./team.js";

/** The little of a worker's global scope used here (the project compiles without DOM types). */
interface HelperScope {
  onmessage: ((event: { data: HelperData }) => void) | null;
  postMessage(message: "ready" | "failed"): void;
}

const scope = globalThis as unknown as HelperScope;
scope.onmessage = (event) => {
  scope.onmessage = null;
  runHelper(event.data, (ok) => scope.postMessage(ok ? "ready" : "failed"));
};
