/**
 * A lab: one classic experiment as a trainer that advances one update at a time and reports
 * what its view draws. The page runs labs in a Web Worker; the tests run the same labs in
 * Node, so a run in the page can be compared with the library's own. Platform-neutral: a lab
 * imports the library and nothing of the DOM.
 *
 * Each experiment is a folder under experiments/: card.ts (its name, lesson and settings —
 * all the page needs before the worker answers, so the page's bundle holds no library code),
 * lab.ts (the trainer) and view.ts (the figures).
 */
import type { SettingsOf, SettingsSchema } from "./settings.js";

/** What every snapshot carries besides the view's own figures. */
export interface SnapshotBase {
  /** Updates done so far. */
  step: number;
  /**
   * The number the status line shows and the tests watch improve (a loss: lower is better).
   * NaN before the first measurement.
   */
  metric: number;
  /** What `metric` is, for the status line ("test MSE", "validation loss, nats/char"). */
  metricName: string;
}

export interface Lab<Snapshot extends SnapshotBase = SnapshotBase> {
  /** One training update (one optimizer step of every model the lab trains). */
  step(): void;
  /** The view's data now: plain values and typed arrays (it crosses to the page by structured clone). */
  snapshot(): Snapshot;
  /** The model offered for download: the bytes of an rnnkit model file (`encodeModel`) and a file name. */
  download?(): { bytes: Uint8Array; name: string };
  /** Replaces the lab's model by one read from a model file; returns what was loaded, or throws saying why not. */
  load?(bytes: Uint8Array, fileName: string): string;
  /** Answers a view's question (sample text, read a drawn digit); the answer is cloneable. */
  query?(request: unknown): unknown;
}

/** What the page knows of an experiment without its trainer. */
export interface LabCard<S extends SettingsSchema = SettingsSchema> {
  /** The name in the URL (`?view=echo`). */
  name: string;
  /** The tab's title. */
  title: string;
  /** A paragraph or two: the experiment and its lesson (plain text; blank lines part paragraphs). */
  lesson: string;
  settings: S;
  /** Files the lab needs, fetched by the worker from next to the page (relative names). */
  assets?: readonly string[];
  /** Whether the lab offers its model for download and takes a dropped model file. */
  models?: boolean;
}

/** Files a lab asked for in `assets`, by name. */
export type LabAssets = Readonly<Record<string, Uint8Array>>;

export interface LabDefinition<S extends SettingsSchema = SettingsSchema, Snapshot extends SnapshotBase = SnapshotBase> {
  card: LabCard<S>;
  /** Builds the lab from settings that passed their schema (`readSettings`) and the files it asked for. */
  create(settings: SettingsOf<S>, assets: LabAssets): Lab<Snapshot>;
}

/** Declares a card with its settings' types kept. */
export function defineCard<S extends SettingsSchema>(card: LabCard<S>): LabCard<S> {
  return card;
}

/** Declares a lab with its types checked (settings schema → settings values → snapshot). */
export function defineLab<S extends SettingsSchema, Snapshot extends SnapshotBase>(d: LabDefinition<S, Snapshot>): LabDefinition<S, Snapshot> {
  return d;
}
