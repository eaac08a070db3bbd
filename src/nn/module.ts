/**
 * Module: a container of named parameters and sub-modules, with PyTorch's naming
 * (`encoder.weight_ih_l0`) and `state_dict` semantics. Loading refuses a missing,
 * extra or wrongly shaped tensor by name and writes nothing unless all of them fit.
 *
 * Lifetime: with the WebAssembly kernels the parameters live in wasm memory, which the
 * garbage collector does not see and which never shrinks. `dispose()` frees them at once;
 * a program that makes models in a loop (hyper-parameter searches, tests, a page that
 * rebuilds its model) must call it. See docs/memory.md.
 */
import { Tensor, type Floats } from "../tensor/tensor.js";
import { allocResidentFloats, freeResidentFloats } from "../backend/resident.js";
import { kernels } from "../backend/kernels.js";
import { sameShape, shapeToString, ShapeError, type Shape } from "../tensor/shape.js";
import { checkOptionsObject, describeValue } from "../util/check.js";
import type { Rng } from "../tensor/random.js";

/** A plain tensor record as stored in a state dict or read from a file. */
export interface TensorRecord {
  shape: Shape;
  data: ArrayLike<number>;
}

export type StateDict = Record<string, TensorRecord>;

export abstract class Module {
  #params = new Map<string, Tensor>();
  #children = new Map<string, Module>();
  /** Storage this module allocated in backend memory for its parameters, freed by `dispose()`. */
  #resident: Floats[] = [];
  #disposed = false;
  /** Training mode (dropout active). */
  training = true;

  /**
   * Registers a trainable tensor under `name` and returns the parameter: a tensor with `t`'s
   * shape, name and values whose storage is in the active backend's memory where it has one
   * (`allocResidentFloats`: the kernels then read the weights in place instead of copying
   * them on every call), else `t` itself. Keep the returned tensor, not `t`.
   */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.#checkLive("registerParameter");
    if (typeof name !== "string" || name === "" || name.includes(".")) {
      throw new TypeError(`Module.registerParameter: name must be a non-empty string without dots, got ${describeValue(name)}`);
    }
    if (!(t instanceof Tensor)) throw new TypeError(`Module.registerParameter: '${name}' must be a Tensor, got ${describeValue(t)}`);
    if (this.#params.has(name) || this.#children.has(name)) throw new Error(`Module: duplicate name '${name}'`);
    let p = t;
    if (t.dtype === "float32" && t.node === null && kernels().memory !== undefined && !kernels().memory!.holds(t.data)) {
      p = new Tensor(allocResidentFloats("float32", t.size), t.shape, { name: t.name });
      p.data.set(t.data);
      this.#resident.push(p.data);
    }
    p.requiresGrad = true;
    p.name ??= name;
    this.#params.set(name, p);
    return p;
  }

  /** Registers a sub-module under `name`; returns it. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.#checkLive("registerModule");
    if (typeof name !== "string" || name === "" || name.includes(".")) {
      throw new TypeError(`Module.registerModule: name must be a non-empty string without dots, got ${describeValue(name)}`);
    }
    if (!(m instanceof Module)) throw new TypeError(`Module.registerModule: '${name}' must be a Module, got ${describeValue(m)}`);
    if (this.#params.has(name) || this.#children.has(name)) throw new Error(`Module: duplicate name '${name}'`);
    this.#children.set(name, m);
    return m;
  }

  /** Parameters with dotted names, own ones first (in registration order), then each child's. */
  namedParameters(prefix = ""): Array<[string, Tensor]> {
    this.#checkLive("namedParameters");
    const out: Array<[string, Tensor]> = [];
    for (const [n, t] of this.#params) out.push([prefix + n, t]);
    for (const [n, m] of this.#children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** This module (named "") and every sub-module, with dotted names, parents before children. */
  namedModules(prefix = ""): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix.replace(/\.$/, ""), this]];
    for (const [n, m] of this.#children) out.push(...m.namedModules(`${prefix}${n}.`));
    return out;
  }

  /**
   * The generators this module itself draws from while it runs (Dropout's masks), by a name
   * local to the module; none by default. A module that keeps an `Rng` for use after
   * construction overrides this so that checkpoints save and restore the generator's state.
   */
  protected ownGenerators(): ReadonlyArray<readonly [string, Rng]> {
    return [];
  }

  /** Every generator the module tree draws from while running, by dotted name (`drop.rng`). */
  namedGenerators(): Array<[string, Rng]> {
    const out: Array<[string, Rng]> = [];
    for (const [path, m] of this.namedModules()) {
      for (const [n, r] of m.ownGenerators()) out.push([path === "" ? n : `${path}.${n}`, r]);
    }
    return out;
  }

  /** Sub-modules, direct children only. */
  children(): Module[] {
    return [...this.#children.values()];
  }

  /** Copies of every parameter, by name. */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [n, t] of this.namedParameters()) out[n] = new Tensor(t.data.slice(), t.shape);
    return out;
  }

