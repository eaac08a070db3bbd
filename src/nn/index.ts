/**
 * The `nn` surface: modules (Module, Linear, Embedding, Dropout, Sequential), the
 * one-step cells, the recurrent layer stacks, the four sequence topologies, streaming
 * inference and the parameter initializers.
 */
export { Module, type StateDict, type TensorRecord } from "./module.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Embedding, type EmbeddingOptions } from "./embedding.js";
export { Dropout, type DropoutOptions } from "./dropout.js";
export { Sequential, type TensorModule } from "./sequential.js";
export * from "./cells/index.js";
export {
  RNN,
  LSTM,
  GRU,
  type RecurrentLayerOptions,
  type RNNOptions,
  type RecurrentForwardOptions,
} from "./recurrent.js";
export {
  SequenceToVector,
  SequenceToSequence,
  VectorToSequence,
  EncoderDecoder,
  createRecurrentLayer,
  outputWidth,
  topLayerState,
  type RecurrentLayerModule,
  type RecurrentBlockOptions,
  type HeadedOptions,
  type SequenceModelOptions,
  type SequenceForwardOptions,
  type EncoderDecoderOptions,
  type GreedyDecodeOptions,
} from "./topologies.js";
export { StepRunner, type Streamable, type StepResult } from "./streaming.js";
export {
  fillUniform,
  fillPytorchRecurrent,
  fillGlorotUniform,
  fillZeros,
  fillConstant,
  fillOrthogonal,
  fillTf1Recurrent,
  type Tf1RecurrentOptions,
} from "./init.js";
