/**
 * The browser example, bundled and served as a user would: esbuild bundles
 * examples/browser/main.ts and worker.ts for the browser (ESM), the three WebAssembly
 * builds are copied next to the bundle, and a static server on 127.0.0.1 serves the
 * folder twice: under /plain/ with no special headers, and under /isolated/ with the
 * cross-origin isolation headers (COOP same-origin, COEP require-corp) that the
 * shared-memory build needs. Run directly to look at the page by hand (it bundles into
 * build/browser-example/): `npm run example:browser`, or after `npm run build`,
 *   node build/test/browser/serve.js [port]
 */
import { createServer, type Server } from "node:http";
import { copyFileSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import type { Page } from "puppeteer-core";

export const WASM_FILES = ["kernels-simd-shared.wasm", "kernels-simd.wasm", "kernels-scalar.wasm"];

/**
 * Bundles the example into `outdir` (default: a new temporary folder) and returns it:
 * index.html, main.js, worker.js and the three .wasm files, side by side.
 */
export async function bundleExample(outdir = mkdtempSync(join(tmpdir(), "rnnkit-browser-"))): Promise<string> {
  const wasmDir = resolve("build/src/backend/wasm");
  for (const f of WASM_FILES) {
    try {
      statSync(join(wasmDir, f));
    } catch {
      throw new Error(`${join(wasmDir, f)} is missing: run \`npm run build\` first`);
    }
  }
  await build({
    // The library's helper-thread worker is one more entry point: esbuild does not follow
    // `new Worker(new URL("./web-helper.js", import.meta.url))` on its own.
    entryPoints: {
      main: resolve("examples/browser/main.ts"),
      worker: resolve("examples/browser/worker.ts"),
      "web-helper": resolve("src/backend/wasm/web-helper.ts"),
    },
    bundle: true, platform: "browser", format: "esm", outdir, logLevel: "warning",
  });
  copyFileSync(resolve("examples/browser/index.html"), join(outdir, "index.html"));
  for (const f of WASM_FILES) copyFileSync(join(wasmDir, f), join(outdir, f));
  return outdir;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/** The cross-origin isolation headers: with them, a page (and its workers) may share memory. */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

/**
 * Serves `root` on 127.0.0.1 (port 0: any free one): /plain/FILE plainly, /isolated/FILE
 * with the isolation headers. Resolves with the server and its base URL.
 */
export function serveExample(dir: string, port = 0): Promise<{ server: Server; base: string }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const match = /^\/(plain|isolated)\/(.*)$/.exec(url.pathname);
    const file = match === null ? null : normalize(join(root, decodeURIComponent(match[2]) || "index.html"));
    if (match === null || file === null || !file.startsWith(root + sep)) {
      res.writeHead(404).end("not found");
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, {
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Cache-Control": "no-store",
      ...(match[1] === "isolated" ? ISOLATION_HEADERS : {}),
    });
    res.end(body);
  });
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("the server has no port");
      done({ server, base: `http://127.0.0.1:${address.port}` });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const dir = await bundleExample(resolve("build/browser-example"));
  const { base } = await serveExample(dir, Number(process.argv[2] ?? 0));
  console.log(`bundled into ${dir}\n${base}/plain/     the page\n${base}/isolated/  the page, cross-origin isolated (shared memory)\nCtrl-C stops.`);
}

/**
 * Collects, as they happen, what a page must not do: console errors, uncaught errors, failed
 * requests and HTTP errors. Returns the list it fills.
 */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console error: ${m.text()} (${m.location().url ?? "?"})`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${(e as Error).message ?? String(e)}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on("response", (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  return errors;
}
