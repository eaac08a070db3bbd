/**
 * Example: choosing the kernels by name, asking which are active and why, compiling them
 * ahead (what a browser does), and threads. The README quotes this file.
 * Run: node build/examples/backends.js
 */
import { useBackend, backendInfo, initBackend, setThreads } from "../src/node/entry.js"; // "rnnkit" as Node resolves it
import { BackendError } from "../src/node/entry.js";

useBackend("wasm-scalar");     // by name; throws a BackendError saying why if it cannot load here
backendInfo();                 // { name: "wasm-scalar", how: "chosen", reason: "chosen by useBackend('wasm-scalar')", sharedMemory, threads }
console.log(backendInfo());
await initBackend();           // browsers: compile the builds without blocking, then pick the best
console.log(backendInfo());
setThreads(2);                 // Node: split large products between 2 threads (same bits at any count)
console.log(backendInfo());
setThreads(1);
try {
  useBackend("wasm-simd", { bytes: new Uint8Array([0, 97, 115, 109]), shared: false });
} catch (e) {
  console.log((e as BackendError).message);
}
