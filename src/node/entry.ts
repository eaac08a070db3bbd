/**
 * The package root (`import … from "rnnkit"`) as Node resolves it: the platform-neutral
 * core, with Node's hooks registered first (WebAssembly builds read from disk, so no
 * `await` is needed before first use; worker-thread helpers for `setThreads`). Browsers
 * and bundlers get ../index.ts itself.
 */
import "./platform.js";

export * from "../index.js";
