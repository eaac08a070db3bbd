/**
 * The WebAssembly backend's `Kernels`: wraps one instance of the AssemblyScript kernels
 * (kernels/ at the repository root, built next to ./files.ts) behind the kernel contract.
 * Platform-neutral: it takes the module's bytes or a compiled `WebAssembly.Module` and never
 * touches the file system; finding the builds and probing the engine is `./index.ts`.
 *
 * Data movement. The contract passes typed arrays. Operands that already lie in the
 * module's memory are used in place; every other operand is copied into a scratch region
 * for the call and the results copied back, which costs O(operands) per call and dominates
 * small problems, so float64 arrays and problems under a measured size go to the
 * TypeScript kernels instead (`WasmKernelOptions`). Which operands can lie in wasm memory
 * depends on the build:
 *   - shared-memory build (imports a shared `WebAssembly.Memory`): growth never detaches
 *     views, so the backend offers `memory` (`KernelMemory`): an arena (./arena.ts) whose
 *     buffers the ops keep their workspaces in, and calls on them copy nothing;
 *   - private-memory builds (the module exports its own memory): growth detaches every view,
 *     so nothing outside a call lives there and every operand is copied.
 *
 * Threads (shared-memory build): `setThreads(n, spawn)` starts n − 1 helpers running their
 * own instance on the same memory (./team.ts); large GEMMs are then split between them
 * (`splitGemm`) so that every element of C is computed exactly as in one call.
 */
import type { Floats } from "../../tensor/tensor.js";
import { gateCode, type GateActivation, type KernelMemory, type Kernels, type RnnActivation } from "../kernels.js";
import { tsKernels } from "../ts/index.js";
import { wasmApi, type WasmApi, type WasmBytes, type WasmInstance, type WasmMemory, type WasmModule } from "./api.js";
import { Arena, ARENA_ALIGN } from "./arena.js";
import type { GemmArgs, Team } from "./team.js";

/** When a call is worth the copies into and out of wasm memory. */
export interface WasmKernelOptions {
  /**
   * GEMMs with m·n·k below this run on the TypeScript kernels; 0 sends every float32
   * product to wasm (the tests do that to exercise every size). A wasm call costs about
   * 0.5 µs before any arithmetic (copies, views, the call); measured with bench/gemm.ts,
   * TS wins up to m·n·k ≈ 256 and wasm is 2.7× faster at 8·8·8 = 512. The choice depends
   * on the shape only, never on where the operands lie, so results do not either.
   */
  minGemmWork?: number;
  /**
   * Gate kernels over fewer units (B·H, or n for the plain cell) run on the TypeScript
   * kernels. Measured: tanh breaks even near 16 units, the LSTM step near 8.
   */
  minGateUnits?: number;
  /**
   * Shared-memory builds only: the most bytes of wasm memory the arena may use (rounded
   * down to whole 64 KiB pages, at most 4 GiB). Past it `memory.alloc` returns null and
   * callers fall back to ordinary arrays (and copies).
   */
  maxMemoryBytes?: number;
  /**
   * With helper threads (`setThreads`), GEMMs of at least this many multiply-adds (m·n·k)
   * are split between the threads; smaller ones run on the calling thread, where the
   * hand-off (tens of µs to wake a helper) would cost more than it saves.
   */
  minThreadWork?: number;
}

export const defaultWasmKernelOptions: Readonly<Required<WasmKernelOptions>> = Object.freeze({
  minGemmWork: 512,
  minGateUnits: 16,
  maxMemoryBytes: 4 * 1024 ** 3,
  minThreadWork: 1 << 20,
});

