/**
 * The training worker: builds a lab from the page's settings, runs its updates in slices of
 * at most SLICE_MS, and posts snapshots, so the page only draws. The kernels are the
 * WebAssembly SIMD build in the worker's own memory (no cross-origin isolation needed, so any
 * static host serves the page).
 */
import { initBackend, type BackendInfo } from "../../src/index.js";
import simdWasm from "../../build/src/backend/wasm/kernels-simd.wasm?url";
import { findLab } from "./experiments/labs.js";
import type { Lab } from "./lab/lab.js";
import { readSettings } from "./lab/settings.js";
import { SLICE_MS, SNAPSHOT_MS, type FromWorker, type ToWorker } from "./protocol.js";

let backend: Promise<BackendInfo> | undefined;
let lab: Lab | undefined;
let running = false;
let until = Infinity;
let stepsPerSecondLimit = Infinity;
let timer: ReturnType<typeof setTimeout> | undefined;
let lastSnapshot = 0;
/** Updates the lab has done (its snapshot's `step`, counted here so the loop need not snapshot). */
let done = 0;
/** Times of recent updates, for the measured speed. */
const recent: number[] = [];
const assetCache = new Map<string, Uint8Array>();

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, { transfer });
}

function measuredSpeed(): number {
  const now = performance.now();
  while (recent.length > 0 && recent[0] < now - 2000) recent.shift();
  if (recent.length < 2) return 0;
  return (recent.length - 1) / ((recent[recent.length - 1] - recent[0]) / 1000);
}

function sendSnapshot(): void {
  if (lab === undefined) return;
  lastSnapshot = performance.now();
  post({ type: "snapshot", snapshot: lab.snapshot(), running, stepsPerSecond: measuredSpeed() });
}

function oneStep(): void {
  lab!.step();
  done++;
  recent.push(performance.now());
  if (recent.length > 4096) recent.splice(0, recent.length - 4096);
}

function schedule(delay: number): void {
  if (timer === undefined) timer = setTimeout(tick, delay);
}

/** One slice of training: as many updates as fit in SLICE_MS (or one, at a set speed). */
function tick(): void {
  timer = undefined;
  if (!running || lab === undefined) return;
  try {
    const start = performance.now();
    if (Number.isFinite(stepsPerSecondLimit)) {
      oneStep();
    } else {
      do oneStep(); while (performance.now() - start < SLICE_MS && done < until);
    }
    if (done >= until) running = false;
    if (!running || performance.now() - lastSnapshot >= SNAPSHOT_MS || Number.isFinite(stepsPerSecondLimit)) sendSnapshot();
  } catch (e) {
    running = false;
    post({ type: "error", message: (e as Error).message });
    sendSnapshot();
    return;
  }
  if (running) schedule(Number.isFinite(stepsPerSecondLimit) ? 1000 / stepsPerSecondLimit : 0);
}

async function fetchAsset(pageUrl: string, name: string): Promise<Uint8Array> {
  const url = new URL(name, pageUrl).href;
  const cached = assetCache.get(url);
  if (cached !== undefined) return cached;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: the server answered ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  assetCache.set(url, bytes);
  return bytes;
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case "init": {
      running = false;
      lab = undefined;
      backend ??= initBackend({ backend: "wasm-simd", shared: false, sources: { simd: new URL(simdWasm, self.location.href) } });
      const info = await backend;
      const definition = findLab(m.lab);
      const card = definition.card;
      const { settings, errors } = readSettings(card.settings, Object.entries(m.settings));
      const assets: Record<string, Uint8Array> = {};
      for (const name of card.assets ?? []) assets[name] = await fetchAsset(m.pageUrl, name);
      lab = definition.create(settings, assets);
      recent.length = 0;
      done = 0;
      post({ type: "ready", lab: m.lab, backend: info, snapshot: lab.snapshot(), settingErrors: errors });
      return;
    }
    case "run":
      if (lab === undefined) return;
      until = m.until ?? Infinity;
      running = done < until;
      if (running) schedule(0);
      else sendSnapshot();
      return;
    case "pause":
      running = false;
      sendSnapshot();
      return;
    case "step":
      if (lab === undefined) return;
      running = false;
      oneStep();
      sendSnapshot();
      return;
    case "speed":
      stepsPerSecondLimit = m.stepsPerSecond;
      return;
    case "download": {
      if (lab?.download === undefined) throw new Error("this view has no model to download");
      const file = lab.download();
      post({ type: "answer", id: m.id, result: file }, [file.bytes.buffer as ArrayBuffer]);
      return;
    }
    case "load": {
      if (lab?.load === undefined) throw new Error("this view cannot load a model file");
      const result = lab.load(m.bytes, m.fileName);
      post({ type: "answer", id: m.id, result });
      sendSnapshot();
      return;
    }
    case "query": {
      if (lab?.query === undefined) throw new Error("this view answers no questions");
      post({ type: "answer", id: m.id, result: lab.query(m.request) });
      return;
    }
    default: {
      const never: never = m;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
}

/** Messages are handled one at a time, in order (init awaits the kernels and the assets). */
let queue = Promise.resolve();
self.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  queue = queue.then(() => handle(m)).catch((e: unknown) => {
    const message = (e as Error).message ?? String(e);
    if ("id" in m) post({ type: "answer", id: m.id, error: message });
    else post({ type: "error", message });
  });
};
