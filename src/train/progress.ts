/**
 * Training progress as events handed to a callback: the core never prints. `fit` and
 * `truncatedBptt` call `progress` with a "start", one "step" per optimizer step, a
 * "message" per epoch summary and an "end". The Node layer's `terminalProgress()` turns
 * them into a terminal bar, plain lines or JSON lines; a page can draw them itself.
 *
 * @example
 * fit(model, data, { ...options, progress: (e) => { if (e.type === "step") chart.push(e.fields.loss); } });
 */

/** Metrics shown with a step, e.g. { epoch: 2, loss: 0.41 }. */
export type ProgressFields = Record<string, number | string>;

export type ProgressEvent =
  | { type: "start"; label: string; total: number }
  | { type: "step"; label: string; done: number; total: number; fields: ProgressFields }
  | { type: "message"; label: string; message: string }
  | { type: "end"; label: string };

/** Receives progress events; must not throw. */
export type ProgressCallback = (event: ProgressEvent) => void;

/** Sends the events of one run (one label, one total) to an optional callback. */
export class ProgressEmitter {
  constructor(private readonly callback: ProgressCallback | undefined, private readonly label: string, private readonly total: number) {
    callback?.({ type: "start", label, total });
  }

  step(done: number, fields: ProgressFields): void {
    this.callback?.({ type: "step", label: this.label, done, total: this.total, fields });
  }

  message(message: string): void {
    this.callback?.({ type: "message", label: this.label, message });
  }

  end(): void {
    this.callback?.({ type: "end", label: this.label });
  }
}