/** The exports of kernels/index.ts, as the loader sees them (pointers are byte addresses). */
interface KernelExports {
  heapBase(): number;
  gemmWorkspaceBytes(): number;
  simdLanes(): number;
  relaxedSimd(): number;
  gemm(
    m: number, n: number, k: number, alpha: number,
    a: number, rsA: number, csA: number, b: number, rsB: number, csB: number,
    beta: number, c: number, ldc: number, work: number,
  ): void;
  affine(B: number, n: number, k1: number, k2: number, x1: number, w1: number, x2: number, w2: number, b1: number, b2: number, y: number): void;
  rnnGatesForward(act: number, n: number, pre: number, h: number): void;
  rnnGatesBackward(act: number, n: number, h: number, dh: number, dPre: number): void;
  lstmGatesForward(B: number, H: number, gates: number, cPrev: number, c: number, tanhC: number, h: number, gate: number): void;
  lstmGatesBackward(
    B: number, H: number, gates: number, cPrev: number, tanhC: number, dh: number, dc: number, dGates: number, gate: number,
  ): void;
  gruGatesForward(B: number, H: number, gi: number, gh: number, hPrev: number, gates: number, h: number, gate: number): void;
  gruGatesBackward(
    B: number, H: number, gates: number, gh: number, hPrev: number, dh: number, dGi: number, dGh: number, dhPrev: number,
    gate: number,
  ): void;
  gruResetBeforeForward(B: number, H: number, gi: number, gh: number, hPrev: number, rh: number, gate: number): void;
  gruResetBeforeBackward(
    B: number, H: number, gates: number, hPrev: number, dRh: number, dGi: number, dGh: number, dhPrev: number, gate: number,
  ): void;
}

const EXPORTED_FUNCTIONS = [
  "heapBase", "gemmWorkspaceBytes", "simdLanes", "relaxedSimd", "gemm", "affine", "rnnGatesForward", "rnnGatesBackward",
  "lstmGatesForward", "lstmGatesBackward", "gruGatesForward", "gruGatesBackward", "gruResetBeforeForward",
  "gruResetBeforeBackward",
] as const;

/** Activation codes of kernels/gates.ts. */
const ACT_CODE: Record<RnnActivation, number> = { tanh: 0, relu: 1, sigmoid: 2 };

const PAGE_BYTES = 65536;
/** wasm32 addresses 4 GiB at most. */
const MAX_PAGES = 65536;
/** Operands start on 64-byte boundaries (a cache line; also keeps f32x4 loads aligned). */
const ALIGN_FLOATS = ARENA_ALIGN / 4;
/** Most operands one call places (gruGatesBackward: 7), for the alignment slack in `reserve`. */
const MAX_OPERANDS = 8;

function alignUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

function exportsOf(ex: Record<string, unknown>): KernelExports {
  for (const name of EXPORTED_FUNCTIONS) {
    if (typeof ex[name] !== "function") throw new Error(`wasm kernels: the module does not export ${name}()`);
  }
  return ex as unknown as KernelExports;
}

/** A `Kernels` backed by wasm, plus what it is: its lane count and thresholds. */
export interface WasmKernels extends Kernels {
  /** "wasm-simd", "wasm-scalar", or "wasm-relaxed" (the relaxed-SIMD builds). */
  readonly name: string;
  /** f32 lanes per vector operation in this build: 4 (SIMD, relaxed or not) or 1 (scalar). */
  readonly lanes: number;
  /** Whether the module computes in a shared memory (then `memory` is there). */
  readonly shared: boolean;
  readonly options: Readonly<Required<WasmKernelOptions>>;
  /** Threads that large products run on, the calling one included (1 without helpers). */
  readonly threads: number;
  /**
   * Splits GEMMs of at least `options.minThreadWork` multiply-adds between n threads,
   * starting n − 1 helpers with `spawn` (shared-memory builds only; n = 1 stops them).
   * Returns the number of threads in effect: 1 where helpers cannot run. Results are the
   * same bits for every n: a product is split along n or m, never k, and every element of
   * C is computed as in one call.
   */
  setThreads(n: number, spawn: SpawnHelpers): number;
  /** `setThreads` for platforms whose helpers start asynchronously (browsers). */
  setThreadsAsync(n: number, spawn: SpawnHelpersAsync): Promise<number>;
}

/** Starts helper threads that pack into the workspaces at byte addresses `works`; null if they cannot start. */
export type SpawnHelpers = (module: WasmModule, memory: WasmMemory, works: number[]) => Team | null;
/** `SpawnHelpers` that resolves once the helpers are ready (browsers: workers start asynchronously). */
export type SpawnHelpersAsync = (module: WasmModule, memory: WasmMemory, works: number[]) => Promise<Team | null>;

/** Whether the module imports its memory, which kernels/ only does as a shared memory. */
function importsMemory(api: WasmApi, module: WasmModule): boolean {
  return api.Module.imports(module).some((d) => d.kind === "memory");
}

/** The imports a module needs and the memory its kernels will compute in. */
interface Prepared {
  imports: Record<string, Record<string, unknown>>;
  /** The shared memory made for a module that imports one; null for a module with its own. */
  memory: WasmMemory | null;
  opts: Required<WasmKernelOptions>;
}

