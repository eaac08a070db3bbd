/**
 * What the browser example's page measured (examples/browser/main.ts), as the page leaves it
 * on `window.rnnkitExample` for automated checks. Apart from the page script so that the
 * Node-side test can read the type without the DOM's.
 */
import type { BackendInfo } from "../../src/index.js";

export interface ExampleResult {
  crossOriginIsolated: boolean;
  page: { backend: BackendInfo; losses: number[]; stepsPerSecond: number; outputs: number[]; reloadedOutputs: number[]; bytes: number[] };
  worker: { backend: BackendInfo; losses: number[]; stepsPerSecond: number; outputs: number[]; loadedOnPage: number[]; bytes: number[] };
  /** Cross-origin isolated pages only: the page's training again with helper threads. */
  threads?: { backend: BackendInfo; losses: number[]; stepsPerSecond: number };
}

/** The globals the page sets when it is done: its result, or the error that stopped it. */
export interface ExampleGlobals {
  rnnkitExample?: ExampleResult;
  rnnkitError?: string;
}
