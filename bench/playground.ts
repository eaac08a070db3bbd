/**
 * `npm run bench:playground`: the playground's figures — the size of what a visitor
 * downloads (raw and gzipped), the time until the first view can train (median of
 * `--loads` fresh loads), and the character model's training speed in the page's worker
 * beside the same lab in Node (wasm-simd, the page's kernels, and the default backend).
 * Needs Chromium (CHROMIUM_PATH, default /usr/bin/chromium). Run alone on the machine.
 */
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { parseArgs } from "node:util";
import puppeteer from "puppeteer-core";
import { backendInfo, useBackend } from "../src/node/entry.js";
import { serveExample } from "../test/browser/serve.js";
import { buildPlayground, openView, status, trainView } from "../test/browser/playground-site.js";
import { charLab } from "../playground/src/experiments/char/lab.js";
import { defaultSettings } from "../playground/src/lab/settings.js";

const { values } = parseArgs({ options: { loads: { type: "string", default: "5" }, updates: { type: "string", default: "300" } } });
const LOADS = Number(values.loads), UPDATES = Number(values.updates);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}
const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const dir = await buildPlayground();
const groups = new Map<string, { raw: number; gzip: number; files: string[] }>();
for (const f of files(dir)) {
  const bytes = readFileSync(f);
  const name = relative(dir, f);
  const group = name.endsWith(".wasm") ? "WebAssembly kernels"
    : /worker/.test(name) || /web-helper/.test(name) ? "worker script"
    : /\.(js|css|html)$/.test(name) ? "page (HTML, JS, CSS)"
    : "data (texts, digits)";
  const g = groups.get(group) ?? { raw: 0, gzip: 0, files: [] };
  g.raw += bytes.length;
  g.gzip += gzipSync(bytes, { level: 9 }).length;
  g.files.push(name);
  groups.set(group, g);
}
console.log("| part | raw | gzipped | files |\n|---|---|---|---|");
for (const [group, g] of groups) console.log(`| ${group} | ${kB(g.raw)} | ${kB(g.gzip)} | ${g.files.join(", ")} |`);

const { server, base } = await serveExample(dir);
const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
try {
  const ready: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const { page } = await openView(browser, base, "view=char");
    ready.push((await status(page)).readyAt);
    await page.close();
  }
  console.log(`\ntime to first interaction (Train enabled: page loaded, worker compiled the kernels, read the text, built the model), char view, ${LOADS} loads: median ${median(ready).toFixed(0)} ms (${ready.map((r) => r.toFixed(0)).join(", ")})`);

  const { page } = await openView(browser, base, "view=char");
  const trained = await trainView(page, UPDATES);
  await page.close();
  const inPage = UPDATES / trained.seconds;

  const settings = defaultSettings(charLab.card.settings);
  const assets = { "shakespeare.txt": new Uint8Array(readFileSync("playground/public/shakespeare.txt")) };
  const nodeRate = () => {
    const lab = charLab.create(settings, assets);
    const t0 = performance.now();
    for (let i = 0; i < UPDATES; i++) {
      lab.step();
      if (i % 25 === 0) lab.snapshot(); // about the page's cadence of one snapshot per 100 ms
    }
    return UPDATES / ((performance.now() - t0) / 1000);
  };
  useBackend("wasm-simd", { shared: false });
  const nodeWasm = nodeRate();
  useBackend("native");
  const nodeNative = backendInfo().name === "native" ? nodeRate() : NaN;
  console.log(`\nchar model at the defaults (LSTM 64, 16 streams × 32 characters), ${UPDATES} updates, updates per second:`);
  console.log(`  page (worker, wasm-simd, with its snapshots): ${inPage.toFixed(1)}`);
  console.log(`  Node, wasm-simd (private memory), same lab and snapshots: ${nodeWasm.toFixed(1)}`);
  console.log(`  Node, native: ${Number.isNaN(nodeNative) ? "not built" : nodeNative.toFixed(1)}`);
  console.log(`  longest main-thread task while training in the page: ${trained.longestTask.toFixed(0)} ms`);
} finally {
  await browser.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