function prepare(api: WasmApi, module: WasmModule, options: WasmKernelOptions): Prepared {
  const opts = { ...defaultWasmKernelOptions, ...options };
  if (!importsMemory(api, module)) return { imports: {}, memory: null, opts };
  const maximum = Math.max(1, Math.min(MAX_PAGES, Math.floor(opts.maxMemoryBytes / PAGE_BYTES)));
  // Room for the static data and gemm's scratch from the start; the arena grows it.
  const memory = new api.Memory({ initial: Math.min(64, maximum), maximum, shared: true });
  return { imports: { env: { memory } }, memory, opts };
}

function wrap(api: WasmApi, module: WasmModule, instance: WasmInstance, p: Prepared): WasmKernels {
  const ex = instance.exports;
  let memory = p.memory;
  if (memory === null) {
    if (!(ex.memory instanceof api.Memory)) throw new Error("wasm kernels: the module exports no memory");
    memory = ex.memory;
  }
  return new WasmKernelsImpl(exportsOf(ex), module, memory, p.memory !== null, p.opts);
}

function requireApi(): WasmApi {
  const api = wasmApi();
  if (api === null) throw new Error("wasm kernels: this engine has no WebAssembly");
  return api;
}

/**
 * Instantiates the kernels synchronously from module bytes or a compiled module and wraps
 * them as `Kernels` named after the build ("wasm-simd", "wasm-scalar" or "wasm-relaxed"). A
 * module that imports its memory gets a fresh shared memory. Throws if the engine rejects
 * the module (e.g. the SIMD build where SIMD is missing, a relaxed-SIMD build where relaxed
 * SIMD is, a shared build without shared memory).
 * A browser's main thread refuses to compile or instantiate modules of this size
 * synchronously: there, use `instantiateWasmKernelsAsync`.
 */
export function instantiateWasmKernels(source: WasmBytes | WasmModule, options: WasmKernelOptions = {}): WasmKernels {
  const api = requireApi();
  const module = source instanceof api.Module ? source : new api.Module(source as WasmBytes);
  const p = prepare(api, module, options);
  return wrap(api, module, new api.Instance(module, p.imports), p);
}

/** `instantiateWasmKernels` for a compiled module, instantiated without blocking (as a browser's main thread requires). */
export async function instantiateWasmKernelsAsync(module: WasmModule, options: WasmKernelOptions = {}): Promise<WasmKernels> {
  const api = requireApi();
  const p = prepare(api, module, options);
  return wrap(api, module, await api.instantiate(module, p.imports), p);
}

/** Columns of a packed B panel (kernels/gemm.ts NR) and rows of an A block (MR) in the SIMD build. */
const PANEL_COLS = 8;
const BLOCK_ROWS = 4;

/**
 * Splits a product into at most `ways` slices of C: along n in whole 8-column panels when
 * there are at least two per slice, else along m in whole 4-row blocks, else not at all
 * (the remainder goes to the last slice). Every slice keeps k and at least two rows and
 * two columns, so it takes the same kernel path as the whole product and each element of
 * C comes out bit for bit as from one call. Byte addresses and strides as in `GemmArgs`.
 */
export function splitGemm(g: GemmArgs, ways: number): GemmArgs[] {
  const panels = Math.floor(g.n / PANEL_COLS);
  const blocks = Math.floor(g.m / BLOCK_ROWS);
  const alongN = panels >= 2 * ways;
  if (ways < 2 || g.k < 2 || (!alongN && blocks < 2 * ways)) return [g];
  const units = alongN ? panels : blocks;
  const unit = alongN ? PANEL_COLS : BLOCK_ROWS;
  const parts: GemmArgs[] = [];
  for (let i = 0; i < ways; i++) {
    const u0 = Math.floor((i * units) / ways), u1 = Math.floor(((i + 1) * units) / ways);
    const start = u0 * unit;
    const size = (u1 - u0) * unit + (i === ways - 1 ? (alongN ? g.n : g.m) - units * unit : 0);
    parts.push(alongN
      ? { ...g, n: size, b: g.b + start * g.csB * 4, c: g.c + start * 4 }
      : { ...g, m: size, a: g.a + start * g.rsA * 4, c: g.c + start * g.ldc * 4 });
  }
  return parts;
}

