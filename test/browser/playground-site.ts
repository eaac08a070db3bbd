/**
 * The playground for its tests: built once by Vite into a temporary folder, served on
 * 127.0.0.1 (plainly: the playground needs no isolation headers), and opened page by page
 * in headless Chromium with everything a test needs to watch — console errors, failed
 * requests, and the main thread's long tasks (PerformanceObserver "longtask").
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "vite";
import type { Browser, Page } from "puppeteer-core";
import { collectErrors } from "./serve.js";
import type { PlaygroundHandle, PlaygroundStatus } from "../../playground/src/handle.js";

/** Builds the playground into a new temporary folder (as `npm run build:playground` does) and returns it. */
export async function buildPlayground(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "rnnkit-playground-"));
  await build({ configFile: resolve("playground/vite.config.ts"), build: { outDir } });
  return outDir;
}

/** A page of the playground with what it logged. */
export interface OpenedView {
  page: Page;
  /** Console errors, page errors, failed requests and HTTP errors, as they happen. */
  errors: string[];
}

/** Opens `?view=…&…` and waits until its lab is built in the worker. */
export async function openView(browser: Browser, base: string, query: string, timeout = 120_000): Promise<OpenedView> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors = collectErrors(page);
  // Long tasks are recorded from the first script on, with their start times.
  await page.evaluateOnNewDocument(() => {
    const g = globalThis as unknown as { longTasks: Array<{ start: number; duration: number }> };
    g.longTasks = [];
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) g.longTasks.push({ start: e.startTime, duration: e.duration });
    }) as unknown as { observe(options: { type: string; buffered: boolean }): void };
    observer.observe({ type: "longtask", buffered: true });
  });
  await page.goto(`${base}/plain/index.html?${query}`, { waitUntil: "load", timeout });
  await page.waitForFunction(() => {
    const p = (globalThis as unknown as { playground?: PlaygroundHandle }).playground;
    return p !== undefined && (p.status().ready || p.status().errors.length > 0);
  }, { timeout });
  const s = await status(page);
  if (!s.ready) throw new Error(`the view ${query} did not start: ${s.errors.join("; ")}\n${errors.join("\n")}`);
  return { page, errors };
}

export function status(page: Page): Promise<PlaygroundStatus> {
  return page.evaluate(() => (globalThis as unknown as { playground: PlaygroundHandle }).playground.status());
}

/**
 * Trains until `updates` updates are done (as the Train button does, stopping there) and
 * returns the status then, with the longest long task of the main thread meanwhile (0 when none).
 */
export async function trainView(page: Page, updates: number, timeout = 300_000): Promise<{ status: PlaygroundStatus; longestTask: number; seconds: number }> {
  const started = await page.evaluate((n) => {
    (globalThis as unknown as { playground: PlaygroundHandle }).playground.run(n);
    return performance.now();
  }, updates);
  const t0 = Date.now();
  await page.waitForFunction((n) => {
    const s = (globalThis as unknown as { playground: PlaygroundHandle }).playground.status();
    return (s.step >= n && !s.running) || s.errors.length > 0;
  }, { timeout, polling: 200 }, updates);
  const seconds = (Date.now() - t0) / 1000;
  // Let the last snapshot be drawn before anyone looks.
  await page.evaluate(() => new Promise((r) => {
    const frame = (globalThis as unknown as { requestAnimationFrame(f: () => void): number }).requestAnimationFrame;
    frame(() => frame(() => r(undefined)));
  }));
  const longestTask = await page.evaluate((since) => {
    const tasks = (globalThis as unknown as { longTasks: Array<{ start: number; duration: number }> }).longTasks;
    return Math.max(0, ...tasks.filter((t) => t.start >= since).map((t) => t.duration));
  }, started);
  return { status: await status(page), longestTask, seconds };
}
