/**
 * A caching allocator of float buffers for the ops' workspaces, one per backend: a buffer
 * given back is kept and handed out again for the next request of the same dtype and
 * length, so a training loop that runs the same shapes step after step allocates nothing
 * after its first step. Float32 buffers come from the backend's `KernelMemory` when it has
 * one (then its kernels use them without copies), else, like float64 buffers, from the JS
 * heap. Contents of a buffer taken from the pool are unspecified: callers overwrite before
 * they read. Not here: thread safety (one thread allocates).
 *
 * Lifetimes are explicit, never left to the garbage collector (it does not see backend
 * memory, and a WebAssembly memory never shrinks). An op takes its buffers through a
 * `WorkspaceLease` and gives them back together: at once when nothing will read them again,
 * or — saved activations that a backward may read — when the graph node's `release` runs
 * (right after its backward). A graph may also be dropped without a backward; the pool
 * cannot see that, so it keeps only the `maxKeptLeases` most recently kept leases in
 * backend memory and moves older ones to the JS heap, where the collector frees them with
 * their graph (a backward that does come reads them there, with the same results). So
 * backend memory in use stays under: the buffers of the leases in flight (one op's, or one
 * backward's scratch) + `maxKeptLeases` kept workspaces + the cache (`maxCachedBytes`).
 */
import type { DType, Floats } from "../tensor/tensor.js";
import type { KernelMemory, Kernels } from "./kernels.js";

/** Free buffers kept beyond this many bytes are released, oldest first. */
const DEFAULT_MAX_CACHED_BYTES = 256 * 1024 ** 2;
/**
 * Kept leases (workspaces waiting for a backward) allowed in backend memory before the
 * oldest moves to the JS heap. A training step's graph keeps one per fused recurrent layer
 * call until its backward (two for an encoder–decoder); more than this in one graph still
 * works, the oldest read from the heap.
 */
const DEFAULT_MAX_KEPT_LEASES = 4;

export interface FloatPoolOptions {
  /** Bytes of free buffers kept for reuse; past it the oldest are freed. */
  maxCachedBytes?: number;
  /** Kept leases left in backend memory; older ones move to the JS heap. */
  maxKeptLeases?: number;
}

export class FloatPool {
  readonly #memory: KernelMemory | undefined;
  readonly #maxCachedBytes: number;
  /** Free buffers by key (length, negated for float64). */
  readonly #free = new Map<number, Floats[]>();
  /** The same free buffers in the order they were given back, for eviction. */
  readonly #order = new Set<Floats>();
  #cachedBytes = 0;
  #ones: Floats[] = [];
  /** Kept leases whose buffers are still in backend memory, oldest first. */
  readonly #kept = new Set<WorkspaceLease>();
  #maxKeptLeases: number;

  constructor(memory: KernelMemory | undefined, options: FloatPoolOptions = {}) {
    this.#memory = memory;
    this.#maxCachedBytes = options.maxCachedBytes ?? DEFAULT_MAX_CACHED_BYTES;
    this.#maxKeptLeases = options.maxKeptLeases ?? DEFAULT_MAX_KEPT_LEASES;
  }

  /** The backend memory float32 buffers come from, if any. */
  get memory(): KernelMemory | undefined {
    return this.#memory;
  }

  /** Bytes held in free buffers (for tests). */
  get cachedBytes(): number {
    return this.#cachedBytes;
  }

  /** Kept leases whose buffers are in backend memory (at most `maxKeptLeases`). */
  get keptLeases(): number {
    return this.#kept.size;
  }

  /** How many kept leases stay in backend memory; lowering it moves the excess out at once. */
  get maxKeptLeases(): number {
    return this.#maxKeptLeases;
  }