function isF32(...arrays: Floats[]): boolean {
  for (const a of arrays) if (!(a instanceof Float32Array)) return false;
  return true;
}

/** `KernelMemory` over an arena in a shared memory: views on the buffer current at allocation. */
class ArenaMemory implements KernelMemory {
  readonly #memory: WasmMemory;
  readonly arena: Arena;
  /** Every buffer object this memory has handed out: growth makes a new one each time. */
  readonly #buffers = new Set<ArrayBufferLike>();
  #current: ArrayBufferLike;

  constructor(memory: WasmMemory, base: number, maxBytes: number) {
    this.#memory = memory;
    this.arena = new Arena(
      { get byteLength() { return memory.buffer.byteLength; }, grow: (pages) => void memory.grow(pages) },
      base, maxBytes,
    );
    this.#current = memory.buffer;
    this.#buffers.add(this.#current);
  }

  /** The memory's buffer as of now (renewed after growth), remembered as ours. */
  buffer(): ArrayBufferLike {
    const b = this.#memory.buffer;
    if (b !== this.#current) {
      this.#current = b;
      this.#buffers.add(b);
    }
    return b;
  }

  alloc(n: number): Float32Array | null {
    const at = this.arena.alloc(n * 4);
    return at === null ? null : new Float32Array(this.buffer(), at, n);
  }

  free(buf: Float32Array): void {
    if (!this.holds(buf)) throw new Error("wasm kernels: free() of a buffer this memory did not allocate");
    this.arena.free(buf.byteOffset);
  }

  get liveBytes(): number {
    return this.arena.liveBytes;
  }

  holds(buf: Floats): boolean {
    if (!(buf instanceof Float32Array)) return false;
    const b = buf.buffer;
    return b === this.#current || this.#buffers.has(b);
  }
}

class WasmKernelsImpl implements WasmKernels {
  readonly name: string;
  readonly lanes: number;
  readonly shared: boolean;
  readonly options: Readonly<Required<WasmKernelOptions>>;
  readonly memory?: KernelMemory;
  readonly #arenaMemory: ArenaMemory | null;
  readonly #module: WasmModule;
  /** Helper threads and their packing workspaces (null: this thread only). */
  #team: Team | null = null;
  #helperWorks: Float32Array[] = [];
  private readonly ex: KernelExports;
  private readonly mem: WasmMemory;
  /** Byte address of gemm's packing workspace. */
  private readonly work: number;
  /** Private memory: float index where per-call operands start (everything above is scratch). */
  private readonly operandBase: number;
  /** Shared memory: the arena buffer that per-call operands are copied into. */
  private scratch: Float32Array | null = null;
  /** View of all of wasm memory; re-created whenever the memory grows. */
  private heap: Float32Array;
  /** Bump pointer (float index) for the call in progress. */
  private top = 0;

  constructor(ex: KernelExports, module: WasmModule, memory: WasmMemory, shared: boolean, options: Required<WasmKernelOptions>) {
    this.ex = ex;
    this.#module = module;
    this.mem = memory;
    this.shared = shared;
    this.lanes = ex.simdLanes();
    this.name = ex.relaxedSimd() !== 0 ? "wasm-relaxed" : this.lanes > 1 ? "wasm-simd" : "wasm-scalar";
    this.options = Object.freeze({ ...options });
    this.work = alignUp(ex.heapBase(), ARENA_ALIGN);
    const workEnd = alignUp(this.work + ex.gemmWorkspaceBytes(), ARENA_ALIGN);
    this.operandBase = workEnd / 4;
    if (shared) {
      const maxBytes = Math.min(MAX_PAGES, Math.floor(options.maxMemoryBytes / PAGE_BYTES)) * PAGE_BYTES;
      this.#arenaMemory = new ArenaMemory(memory, workEnd, maxBytes);
      this.memory = this.#arenaMemory;
    } else {
      this.#arenaMemory = null;
    }
    this.heap = new Float32Array(memory.buffer);
    this.reserve(0);
  }

