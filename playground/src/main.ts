/**
 * The playground page: tabs for the experiments, the chosen one's lesson and settings, the
 * run controls and its figures. Training runs in a Web Worker (worker.ts); this thread only
 * draws the newest snapshot once per animation frame, so the page stays responsive. The
 * view and its settings live in the URL, so a view can be shared.
 */
import { EXPERIMENTS, type Experiment } from "./experiments/cards.js";
import type { SnapshotBase } from "./lab/lab.js";
import { readSettings, settingsToParams, type SettingValue } from "./lab/settings.js";
import type { PlaygroundHandle, PlaygroundStatus } from "./handle.js";
import { SPEEDS, type FromWorker, type ToWorker } from "./protocol.js";
import { settingsForm } from "./ui/controls.js";
import { el, type View } from "./ui/view.js";
import "./ui/style.css";

const params = new URLSearchParams(location.search);
const experiment: Experiment = EXPERIMENTS.find((e) => e.card.name === params.get("view")) ?? EXPERIMENTS[0];
const { card } = experiment;
const read = readSettings(card.settings, params.entries());
const settings: Record<string, SettingValue> = read.settings;

const status: PlaygroundStatus = {
  view: card.name, ready: false, running: false, step: 0, metric: NaN, stepsPerSecond: 0, backend: "", errors: [], refusedSettings: read.errors, drawn: 0, slowestDraw: 0, readyAt: NaN,
};
let latest: SnapshotBase | undefined;
let drawnSnapshot: SnapshotBase | undefined;
let nextId = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

// ---- the shell ----
const tabs = el("nav", { class: "tabs" }, ...EXPERIMENTS.map((e) =>
  el("a", { href: `?view=${e.card.name}`, class: e === experiment ? "tab active" : "tab", ...(e === experiment ? { "aria-current": "page" } : {}) }, e.card.title)));
const statusLine = el("p", { class: "status", role: "status" }, "starting the worker…");
const errorBox = el("p", { class: "error", hidden: "" });
const trainButton = el("button", { type: "button", id: "train", disabled: "" }, "Train");
const stepButton = el("button", { type: "button", id: "step", disabled: "" }, "Step");
const resetButton = el("button", { type: "button", id: "reset" }, "Reset");
const speedSelect = el("select", { id: "speed", title: "updates per second" },
  ...SPEEDS.map((s) => el("option", s === Infinity ? { value: "Infinity", selected: "" } : { value: String(s) }, s === Infinity ? "full speed" : `${s} / s`)));
const runControls = el("div", { class: "run" }, trainButton, stepButton, resetButton, el("label", { for: "speed" }, "speed"), speedSelect);
const modelControls = el("div", { class: "models" });
const viewRoot = el("div", { class: "view", id: "view" });
const lesson = el("div", { class: "lesson" }, ...card.lesson.split("\n\n").map((p) => el("p", {}, p)));
document.body.append(
  el("header", {}, el("h1", {}, el("a", { href: "?" }, "rnnkit playground")), tabs),
  el("main", {},
    el("aside", {}, el("h2", {}, card.title), lesson, el("h3", {}, "Settings"),
      settingsForm(card.settings, settings, changeSetting), runControls, statusLine, errorBox, modelControls),
    viewRoot),
);
if (read.errors.length > 0) showMessage(`Some settings in the address were refused and left at their defaults: ${read.errors.join("; ")}`);

// ---- the worker ----
const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, { transfer });
/** A question for the worker, before it gets its id. */
type Question = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, "id"> : never) : never;
function ask<T>(m: Question, transfer: Transferable[] = []): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    send({ ...m, id } as ToWorker, transfer);
  });
}

let view: View | undefined;
worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const m = event.data;
  switch (m.type) {
    case "ready":
      status.ready = true;
      if (Number.isNaN(status.readyAt)) status.readyAt = performance.now();
      status.backend = m.backend.name;
      // A run built cleanly clears what the last one failed with.
      errorBox.hidden = true;
      if (m.settingErrors.length > 0) showError(m.settingErrors.join("; "));
      viewRoot.replaceChildren();
      view = experiment.view();
      view.mount(viewRoot, { settings, query: (request) => ask({ type: "query", request }) });
      trainButton.disabled = false;
      stepButton.disabled = false;
      receive(m.snapshot, false, 0);
      return;
    case "snapshot":
      receive(m.snapshot, m.running, m.stepsPerSecond);
      return;
    case "answer": {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
      return;
    }
    case "error":
      showError(m.message);
      return;
    default: {
      const never: never = m;
      throw new Error(`unknown message ${JSON.stringify(never)}`);
    }
  }
};
worker.onerror = (e) => showError(`the training worker failed: ${e.message}`);

