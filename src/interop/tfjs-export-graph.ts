/**
 * A KerasLayersModel (./keras-layers-model.ts) as a TF.js functional model ("Model" with
 * input_layers / output_layers and each layer's inbound node): its Keras layer graph written back
 * node for node, so that `tf.loadLayersModel` computes what the module's forward computes.
 *
 *   input       InputLayer [null, null, I] float32, or [null, null] int32 token ids
 *   embedding   Embedding (input_dim V, output_dim E; weight embeddings [V, E])
 *   recurrent   SimpleRNN / LSTM / GRU (reset-before only) with go_backwards and
 *               return_sequences as the node has them, in Bidirectional with the node's
 *               merge_mode when it has two directions
 *   dense       Dense with the node's activation
 *   merge       Add / Multiply / Average / Concatenate (axis −1); TF.js has no Subtract, so
 *               a − b is Add(a, Dense(b)) with the fixed kernel −I (exact: one −1 per column)
 *
 * Refused (with the reason, suggesting ONNX): reset-after GRUs and hardSigmoid6 gates, which
 * TF.js's layers cannot express.
 */
import type { Embedding } from "../nn/embedding.js";
import type { Linear } from "../nn/linear.js";
import type { Module } from "../nn/module.js";
import type { RecurrentLayerModule } from "../nn/topologies.js";
import type { KerasLayersModel, KerasMergeLayer, KerasNodeSpec } from "./keras-layers-model.js";
import { ZEROS, checkTfjsRecurrent, denseLayerEntry, embeddingLayerEntry, recurrentLayerEntry, type TfjsWeights } from "./tfjs-export-layers.js";

const MERGE_CLASS: Record<KerasMergeLayer, string> = {
  add: "Add", subtract: "Add", multiply: "Multiply", average: "Average", concatenate: "Concatenate",
};

/** The last-axis width of a node's value. */
function nodeWidth(node: KerasNodeSpec, widthOf: (name: string) => number): number {
  switch (node.op) {
    case "embedding": return node.size;
    case "recurrent": return node.bidirectional && node.merge === "concat" ? 2 * node.hiddenSize : node.hiddenSize;
    case "dense": return node.units;
    case "merge": return node.mode === "concatenate" ? node.inputs.reduce((a, n) => a + widthOf(n), 0) : widthOf(node.inputs[0]);
    default: {
      const unknown: never = node;
      throw new Error(`exportLayersModel: unknown KerasLayersModel node ${JSON.stringify(unknown)}`);
    }
  }
}

/** The modelTopology of `model`, its weights added to `w` in layer order. */
export function kerasGraphTopology(w: TfjsWeights, model: KerasLayersModel): Record<string, unknown> {
  const { input, nodes, output } = model.options;
  // Each node's module is registered under the node's name.
  const modules = new Map<string, Module>(model.namedModules().filter(([n]) => n !== "" && !n.includes(".")));
  const inbound = (names: string[]) => [names.map((n) => [n, 0, 0, {}])];
  // The last-axis width of each value, for the negation of a Subtract.
  const widths = new Map<string, number>([[input.name, input.kind === "tokens" ? 0 : input.size]]);
  const widthOf = (name: string) => widths.get(name)!;
  const layers: Array<Record<string, unknown>> = [{
    class_name: "InputLayer",
    config: {
      name: input.name, sparse: false,
      ...(input.kind === "tokens" ? { batch_input_shape: [null, null], dtype: "int32" } : { batch_input_shape: [null, null, input.size], dtype: "float32" }),
    },
    name: input.name,
    inbound_nodes: [],
  }];
  for (const node of nodes) {
    let entry: { class_name: string; config: Record<string, unknown> };
    let from: string[];
    switch (node.op) {
      case "embedding": {
        entry = embeddingLayerEntry(w, modules.get(node.name) as Embedding, node.name);
        from = [node.input];
        break;
      }
      case "recurrent": {
        const layer = modules.get(node.name) as RecurrentLayerModule;
        checkTfjsRecurrent(`exportLayersModel: KerasLayersModel node '${node.name}' (${node.cell.toUpperCase()})`, layer);
        entry = recurrentLayerEntry(w, layer, 0, { inner: node.bidirectional ? `${node.name}_layer` : node.name, wrapper: node.name }, {
          returnSequences: node.returnSequences, goBackwards: node.goBackwards, merge: node.merge,
        });
        from = [node.input];
        break;
      }
      case "dense":
        entry = denseLayerEntry(w, modules.get(node.name) as Linear, node.name, node.activation);
        from = [node.input];
        break;
      case "merge": {
        from = node.inputs;
        if (node.mode === "subtract") {
          // TF.js has no Subtract layer: a − b = Add(a, Dense(b) with kernel −I), exact in floats.
          const negated = `${node.name}_negated`;
          const W = widthOf(node.inputs[1]);
          const kernel = new Float32Array(W * W);
          for (let i = 0; i < W; i++) kernel[i * W + i] = -1;
          w.add(`${negated}/kernel`, [W, W], kernel);
          layers.push({
            class_name: "Dense",
            config: { name: negated, trainable: false, units: W, activation: "linear", use_bias: false, kernel_initializer: ZEROS },
            name: negated,
            inbound_nodes: inbound([node.inputs[1]]),
          });
          from = [node.inputs[0], negated];
        }
        entry = { class_name: MERGE_CLASS[node.mode], config: { name: node.name, trainable: true, ...(node.mode === "concatenate" ? { axis: -1 } : {}) } };
        break;
      }
      default: {
        const unknown: never = node;
        throw new Error(`exportLayersModel: unknown KerasLayersModel node ${JSON.stringify(unknown)}`);
      }
    }
    layers.push({ ...entry, name: node.name, inbound_nodes: inbound(from) });
    widths.set(node.name, nodeWidth(node, widthOf));
  }
  return {
    class_name: "Model",
    config: { name: "keras_layers_model", layers, input_layers: [[input.name, 0, 0]], output_layers: [[output, 0, 0]] },
    keras_version: "tfjs-layers 4.22.0",
    backend: "tensor_flow.js",
  };
}