  /** Makes room for `floats` operand floats (plus alignment) and resets the bump pointer. */
  private reserve(floats: number): void {
    const need = floats + MAX_OPERANDS * ALIGN_FLOATS;
    const arena = this.#arenaMemory;
    if (arena !== null) {
      if (this.scratch === null || this.scratch.length < need) {
        const grown = Math.max(need, 2 * (this.scratch?.length ?? 0), 16384);
        if (this.scratch !== null) arena.free(this.scratch);
        this.scratch = arena.alloc(grown);
        if (this.scratch === null) throw new RangeError(`wasm kernels: no room in wasm memory for ${floats} operand floats`);
      }
      if (this.heap.buffer !== this.mem.buffer) this.heap = new Float32Array(arena.buffer());
      this.top = this.scratch.byteOffset / 4;
      return;
    }
    const needBytes = (this.operandBase + need) * 4;
    const mem = this.mem;
    if (needBytes > mem.buffer.byteLength) {
      mem.grow(Math.ceil((needBytes - mem.buffer.byteLength) / PAGE_BYTES));
    }
    if (this.heap.buffer !== mem.buffer) this.heap = new Float32Array(mem.buffer);
    this.top = this.operandBase;
  }

  /** Takes `n` floats from the reserved region; returns their float index. */
  private take(n: number): number {
    const at = this.top;
    this.top = alignUp(at + n, ALIGN_FLOATS);
    return at;
  }

  /** Whether `x` lies in wasm memory (then its byte address is x.byteOffset + 4·offset). */
  private resident(x: Floats): boolean {
    return this.#arenaMemory !== null && this.#arenaMemory.holds(x);
  }

  /** Floats to copy in for `x` (0 when it is resident). */
  private need(x: Floats, n: number): number {
    return this.resident(x) ? 0 : n + ALIGN_FLOATS;
  }

  /** Byte address of x[off..off+n): in place when resident, else copied into the scratch region. */
  private input(x: Floats, n: number, off = 0): number {
    if (this.resident(x)) return x.byteOffset + off * 4;
    const at = this.take(n);
    this.heap.set(off === 0 && x.length === n ? x : x.subarray(off, off + n), at);
    return at * 4;
  }

  /** Byte address where a kernel may write x[0..n) (its contents come back through `output`). */
  private outputAt(x: Floats, n: number): number {
    return this.resident(x) ? x.byteOffset : this.take(n) * 4;
  }

