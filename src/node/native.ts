/**
 * The native backend: rnnkit's kernels in C (native/src), compiled when the package is
 * installed (native/build.mjs) and loaded here as a Node-API addon. Each kernel computes in
 * place on the Float32Arrays it is given: no copies. float64 arrays go to the TypeScript
 * reference kernels, as on the WebAssembly backend.
 *
 * Arithmetic. The GEMM uses fused multiply-adds (AVX-512 or AVX2+FMA, picked from the CPU's
 * features when the addon loads; portable `fmaf` elsewhere): each element of C is the same
 * fma chain on every variant and at any thread count, so results are the same bits on any
 * x86-64 machine and for any `setThreads`. They differ in the last bits from the WebAssembly
 * and TypeScript kernels, which multiply and add separately; where runs must match a
 * browser bit for bit, choose `wasm-simd` in both. The gate kernels compute exp, tanh and
 * σ exactly as the WebAssembly kernels do (same bits).
 *
 * Registered with the core by ./platform.ts: `useBackend("native")`, and the default in Node
 * whenever the addon loads.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Floats } from "../tensor/tensor.js";
import { gateCode, type GateActivation, type Kernels, type RnnActivation } from "../backend/kernels.js";
import { tsKernels } from "../backend/ts/index.js";

/** The addon's exports (native/src/addon.c). */
interface NativeAddon {
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, aOff: number, lda: number, b: Float32Array, bOff: number, ldb: number,
    beta: number, c: Float32Array, cOff: number, ldc: number,
  ): void;
  affine(
    B: number, n: number, k1: number, k2: number, x1: Float32Array, w1: Float32Array,
    x2: Float32Array | null, w2: Float32Array | null, b1: Float32Array | null, b2: Float32Array | null, y: Float32Array,
  ): void;
  rnnGatesForward(act: number, n: number, pre: Float32Array, h: Float32Array): void;
  rnnGatesBackward(act: number, n: number, h: Float32Array, dh: Float32Array, dPre: Float32Array): void;
  lstmGatesForward(
    B: number, H: number, gates: Float32Array, cPrev: Float32Array, c: Float32Array, tanhC: Float32Array, h: Float32Array, gate: number,
  ): void;
  lstmGatesBackward(
    B: number, H: number, gates: Float32Array, cPrev: Float32Array, tanhC: Float32Array, dh: Float32Array, dc: Float32Array, dGates: Float32Array,
    gate: number,
  ): void;
  gruGatesForward(
    B: number, H: number, gi: Float32Array, gh: Float32Array, hPrev: Float32Array, gates: Float32Array, h: Float32Array, gate: number,
  ): void;
  gruGatesBackward(
    B: number, H: number, gates: Float32Array, gh: Float32Array, hPrev: Float32Array, dh: Float32Array,
    dGi: Float32Array, dGh: Float32Array, dhPrev: Float32Array, gate: number,
  ): void;
  gruResetBeforeForward(
    B: number, H: number, gi: Float32Array, gh: Float32Array, hPrev: Float32Array, rh: Float32Array, gate: number,
  ): void;
  gruResetBeforeBackward(
    B: number, H: number, gates: Float32Array, hPrev: Float32Array, dRh: Float32Array,
    dGi: Float32Array, dGh: Float32Array, dhPrev: Float32Array, gate: number,
  ): void;
  setThreads(n: number): number;
  setMinThreadWork(work: number): void;
  gemmVariants(): string;
  useGemmVariant(name: string): boolean;
}

/** The GEMM micro-kernels, best first: AVX-512F, AVX2 with FMA, portable C. */
export type NativeGemmVariant = "avx512" | "avx2" | "generic";

export interface NativeKernelOptions {
  /**
   * Which GEMM micro-kernels to use (default: the best this CPU runs). All give the same
   * bits; naming one is for tests and benchmarks. Throws if this CPU or build lacks it.
   */
  variant?: NativeGemmVariant;
  /**
   * GEMMs of at least this many multiply-adds (m·n·k) are split between the threads of
   * `setThreads`; smaller ones run on the calling thread. Default 2¹⁸.
   */
  minThreadWork?: number;
}

/** The native `Kernels`, plus what it runs and its thread pool. */
export interface NativeKernels extends Kernels {
  readonly name: "native";
  /** The GEMM micro-kernels in use. */
  readonly variant: NativeGemmVariant;
  /** The variants this CPU and build run, best first. */
  readonly variants: readonly NativeGemmVariant[];
  /** Threads that large products run on, the calling one included. */
  readonly threads: number;
  /** Sets the threads of the addon's pool (the calling one included); returns the number in effect. */
  setThreads(n: number): number;
}

