/**
 * What the page exposes as `globalThis.playground`, for its tests and for the curious: the
 * status, the newest snapshot and the run controls. Types only (no DOM), so Node tests
 * import them too.
 */
import type { SnapshotBase } from "./lab/lab.js";

/** What the page exposes for its tests and for the curious (read-only, plus the run controls). */
export interface PlaygroundHandle {
  /** The view shown, whether its lab is built, and the newest snapshot's numbers. */
  status(): PlaygroundStatus;
  /** The newest snapshot the worker posted. */
  snapshot(): SnapshotBase | undefined;
  /** Trains until `until` updates are done (or without end), as the Train button does. */
  run(until?: number): void;
  pause(): void;
  /** Asks the lab, as the view does. */
  query<T>(request: unknown): Promise<T>;
}

export interface PlaygroundStatus {
  view: string;
  ready: boolean;
  running: boolean;
  step: number;
  metric: number;
  stepsPerSecond: number;
  backend: string;
  /** Errors the worker reported (also shown on the page). */
  errors: string[];
  /** Settings in the address that were refused and left at their defaults, each with why (also shown). */
  refusedSettings: string[];
  /** Snapshots drawn so far. */
  drawn: number;
  /** The longest `view.update` so far, in ms (a view must stay well under a frame). */
  slowestDraw: number;
  /** When the first lab was ready and the Train button enabled, in ms since navigation start (NaN before). */
  readyAt: number;
}
