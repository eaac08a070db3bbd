/**
 * The messages between the page and its training worker. The page asks; the worker trains
 * in slices of at most SLICE_MS, posts a snapshot after each slice, and answers questions
 * between slices, so neither side blocks the other.
 */
import type { BackendInfo } from "../../src/index.js";
import type { SnapshotBase } from "./lab/lab.js";
import type { SettingValue } from "./lab/settings.js";

/** Longest stretch of training between two looks at the message queue. */
export const SLICE_MS = 40;

/** Least time between two snapshots while training runs (the page draws at most this often). */
export const SNAPSHOT_MS = 100;

/** Speeds, in updates per second; Infinity is "as fast as it goes". */
export const SPEEDS = [1, 5, 20, 100, Infinity] as const;

export type ToWorker =
  /** Builds (or rebuilds) the lab; training waits for `run` or `step`. */
  | { type: "init"; lab: string; settings: Record<string, SettingValue>; pageUrl: string }
  /** Trains until paused, or until `until` updates are done when given. */
  | { type: "run"; until?: number }
  | { type: "pause" }
  /** One update, then a snapshot. */
  | { type: "step" }
  | { type: "speed"; stepsPerSecond: number }
  | { type: "download"; id: number }
  | { type: "load"; id: number; bytes: Uint8Array; fileName: string }
  | { type: "query"; id: number; request: unknown };

export type FromWorker =
  | { type: "ready"; lab: string; backend: BackendInfo; snapshot: SnapshotBase; settingErrors: string[] }
  | { type: "snapshot"; snapshot: SnapshotBase; running: boolean; stepsPerSecond: number }
  | { type: "answer"; id: number; result?: unknown; error?: string }
  | { type: "error"; message: string };
