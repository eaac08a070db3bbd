/**
 * The environment variables rnnkit understands, mapped onto the core's calls; the core
 * itself reads no environment. `RNNKIT_BACKEND` = ts | wasm-scalar | wasm-simd |
 * wasm-relaxed (or `wasm`, the best strict WebAssembly build, never wasm-relaxed) chooses the
 * backend (`useBackend`, which throws if it cannot load); `RNNKIT_THREADS` = n splits large
 * products between n threads (`setThreads`).
 * The CLI and the test runner apply them; a program calls `configureFromEnvironment()`.
 */
import "./platform.js";
import { BACKEND_NAMES, backendInfo, useBackend, setThreads, type BackendInfo, type BackendName } from "../backend/select.js";

/** Applies RNNKIT_BACKEND and RNNKIT_THREADS from `env` (default process.env); returns the backend then active. */
export function configureFromEnvironment(env: Record<string, string | undefined> = process.env): BackendInfo {
  const backend = env.RNNKIT_BACKEND;
  if (backend !== undefined && backend !== "") {
    if (backend === "wasm") {
      try {
        useBackend("wasm-simd");
      } catch {
        useBackend("wasm-scalar");
      }
    } else if ((BACKEND_NAMES as readonly string[]).includes(backend)) {
      useBackend(backend as BackendName);
    } else {
      throw new Error(`RNNKIT_BACKEND must be one of ${BACKEND_NAMES.join(", ")} or wasm, got '${backend}'`);
    }
  }
  const threadCount = env.RNNKIT_THREADS;
  if (threadCount !== undefined && threadCount !== "") {
    const n = Number(threadCount);
    if (!Number.isInteger(n) || n < 1) throw new Error(`RNNKIT_THREADS must be a positive integer, got '${threadCount}'`);
    setThreads(n);
  }
  return backendInfo();
}
