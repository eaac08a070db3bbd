/**
 * The optimizer base: a fixed list of parameter tensors, a learning rate that schedules may
 * change between steps, per-parameter state buffers (same dtype as the parameter, created on
 * the parameter's first update, as in PyTorch) and a JSON-serializable state dict. A subclass
 * supplies its hyper-parameter reader and one rule, `update(param, grad, state)`.
 * Not here: parameter groups with different hyper-parameters (one group per optimizer).
 */
import type { Floats, Tensor } from "../tensor/tensor.js";
import { allocFloats } from "../tensor/tensor.js";

/** A list of parameters, or anything with a `parameters()` method (a Module). */
export type ParamSource = Iterable<Tensor> | { parameters(): Tensor[] };

/** The parameters of a source as an array. */
export function paramsOf(source: ParamSource): Tensor[] {
  if (typeof (source as { parameters?: unknown }).parameters === "function") {
    return [...(source as { parameters(): Tensor[] }).parameters()];
  }
  return [...(source as Iterable<Tensor>)];
}

export type HyperValue = number | boolean | readonly number[];

/** What an optimizer keeps for one parameter: its own step count and named buffers. */
export interface ParamState {
  /** Updates this parameter has received (steps where its grad was null do not count). */
  step: number;
  readonly buffers: Record<string, Floats>;
}

/** `Optimizer.stateDict()`: plain JSON, numbers only. */
export interface OptimizerStateDict {
  /** The optimizer class, e.g. "Adam"; loading into another kind is refused. */
  optimizer: string;
  /** Every hyper-parameter including `lr`, under the option names. */
  hyperParameters: Record<string, HyperValue>;
  /** Calls to `step()` so far. */
  stepCount: number;
  /** One entry per parameter in order; null for a parameter never updated. */
  state: Array<{ step: number; buffers: Record<string, number[]> } | null>;
}

/** Turns user options or a loaded record into validated hyper-parameters, or throws. */
export type HyperReader<H> = (options: Record<string, unknown>) => H;

/**
 * Reads options against their defaults: fills what is absent, refuses an unknown key (naming
 * the camelCase spelling when a snake_case one was passed) and a value of the wrong type.
 * Range checks are the caller's.
 */
export function readOptions<D extends Record<string, HyperValue>>(op: string, options: Record<string, unknown>, defaults: D): D {
  const out: Record<string, HyperValue> = { ...defaults };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!(key in defaults)) {
      const camel = key.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
      const hint = camel !== key && camel in defaults ? ` (did you mean '${camel}'?)` : "";
      throw new Error(`${op}: unknown option '${key}'${hint}; known: ${Object.keys(defaults).join(", ")}`);
    }
    const def = defaults[key];
    const ok = Array.isArray(def)
      ? Array.isArray(value) && value.length === def.length && value.every((v) => typeof v === "number")
      : typeof value === typeof def;
    if (!ok) throw new Error(`${op}: option '${key}' must be ${describe(def)}, got ${JSON.stringify(value)}`);
    out[key] = Array.isArray(value) ? [...(value as number[])] : (value as HyperValue);
  }
  return out as D;
}

function describe(v: HyperValue): string {
  return Array.isArray(v) ? `an array of ${v.length} numbers` : `a ${typeof v}`;
}

