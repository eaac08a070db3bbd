/**
 * The browser example in a real browser: examples/browser bundled by esbuild, served on
 * 127.0.0.1 and opened in headless Chromium (Debian's, never a downloaded one). The page's
 * and its Web Worker's losses must be the same bits as the same training function run
 * here in Node on wasm-simd; a model saved to bytes and loaded back must give the same
 * outputs; the page must run on wasm-simd, in a private memory when served plainly and in
 * a shared memory when cross-origin isolated; and nothing may log an error.
 * Run by `npm run test:browser` (not by `npm test`: it needs Chromium).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import puppeteer, { type Browser } from "puppeteer-core";
import { useBackend } from "../../src/node/entry.js";
import { train, roundTrip, STEPS, type TrainResult } from "../../examples/browser/train.js";
import type { ExampleGlobals, ExampleResult } from "../../examples/browser/result.js";


import { bundleExample, collectErrors, serveExample } from "./serve.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Training in Node on wasm-simd, in a private or a shared memory: the reference bits. */
function nodeReference(shared: boolean): TrainResult & { outputs: number[]; bytes: number[] } {
  useBackend("wasm-simd", { shared });
  const result = train();
  const { before: outputs, bytes } = roundTrip(result.model);
  return { ...result, outputs: [...outputs], bytes: [...bytes] };
}

const hex64 = (v: number) => {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, v);
  return `0x${b.getBigUint64(0).toString(16).padStart(16, "0")}`;
};

/** Fails naming the first element whose bits differ (the arrays hold float32 values or bytes). */
function assertSameBits(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  const i = actual.findIndex((v, k) => !Object.is(v, expected[k]));
  if (i >= 0) {
    const differ = actual.filter((v, k) => !Object.is(v, expected[k])).length;
    assert.fail(`${what}: ${differ} of ${actual.length} differ; first at [${i}]: ${actual[i]} (${hex64(actual[i])}) vs ${expected[i]} (${hex64(expected[i])})`);
  }
}

let browser: Browser | undefined;
let server: Server | undefined;
let base = "";
let dir = "";
const nodeRuns: Partial<Record<"private" | "shared", ReturnType<typeof nodeReference>>> = {};

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the browser test needs it. Install it with \`apt-get install chromium\` ` +
      "(Debian), or point CHROMIUM_PATH at a Chromium or Chrome executable.",
    );
  }
  nodeRuns.private = nodeReference(false);
  nodeRuns.shared = nodeReference(true);
  dir = await bundleExample();
  ({ server, base } = await serveExample(dir));
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"], timeout: 120_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

/** Opens the page, waits for its result, and returns it with every error it logged. */
async function openPage(path: string): Promise<{ result: ExampleResult; errors: string[] }> {
  const page = await browser!.newPage();
  const errors = collectErrors(page);
  try {
    await page.goto(`${base}${path}`, { waitUntil: "load", timeout: 120_000 });
    // The functions run in the page: they reach its globals directly (pageGlobals is not in scope there).
    await page.waitForFunction(() => {
      const g = globalThis as unknown as ExampleGlobals;
      return g.rnnkitExample !== undefined || g.rnnkitError !== undefined;
    }, { timeout: 180_000 });
    const error = await page.evaluate(() => (globalThis as unknown as ExampleGlobals).rnnkitError);
    if (error !== undefined) assert.fail(`the page failed: ${error}\n${errors.join("\n")}`);
    const result = (await page.evaluate(() => (globalThis as unknown as ExampleGlobals).rnnkitExample))!;
    return { result, errors };
  } finally {
    await page.close();
  }
}

