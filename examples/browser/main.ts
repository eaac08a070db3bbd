/**
 * The browser example's page script: compile the WebAssembly kernels, train a small LSTM
 * here and the same one in a Web Worker, save the model to bytes and load it back, and
 * show the losses and the speed. In your own project, import from "rnnkit" instead of the
 * relative path; bundle with esbuild (see docs/browser.md) and copy the three .wasm files
 * next to the bundle.
 */
import { initBackend, decodeModel, type SequenceToVector } from "../../src/index.js";
import { train, probe, roundTrip, sameBits, STEPS } from "./train.js";
import type { WorkerReply } from "./worker.js";
import type { ExampleGlobals, ExampleResult } from "./result.js";

declare global {
  // The page's globals are ExampleGlobals' members (declaration merging needs the interface form).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Window extends ExampleGlobals {}
}

const log = document.querySelector<HTMLPreElement>("#log")!;
const say = (line: string) => (log.textContent += `${line}\n`);

/** The same training in a module worker; resolves with its reply. */
function trainInWorker(): Promise<WorkerReply & { error?: undefined }> {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      worker.terminate();
      if ("error" in event.data) reject(new Error(`in the worker: ${event.data.error}`));
      else resolve(event.data);
    };
    worker.onerror = (event) => reject(new Error(`the worker failed: ${event.message}`));
    worker.postMessage("train");
  });
}

/** Draws loss curves as SVG polylines (log scale), one per series. */
function drawLosses(series: { losses: number[]; color: string; width: number }[]): void {
  const svg = document.querySelector<SVGSVGElement>("#chart")!;
  const all = series.flatMap((s) => s.losses.map(Math.log));
  const [lo, hi] = [Math.min(...all), Math.max(...all)];
  for (const { losses, color, width } of series) {
    const points = losses.map((l, i) => `${(i / (losses.length - 1)) * 600},${190 - ((Math.log(l) - lo) / (hi - lo || 1)) * 180}`);
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", color);
    line.setAttribute("stroke-width", String(width));
    svg.append(line);
  }
}

async function run(): Promise<ExampleResult> {
  // Compile the WebAssembly kernels, once, before first use.
  const backend = await initBackend();
  say(`backend: ${backend.name}${backend.sharedMemory ? " (shared memory)" : ""}; cross-origin isolated: ${crossOriginIsolated}`);

  // Train on the page (this blocks the page while it runs; the worker below does not).
  const page = train();
  say(`page:   ${STEPS} steps, loss ${page.losses[0].toFixed(4)} → ${page.losses.at(-1)!.toFixed(4)}, ${page.stepsPerSecond.toFixed(1)} steps/s`);

  // Save the model to bytes, load it back, and compare the two models' outputs.
  const saved = roundTrip(page.model);
  say(`saved the model to ${saved.bytes.length} bytes; loaded back, its outputs are ${sameBits(saved.before, saved.after) ? "identical" : "DIFFERENT"}`);

  // The same training in a Web Worker; its model comes back as bytes and is loaded here.
  const worker = await trainInWorker();
  const sameLosses = worker.losses.every((l, i) => Object.is(l, page.losses[i]));
  say(`worker: ${STEPS} steps, ${worker.stepsPerSecond.toFixed(1)} steps/s on ${worker.backend.name}; losses ${sameLosses ? "identical to" : "DIFFERENT from"} the page's`);
  const fromWorker = decodeModel<SequenceToVector>(worker.bytes).model;
  const loadedOnPage = probe(fromWorker);
  say(`the worker's model loaded on the page gives ${sameBits(loadedOnPage, worker.outputs) ? "identical" : "DIFFERENT"} outputs`);

  // Cross-origin isolated: train again with 2 threads (module workers on the shared memory).
  // Every product is split here (minThreadWork 0), to show that threads give the same bits.
  let threads: ExampleResult["threads"];
  if (crossOriginIsolated) {
    const threaded = await initBackend({ threads: 2, minThreadWork: 0 });
    const again = train();
    const same = again.losses.every((l, i) => Object.is(l, page.losses[i]));
    say(`page, ${threaded.threads} threads: ${again.stepsPerSecond.toFixed(1)} steps/s; losses ${same ? "identical to" : "DIFFERENT from"} one thread's`);
    threads = { backend: threaded, losses: again.losses, stepsPerSecond: again.stepsPerSecond };
    await initBackend({ threads: 1 });
  }

  drawLosses([{ losses: page.losses, color: "steelblue", width: 4 }, { losses: worker.losses, color: "orange", width: 1 }]);
  document.querySelector("#losses")!.textContent = page.losses
    .map((l, i) => `${String(i + 1).padStart(3)}  ${l.toFixed(6)}  ${worker.losses[i].toFixed(6)}`).join("\n");

  return {
    crossOriginIsolated,
    page: {
      backend, losses: page.losses, stepsPerSecond: page.stepsPerSecond,
      outputs: [...saved.before], reloadedOutputs: [...saved.after], bytes: [...saved.bytes],
    },
    worker: {
      backend: worker.backend, losses: worker.losses, stepsPerSecond: worker.stepsPerSecond,
      outputs: [...worker.outputs], loadedOnPage: [...loadedOnPage], bytes: [...worker.bytes],
    },
    threads,
  };
}

run().then(
  (result) => {
    window.rnnkitExample = result;
    say("done");
  },
  (e: Error) => {
    window.rnnkitError = e.stack ?? String(e);
    say(`error: ${window.rnnkitError}`);
  },
);
