/**
 * The playground in headless Chromium (Debian's): every view loads without an error, its
 * number improves when it trains, and the page stays responsive meanwhile (no long task of
 * the main thread over LONG_TASK_MS). Screenshots of each view after training are written
 * to $PLAYGROUND_SCREENSHOTS (docs/playground/ holds the committed ones; `npm run
 * screenshots:playground` writes them there).
 * Run by `npm run test:browser` (not by `npm test`: it needs Chromium).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";
import { serveExample } from "./serve.js";
import { buildPlayground, openView, trainView, type OpenedView } from "./playground-site.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The longest main-thread task allowed while training runs (the bound). */
const LONG_TASK_MS = 200;
const SCREENSHOTS = process.env.PLAYGROUND_SCREENSHOTS ?? "build/playground-screenshots";

/** One view: how it is opened, how long it trains, and what "improved" means for it. */
interface ViewCase {
  view: string;
  /** More URL parameters (small settings keep the test quick). */
  query: string;
  updates: number;
  /** Whether the metric after training improved on the first one, and a sentence saying what was expected. */
  improved(first: number, last: number): boolean;
  expected: string;
}

const VIEWS: ViewCase[] = [
  { view: "linear", query: "seed=1", updates: 100, improved: (a, b) => b < 0.5 * a, expected: "test MSE halves in 100 updates" },
  // Node, seeds 1–8: 0.47–0.48 after 300 updates (0.485–0.499 after 50); the t−3 echo alone is 0.5192.
  { view: "echo", query: "seed=1&numSteps=10&hidden=16", updates: 300, improved: (a, b) => b < 0.5 && b < a - 0.1, expected: "the loss passes the t−3 line (0.5192) to below 0.50 in 300 windows" },
  // Node, seeds 1–10: 0.68–0.72 before, 0.229–0.271 after 300 updates (LSTM and GRU near 0, the tanh RNN at ln 2; one gated net alone would give ~0.46).
  { view: "vanishing", query: "seed=1", updates: 300, improved: (a, b) => b < 0.35 && a > 0.6, expected: "the mean held-out loss falls from ln 2 to below 0.35 (both gated nets learn) in 300 updates" },
];

/** PLAYGROUND_VIEWS=echo,lag runs only those views' tests (while working on them). */
const ONLY = process.env.PLAYGROUND_VIEWS?.split(",").map((v) => v.trim()).filter((v) => v !== "");

let browser: Browser | undefined;
let server: Server | undefined;
let base = "";
let dir = "";

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install chromium\` (Debian), or point CHROMIUM_PATH at one.`);
  }
  dir = await buildPlayground();
  ({ server, base } = await serveExample(dir));
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"], timeout: 120_000 });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

for (const c of VIEWS.filter((v) => ONLY === undefined || ONLY.includes(v.view))) {
  describe(`the ${c.view} view`, { timeout: 600_000 }, () => {
    let opened: OpenedView;
    let first = NaN;
    let trained: Awaited<ReturnType<typeof trainView>>;
    before(async () => {
      opened = await openView(browser!, base, `view=${c.view}&${c.query}`);
      first = (await opened.page.evaluate(() => (globalThis as unknown as { playground: { status(): { metric: number } } }).playground.status().metric));
      trained = await trainView(opened.page, c.updates);
      await opened.page.screenshot({ path: join(SCREENSHOTS, `${c.view}.png`), fullPage: true });
    });
    after(async () => {
      await opened?.page.close();
    });

    it(`improves when it trains (${c.expected})`, (t) => {
      const { metric, step, stepsPerSecond } = trained.status;
      t.diagnostic(`${c.view}: ${first} → ${metric} in ${step} updates, ${trained.seconds.toFixed(1)} s (${stepsPerSecond.toFixed(1)} updates/s at the end)`);
      assert.equal(step, c.updates, "updates done");
      assert.ok(Number.isFinite(first) && Number.isFinite(metric), `the metric is a number before and after: ${first}, ${metric}`);
      assert.ok(c.improved(first, metric), `${c.view}: ${first} → ${metric}, expected ${c.expected}`);
    });

    it(`keeps the page responsive (no main-thread task over ${LONG_TASK_MS} ms while training)`, (t) => {
      t.diagnostic(`${c.view}: longest main-thread task while training ${trained.longestTask.toFixed(0)} ms`);
      assert.ok(trained.longestTask <= LONG_TASK_MS, `a main-thread task took ${trained.longestTask} ms`);
    });

    it("logs no error and draws what it trained", async () => {
      assert.deepEqual(opened.errors, [], opened.errors.join("\n"));
      assert.deepEqual(trained.status.errors, []);
      assert.ok(trained.status.drawn > 1, `snapshots drawn: ${trained.status.drawn}`);
    });
  });
}
