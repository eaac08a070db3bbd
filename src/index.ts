/**
 * rnnkit: recurrent neural networks (RNN, LSTM, GRU) in TypeScript, built from their
 * equations. The platform-neutral core: it imports no Node built-in and reads no
 * `process`, so it runs unchanged in Node, browsers and workers. Files, the terminal
 * progress bar and environment variables are the Node layer's (`rnnkit/node`); task
 * generators and data sets of the classic experiments are `rnnkit/tasks`.
 *
 * The kernels are picked lazily on first use (WebAssembly SIMD where it loads); in a
 * browser, `await initBackend()` once first. `backendInfo()` says which is active and why.
 *
 * @module rnnkit
 */
import "./backend/select.js";

// Tensors, generator, autodiff
export { Tensor, parameter, type DType, type Floats, type TensorOptions } from "./tensor/tensor.js";
export { ShapeError, type Shape } from "./tensor/shape.js";
export { Rng, type RngState } from "./tensor/random.js";
export { noGrad, isGradEnabled, type BackwardOptions } from "./autograd/tape.js";
export { gradcheck, assertGradcheck, type GradcheckOptions, type GradcheckReport } from "./autograd/gradcheck.js";

// Backends
export {
  useBackend, initBackend, backendInfo, setThreads, startThreads, threads, BackendError, BACKEND_NAMES,
  type BackendName, type BackendInfo, type UseBackendOptions, type InitBackendOptions,
} from "./backend/select.js";
export type { WasmKernelOptions, WasmBuild, WasmBuildSource } from "./backend/wasm/index.js";

// Ops, losses, the fused recurrent op
export {
  add, sub, mul, div, neg, exp, log, tanh, sigmoid, hardSigmoid, hardSigmoid6, relu, scale, addScalar, scalarSub,
  sum, mean, softmax, logSoftmax, matmul, linear, reshape, transpose, concat, slice, split, stack, embedding, oneHot,
  type Axes,
} from "./ops/index.js";
export { mseLoss, crossEntropy, bceWithLogits, sequenceMask, type Reduction, type CrossEntropyOptions } from "./ops/loss.js";
export {
  recurrent, recurrentParamNames, recurrentParamShapes, hiddenGradientNorms,
  type RecurrentSpec, type CellKind, type RecurrentState, type RecurrentOptions, type RecurrentResult, type HiddenGradientNorms,
} from "./ops/recurrent.js";
export type { GateActivation, RnnActivation } from "./backend/kernels.js";

// Modules
export { Module, type StateDict, type TensorRecord } from "./nn/module.js";
export { Linear, type LinearOptions } from "./nn/linear.js";
export { Embedding, type EmbeddingOptions } from "./nn/embedding.js";
export { Dropout, type DropoutOptions } from "./nn/dropout.js";
export { Sequential, type TensorModule } from "./nn/sequential.js";
export * from "./nn/cells/index.js";
export {
  RNN, LSTM, GRU, type RecurrentLayerOptions, type RNNOptions, type LSTMOptions, type GRUOptions, type RecurrentForwardOptions,
} from "./nn/recurrent.js";
export {
  SequenceToVector, SequenceToSequence, VectorToSequence, EncoderDecoder, createRecurrentLayer, outputWidth,
  type RecurrentLayerModule, type RecurrentBlockOptions, type HeadedOptions, type SequenceModelOptions,
  type SequenceForwardOptions, type EncoderDecoderOptions, type GreedyDecodeOptions,
} from "./nn/topologies.js";
export { StepRunner, type Streamable, type StepResult } from "./nn/streaming.js";
export {
  fillUniform, fillPytorchRecurrent, fillGlorotUniform, fillZeros, fillConstant, fillOrthogonal, fillTf1Recurrent,
  type Tf1RecurrentOptions,
} from "./nn/init.js";
export { withoutForgetGate, forgetGateIsOff, setForgetGateBias, FORGET_GATE_OFF_BIAS } from "./nn/lstm-variants.js";
export { sampleLogits } from "./nn/sampling.js";
export { generateText, type GenerateOptions } from "./nn/generate.js";

// Optimizers, clipping, schedules
export {
  Optimizer, SGD, Adagrad, RMSprop, Adam, AdamW, clipGradNorm, clipGradValue, gradNorm,
  LrScheduler, constantLr, stepDecay, exponentialDecay, cosineAnnealing, linearWarmup,
  type ParamSource, type OptimizerStateDict, type SgdOptions, type AdagradOptions, type RmspropOptions, type AdamOptions,
  type NormType, type LrSchedule,
} from "./optim/index.js";

// Training
export {
  fit, evaluate, type Dataset, type BatchResult, type FitOptions, type FitResult, type EpochRecord, type StepInfo, type FitCallbacks,
} from "./train/fit.js";
export { truncatedBptt, detachState, type TbpttOptions, type TbpttResult, type WindowInfo, type CarriedState } from "./train/tbptt.js";
export { countCorrect } from "./train/metrics.js";
export {
  NonFiniteError, checkFiniteLoss, checkFiniteGradients, checkFiniteParameters, checkFiniteOptimizerState, checkFiniteAfterUpdate,
} from "./train/guard.js";
export { type ProgressEvent, type ProgressCallback, type ProgressFields } from "./train/progress.js";
export {
  encodeCheckpoint, restoreCheckpoint, checkCheckpoint, CheckpointError, CHECKPOINT_FORMAT,
  type TrainerState, type CheckpointContents, type CheckedCheckpoint, type LoopState, type RunSettings,
} from "./train/checkpoint.js";

// Model files and safetensors, as bytes (paths: rnnkit/node)
export {
  encodeSafetensors, decodeSafetensors, SafetensorsError, DATA_CHECKSUM_KEY, FILE_CHECKSUM_KEY,
  type NamedTensor, type SafetensorsContents, type DecodeSafetensorsOptions,
} from "./io/safetensors.js";
export {
  encodeModel, decodeModel, registerModelType, specOf, type ModelSpec, type ModelFactory, type LoadedModel,
  type ModelTypeOptions, type DecodeModelOptions,
} from "./io/model-file.js";

// NumPy .npy arrays, as bytes (files: readNpyFile / writeNpyFile in rnnkit/node); docs/npy.md
export { readNpy, writeNpy, npyTokenIds, NpyError, type NpyArray, type NpyDtype, type NpyDataOf, type WriteNpyOptions } from "./io/npy.js";

// TensorFlow.js layers models (model.json + weights.bin), as data (files: saveLayersModel in rnnkit/node); docs/tfjs.md
export {
  exportLayersModel, toTfjsGateOrder, TFJS_GATE_SOURCE, TFJS_GATE_NAMES, TFJS_GRU_REFUSAL,
  type ExportLayersModelOptions, type ExportedLayersModel, type TfjsModelJson, type TfjsWeightSpec,
} from "./interop/tfjs-export.js";
export { importLayersModel, fromTfjsGateOrder, TfjsImportError, TfjsOutputActivationModule, type ImportedLayersModel, type TfjsOutputActivation } from "./interop/tfjs-import.js";

// The Keras layer graphs that Keras and TF.js models become (reading Keras files: rnnkit/keras); docs/keras.md
export {
  KerasLayersModel, checkKerasLayersOptions, type KerasLayersOptions, type KerasNodeSpec, type KerasInputSpec,
  type KerasDenseActivation, type KerasMergeMode, type KerasMergeLayer,
} from "./interop/keras-layers-model.js";
export { SUPPORTED_KERAS_LAYERS, type ImportedKerasModel } from "./interop/keras-import.js";
export type { KerasDialect } from "./interop/keras-config.js";
