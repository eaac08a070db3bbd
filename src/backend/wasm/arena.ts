/**
 * A first-fit allocator of byte ranges in WebAssembly linear memory: the bookkeeping behind
 * `KernelMemory` (src/backend/kernels.ts) for the wasm backend. It only hands out addresses
 * and grows the memory when it runs out; it never touches the bytes. Meant for a memory
 * whose growth does not detach views (a shared memory), so a range stays usable, through
 * any view made of it, until it is freed. Not here: views, typed arrays, thread safety (one
 * thread allocates; workers only compute in ranges they are given).
 */

/** Every range starts on a cache line, which also keeps f32x4 loads aligned. */
export const ARENA_ALIGN = 64;
const PAGE_BYTES = 65536;

function alignUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** What the arena needs of the memory: its size and a way to add pages. */
export interface GrowableMemory {
  readonly byteLength: number;
  /** Adds `pages` 64 KiB pages; throws when the maximum is reached. */
  grow(pages: number): void;
}

interface Range {
  start: number;
  size: number;
}

export class Arena {
  readonly #memory: GrowableMemory;
  readonly #maxBytes: number;
  /** Free ranges sorted by start, never adjacent (freeing merges neighbours). */
  readonly #free: Range[] = [];
  /** Size of every live range, by start address. */
  readonly #live = new Map<number, number>();
  /** First address past everything this arena has ever managed. */
  #end: number;

  /**
   * Manages [base, maxBytes) of `memory`: what lies below `base` (the module's static data,
   * its scratch) is never handed out.
   */
  constructor(memory: GrowableMemory, base: number, maxBytes: number) {
    this.#memory = memory;
    this.#maxBytes = maxBytes;
    this.#end = alignUp(base, ARENA_ALIGN);
  }

  /** Bytes in live ranges. */
  get liveBytes(): number {
    let s = 0;
    for (const size of this.#live.values()) s += size;
    return s;
  }

  /** Number of free ranges (for tests: merging keeps it small). */
  get freeRanges(): number {
    return this.#free.length;
  }

  /** The start of a fresh range of at least `bytes` (aligned), or null when the memory cannot hold it. */
  alloc(bytes: number): number | null {
    const size = alignUp(Math.max(bytes, 1), ARENA_ALIGN);
    for (let i = 0; i < this.#free.length; i++) {
      const r = this.#free[i];
      if (r.size < size) continue;
      const start = r.start;
      if (r.size === size) this.#free.splice(i, 1);
      else {
        r.start += size;
        r.size -= size;
      }
      this.#live.set(start, size);
      return start;
    }
    // Nothing fits: extend past the end, reusing a free range that touches it.
    const last = this.#free[this.#free.length - 1];
    const tail = last !== undefined && last.start + last.size === this.#end ? last : null;
    const start = tail ? tail.start : this.#end;
    const newEnd = start + size;
    if (newEnd > this.#maxBytes || !this.#ensure(newEnd)) return null;
    if (tail) this.#free.pop();
    this.#end = newEnd;
    this.#live.set(start, size);
    return start;
  }

  /** Returns a range from `alloc`; freeing anything else throws. */
  free(start: number): void {
    const size = this.#live.get(start);
    if (size === undefined) throw new Error(`arena: ${start} is not the start of a live range`);
    this.#live.delete(start);
    // Insert in order, merging with the neighbours it touches.
    let i = 0;
    while (i < this.#free.length && this.#free[i].start < start) i++;
    const before = i > 0 ? this.#free[i - 1] : null;
    const after = i < this.#free.length ? this.#free[i] : null;
    if (before && before.start + before.size === start) {
      before.size += size;
      if (after && before.start + before.size === after.start) {
        before.size += after.size;
        this.#free.splice(i, 1);
      }
    } else if (after && start + size === after.start) {
      after.start = start;
      after.size += size;
    } else {
      this.#free.splice(i, 0, { start, size });
    }
  }

  /** Grows the memory to hold `bytes`, by at least a quarter of its size to keep growth rare. */
  #ensure(bytes: number): boolean {
    const have = this.#memory.byteLength;
    if (bytes <= have) return true;
    const want = Math.min(Math.max(bytes, have + (have >> 2)), this.#maxBytes);
    for (const target of want > bytes ? [want, bytes] : [bytes]) {
      try {
        this.#memory.grow(Math.ceil((target - this.#memory.byteLength) / PAGE_BYTES));
        return true;
      } catch {
        // The engine refused this much; the exact need may still fit.
      }
    }
    return false;
  }
}
