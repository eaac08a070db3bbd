/**
 * The ONNX graphs of rnnkit's own modules: bare RNN / LSTM / GRU stacks, Linear, the four
 * topologies (src/nn/topologies.ts) and a topology with a Dense output activation
 * (TfjsOutputActivationModule). Every sequence axis is dynamic ("time", "batch").
 *
 *   layer               x [T, B, I] → output [T, B, D·H], h (c) [L·D, B, H]
 *   Linear              x [B, I] → y [B, O]
 *   SequenceToSequence  x [T, B, I] → stack → head at every step → y [T, B, O]
 *   SequenceToVector    x [T, B, I] → top layer's Y_h [D, B, H] → [B, D·H] → head → y [B, O]
 *   VectorToSequence    v [B, I], steps (int64 scalar) → Expand to [steps, B, I] → stack → head → y [steps, B, O]
 *   EncoderDecoder      src ids [T_in, B] (or features [T_in, B, I]) → Gather → encoder;
 *                       tgt_in ids [T_out, B] → Gather → decoder with initial_h (initial_c) = the
 *                       encoder's Y_h (Y_c) layer by layer → head → logits [T_out, B, V]
 *
 * SequenceToSequence / SequenceToVector with a token input read int64 ids x [T, B] and Gather
 * their rows from the table first (`embedding_table` [V, E]), as EncoderDecoder does.
 *
 * batchFirst models Transpose their sequence input [B, T, I] → [T, B, I] first and their
 * sequence output back. A Dense activation adds its node after the topology's output.
 */
import { Module } from "../nn/module.js";
import { GRU, LSTM, RNN } from "../nn/recurrent.js";
import { Linear } from "../nn/linear.js";
import { EncoderDecoder, SequenceToSequence, SequenceToVector, VectorToSequence, type RecurrentLayerModule } from "../nn/topologies.js";
import { TfjsOutputActivationModule } from "../interop/output-activation.js";
import { DataType } from "./proto.js";
import { emitActivation, emitEmbedding, emitLinear, emitStack } from "./export-layers.js";
import { BATCH, TIME, GraphBuilder, fixed, intAttr, valueInfo, type Dim, type ValueInfo } from "./export-graph.js";

/** A family's graph: its nodes and initializers, declared inputs and outputs, and the graph's name. */
export interface BuiltGraph { g: GraphBuilder; inputs: ValueInfo[]; outputs: ValueInfo[]; name: string }

/** The graph of one of the modules above, or null when `model` is none of them. */
export function topologyGraph(model: Module): BuiltGraph | null {
  if (model instanceof RNN || model instanceof LSTM || model instanceof GRU) return layerGraph(model);
  if (model instanceof Linear) return linearGraph(model);
  if (model instanceof SequenceToSequence || model instanceof SequenceToVector) return headedGraph(model, "linear");
  if (model instanceof TfjsOutputActivationModule) return headedGraph(model.inner, model.activation);
  if (model instanceof VectorToSequence) return vectorToSequenceGraph(model);
  if (model instanceof EncoderDecoder) return encoderDecoderGraph(model);
  return null;
}

/** Sequence dims [T, B, n], or [B, T, n] batch-first. */
const seqDims = (batchFirst: boolean, n: number): Dim[] => (batchFirst ? [BATCH, TIME, fixed(n)] : [TIME, BATCH, fixed(n)]);

/** A time-major sequence named `out`, batch-major for batchFirst models. */
function toOutput(g: GraphBuilder, batchFirst: boolean, tb: string, out: string): string {
  return batchFirst ? g.transpose(tb, [1, 0, 2], out) : g.op("Identity", [tb], out);
}

function layerGraph(layer: RecurrentLayerModule): BuiltGraph {
  const g = new GraphBuilder();
  const { batchFirst, inputSize: I, hiddenSize: H, numLayers: L, bidirectional, cell } = layer.spec;
  const D = bidirectional ? 2 : 1;
  const stack = emitStack(g, layer, batchFirst ? g.transpose("x", [1, 0, 2], "x_tbi") : "x");
  toOutput(g, batchFirst, stack.y!, "output");
  const state = (parts: string[], out: string) => g.op("Concat", parts, out, [intAttr("axis", 0)]);
  state(stack.h, "h");
  const stateDims = [fixed(L * D), BATCH, fixed(H)];
  const outputs = [valueInfo("output", seqDims(batchFirst, D * H)), valueInfo("h", stateDims)];
  if (cell === "lstm") {
    state(stack.c, "c");
    outputs.push(valueInfo("c", stateDims));
  }
  return { g, inputs: [valueInfo("x", seqDims(batchFirst, I))], outputs, name: layer.constructor.name };
}

function linearGraph(linear: Linear): BuiltGraph {
  const g = new GraphBuilder();
  const [O, I] = linear.weight.shape;
  emitLinear(g, linear, "x", "y");
  return { g, inputs: [valueInfo("x", [BATCH, fixed(I)])], outputs: [valueInfo("y", [BATCH, fixed(O)])], name: "Linear" };
}

