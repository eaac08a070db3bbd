/**
 * The WebAssembly backend's `Kernels`: wraps one instance of the AssemblyScript kernels
 * (kernels/ at the repository root, built to build/wasm/) behind the kernel contract.
 * Platform-neutral: it takes the module's bytes (or a compiled `WebAssembly.Module`, which
 * is how a browser that must compile asynchronously hands it over) and never touches the
 * file system; the Node loader with the feature probe is `./index.ts`.
 *
 * Data movement, for this first version: the contract passes JavaScript typed arrays, so
 * each call copies its operands into a scratch region of wasm memory, runs there and
 * copies the results back. That costs O(operands) per call, which dominates small
 * problems, so float64 arrays and problems under a measured size go to the TypeScript
 * kernels instead (`WasmKernelOptions`). Not here: operands that live in wasm memory.
 */
import type { Floats } from "../../tensor/tensor.js";
import type { Kernels, RnnActivation } from "../kernels.js";
import { tsKernels } from "../ts/index.js";
import { wasmApi, type WasmBytes, type WasmMemory, type WasmModule } from "./api.js";

/** When a call is worth the copies into and out of wasm memory. */
export interface WasmKernelOptions {
  /**
   * GEMMs with m·n·k below this run on the TypeScript kernels; 0 sends every float32
   * product to wasm (the tests do that to exercise every size). A wasm call costs about
   * 0.5 µs before any arithmetic (copies, views, the call); measured with bench/gemm.ts,
   * TS wins up to m·n·k ≈ 256 and wasm is 2.7× faster at 8·8·8 = 512.
   */
  minGemmWork?: number;
  /**
   * Gate kernels over fewer units (B·H, or n for the plain cell) run on the TypeScript
   * kernels. Measured: tanh breaks even near 16 units, the LSTM step near 8.
   */
  minGateUnits?: number;
}

export const defaultWasmKernelOptions: Readonly<Required<WasmKernelOptions>> = Object.freeze({
  minGemmWork: 512,
  minGateUnits: 16,
});

/** The exports of kernels/index.ts, as the loader sees them (pointers are byte addresses). */
interface KernelExports {
  memory: WasmMemory;
  heapBase(): number;
  gemmWorkspaceBytes(): number;
  simdLanes(): number;
  gemm(
    m: number, n: number, k: number, alpha: number,
    a: number, rsA: number, csA: number, b: number, rsB: number, csB: number,
    beta: number, c: number, ldc: number, work: number,
  ): void;
  rnnGatesForward(act: number, n: number, pre: number, h: number): void;
  rnnGatesBackward(act: number, n: number, h: number, dh: number, dPre: number): void;
  lstmGatesForward(B: number, H: number, gates: number, cPrev: number, c: number, tanhC: number, h: number): void;
  lstmGatesBackward(
    B: number, H: number, gates: number, cPrev: number, tanhC: number, dh: number, dc: number, dGates: number,
  ): void;
  gruGatesForward(B: number, H: number, gi: number, gh: number, hPrev: number, gates: number, h: number): void;
  gruGatesBackward(
    B: number, H: number, gates: number, gh: number, hPrev: number, dh: number, dGi: number, dGh: number, dhPrev: number,
  ): void;
}

const EXPORTED_FUNCTIONS = [
  "heapBase", "gemmWorkspaceBytes", "simdLanes", "gemm", "rnnGatesForward", "rnnGatesBackward",
  "lstmGatesForward", "lstmGatesBackward", "gruGatesForward", "gruGatesBackward",
] as const;

/** Activation codes of kernels/gates.ts. */
const ACT_CODE: Record<RnnActivation, number> = { tanh: 0, relu: 1, sigmoid: 2 };

const PAGE_BYTES = 65536;
/** Operands start on 64-byte boundaries (a cache line; also keeps f32x4 loads aligned). */
const ALIGN_FLOATS = 16;
/** Most operands one call places (gruGatesBackward: 7), for the alignment slack in `reserve`. */
const MAX_OPERANDS = 8;

function alignUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

function exportsOf(ex: Record<string, unknown>, MemoryClass: new (d: { initial: number }) => WasmMemory): KernelExports {
  if (!(ex.memory instanceof MemoryClass)) throw new Error("wasm kernels: the module exports no memory");
  for (const name of EXPORTED_FUNCTIONS) {
    if (typeof ex[name] !== "function") throw new Error(`wasm kernels: the module does not export ${name}()`);
  }
  return ex as unknown as KernelExports;
}

/** A `Kernels` backed by wasm, plus what it is: its lane count and thresholds. */
export interface WasmKernels extends Kernels {
  /** "wasm-simd" or "wasm-scalar". */
  readonly name: string;
  /** f32 lanes per vector operation in this build: 4 (SIMD) or 1 (scalar). */
  readonly lanes: number;
  readonly options: Readonly<Required<WasmKernelOptions>>;
}

