/**
 * The plain-TypeScript backend: the reference GEMM plus the pointwise gate kernels,
 * always available (../select.ts falls back to it).
 * It is the oracle faster backends are tested against, not a tuned implementation.
 */
import type { Kernels } from "../kernels.js";
import { affineTs, gemmTs } from "./gemm.js";
import {
  gruGatesBackwardTs,
  gruGatesForwardTs,
  gruResetBeforeBackwardTs,
  gruResetBeforeForwardTs,
  lstmGatesBackwardTs,
  lstmGatesForwardTs,
  rnnGatesBackwardTs,
  rnnGatesForwardTs,
} from "./pointwise.js";

export const tsKernels: Kernels = Object.freeze({
  name: "ts",
  gemm: gemmTs,
  affine: affineTs,
  rnnGatesForward: rnnGatesForwardTs,
  rnnGatesBackward: rnnGatesBackwardTs,
  lstmGatesForward: lstmGatesForwardTs,
  lstmGatesBackward: lstmGatesBackwardTs,
  gruGatesForward: gruGatesForwardTs,
  gruGatesBackward: gruGatesBackwardTs,
  gruResetBeforeForward: gruResetBeforeForwardTs,
  gruResetBeforeBackward: gruResetBeforeBackwardTs,
});

