// The playground's dev server and bundler. `npm run playground` serves it with live reload;
// `npm run build:playground` writes a static site to build/playground-site/ (relative paths:
// it runs from any folder of any web server, GitHub Pages included).
import { fileURLToPath } from "node:url";
import { createLogger, defineConfig } from "vite";

const repository = fileURLToPath(new URL("..", import.meta.url));

// The library finds its WebAssembly builds with `new URL("./kernels-….wasm", import.meta.url)`
// next to its compiled files; built from its sources here, they are not there, and the worker
// hands the one build it uses to initBackend by URL instead. Vite's warning about those
// literals says nothing new, so it is left out; every other message passes.
const logger = createLogger();
const expected = /new URL\("\.\/kernels-[a-z-]+\.wasm", import\.meta\.url\) doesn't exist at build time/;
const { warn, warnOnce } = logger;
logger.warn = (message, options) => (expected.test(message) ? undefined : warn.call(logger, message, options));
logger.warnOnce = (message, options) => (expected.test(message) ? undefined : warnOnce.call(logger, message, options));

export default defineConfig({
  customLogger: logger,
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  // The worker imports the library's sources and its WebAssembly build from outside this folder.
  server: { fs: { allow: [repository] } },
  worker: { format: "es" },
  build: {
    outDir: fileURLToPath(new URL("../build/playground-site", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // The kernels are a file of their own, never inlined as base64.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