  /** Loads every parameter from `dict`; checks names and shapes of all entries before writing any. */
  loadStateDict(dict: StateDict): void {
    checkOptionsObject(`${this.constructor.name}.loadStateDict`, dict, "dict");
    for (const [n, rec] of Object.entries(dict)) {
      const r = rec as Partial<TensorRecord> | null;
      if (typeof r !== "object" || r === null || !Array.isArray(r.shape) || typeof r.data?.length !== "number") {
        throw new TypeError(`${this.constructor.name}.loadStateDict: entry '${n}' must be a tensor or { shape, data }, got ${describeValue(rec)}`);
      }
    }
    const own = new Map(this.namedParameters());
    const missing = [...own.keys()].filter((n) => !(n in dict));
    const extra = Object.keys(dict).filter((n) => !own.has(n));
    const problems: string[] = [];
    if (missing.length) problems.push(`missing: ${missing.join(", ")}`);
    if (extra.length) problems.push(`unexpected: ${extra.join(", ")}`);
    for (const [n, t] of own) {
      const rec = dict[n];
      if (rec === undefined) continue;
      if (!sameShape(rec.shape, t.shape)) {
        problems.push(`${n}: shape ${shapeToString(rec.shape)} does not fit ${shapeToString(t.shape)}`);
      } else if (rec.data.length !== t.size) {
        problems.push(`${n}: ${rec.data.length} values for shape ${shapeToString(t.shape)}`);
      }
    }
    if (problems.length) throw new ShapeError(`loadStateDict refused: ${problems.join("; ")}`);
    for (const [n, t] of own) t.data.set(dict[n].data);
  }

  zeroGrad(): void {
    for (const t of this.parameters()) t.zeroGrad();
  }

  train(mode = true): this {
    this.training = mode;
    for (const m of this.#children.values()) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Frees, at once, what this module and its sub-modules hold in backend memory — the
   * parameters `registerParameter` placed there — instead of leaving it to the garbage
   * collector, which does not see that memory. Afterwards the module is unusable: its
   * methods, its forward and any use of its parameter tensors (an optimizer step, a graph
   * recorded through it that has not been backpropagated yet) throw an Error saying so.
   * Take a `stateDict()` first to keep the values. A parameter that another module also
   * registered becomes unusable there too. Calling it again does nothing.
   * @example
   * const model = new SequenceToVector({ cell: "lstm", inputSize: 3, hiddenSize: 64, outputSize: 2, rng });
   * try { train(model); } finally { model.dispose(); }
   */
  dispose(): void {
    if (this.#disposed) return;
    for (const m of this.#children.values()) m.dispose();
    const who = this.constructor.name;
    for (const [name, p] of this.#params) {
      if (p.revokedBecause === null) p.revokeData(`${who}: parameter '${p.name ?? name}' was freed by ${who}.dispose(); the module can no longer be used`);
    }
    for (const buf of this.#resident) freeResidentFloats(buf);
    this.#resident = [];
    this.#disposed = true;
  }

  /** Whether `dispose()` has run. */
  get disposed(): boolean {
    return this.#disposed;
  }

  #checkLive(what: string): void {
    if (this.#disposed) throw new Error(`${this.constructor.name}.${what}: the module was disposed (dispose()) and can no longer be used`);
  }
}