  /** Copies n floats at byte address `ptr` back into x[0..n) unless x is resident (written in place). */
  private output(ptr: number, x: Floats, n: number): void {
    if (this.resident(x)) return;
    x.set(this.heap.subarray(ptr / 4, ptr / 4 + n));
  }

  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Floats, aOff: number, lda: number,
    b: Floats, bOff: number, ldb: number,
    beta: number, c: Floats, cOff: number, ldc: number,
  ): void {
    if (m * n * k < this.options.minGemmWork || m === 0 || n === 0 || k === 0 || alpha === 0 || !isF32(a, b, c)) {
      tsKernels.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
      return;
    }
    // Only the span each operand touches is copied; a copied C comes back packed (ldc = n).
    const aLen = (transA ? k - 1 : m - 1) * lda + (transA ? m : k);
    const bLen = (transB ? n - 1 : k - 1) * ldb + (transB ? k : n);
    const cLen = m * n;
    const cIn = this.resident(c);
    this.reserve(this.need(a, aLen) + this.need(b, bLen) + (cIn ? 0 : cLen + ALIGN_FLOATS));
    const pa = this.input(a, aLen, aOff);
    const pb = this.input(b, bLen, bOff);
    let pc: number, ldcW: number;
    if (cIn) {
      pc = c.byteOffset + cOff * 4;
      ldcW = ldc;
    } else {
      pc = this.take(cLen) * 4;
      ldcW = n;
      if (beta !== 0) this.copyMatrix(c, cOff, ldc, this.heap, pc / 4, n, m, n);
    }
    this.gemmAt({
      m, n, k, alpha,
      a: pa, rsA: transA ? 1 : lda, csA: transA ? lda : 1,
      b: pb, rsB: transB ? 1 : ldb, csB: transB ? ldb : 1,
      beta, c: pc, ldc: ldcW,
    });
    if (!cIn) this.copyMatrix(this.heap, pc / 4, n, c, cOff, ldc, m, n);
  }

  get threads(): number {
    return this.#team?.size ?? 1;
  }

  setThreads(n: number, spawn: SpawnHelpers): number {
    const works = this.#prepareHelpers(n);
    if (works === null) return this.threads;
    return this.#adopt(works, spawn(this.#module, this.mem, works.map((w) => w.byteOffset)));
  }

  async setThreadsAsync(n: number, spawn: SpawnHelpersAsync): Promise<number> {
    const works = this.#prepareHelpers(n);
    if (works === null) return this.threads;
    return this.#adopt(works, await spawn(this.#module, this.mem, works.map((w) => w.byteOffset)));
  }

  /**
   * Stops the current helpers and allocates packing workspaces for n − 1 new ones; null when
   * there is nothing to start (n is the current count, n = 1, no shared memory, no room).
   */
  #prepareHelpers(n: number): Float32Array[] | null {
    const want = Math.max(1, Math.floor(n));
    if (want === this.threads) return null;
    this.#team?.close();
    this.#team = null;
    for (const w of this.#helperWorks) this.memory?.free(w);
    this.#helperWorks = [];
    if (want === 1 || this.#arenaMemory === null) return null;
    const works: Float32Array[] = [];
    for (let h = 1; h < want; h++) {
      const w = this.#arenaMemory.alloc(Math.ceil(this.ex.gemmWorkspaceBytes() / 4));
      if (w === null) break;
      works.push(w);
    }
    if (works.length === want - 1) return works;
    for (const w of works) this.#arenaMemory.free(w);
    return null;
  }

  /** Takes the started team (or, on null, gives the workspaces back); returns the threads in effect. */
  #adopt(works: Float32Array[], team: Team | null): number {
    if (team === null) {
      for (const w of works) this.#arenaMemory?.free(w);
      return 1;
    }
    this.#team = team;
    this.#helperWorks = works;
    return team.size;
  }

  /** Runs a GEMM on byte addresses: split between the threads when it is large enough. */
  private gemmAt(g: GemmArgs): void {
    const team = this.#team;
    const parts = team !== null && g.m * g.n * g.k >= this.options.minThreadWork ? splitGemm(g, team.size) : null;
    if (parts === null || parts.length < 2) {
      this.ex.gemm(g.m, g.n, g.k, g.alpha, g.a, g.rsA, g.csA, g.b, g.rsB, g.csB, g.beta, g.c, g.ldc, this.work);
      return;
    }
    const here = (p: GemmArgs) => this.ex.gemm(p.m, p.n, p.k, p.alpha, p.a, p.rsA, p.csA, p.b, p.rsB, p.csB, p.beta, p.c, p.ldc, this.work);
    team!.run(parts.slice(1), () => here(parts[0]), here);
  }

  /** Copies an m×n block between row-major layouts; one `set` when both are contiguous. */
  private copyMatrix(src: Floats, sOff: number, lds: number, dst: Floats, dOff: number, ldd: number, m: number, n: number): void {
    if (lds === n && ldd === n) {
      dst.set(src.subarray(sOff, sOff + m * n), dOff);
      return;
    }
    for (let i = 0; i < m; i++) dst.set(src.subarray(sOff + i * lds, sOff + i * lds + n), dOff + i * ldd);
  }

  affine(
    B: number, n: number, k1: number, k2: number,
    x1: Floats, w1: Floats, x2: Floats | null, w2: Floats | null, b1: Floats | null, b2: Floats | null, y: Floats,
  ): void {
    const second = x2 !== null && w2 !== null && k2 > 0;
    const ok = isF32(x1, w1, y) && (!second || isF32(x2, w2)) && (b1 === null || isF32(b1)) && (b2 === null || isF32(b2));
    // The same threshold as the GEMMs it stands for, so both paths pick the same kernels.
    if (!ok || B === 0 || n === 0 || k1 === 0 || B * n * k1 < this.options.minGemmWork || (second && B * n * k2 < this.options.minGemmWork)) {
      tsKernels.affine(B, n, k1, k2, x1, w1, x2, w2, b1, b2, y);
      return;
    }
    const k2u = second ? k2 : 0;
    this.reserve(
      this.need(x1, B * k1) + this.need(w1, n * k1) + (second ? this.need(x2!, B * k2u) + this.need(w2!, n * k2u) : 0) +
      (b1 === null ? 0 : this.need(b1, n)) + (b2 === null ? 0 : this.need(b2, n)) + this.need(y, B * n),
    );
    const px1 = this.input(x1, B * k1), pw1 = this.input(w1, n * k1);
    const px2 = second ? this.input(x2!, B * k2u) : 0, pw2 = second ? this.input(w2!, n * k2u) : 0;
    const pb1 = b1 === null ? 0 : this.input(b1, n), pb2 = b1 === null || b2 === null ? 0 : this.input(b2, n);
    const py = this.outputAt(y, B * n);
    this.ex.affine(B, n, k1, k2u, px1, pw1, px2, pw2, pb1, pb2, py);
    this.output(py, y, B * n);
  }

  rnnGatesForward(act: RnnActivation, n: number, pre: Floats, h: Floats): void {
    if (n < this.options.minGateUnits || !isF32(pre, h)) {
      tsKernels.rnnGatesForward(act, n, pre, h);
      return;
    }
    this.reserve(this.need(pre, n) + this.need(h, n));
    const pPre = this.input(pre, n), pH = this.outputAt(h, n);
    this.ex.rnnGatesForward(actCode(act), n, pPre, pH);
    this.output(pH, h, n);
  }

  rnnGatesBackward(act: RnnActivation, n: number, h: Floats, dh: Floats, dPre: Floats): void {
    if (n < this.options.minGateUnits || !isF32(h, dh, dPre)) {
      tsKernels.rnnGatesBackward(act, n, h, dh, dPre);
      return;
    }
    this.reserve(this.need(h, n) + this.need(dh, n) + this.need(dPre, n));
    const pH = this.input(h, n), pDh = this.input(dh, n), pDPre = this.outputAt(dPre, n);
    this.ex.rnnGatesBackward(actCode(act), n, pH, pDh, pDPre);
    this.output(pDPre, dPre, n);
  }

  lstmGatesForward(
    B: number, H: number, gates: Floats, cPrev: Floats, c: Floats, tanhC: Floats, h: Floats, gate: GateActivation,
  ): void {
    const BH = B * H;
    const code = gateCode(gate);
    if (BH < this.options.minGateUnits || !isF32(gates, cPrev, c, tanhC, h)) {
      tsKernels.lstmGatesForward(B, H, gates, cPrev, c, tanhC, h, gate);
      return;
    }
    this.reserve(this.need(gates, 4 * BH) + this.need(cPrev, BH) + this.need(c, BH) + this.need(tanhC, BH) + this.need(h, BH));
    const pG = this.input(gates, 4 * BH), pCPrev = this.input(cPrev, BH);
    const pC = this.outputAt(c, BH), pT = this.outputAt(tanhC, BH), pH = this.outputAt(h, BH);
    this.ex.lstmGatesForward(B, H, pG, pCPrev, pC, pT, pH, code);
    this.output(pG, gates, 4 * BH);
    this.output(pC, c, BH);
    this.output(pT, tanhC, BH);
    this.output(pH, h, BH);
  }

  lstmGatesBackward(
    B: number, H: number, gates: Floats, cPrev: Floats, tanhC: Floats, dh: Floats, dc: Floats, dGates: Floats,
    gate: GateActivation,
  ): void {
    const BH = B * H;
    const code = gateCode(gate);
    if (BH < this.options.minGateUnits || !isF32(gates, cPrev, tanhC, dh, dc, dGates)) {
      tsKernels.lstmGatesBackward(B, H, gates, cPrev, tanhC, dh, dc, dGates, gate);
      return;
    }
    this.reserve(
      this.need(gates, 4 * BH) + this.need(cPrev, BH) + this.need(tanhC, BH) + this.need(dh, BH) + this.need(dc, BH) +
      this.need(dGates, 4 * BH),
    );
    const pG = this.input(gates, 4 * BH), pCPrev = this.input(cPrev, BH), pT = this.input(tanhC, BH);
    const pDh = this.input(dh, BH), pDc = this.input(dc, BH), pDG = this.outputAt(dGates, 4 * BH);
    this.ex.lstmGatesBackward(B, H, pG, pCPrev, pT, pDh, pDc, pDG, code);
    this.output(pDc, dc, BH);
    this.output(pDG, dGates, 4 * BH);
  }

  gruGatesForward(
    B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, gates: Floats, h: Floats, gate: GateActivation,
  ): void {
    const BH = B * H;
    const code = gateCode(gate);
    if (BH < this.options.minGateUnits || !isF32(gi, gh, hPrev, gates, h)) {
      tsKernels.gruGatesForward(B, H, gi, gh, hPrev, gates, h, gate);
      return;
    }
    this.reserve(this.need(gi, 3 * BH) + this.need(gh, 3 * BH) + this.need(hPrev, BH) + this.need(gates, 3 * BH) + this.need(h, BH));
    const pGi = this.input(gi, 3 * BH), pGh = this.input(gh, 3 * BH), pHPrev = this.input(hPrev, BH);
    const pG = this.outputAt(gates, 3 * BH), pH = this.outputAt(h, BH);
    this.ex.gruGatesForward(B, H, pGi, pGh, pHPrev, pG, pH, code);
    this.output(pG, gates, 3 * BH);
    this.output(pH, h, BH);
  }

  gruGatesBackward(
    B: number, H: number, gates: Floats, gh: Floats, hPrev: Floats, dh: Floats,
    dGi: Floats, dGh: Floats, dhPrev: Floats, gate: GateActivation,
  ): void {
    const BH = B * H;
    const code = gateCode(gate);
    if (BH < this.options.minGateUnits || !isF32(gates, gh, hPrev, dh, dGi, dGh, dhPrev)) {
      tsKernels.gruGatesBackward(B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev, gate);
      return;
    }
    this.reserve(
      this.need(gates, 3 * BH) + this.need(gh, 3 * BH) + this.need(hPrev, BH) + this.need(dh, BH) +
      this.need(dGi, 3 * BH) + this.need(dGh, 3 * BH) + this.need(dhPrev, BH),
    );
    const pG = this.input(gates, 3 * BH), pGh = this.input(gh, 3 * BH), pHPrev = this.input(hPrev, BH), pDh = this.input(dh, BH);
    const pDGi = this.outputAt(dGi, 3 * BH), pDGh = this.outputAt(dGh, 3 * BH), pDhPrev = this.outputAt(dhPrev, BH);
    this.ex.gruGatesBackward(B, H, pG, pGh, pHPrev, pDh, pDGi, pDGh, pDhPrev, code);
    this.output(pDGi, dGi, 3 * BH);
    this.output(pDGh, dGh, 3 * BH);
    this.output(pDhPrev, dhPrev, BH);
  }

  gruResetBeforeForward(
    B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, rh: Floats, gate: GateActivation,
  ): void {
    const BH = B * H;
    const code = gateCode(gate);
    if (BH < this.options.minGateUnits || !isF32(gi, gh, hPrev, rh)) {
      tsKernels.gruResetBeforeForward(B, H, gi, gh, hPrev, rh, gate);
      return;
    }
    this.reserve(this.need(gi, 3 * BH) + this.need(gh, 3 * BH) + this.need(hPrev, BH) + this.need(rh, BH));
    const pGi = this.input(gi, 3 * BH), pGh = this.input(gh, 3 * BH), pHPrev = this.input(hPrev, BH);
    const pRh = this.outputAt(rh, BH);
    this.ex.gruResetBeforeForward(B, H, pGi, pGh, pHPrev, pRh, code);
    this.output(pRh, rh, BH);
  }

  gruResetBeforeBackward(
    B: number, H: number, gates: Floats, hPrev: Floats, dRh: Floats,
    dGi: Floats, dGh: Floats, dhPrev: Floats, gate: GateActivation,
  ): void {
    const BH = B * H;
    const code = gateCode(gate);
    if (BH < this.options.minGateUnits || !isF32(gates, hPrev, dRh, dGi, dGh, dhPrev)) {
      tsKernels.gruResetBeforeBackward(B, H, gates, hPrev, dRh, dGi, dGh, dhPrev, gate);
      return;
    }
    this.reserve(
      this.need(gates, 3 * BH) + this.need(hPrev, BH) + this.need(dRh, BH) +
      this.need(dGi, 3 * BH) + this.need(dGh, 3 * BH) + this.need(dhPrev, BH),
    );
    const pG = this.input(gates, 3 * BH), pHPrev = this.input(hPrev, BH), pDRh = this.input(dRh, BH);
    // dGi and dGh are read (the n block) as well as written, dhPrev is accumulated into.
    const pDGi = this.input(dGi, 3 * BH), pDGh = this.input(dGh, 3 * BH), pDhPrev = this.input(dhPrev, BH);
    this.ex.gruResetBeforeBackward(B, H, pG, pHPrev, pDRh, pDGi, pDGh, pDhPrev, code);
    this.output(pDGi, dGi, 3 * BH);
    this.output(pDGh, dGh, 3 * BH);
    this.output(pDhPrev, dhPrev, BH);
  }
}

function actCode(act: RnnActivation): number {
  const code = ACT_CODE[act];
  if (code === undefined) throw new Error(`wasm kernels: unknown activation '${act as string}'`);
  return code;
}
