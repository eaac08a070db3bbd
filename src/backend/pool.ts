/**
 * A caching allocator of float buffers for the ops' workspaces, one per backend: a buffer
 * given back is kept and handed out again for the next request of the same dtype and
 * length, so a training loop that runs the same shapes step after step allocates nothing
 * after its first step. Float32 buffers come from the backend's `KernelMemory` when it has
 * one (then its kernels use them without copies), else, like float64 buffers, from the JS
 * heap. Contents of a buffer taken from the pool are unspecified: callers overwrite before
 * they read. Not here: lifetimes (the op that takes buffers gives them back, see
 * `WorkspaceLease`), thread safety (one thread allocates).
 */
import type { DType, Floats } from "../tensor/tensor.js";
import type { KernelMemory, Kernels } from "./kernels.js";

/** Free buffers kept beyond this many bytes are released, oldest first. */
const DEFAULT_MAX_CACHED_BYTES = 256 * 1024 ** 2;
/**
 * At most this many bytes of backend memory out at once; past it buffers come from the JS
 * heap. Leases that nobody releases return only when the collector runs, and it does not
 * see backend memory, so this bounds what a loop that never runs its backward can pin.
 */
const DEFAULT_MAX_BACKEND_BYTES = 1024 ** 3;

export class FloatPool {
  readonly #memory: KernelMemory | undefined;
  readonly #maxCachedBytes: number;
  /** Free buffers by key (length, negated for float64). */
  readonly #free = new Map<number, Floats[]>();
  /** The same free buffers in the order they were given back, for eviction. */
  readonly #order = new Set<Floats>();
  #cachedBytes = 0;
  /** Bytes of backend memory allocated by this pool and not freed (cached ones included). */
  #backendBytes = 0;
  readonly #maxBackendBytes: number;
  #ones: Floats[] = [];

  constructor(
    memory: KernelMemory | undefined, maxCachedBytes = DEFAULT_MAX_CACHED_BYTES, maxBackendBytes = DEFAULT_MAX_BACKEND_BYTES,
  ) {
    this.#memory = memory;
    this.#maxCachedBytes = maxCachedBytes;
    this.#maxBackendBytes = maxBackendBytes;
  }

  /** Bytes held in free buffers (for tests). */
  get cachedBytes(): number {
    return this.#cachedBytes;
  }

  /** A buffer of n floats of `dtype`, contents unspecified. */
  take(dtype: DType, n: number): Floats {
    const key = dtype === "float64" ? -n : n;
    const list = this.#free.get(key);
    const cached = list?.pop();
    if (cached !== undefined) {
      this.#order.delete(cached);
      this.#cachedBytes -= cached.byteLength;
      return cached;
    }
    if (dtype === "float32" && this.#memory !== undefined && n > 0 && this.#backendBytes + 4 * n <= this.#maxBackendBytes) {
      const buf = this.#memory.alloc(n);
      if (buf !== null) {
        this.#backendBytes += buf.byteLength;
        return buf;
      }
    }
    return dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  }

  /** Gives back a buffer from `take`; it must not be used afterwards. */
  give(buf: Floats): void {
    const key = buf instanceof Float64Array ? -buf.length : buf.length;
    let list = this.#free.get(key);
    if (list === undefined) this.#free.set(key, (list = []));
    list.push(buf);
    this.#order.add(buf);
    this.#cachedBytes += buf.byteLength;
    while (this.#cachedBytes > this.#maxCachedBytes) this.#evictOldest();
  }

  /**
   * At least n ones of `dtype` (bias broadcasts and column sums as GEMMs), read-only: one
   * buffer per dtype kept for good and replaced by one twice as long when too short. The
   * short one is never handed out again (saved workspaces may still read it), so all of
   * them together stay under twice the longest.
   */
  ones(dtype: DType, n: number): Floats {
    const i = dtype === "float64" ? 1 : 0;
    const have = this.#ones[i];
    if (have !== undefined && have.length >= n) return have;
    const buf = this.take(dtype, Math.max(n, 2 * (have?.length ?? 0)));
    buf.fill(1);
    this.#ones[i] = buf;
    return buf;
  }

  /** Fills every cached free buffer with NaN: tests use it to show no caller reads what it did not write. */
  poison(): void {
    for (const b of this.#order) b.fill(NaN);
  }

  #evictOldest(): void {
    const oldest = this.#order.values().next().value as Floats;
    this.#order.delete(oldest);
    const key = oldest instanceof Float64Array ? -oldest.length : oldest.length;
    const list = this.#free.get(key)!;
    list.splice(list.indexOf(oldest), 1);
    if (list.length === 0) this.#free.delete(key);
    this.#cachedBytes -= oldest.byteLength;
    if (this.#memory !== undefined && oldest instanceof Float32Array && this.#memory.holds(oldest)) {
      this.#memory.free(oldest);
      this.#backendBytes -= oldest.byteLength;
    }
  }
}

const pools = new WeakMap<Kernels, FloatPool>();

/** The pool of a backend (made on first use). */
export function poolFor(K: Kernels): FloatPool {
  let pool = pools.get(K);
  if (pool === undefined) pools.set(K, (pool = new FloatPool(K.memory)));
  return pool;
}

/**
 * Buffers taken from a pool for one purpose (an op's saved activations), given back
 * together once: explicitly by `release()`, or when `owner` — the object whose lifetime
 * they serve, e.g. a backward closure on the tape — is garbage collected unreleased.
 */
export class WorkspaceLease {
  readonly pool: FloatPool;
  readonly #held: { buffers: Floats[]; released: boolean };

  constructor(pool: FloatPool) {
    this.pool = pool;
    this.#held = { buffers: [], released: false };
  }

  get released(): boolean {
    return this.#held.released;
  }

  /** A buffer from the pool that this lease gives back. */
  take(dtype: DType, n: number): Floats {
    if (this.#held.released) throw new Error("WorkspaceLease: take() after release()");
    const buf = this.pool.take(dtype, n);
    this.#held.buffers.push(buf);
    return buf;
  }

  /** Gives everything back unless `owner` is still reachable when it would matter. */
  bindTo(owner: object): void {
    collector.register(owner, { pool: this.pool, held: this.#held }, this);
  }

  release(): void {
    if (this.#held.released) return;
    collector.unregister(this);
    giveBack(this.pool, this.#held);
  }
}

function giveBack(pool: FloatPool, held: { buffers: Floats[]; released: boolean }): void {
  held.released = true;
  for (const b of held.buffers) pool.give(b);
  held.buffers.length = 0;
}

const collector = new FinalizationRegistry<{ pool: FloatPool; held: { buffers: Floats[]; released: boolean } }>(
  ({ pool, held }) => {
    if (!held.released) giveBack(pool, held);
  },
);