/** Throws unless `value` is a finite number ≥ 0 (learning rates, decays, eps, momenta). */
export function checkNonNegative(op: string, name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${op}: ${name} must be a finite number ≥ 0, got ${value}`);
}

/** Throws unless 0 ≤ value < 1 (Adam's betas). */
export function checkUnitInterval(op: string, name: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new RangeError(`${op}: ${name} must be in [0, 1), got ${value}`);
}

export abstract class Optimizer<H extends { lr: number } = { lr: number }> {
  readonly params: readonly Tensor[];
  /** The class name, as stored in the state dict. */
  readonly kind: string;
  /** The current hyper-parameters; subclasses read them in `update`. */
  protected hp: H;
  readonly #read: HyperReader<H>;
  #stepCount = 0;
  #state: Array<ParamState | null>;

  protected constructor(kind: string, params: ParamSource, options: object, read: HyperReader<H>) {
    this.kind = kind;
    this.params = Object.freeze(paramsOf(params));
    if (this.params.length === 0) throw new Error(`${kind}: got an empty parameter list`);
    if (new Set(this.params).size !== this.params.length) {
      // A tensor listed twice would be updated twice per step.
      throw new Error(`${kind}: a parameter appears more than once in the list`);
    }
    this.#read = read;
    this.hp = read(options as Record<string, unknown>);
    this.#state = this.params.map(() => null);
  }

  /** The learning rate of the next step; schedules set it between steps. */
  get lr(): number {
    return this.hp.lr;
  }

  set lr(value: number) {
    checkNonNegative(this.kind, "lr", value);
    this.hp = { ...this.hp, lr: value };
  }

  /** A copy of every hyper-parameter, `lr` included. */
  get hyperParameters(): H {
    return { ...this.hp };
  }

  /** Calls to `step()` so far. */
  get stepCount(): number {
    return this.#stepCount;
  }

  /** The state of parameter `index` (or of that tensor), undefined before its first update. */
  stateOf(param: number | Tensor): Readonly<ParamState> | undefined {
    const i = typeof param === "number" ? param : this.params.indexOf(param);
    return this.#state[i] ?? undefined;
  }

  /** Updates every parameter from its `.grad`; parameters whose grad is null are skipped. */
  step(): void {
    this.#stepCount++;
    this.params.forEach((p, i) => {
      const g = p.grad;
      if (g === null) return;
      if (g.length !== p.size) {
        throw new Error(`${this.kind}.step: parameter ${p.name ?? i} has ${p.size} values but its grad has ${g.length}`);
      }
      const state = (this.#state[i] ??= { step: 0, buffers: {} });
      state.step++;
      this.update(p, g, state);
    });
  }

  /** Zeroes every parameter's gradient, or drops it (`setToNone`) so that `step` skips it. */
  zeroGrad(setToNone = false): void {
    for (const p of this.params) {
      if (setToNone) p.grad = null;
      else p.zeroGrad();
    }
  }

  /** One update of `p.data` from `grad`; `state.step` already counts this update. */
  protected abstract update(p: Tensor, grad: Floats, state: ParamState): void;

  /** The names of the buffers this optimizer may keep, for validating a loaded state. */
  protected abstract bufferNames(): readonly string[];

  /** The named buffer of a parameter's state, created filled with `init` on first use. */
  protected buffer(p: Tensor, state: ParamState, name: string, init = 0): Floats {
    let b = state.buffers[name];
    if (b === undefined) {
      b = allocFloats(p.dtype, p.size);
      if (init !== 0) b.fill(init);
      state.buffers[name] = b;
    }
    return b;
  }

  /** Hyper-parameters, step count and every state buffer as plain JSON. */
  stateDict(): OptimizerStateDict {
    return {
      optimizer: this.kind,
      hyperParameters: JSON.parse(JSON.stringify(this.hp)) as Record<string, HyperValue>,
      stepCount: this.#stepCount,
      state: this.#state.map((s) =>
        s === null
          ? null
          : { step: s.step, buffers: Object.fromEntries(Object.entries(s.buffers).map(([k, b]) => [k, Array.from(b)])) },
      ),
    };
  }

  /**
   * The exact buffer names a parameter's state holds after an update under `hp` (Adam:
   * expAvg, expAvgSq and, with amsgrad, maxExpAvgSq), used to refuse a loaded state with one
   * missing or extra. Null (the default, for optimizers that do not say) checks only that
   * each name is one of `bufferNames()`.
   */
  protected buffersFor(hp: H): readonly string[] | null {
    void hp;
    return null;
  }

  /**
   * Throws (an Error naming the part) unless `dict` would load into this optimizer: the kind,
   * the step counts, the hyper-parameters' types and ranges, and for each parameter the buffer
   * names and sizes. Changes nothing.
   */
  checkStateDict(dict: OptimizerStateDict): void {
    this.#prepare(dict);
  }

  #prepare(dict: OptimizerStateDict): { hp: H; state: Array<ParamState | null> } {
    const where = `${this.kind}.loadStateDict`;
    if (typeof dict !== "object" || dict === null) throw new Error(`${where}: the state dict is not an object`);
    if (dict.optimizer !== this.kind) throw new Error(`${where}: the state dict is for ${dict.optimizer}, not ${this.kind}`);
    if (!Number.isInteger(dict.stepCount) || dict.stepCount < 0) {
      throw new Error(`${where}: stepCount must be an integer ≥ 0, got ${dict.stepCount}`);
    }
    if (!Array.isArray(dict.state) || dict.state.length !== this.params.length) {
      throw new Error(`${where}: state for ${dict.state?.length} parameters, this optimizer has ${this.params.length}`);
    }
    if (typeof dict.hyperParameters !== "object" || dict.hyperParameters === null || Array.isArray(dict.hyperParameters)) {
      throw new Error(`${where}: the state dict has no hyperParameters object`);
    }
    const missingHp = Object.keys(this.hp).filter((k) => !(k in dict.hyperParameters));
    if (missingHp.length) throw new Error(`${where}: hyperParameters lack ${missingHp.join(", ")}`);
    const hp = this.#read(dict.hyperParameters);
    const known = this.bufferNames();
    const expected = this.buffersFor(hp);
    const state = dict.state.map((s, i): ParamState | null => {
      if (s === null) return null;
      const p = this.params[i];
      if (typeof s !== "object" || typeof s.buffers !== "object" || s.buffers === null) {
        throw new Error(`${where}: parameter ${i}: the state must be null or { step, buffers }`);
      }
      if (!Number.isInteger(s.step) || s.step < 1 || s.step > dict.stepCount) {
        throw new Error(`${where}: parameter ${i}: step must be an integer in [1, stepCount = ${dict.stepCount}], got ${s.step}`);
      }
      const names = Object.keys(s.buffers);
      const unknown = names.find((n) => !known.includes(n));
      if (unknown !== undefined) throw new Error(`${where}: parameter ${i}: unknown buffer '${unknown}' (known: ${known.join(", ")})`);
      if (expected !== null) {
        const missing = expected.filter((n) => !names.includes(n));
        const extra = names.filter((n) => !expected.includes(n));
        if (missing.length || extra.length) {
          throw new Error(
            `${where}: parameter ${i}: buffers ${JSON.stringify(names)}, expected ${JSON.stringify(expected)} for these hyper-parameters`,
          );
        }
      }
      const buffers: Record<string, Floats> = {};
      for (const [name, values] of Object.entries(s.buffers)) {
        if (!Array.isArray(values) || values.length !== p.size) {
          throw new Error(`${where}: parameter ${i}: buffer '${name}' has ${values?.length} values, the parameter has ${p.size}`);
        }
        if (!values.every((v) => typeof v === "number")) throw new Error(`${where}: parameter ${i}: buffer '${name}' holds a non-number`);
        const b = allocFloats(p.dtype, p.size);
        b.set(values);
        buffers[name] = b;
      }
      return { step: s.step, buffers };
    });
    return { hp, state };
  }

  /**
   * Restores a `stateDict()`: hyper-parameters (lr included), step count and buffers. Checks
   * everything `checkStateDict` checks before changing anything.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const { hp, state } = this.#prepare(dict);
    this.hp = hp;
    this.#stepCount = dict.stepCount;
    this.#state = state;
  }
}