function init(): void {
  status.ready = false;
  trainButton.disabled = true;
  stepButton.disabled = true;
  send({ type: "init", lab: card.name, settings, pageUrl: location.href });
  send({ type: "speed", stepsPerSecond: Number(speedSelect.value) });
}

function receive(snapshot: SnapshotBase, running: boolean, stepsPerSecond: number): void {
  latest = snapshot;
  status.running = running;
  status.step = snapshot.step;
  status.metric = snapshot.metric;
  status.stepsPerSecond = stepsPerSecond;
  trainButton.textContent = running ? "Pause" : "Train";
  const metric = Number.isNaN(snapshot.metric) ? "—" : snapshot.metric.toPrecision(4);
  statusLine.textContent = `update ${snapshot.step} · ${snapshot.metricName} ${metric}` +
    (running ? ` · ${stepsPerSecond.toFixed(stepsPerSecond < 10 ? 1 : 0)} updates/s` : "") + ` · seed ${settings.seed} · ${status.backend}`;
  requestAnimationFrame(draw);
}

function draw(): void {
  if (view === undefined || latest === undefined || latest === drawnSnapshot) return;
  drawnSnapshot = latest;
  const t0 = performance.now();
  view.update(latest);
  status.slowestDraw = Math.max(status.slowestDraw, performance.now() - t0);
  status.drawn++;
}

function showError(message: string): void {
  status.errors.push(message);
  showMessage(message);
}

function showMessage(message: string): void {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function changeSetting(key: string, value: SettingValue): void {
  settings[key] = value;
  const query = new URLSearchParams([["view", card.name], ...settingsToParams(card.settings, settings)]);
  history.replaceState(null, "", `?${query}`);
  init();
}

function run(until?: number): void {
  send({ type: "run", until });
}

trainButton.addEventListener("click", () => (status.running ? send({ type: "pause" }) : run()));
stepButton.addEventListener("click", () => send({ type: "step" }));
resetButton.addEventListener("click", () => init());
speedSelect.addEventListener("change", () => send({ type: "speed", stepsPerSecond: Number(speedSelect.value) }));

// ---- models in and out ----
if (card.models) {
  const download = el("button", { type: "button", id: "download" }, "Download model");
  const file = el("input", { type: "file", id: "model-file", accept: ".safetensors" });
  const loaded = el("p", { class: "caption", id: "model-status" }, "or drop an rnnkit model file (.safetensors) on the page");
  modelControls.append(el("h3", {}, "Model"), download, el("label", { for: "model-file", class: "file" }, "Load model…"), file, loaded);
  download.addEventListener("click", async () => {
    try {
      const { bytes, name } = await ask<{ bytes: Uint8Array; name: string }>({ type: "download" });
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/octet-stream" }));
      const a = el("a", { href: url, download: name });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      showError((e as Error).message);
    }
  });
  const loadFile = async (f: File) => {
    try {
      const bytes = new Uint8Array(await f.arrayBuffer());
      loaded.textContent = await ask<string>({ type: "load", bytes, fileName: f.name }, [bytes.buffer]);
    } catch (e) {
      showError(`${f.name}: ${(e as Error).message}`);
    }
  };
  file.addEventListener("change", () => {
    if (file.files?.[0] !== undefined) void loadFile(file.files[0]);
  });
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    const f = e.dataTransfer?.files[0];
    if (f !== undefined) void loadFile(f);
  });
}

const handle: PlaygroundHandle = {
  status: () => ({ ...status, errors: [...status.errors], refusedSettings: [...status.refusedSettings] }),
  snapshot: () => latest,
  run,
  pause: () => send({ type: "pause" }),
  query: (request) => ask({ type: "query", request }),
};
(globalThis as { playground?: PlaygroundHandle }).playground = handle;
init();