  set maxKeptLeases(n: number) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`FloatPool: maxKeptLeases must be an integer ≥ 0, got ${n}`);
    this.#maxKeptLeases = n;
    this.#moveOutExcess();
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
    if (dtype === "float32" && this.#memory !== undefined && n > 0) {
      const buf = this.#memory.alloc(n);
      if (buf !== null) return buf;
    }
    return dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  }

  /** Gives back a buffer from `take` (or a lease's heap copy); it must not be used afterwards. */
  give(buf: Floats): void {
    // A float32 array on the heap (a fallback when the memory was full, or a moved lease's
    // copy) is left to the collector where the next take should get backend memory again.
    if (this.#memory !== undefined && buf instanceof Float32Array && !this.#memory.holds(buf)) return;
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
    if (this.#memory !== undefined && oldest instanceof Float32Array && this.#memory.holds(oldest)) this.#memory.free(oldest);
  }

  /** For `WorkspaceLease.keep`: counts the lease as kept, moving the oldest out past the limit. */
  addKept(lease: WorkspaceLease): void {
    this.#kept.add(lease);
    this.#moveOutExcess();
  }

  /** For `WorkspaceLease`: the lease is released or moved out. */
  removeKept(lease: WorkspaceLease): void {
    this.#kept.delete(lease);
  }

  #moveOutExcess(): void {
    while (this.#kept.size > this.#maxKeptLeases) {
      const oldest = this.#kept.values().next().value as WorkspaceLease;
      oldest.moveToHeap();
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
 * Maps a view of a buffer that a lease moved to the same view of its heap copy; any other
 * array (the caller's, a parameter, a buffer of another lease) comes back unchanged.
 */
export type Relocate = <F extends Floats>(view: F) => F;

/**
 * Buffers taken from a pool for one purpose (an op's saved activations), given back
 * together once by `release()`. An op whose buffers must outlive the call (a graph's saved
 * activations) also calls `keep`: the pool may then move them to the JS heap (see the file
 * comment), telling the op where they went.
 */
export class WorkspaceLease {
  readonly pool: FloatPool;
  #buffers: Floats[] = [];
  #released = false;
  #onMove: ((relocate: Relocate) => void) | null = null;
  #moved = false;

  constructor(pool: FloatPool) {
    this.pool = pool;
  }

  get released(): boolean {
    return this.#released;
  }

  /** Whether `moveToHeap` has moved the buffers out of backend memory. */
  get moved(): boolean {
    return this.#moved;
  }

  /** A buffer from the pool that this lease gives back. */
  take(dtype: DType, n: number): Floats {
    if (this.#released) throw new Error("WorkspaceLease: take() after release()");
    const buf = this.pool.take(dtype, n);
    this.#buffers.push(buf);
    return buf;
  }

  /**
   * Keeps the buffers for a later reader that may never come (a backward), within the
   * pool's limit on kept leases in backend memory. When the pool moves them to the heap it
   * calls `onMove` with the mapping from old views to new ones, once, before the old
   * buffers are reused; the owner must switch every view it holds.
   */
  keep(onMove: (relocate: Relocate) => void): void {
    if (this.#released) throw new Error("WorkspaceLease: keep() after release()");
    this.#onMove = onMove;
    // Without backend memory there is nothing to bound: the heap is the collector's.
    if (!this.#moved && this.pool.memory !== undefined) this.pool.addKept(this);
  }

  /**
   * Copies the buffers that lie in backend memory to the JS heap, tells the owner (`keep`)
   * where they are, and gives the originals back to the pool. Only for kept leases; the
   * pool calls it when more than `maxKeptLeases` are kept.
   */
  moveToHeap(): void {
    this.pool.removeKept(this);
    const memory = this.pool.memory;
    if (this.#released || this.#moved || this.#onMove === null || memory === undefined) return;
    this.#moved = true;
    const moves: Array<{ from: Floats; to: Floats }> = [];
    this.#buffers = this.#buffers.map((from) => {
      if (!memory.holds(from)) return from;
      const to = from.slice();
      moves.push({ from, to });
      return to;
    });
    if (moves.length === 0) return;
    const relocate = (<F extends Floats>(view: F): F => {
      if (!memory.holds(view)) return view;
      // Views made before the memory grew sit on another buffer object: compare addresses.
      for (const { from, to } of moves) {
        const at = view.byteOffset - from.byteOffset;
        if (at >= 0 && at + view.byteLength <= from.byteLength) {
          const i = at / from.BYTES_PER_ELEMENT;
          return to.subarray(i, i + view.length) as F;
        }
      }
      return view;
    }) as Relocate;
    this.#onMove(relocate);
    for (const { from } of moves) this.pool.give(from);
  }

  /** Gives every buffer back (idempotent); the lease and its buffers must not be used afterwards. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.pool.removeKept(this);
    for (const b of this.#buffers) this.pool.give(b);
    this.#buffers = [];
    this.#onMove = null;
  }
}