for (const mode of ["plain", "isolated"] as const) {
  const shared = mode === "isolated";
  const memory = shared ? "shared" : "private";
  describe(`the browser example, served ${shared ? "cross-origin isolated (COOP/COEP)" : "without isolation headers"}`, { timeout: 300_000 }, () => {
    let run: { result: ExampleResult; errors: string[] };
    before(async () => {
      run = await openPage(`/${mode}/index.html`);
    });

    it(`runs on wasm-simd in a ${memory} memory, on the page and in the worker`, () => {
      assert.equal(run.result.crossOriginIsolated, shared, "crossOriginIsolated on the page");
      for (const where of ["page", "worker"] as const) {
        const { name, sharedMemory, reason } = run.result[where].backend;
        assert.equal(name, "wasm-simd", `backendInfo().name in the ${where} (${reason})`);
        assert.equal(sharedMemory, shared, `backendInfo().sharedMemory in the ${where} (${reason})`);
      }
    });

    it(`the page's ${STEPS} losses are the same bits as Node's on wasm-simd`, () => {
      assertSameBits(run.result.page.losses, nodeRuns[memory]!.losses, `page losses vs Node (wasm-simd, ${memory} memory)`);
    });

    it("the worker's losses are the same bits as Node's", () => {
      assertSameBits(run.result.worker.losses, nodeRuns[memory]!.losses, `worker losses vs Node (wasm-simd, ${memory} memory)`);
    });

    it("a model saved to bytes and loaded back gives the same outputs", () => {
      const { page, worker } = run.result;
      assertSameBits(page.reloadedOutputs, page.outputs, "page: outputs of the reloaded model vs the trained one");
      assertSameBits(worker.loadedOnPage, worker.outputs, "the worker's model loaded on the page vs in the worker");
      assertSameBits(page.outputs, nodeRuns[memory]!.outputs, "page model outputs vs Node's");
      assertSameBits(page.bytes, nodeRuns[memory]!.bytes, "the page's model bytes vs Node's");
      assertSameBits(worker.bytes, nodeRuns[memory]!.bytes, "the worker's model bytes vs Node's");
    });

    if (shared) {
      it("with 2 helper threads (module workers, every product split) the page's losses are the same bits", () => {
        const threads = run.result.threads;
        assert.ok(threads !== undefined, "the isolated page ran no threaded training");
        assert.equal(threads.backend.threads, 2, `backendInfo().threads (${threads.backend.reason})`);
        assert.equal(threads.backend.sharedMemory, true);
        assertSameBits(threads.losses, run.result.page.losses, "page losses, 2 threads vs 1");
      });
    } else {
      it("without isolation, no threaded run is attempted", () => {
        assert.equal(run.result.threads, undefined);
      });
    }

    it("logs no error", () => {
      assert.deepEqual(run.errors, [], run.errors.join("\n"));
    });

    it("reports its speed", (t) => {
      const { page, worker } = run.result;
      const threads = run.result.threads ? `, page with 2 threads ${run.result.threads.stepsPerSecond.toFixed(1)}` : "";
      const line = `steps/s (${STEPS} steps, ${memory} memory): page ${page.stepsPerSecond.toFixed(1)}, worker ${worker.stepsPerSecond.toFixed(1)}, Node ${nodeRuns[memory]!.stepsPerSecond.toFixed(1)}${threads}`;
      t.diagnostic(line);
      assert.ok(page.stepsPerSecond > 0 && worker.stepsPerSecond > 0);
    });
  });
}

it("Node's losses are the same bits in a private and a shared memory", () => {
  assertSameBits(nodeRuns.shared!.losses, nodeRuns.private!.losses, "Node wasm-simd: shared vs private memory");
});

it("docs/browser.md quotes its TypeScript from the example's files", () => {
  const doc = readFileSync("docs/browser.md", "utf8");
  const files = ["train.ts", "main.ts", "worker.ts"].map((f) => readFileSync(`examples/browser/${f}`, "utf8"));
  const lines = new Set(files.join("\n").split("\n").map((l) => l.trim()));
  const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 4, "docs/browser.md shows the example's code");
  for (const line of blocks.flatMap((b) => b.split("\n")).map((l) => l.trim()).filter((l) => l !== "")) {
    const asInRepo = line.replace('from "rnnkit"', 'from "../../src/index.js"');
    assert.ok(lines.has(asInRepo), `docs/browser.md line not found in examples/browser: ${line}`);
  }
});