/** SequenceToSequence / SequenceToVector, with a Dense activation after the head unless "linear". */
function headedGraph(model: SequenceToSequence | SequenceToVector, activation: TfjsOutputActivationModule["activation"] | "linear"): BuiltGraph {
  const g = new GraphBuilder();
  const { batchFirst, inputSize: I, hiddenSize: H, numLayers: L, bidirectional } = model.rnn.spec;
  const D = bidirectional ? 2 : 1;
  const O = model.head.weight.shape[0];
  const out = activation === "linear" ? "y" : "logits";
  // Token ids [T, B] (or [B, T]) → their rows [T, B, E] (or [B, T, E]), then as feature input.
  const features = model.embedding === null ? "x" : emitEmbedding(g, model.embedding, "x", "x_embedded", "embedding");
  const x = batchFirst ? g.transpose(features, [1, 0, 2], "x_tbi") : features;
  let outputDims: Dim[];
  if (model instanceof SequenceToSequence) {
    const stack = emitStack(g, model.rnn, x);
    if (batchFirst) toOutput(g, true, emitLinear(g, model.head, stack.y!, "y_tb"), out);
    else emitLinear(g, model.head, stack.y!, out);
    outputDims = seqDims(batchFirst, O);
  } else {
    // The top layer's final state, forward | reverse, as topLayerState.
    const stack = emitStack(g, model.rnn, x, { topSequence: false });
    const top = g.transpose(stack.h[L - 1], [1, 0, 2], "top_bdh");
    emitLinear(g, model.head, g.op("Reshape", [top, g.int64s("top_shape", [0, D * H])], "top_state"), out);
    outputDims = [BATCH, fixed(O)];
  }
  if (activation !== "linear") emitActivation(g, activation, out, "y");
  const name = model instanceof SequenceToSequence ? "SequenceToSequence" : "SequenceToVector";
  const input = model.embedding === null ? valueInfo("x", seqDims(batchFirst, I)) : valueInfo("x", batchFirst ? [BATCH, TIME] : [TIME, BATCH], DataType.INT64);
  return { g, inputs: [input], outputs: [valueInfo("y", outputDims)], name };
}

/**
 * v [B, I] fed at every one of `steps` steps (a graph input, int64 scalar, as forward's
 * second argument): Unsqueeze → [1, B, I], Expand to [steps, B, I].
 */
function vectorToSequenceGraph(model: VectorToSequence): BuiltGraph {
  const g = new GraphBuilder();
  const { batchFirst, inputSize: I } = model.rnn.spec;
  const O = model.head.weight.shape[0];
  const v1 = g.op("Unsqueeze", ["v", g.int64s("v_axes", [0])], "v_1bi");
  const steps1 = g.op("Reshape", ["steps", g.int64s("steps_shape", [1])], "steps_1");
  const shape = g.op("Concat", [steps1, g.op("Shape", ["v"], "v_shape")], "x_shape", [intAttr("axis", 0)]);
  const x = g.op("Expand", [v1, shape], "x_tbi");
  const stack = emitStack(g, model.rnn, x);
  if (batchFirst) toOutput(g, true, emitLinear(g, model.head, stack.y!, "y_tb"), "y");
  else emitLinear(g, model.head, stack.y!, "y");
  const stepsDim: Dim = { dim_param: "steps" };
  return {
    g,
    inputs: [valueInfo("v", [BATCH, fixed(I)]), valueInfo("steps", [], DataType.INT64)],
    outputs: [valueInfo("y", batchFirst ? [BATCH, stepsDim, fixed(O)] : [stepsDim, BATCH, fixed(O)])],
    name: "VectorToSequence",
  };
}

function encoderDecoderGraph(model: EncoderDecoder): BuiltGraph {
  const g = new GraphBuilder();
  const srcTime: Dim = { dim_param: "src_time" };
  const tgtTime: Dim = { dim_param: "tgt_time" };
  const V = model.head.weight.shape[0];
  let src: string;
  let srcInfo: ValueInfo;
  if (model.sourceEmbedding === null) {
    src = "src";
    srcInfo = valueInfo("src", [srcTime, BATCH, fixed(model.encoder.spec.inputSize)]);
  } else {
    src = emitEmbedding(g, model.sourceEmbedding, "src", "src_embedded", "src_embedding");
    srcInfo = valueInfo("src", [srcTime, BATCH], DataType.INT64);
  }
  const encoded = emitStack(g, model.encoder, src, { prefix: "enc_", topSequence: false });
  const tgt = emitEmbedding(g, model.targetEmbedding, "tgt_in", "tgt_embedded", "tgt_embedding");
  const decoded = emitStack(g, model.decoder, tgt, { prefix: "dec_", initial: encoded });
  emitLinear(g, model.head, decoded.y!, "logits");
  return {
    g,
    inputs: [srcInfo, valueInfo("tgt_in", [tgtTime, BATCH], DataType.INT64)],
    outputs: [valueInfo("logits", [tgtTime, BATCH, fixed(V)])],
    name: "EncoderDecoder",
  };
}