/**
 * Instantiates the kernels synchronously from module bytes or a compiled module and wraps
 * them as `Kernels` named "wasm-simd" or "wasm-scalar" after the build. Throws if the
 * engine rejects the module (e.g. the SIMD build where SIMD is missing).
 */
export function instantiateWasmKernels(source: WasmBytes | WasmModule, options: WasmKernelOptions = {}): WasmKernels {
  const api = wasmApi();
  if (api === null) throw new Error("wasm kernels: this engine has no WebAssembly");
  const module = source instanceof api.Module ? source : new api.Module(source as WasmBytes);
  const ex = exportsOf(new api.Instance(module, {}).exports, api.Memory);
  return new WasmKernelsImpl(ex, { ...defaultWasmKernelOptions, ...options });
}

function isF32(...arrays: Floats[]): boolean {
  for (const a of arrays) if (!(a instanceof Float32Array)) return false;
  return true;
}

class WasmKernelsImpl implements WasmKernels {
  readonly name: string;
  readonly lanes: number;
  readonly options: Readonly<Required<WasmKernelOptions>>;
  private readonly ex: KernelExports;
  /** Byte address of gemm's packing workspace. */
  private readonly work: number;
  /** Float index where per-call operands start. */
  private readonly operandBase: number;
  /** View of all of wasm memory; re-created whenever the memory grows (growth detaches it). */
  private heap: Float32Array;
  /** Bump pointer (float index) for the call in progress. */
  private top = 0;

  constructor(ex: KernelExports, options: Required<WasmKernelOptions>) {
    this.ex = ex;
    this.lanes = ex.simdLanes();
    this.name = this.lanes > 1 ? "wasm-simd" : "wasm-scalar";
    this.options = Object.freeze({ ...options });
    this.work = alignUp(ex.heapBase(), ALIGN_FLOATS * 4);
    this.operandBase = alignUp(this.work + ex.gemmWorkspaceBytes(), ALIGN_FLOATS * 4) / 4;
    this.heap = new Float32Array(ex.memory.buffer);
    this.reserve(0);
  }

