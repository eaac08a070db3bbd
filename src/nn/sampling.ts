/**
 * Drawing a class from logits: greedy (temperature 0) or softmax(logits / temperature)
 * sampled with a seeded generator.
 */
import type { Rng } from "../tensor/random.js";
import { checkRng, describeValue } from "../util/check.js";

/** One class id from a row of logits. */
export function sampleLogits(logits: ArrayLike<number>, temperature: number, rng: Rng): number {
  if (typeof logits !== "object" || logits === null || typeof logits.length !== "number") {
    throw new TypeError(`sampleLogits: logits must be an array of numbers, got ${describeValue(logits)}`);
  }
  if (logits.length === 0) throw new RangeError("sampleLogits: logits is empty; there is no class to draw");
  if (typeof temperature !== "number" || !(temperature >= 0) || temperature === Infinity) {
    throw new RangeError(`sampleLogits: temperature must be a finite number ≥ 0, got ${describeValue(temperature)}`);
  }
  if (temperature > 0) checkRng("sampleLogits", rng);
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (temperature === 0) return best;
  const weights = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += weights[i] = Math.exp((logits[i] - logits[best]) / temperature);
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) if ((u -= weights[i]) < 0) return i;
  return best;
}
