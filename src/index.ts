/**
 * rnnkit: recurrent neural networks (RNN, LSTM, GRU) in TypeScript, built from their
 * equations. The one public entry point; importing it selects the kernels (WebAssembly SIMD,
 * else scalar WebAssembly, else plain TypeScript).
 */
import "./backend/default.js";

export { Tensor, parameter, allocFloats, type DType, type Floats, type TensorOptions } from "./tensor/tensor.js";
export { ShapeError, sizeOf, shapeToString, type Shape } from "./tensor/shape.js";
export { Rng, type RngState } from "./tensor/random.js";
export { noGrad, isGradEnabled, type BackwardOptions } from "./autograd/tape.js";
export { gradcheck, assertGradcheck, type GradcheckOptions, type GradcheckReport } from "./autograd/gradcheck.js";
export { kernels, useKernels, type Kernels, type KernelMemory, type RnnActivation } from "./backend/kernels.js";
export { tsKernels } from "./backend/ts/index.js";
export { useWasmKernels, loadWasmKernels, simdSupported, setThreads, threads, type LoadWasmOptions } from "./backend/wasm/index.js";
export { allocResidentFloats, freeResidentFloats } from "./backend/resident.js";

export * from "./ops/index.js";
export { mseLoss, crossEntropy, bceWithLogits, sequenceMask, type Reduction, type CrossEntropyOptions } from "./ops/loss.js";
export {
  recurrent, recurrentParamNames, recurrentParamShapes, hiddenGradientNorms,
  type RecurrentSpec, type CellKind, type RecurrentResult, type HiddenGradientNorms,
} from "./ops/recurrent.js";

export * from "./nn/index.js";

export * from "./optim/index.js";

export { fit, evaluate, type Dataset, type BatchResult, type FitOptions, type FitResult, type EpochRecord, type StepInfo, type FitCallbacks } from "./train/fit.js";
export { saveCheckpoint, loadCheckpoint, CheckpointError, type TrainerState, type CheckpointContents } from "./train/checkpoint.js";
export { NonFiniteError } from "./train/guard.js";
export { Progress, type ProgressMode } from "./train/progress.js";
export { countCorrect } from "./train/metrics.js";
export { truncatedBptt, detachState, type TbpttOptions, type TbpttResult, type WindowInfo, type CarriedState } from "./train/tbptt.js";
export { checkFiniteLoss, checkFiniteGradients, checkFiniteParameters } from "./train/guard.js";

export { saveSafetensors, loadSafetensors, encodeSafetensors, decodeSafetensors, SafetensorsError } from "./io/safetensors.js";
export { saveModel, loadModel, registerModelType, specOf, type ModelSpec, type ModelFactory, type LoadedModel } from "./io/model-file.js";
export { linearRecurrence } from "./data/synthetic.js";
export { embeddedCorpus, CharVocab } from "./data/corpus.js";
export { sampleLogits } from "./nn/sampling.js";
export { withoutForgetGate, forgetGateIsOff, setForgetGateBias, FORGET_GATE_OFF_BIAS } from "./nn/lstm-variants.js";
export { echoSeries, echoProbability, echoExpectedLoss } from "./data/echo.js";
export { lagSequence, lagCheck, lagVocabulary } from "./data/lag.js";
export { readIdx, parseIdx, IdxError } from "./data/idx.js";
export { loadMnistDir, loadEmbeddedMnist, rowSequences } from "./data/mnist.js";