const addonUrl = new URL("../../../native/out/rnnkit.node", import.meta.url);
const failedUrl = new URL("../../../native/out/failed.txt", import.meta.url);

let addon: NativeAddon | null = null;

/** Loads the addon once, or throws an Error whose message says why it is not there. */
function loadAddon(): NativeAddon {
  if (addon !== null) return addon;
  const path = fileURLToPath(addonUrl);
  if (!existsSync(path)) {
    const failed = fileURLToPath(failedUrl);
    if (existsSync(failed)) {
      // The build was tried and said why on the spot: no need to say it again at every start.
      throw Object.assign(new Error(`not built when installed: ${readFileSync(failed, "utf8").trim().split("\n")[0]}`), { announced: true });
    }
    throw new Error("not built (npm skipped the package's install script: `npm install-scripts approve rnnkit && npm rebuild rnnkit`, or run `npx rnnkit build-native`)");
  }
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    throw new Error(`cannot load ${path}: ${(e as Error).message.split("\n")[0]} (rebuild it: \`npx rnnkit build-native\`)`);
  }
  return addon;
}

const ACT_CODE: Record<RnnActivation, number> = { tanh: 0, relu: 1, sigmoid: 2 };

function f32(...arrays: Array<Floats | null>): boolean {
  return arrays.every((a) => a === null || a instanceof Float32Array);
}

/** The id of the instance whose settings (variant, threads, split threshold) the addon holds now. */
let appliedId = 0;
let lastId = 0;

class NativeKernelsImpl implements NativeKernels {
  readonly name = "native" as const;
  private poolThreads = 1;
  private readonly id = ++lastId;

  constructor(
    private readonly ext: NativeAddon,
    readonly variant: NativeGemmVariant,
    private readonly minThreadWork: number,
  ) {}

  get variants(): NativeGemmVariant[] {
    return this.ext.gemmVariants().split(",") as NativeGemmVariant[];
  }

  get threads(): number {
    return this.poolThreads;
  }

