/**
 * Training progress in a terminal, for the core's progress callback: `bar`, a progress bar
 * (cli-progress) with loss, rate and ETA on stderr; `lines`, plain periodic lines (for logs
 * and CI); `json`, one JSON object per line on stdout; `none`. `auto` picks `bar` on an
 * interactive terminal outside CI and `lines` otherwise.
 */
import cliProgress from "cli-progress";
import type { ProgressCallback, ProgressFields } from "../train/progress.js";

export type ProgressMode = "auto" | "bar" | "lines" | "json" | "none";

export function resolveProgressMode(mode: ProgressMode): Exclude<ProgressMode, "auto"> {
  if (mode !== "auto") return mode;
  return process.stderr.isTTY && !process.env.CI ? "bar" : "lines";
}

function fmt(v: number | string): string {
  return typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v;
}

export class Progress {
  readonly mode: Exclude<ProgressMode, "auto">;
  private bar: cliProgress.SingleBar | null = null;
  private started = Date.now();
  private lastLine = 0;

  /**
   * @param total number of units (steps) this progress covers
   * @param label shown before the bar or at the start of each line
   * @param lineEveryMs minimum time between plain lines
   */
  constructor(mode: ProgressMode, private total: number, private label: string, private lineEveryMs = 2000) {
    this.mode = resolveProgressMode(mode);
    if (this.mode === "bar") {
      this.bar = new cliProgress.SingleBar(
        { format: `${label} {bar} {percentage}% | {value}/{total} | {fields} | {rate}/s | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, etaBuffer: 50 },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { fields: "", rate: "0" });
    }
  }

  /** Reports that `done` of `total` units are finished, with current metrics. */
  update(done: number, fields: ProgressFields = {}, force = false): void {
    const elapsed = (Date.now() - this.started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const text = Object.entries(fields).map(([k, v]) => `${k} ${fmt(v)}`).join(" ");
    switch (this.mode) {
      case "bar":
        this.bar!.update(done, { fields: text, rate: rate.toFixed(1) });
        break;
      case "lines": {
        const now = Date.now();
        if (force || done === this.total || now - this.lastLine >= this.lineEveryMs) {
          this.lastLine = now;
          const eta = rate > 0 ? (this.total - done) / rate : NaN;
          console.log(`${this.label} ${done}/${this.total} ${text} | ${rate.toFixed(1)}/s | ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)}s` : "?"}`);
        }
        break;
      }
      case "json":
        console.log(JSON.stringify({ label: this.label, done, total: this.total, ...fields, rate, elapsed_s: elapsed }));
        break;
      case "none":
        break;
    }
  }

  /** Prints a message without breaking the bar. */
  log(message: string): void {
    if (this.mode === "none") return;
    if (this.mode === "json") console.log(JSON.stringify({ label: this.label, message }));
    else if (this.bar) {
      process.stderr.write("\r\x1b[K");
      console.log(message);
    } else console.log(message);
  }

  finish(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/**
 * A progress callback for `fit`/`truncatedBptt` that prints in a terminal.
 * @example fit(model, data, { ...options, progress: terminalProgress("lines") });
 */
export function terminalProgress(mode: ProgressMode = "auto", lineEveryMs = 2000): ProgressCallback {
  let current: Progress | null = null;
  return (e) => {
    switch (e.type) {
      case "start":
        current = new Progress(mode, e.total, e.label, lineEveryMs);
        break;
      case "step":
        current?.update(e.done, e.fields);
        break;
      case "message":
        current?.log(e.message);
        break;
      case "end":
        current?.finish();
        current = null;
        break;
    }
  };
}
