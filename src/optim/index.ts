/**
 * Optimizers, gradient clipping and learning-rate schedules: the public surface of `src/optim`.
 */
export {
  Optimizer,
  paramsOf,
  readOptions,
  checkNonNegative,
  checkUnitInterval,
  type ParamSource,
  type ParamState,
  type HyperValue,
  type HyperReader,
  type OptimizerStateDict,
} from "./optimizer.js";
export { SGD, type SgdOptions, type SgdHyperParameters } from "./sgd.js";
export { Adagrad, type AdagradOptions, type AdagradHyperParameters } from "./adagrad.js";
export { RMSprop, type RmspropOptions, type RmspropHyperParameters } from "./rmsprop.js";
export { Adam, adamStep, readAdamOptions, type AdamOptions, type AdamHyperParameters, type AdamBuffers } from "./adam.js";
export { AdamW } from "./adamw.js";
export { clipGradNorm, clipGradValue, gradNorm, clipCoefficient, CLIP_NORM_EPS, type NormType } from "./clip.js";
export {
  LrScheduler,
  constantLr,
  stepDecay,
  exponentialDecay,
  cosineAnnealing,
  linearWarmup,
  type LrSchedule,
} from "./schedules.js";
