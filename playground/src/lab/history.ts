/**
 * A curve that grows without bound in memory no more than `capacity` points: when full it
 * keeps every other point (the first and the newest always stay), so a run of a million
 * steps still plots its whole history at a coarser step. Platform-neutral.
 */
export interface Curves {
  /** The steps (x values). */
  steps: number[];
  /** One array per series, as long as `steps`. */
  values: number[][];
}

export class History {
  readonly #capacity: number;
  readonly #curves: Curves;
  /** Record one point in every `#stride` offered. */
  #stride = 1;
  #offered = 0;

  constructor(series: number, capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 4) throw new RangeError(`History: capacity must be an integer ≥ 4, got ${capacity}`);
    this.#capacity = capacity;
    this.#curves = { steps: [], values: Array.from({ length: series }, () => []) };
  }

  /** Offers one point (a value per series) at `step`. */
  push(step: number, values: readonly number[]): void {
    if (values.length !== this.#curves.values.length) throw new RangeError(`History.push: ${values.length} values for ${this.#curves.values.length} series`);
    if (this.#offered++ % this.#stride !== 0) return;
    this.#curves.steps.push(step);
    values.forEach((v, i) => this.#curves.values[i].push(v));
    if (this.#curves.steps.length >= this.#capacity) {
      const keep = (a: number[]) => a.filter((_, i) => i % 2 === 0);
      this.#curves.steps = keep(this.#curves.steps);
      this.#curves.values = this.#curves.values.map(keep);
      this.#stride *= 2;
    }
  }

  /** A copy of the curves (safe to post to the page). */
  curves(): Curves {
    return { steps: [...this.#curves.steps], values: this.#curves.values.map((v) => [...v]) };
  }

  /** The newest value of series `i` (NaN when empty). */
  last(i: number): number {
    const v = this.#curves.values[i];
    return v.length === 0 ? NaN : v[v.length - 1];
  }
}
