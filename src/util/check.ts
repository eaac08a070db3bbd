/**
 * Argument checks shared by the public constructors and forward methods: each refuses
 * a value with an error that names the caller, the argument, the value it got (and its
 * type) and what is allowed, e.g.
 *
 *   LSTM: bidirectional must be a boolean, got "false" (a string)
 *   LSTM: unknown option 'hidden_size' (did you mean hiddenSize?); known: inputSize, …
 *
 * Platform-neutral: no Node built-ins.
 */

/** A value as it appears in an error message: strings quoted, with their type when it could mislead. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return `${JSON.stringify(value)} (a string)`;
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return `${value} (a boolean)`;
  if (typeof value === "bigint") return `${value}n (a bigint)`;
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  const name = (value as object).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

/** Refuses anything but a plain options object (not null, not an array). */
export function checkOptionsObject(who: string, options: unknown, what = "options"): Record<string, unknown> {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${who}: ${what} must be an object, got ${describeValue(options)}`);
  }
  return options as Record<string, unknown>;
}

/** Levenshtein distance, for "did you mean" hints. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The known name `key` was most likely meant to be, or undefined. */
export function closestName(key: string, known: readonly string[]): string | undefined {
  const squash = (s: string) => s.replace(/[_-]/g, "").toLowerCase();
  const exact = known.find((k) => squash(k) === squash(key));
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(squash(key), squash(k));
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}

/**
 * Refuses a key of `options` that is not in `known` (keys whose value is undefined
 * included: a misspelt key is a mistake whatever its value), naming the nearest known one.
 * `notes` gives a specific explanation for keys that exist elsewhere (e.g. nonlinearity).
 */
export function checkKnownKeys(
  who: string, options: Record<string, unknown>, known: readonly string[], notes: Record<string, string> = {},
): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    if (key in notes) throw new TypeError(`${who}: unknown option '${key}' (${notes[key]})`);
    const near = closestName(key, known);
    const hint = near === undefined ? "" : ` (did you mean ${near}?)`;
    throw new TypeError(`${who}: unknown option '${key}'${hint}; known: ${known.join(", ")}`);
  }
}

/** An integer ≥ `min` (1 unless given); `undefined` allowed only when `optional`. */
export function checkInteger(who: string, name: string, value: unknown, min = 1): number {
  if (typeof value !== "number") {
    throw new TypeError(`${who}: ${name} must be ${integerRange(min)}, got ${describeValue(value)}`);
  }
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${who}: ${name} must be ${integerRange(min)}, got ${value}`);
  return value;
}

function integerRange(min: number): string {
  return min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer" : `an integer ≥ ${min}`;
}

/** A finite number (optionally ≥ `min`). */
export function checkNumber(who: string, name: string, value: unknown, min = -Infinity): number {
  const want = min === -Infinity ? "a finite number" : `a finite number ≥ ${min}`;
  if (typeof value !== "number") throw new TypeError(`${who}: ${name} must be ${want}, got ${describeValue(value)}`);
  if (!Number.isFinite(value) || value < min) throw new RangeError(`${who}: ${name} must be ${want}, got ${value}`);
  return value;
}

/** `true` or `false` (not "false", not 0); `fallback` when undefined. */
export function checkBoolean(who: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new TypeError(`${who}: ${name} must be a boolean, got ${describeValue(value)}`);
  return value;
}

/** One of `allowed` (strings); `fallback` when undefined. */
export function checkOneOf<T extends string>(who: string, name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    const list = allowed.map((a) => JSON.stringify(a));
    const want = list.length === 2 ? `${list[0]} or ${list[1]}` : `one of ${list.join(", ")}`;
    throw new TypeError(`${who}: ${name} must be ${want}, got ${describeValue(value)}`);
  }
  return value as T;
}

/** The parameter dtypes the library computes in. */
export const DTYPES = ["float32", "float64"] as const;

/** "float32" (the default) or "float64"; refuses "float16", "int32" and the like instead of falling back to float32. */
export function checkDType(who: string, value: unknown): "float32" | "float64" {
  return checkOneOf(who, "dtype", value, DTYPES, "float32");
}

/** A random generator (an `Rng`): something with next(), uniform() and normal(). */
export function checkRng<R>(who: string, value: R): R {
  const r = value as { next?: unknown; uniform?: unknown; normal?: unknown } | null | undefined;
  if (typeof r !== "object" || r === null || typeof r.next !== "function" || typeof r.uniform !== "function" || typeof r.normal !== "function") {
    throw new TypeError(`${who}: rng must be a random generator (e.g. rng: new Rng(0)), got ${describeValue(value)}; every parameter is drawn from it`);
  }
  return value;
}

/** Duck-typed Tensor check (shape array and data typed array), so a plain array gets a clear message. */
export function checkTensorLike(who: string, name: string, value: unknown, hint = ""): void {
  const t = value as { shape?: unknown; data?: unknown } | null | undefined;
  const ok = typeof t === "object" && t !== null && Array.isArray(t.shape) && "data" in t;
  if (!ok) {
    const extra = Array.isArray(value) ? "; wrap nested arrays with Tensor.from(...)" : "";
    throw new TypeError(`${who}: ${name} must be a Tensor${hint}, got ${describeValue(value)}${extra}`);
  }
}