  setThreads(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: n must be a positive integer, got ${n}`);
    this.poolThreads = n;
    this.apply();
    return this.poolThreads;
  }

  /**
   * The addon holds one variant, pool and threshold for the process; each instance keeps its
   * own and puts them in place before its first call after another instance's.
   */
  private apply(): void {
    this.ext.useGemmVariant(this.variant);
    this.ext.setMinThreadWork(this.minThreadWork);
    this.poolThreads = this.ext.setThreads(this.poolThreads);
    appliedId = this.id;
  }

  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Floats, aOff: number, lda: number, b: Floats, bOff: number, ldb: number,
    beta: number, c: Floats, cOff: number, ldc: number,
  ): void {
    if (a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array) {
      if (appliedId !== this.id) this.apply();
      this.ext.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    } else {
      tsKernels.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }
  }

  affine(
    B: number, n: number, k1: number, k2: number,
    x1: Floats, w1: Floats, x2: Floats | null, w2: Floats | null, b1: Floats | null, b2: Floats | null, y: Floats,
  ): void {
    if (f32(x1, w1, x2, w2, b1, b2, y)) {
      if (appliedId !== this.id) this.apply();
      this.ext.affine(
        B, n, k1, k2, x1 as Float32Array, w1 as Float32Array, x2 as Float32Array | null, w2 as Float32Array | null,
        b1 as Float32Array | null, b2 as Float32Array | null, y as Float32Array,
      );
    } else {
      tsKernels.affine(B, n, k1, k2, x1, w1, x2, w2, b1, b2, y);
    }
  }

  rnnGatesForward(act: RnnActivation, n: number, pre: Floats, h: Floats): void {
    if (pre instanceof Float32Array && h instanceof Float32Array) this.ext.rnnGatesForward(ACT_CODE[act], n, pre, h);
    else tsKernels.rnnGatesForward(act, n, pre, h);
  }

  rnnGatesBackward(act: RnnActivation, n: number, h: Floats, dh: Floats, dPre: Floats): void {
    if (f32(h, dh, dPre)) this.ext.rnnGatesBackward(ACT_CODE[act], n, h as Float32Array, dh as Float32Array, dPre as Float32Array);
    else tsKernels.rnnGatesBackward(act, n, h, dh, dPre);
  }

  lstmGatesForward(
    B: number, H: number, gates: Floats, cPrev: Floats, c: Floats, tanhC: Floats, h: Floats, gate: GateActivation,
  ): void {
    const code = gateCode(gate);
    if (f32(gates, cPrev, c, tanhC, h)) {
      this.ext.lstmGatesForward(
        B, H, gates as Float32Array, cPrev as Float32Array, c as Float32Array, tanhC as Float32Array, h as Float32Array, code,
      );
    } else {
      tsKernels.lstmGatesForward(B, H, gates, cPrev, c, tanhC, h, gate);
    }
  }

  lstmGatesBackward(
    B: number, H: number, gates: Floats, cPrev: Floats, tanhC: Floats, dh: Floats, dc: Floats, dGates: Floats, gate: GateActivation,
  ): void {
    const code = gateCode(gate);
    if (f32(gates, cPrev, tanhC, dh, dc, dGates)) {
      this.ext.lstmGatesBackward(
        B, H, gates as Float32Array, cPrev as Float32Array, tanhC as Float32Array, dh as Float32Array, dc as Float32Array, dGates as Float32Array,
        code,
      );
    } else {
      tsKernels.lstmGatesBackward(B, H, gates, cPrev, tanhC, dh, dc, dGates, gate);
    }
  }

  gruGatesForward(
    B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, gates: Floats, h: Floats, gate: GateActivation,
  ): void {
    const code = gateCode(gate);
    if (f32(gi, gh, hPrev, gates, h)) {
      this.ext.gruGatesForward(
        B, H, gi as Float32Array, gh as Float32Array, hPrev as Float32Array, gates as Float32Array, h as Float32Array, code,
      );
    } else {
      tsKernels.gruGatesForward(B, H, gi, gh, hPrev, gates, h, gate);
    }
  }

  gruGatesBackward(
    B: number, H: number, gates: Floats, gh: Floats, hPrev: Floats, dh: Floats, dGi: Floats, dGh: Floats, dhPrev: Floats,
    gate: GateActivation,
  ): void {
    const code = gateCode(gate);
    if (f32(gates, gh, hPrev, dh, dGi, dGh, dhPrev)) {
      this.ext.gruGatesBackward(
        B, H, gates as Float32Array, gh as Float32Array, hPrev as Float32Array, dh as Float32Array,
        dGi as Float32Array, dGh as Float32Array, dhPrev as Float32Array, code,
      );
    } else {
      tsKernels.gruGatesBackward(B, H, gates, gh, hPrev, dh, dGi, dGh, dhPrev, gate);
    }
  }

  gruResetBeforeForward(
    B: number, H: number, gi: Floats, gh: Floats, hPrev: Floats, rh: Floats, gate: GateActivation,
  ): void {
    const code = gateCode(gate);
    if (f32(gi, gh, hPrev, rh)) {
      this.ext.gruResetBeforeForward(B, H, gi as Float32Array, gh as Float32Array, hPrev as Float32Array, rh as Float32Array, code);
    } else {
      tsKernels.gruResetBeforeForward(B, H, gi, gh, hPrev, rh, gate);
    }
  }

  gruResetBeforeBackward(
    B: number, H: number, gates: Floats, hPrev: Floats, dRh: Floats, dGi: Floats, dGh: Floats, dhPrev: Floats,
    gate: GateActivation,
  ): void {
    const code = gateCode(gate);
    if (f32(gates, hPrev, dRh, dGi, dGh, dhPrev)) {
      this.ext.gruResetBeforeBackward(
        B, H, gates as Float32Array, hPrev as Float32Array, dRh as Float32Array,
        dGi as Float32Array, dGh as Float32Array, dhPrev as Float32Array, code,
      );
    } else {
      tsKernels.gruResetBeforeBackward(B, H, gates, hPrev, dRh, dGi, dGh, dhPrev, gate);
    }
  }
}

const DEFAULT_MIN_THREAD_WORK = 1 << 18;

/**
 * Native kernels with these options, or throws an Error saying why they cannot load here.
 * Each call gives a new instance with its own variant and threads (1 to start with).
 */
export function loadNativeKernels(options: NativeKernelOptions = {}): NativeKernels {
  const ext = loadAddon();
  const available = ext.gemmVariants().split(",") as NativeGemmVariant[];
  const variant = options.variant ?? available[0];
  if (!available.includes(variant)) {
    throw new Error(`GEMM variant '${variant}' is not available here (this CPU and build run: ${available.join(", ")})`);
  }
  const minThreadWork = options.minThreadWork ?? DEFAULT_MIN_THREAD_WORK;
  if (!(minThreadWork >= 0)) throw new RangeError(`minThreadWork must be a non-negative number, got ${minThreadWork}`);
  return new NativeKernelsImpl(ext, variant, minThreadWork);
}