  /** Makes room for `floats` operand floats (plus alignment) and resets the bump pointer. */
  private reserve(floats: number): void {
    const needBytes = (this.operandBase + floats + MAX_OPERANDS * ALIGN_FLOATS) * 4;
    const mem = this.ex.memory;
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

  /** Copies src[0..n) into wasm memory; returns the byte address. */
  private put(src: Floats, n: number): number {
    const at = this.take(n);
    this.heap.set(src.subarray(0, n), at);
    return at * 4;
  }

  /** Copies n floats at byte address `ptr` back into dst[0..n). */
  private get(ptr: number, dst: Floats, n: number): void {
    dst.set(this.heap.subarray(ptr / 4, ptr / 4 + n));
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
    // Only the span each operand touches is copied; C comes back packed (ldc = n).
    const aLen = (transA ? k - 1 : m - 1) * lda + (transA ? m : k);
    const bLen = (transB ? n - 1 : k - 1) * ldb + (transB ? k : n);
    const cLen = m * n;
    this.reserve(aLen + bLen + cLen);
    const heap = this.heap;
    const pa = this.take(aLen), pb = this.take(bLen), pc = this.take(cLen);
    heap.set(a.subarray(aOff, aOff + aLen), pa);
    heap.set(b.subarray(bOff, bOff + bLen), pb);
    const contiguousC = ldc === n;
    if (beta !== 0) {
      if (contiguousC) heap.set(c.subarray(cOff, cOff + cLen), pc);
      else for (let i = 0; i < m; i++) heap.set(c.subarray(cOff + i * ldc, cOff + i * ldc + n), pc + i * n);
    }
    this.ex.gemm(
      m, n, k, alpha,
      pa * 4, transA ? 1 : lda, transA ? lda : 1,
      pb * 4, transB ? 1 : ldb, transB ? ldb : 1,
      beta, pc * 4, n, this.work,
    );
    if (contiguousC) c.set(heap.subarray(pc, pc + cLen), cOff);
    else for (let i = 0; i < m; i++) c.set(heap.subarray(pc + i * n, pc + i * n + n), cOff + i * ldc);
  }

  rnnGatesForward(act: RnnActivation, n: number, pre: Floats, h: Floats): void {
    if (n < this.options.minGateUnits || !isF32(pre, h)) {
      tsKernels.rnnGatesForward(act, n, pre, h);
      return;
    }
    this.reserve(2 * n);
    const pPre = this.put(pre, n), pH = this.take(n) * 4;
    this.ex.rnnGatesForward(actCode(act), n, pPre, pH);
    this.get(pH, h, n);
  }

  rnnGatesBackward(act: RnnActivation, n: number, h: Floats, dh: Floats, dPre: Floats): void {
    if (n < this.options.minGateUnits || !isF32(h, dh, dPre)) {
      tsKernels.rnnGatesBackward(act, n, h, dh, dPre);
      return;
    }
    this.reserve(3 * n);
    const pH = this.put(h, n), pDh = this.put(dh, n), pDPre = this.take(n) * 4;
    this.ex.rnnGatesBackward(actCode(act), n, pH, pDh, pDPre);
    this.get(pDPre, dPre, n);
  }

  lstmGatesForward(B: number, H: number, gates: Floats, cPrev: Floats, c: Floats, tanhC: Floats, h: Floats): void {
    const BH = B * H;
    if (BH < this.options.minGateUnits || !isF32(gates, cPrev, c, tanhC, h)) {
      tsKernels.lstmGatesForward(B, H, gates, cPrev, c, tanhC, h);
      return;
    }
    this.reserve(8 * BH);
    const pG = this.put(gates, 4 * BH), pCPrev = this.put(cPrev, BH);
    const pC = this.take(BH) * 4, pT = this.take(BH) * 4, pH = this.take(BH) * 4;
    this.ex.lstmGatesForward(B, H, pG, pCPrev, pC, pT, pH);
    this.get(pG, gates, 4 * BH);
    this.get(pC, c, BH);
    this.get(pT, tanhC, BH);
    this.get(pH, h, BH);
  }

  lstmGatesBackward(
    B: number, H: number, gates: Floats, cPrev: Floats, tanhC: Floats, dh: Floats, dc: Floats, dGates: Floats,
  ): void {
    const BH = B * H;
    if (BH < this.options.minGateUnits || !isF32(gates, cPrev, tanhC, dh, dc, dGates)) {
      tsKernels.lstmGatesBackward(B, H, gates, cPrev, tanhC, dh, dc, dGates);
      return;
    }
    this.reserve(12 * BH);
    const pG = this.put(gates, 4 * BH), pCPrev = this.put(cPrev, BH), pT = this.put(tanhC, BH);
    const pDh = this.put(dh, BH), pDc = this.put(dc, BH), pDG = this.take(4 * BH) * 4;
    this.ex.lstmGatesBackward(B, H, pG, pCPrev, pT, pDh, pDc, pDG);
    this.get(pDc, dc, BH);
    this.get(pDG, dGates, 4 * BH);
  }

  gruGatesForward(B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, gates: Floats, h: Floats): void {
    const BH = B * H;
    if (BH < this.options.minGateUnits || !isF32(gi, gh, hPrev, gates, h)) {
      tsKernels.gruGatesForward(B, H, gi, gh, hPrev, gates, h);
      return;
    }
    this.reserve(11 * BH);
    const pGi = this.put(gi, 3 * BH), pGh = this.put(gh, 3 * BH), pHPrev = this.put(hPrev, BH);
    const pG = this.take(3 * BH) * 4, pH = this.take(BH) * 4;
    this.ex.gruGatesForward(B, H, pGi, pGh, pHPrev, pG, pH);
    this.get(pG, gates, 3 * BH);
    this.get(pH, h, BH);
  }

  gruGatesBackward(
    B: number, H: number, gates: Floats, gh: Floats, hPrev: Floats, dh: Floats,
    dGi: Floats, dGh: Floats, dhPrev: Floats,
  ): void {
    const BH = B * H;
    if (BH < this.options.minGateUnits || !isF32(gates, gh, hPrev, dh, dGi, dGh, dhPrev)) {
      tsKernels.gruGatesBackward(B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev);
      return;
    }
    this.reserve(15 * BH);
    const pG = this.put(gates, 3 * BH), pGh = this.put(gh, 3 * BH), pHPrev = this.put(hPrev, BH), pDh = this.put(dh, BH);
    const pDGi = this.take(3 * BH) * 4, pDGh = this.take(3 * BH) * 4, pDhPrev = this.take(BH) * 4;
    this.ex.gruGatesBackward(B, H, pG, pGh, pHPrev, pDh, pDGi, pDGh, pDhPrev);
    this.get(pDGi, dGi, 3 * BH);
    this.get(pDGh, dGh, 3 * BH);
    this.get(pDhPrev, dhPrev, BH);
  }
}

function actCode(act: RnnActivation): number {
  const code = ACT_CODE[act];
  if (code === undefined) throw new Error(`wasm kernels: unknown activation '${act as string}'`);
  return code;
}
