/**
 * Keras model configs in their three dialects, normalised to one graph of layers: Keras 3
 * (`.keras` config.json, and the `model_config` of a Keras 3 `.h5`: `inbound_nodes` as
 * `[{args: [keras tensors], kwargs}]`, `batch_shape`, dtype policies as objects), Keras 2 (`.h5`:
 * `inbound_nodes` as nested lists `[[[layer, node, tensor, kwargs], …]]`, `batch_input_shape`) and
 * TF.js layers models (Keras 2's form, camelCase-free snake_case). Also the weights a container
 * hands the importer, each tagged with its layer, direction and role.
 *
 * What this does not do: read any layer's options (./keras-layers.ts) or build modules
 * (./keras-import.ts). A Sequential becomes the same graph a functional model would: one
 * input node, every layer fed by the one before it.
 */
import { describeValue } from "../util/check.js";

/** Which Keras wrote the config: the meaning of some options depends on it (hard_sigmoid, GRU's reset). */
export type KerasDialect = "keras3" | "keras2" | "tfjs";

/** One layer of the graph: its class, unique name, own config (nested wrappers kept as they are) and producers. */
export interface KerasLayer {
  className: string;
  name: string;
  config: Record<string, unknown>;
  /** The layers whose outputs it reads, in argument order (empty for an input). */
  inbound: string[];
}

/** A model as a graph: layers in an order where every layer comes after its producers. */
export interface KerasGraph {
  className: "Sequential" | "Functional";
  layers: KerasLayer[];
  inputs: string[];
  outputs: string[];
}

/**
 * One weight array of a container, with where it belongs. `role` is its Keras name (`kernel`,
 * `recurrent_kernel`, `bias`, `embeddings`) when the container names weights (TF.js, `.h5`), or
 * null when it numbers them (`.keras`: `vars/0`, `vars/1`, … in the layer's creation order).
 */
export interface KerasWeight {
  /** The top-level layer's name (the Bidirectional or TimeDistributed, not its inner layer). */
  layer: string;
  /** Bidirectional's forward or backward layer, else null. */
  direction: "forward" | "backward" | null;
  role: string | null;
  /** Position among the layer's (direction's) weights. */
  index: number;
  /** Its full name in the container, for messages. */
  path: string;
  shape: number[];
  data: Float32Array;
}

/** What every container produces for the importer. */
export interface KerasSource {
  dialect: KerasDialect;
  /** The model config: `{class_name, config, …}`. */
  config: unknown;
  weights: KerasWeight[];
  /** Where the weights live, for messages: "weightsManifest", "model.weights.h5", "model_weights". */
  weightsPart: string;
  /** What the container held that is not read (optimizer state, …), one line each. */
  notes?: string[];
}

export type Fail = (part: string) => never;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A value for a message: strings quoted as JSON, the rest as `describeValue` puts them. */
export function show(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : describeValue(v);
}

/** `{class_name, config}` of a nested layer (Bidirectional's, TimeDistributed's), or a refusal. */
export function nestedLayer(config: Record<string, unknown>, key: string, where: string, fail: Fail): { className: string; name: string; config: Record<string, unknown> } {
  const l = config[key];
  if (!isObject(l) || typeof l.class_name !== "string" || !isObject(l.config)) {
    return fail(`${where}: config.${key} must be { class_name, config }, got ${show(l)}`);
  }
  return { className: l.class_name, name: typeof l.config.name === "string" ? l.config.name : key, config: l.config };
}

/** The declared input shape of a layer config (Keras 3 `batch_shape`, Keras 2 / TF.js `batch_input_shape`), if any. */
export function batchShapeOf(config: Record<string, unknown>): unknown {
  return config.batch_shape ?? config.batch_input_shape ?? undefined;
}

/**
 * The graph of a model config (see the header). Refuses what is not a Sequential or a
 * functional model, layers without names, a layer called more than once (shared layers),
 * multi-output layers' other outputs, and masks or states passed between layers.
 */
export function readKerasGraph(root: unknown, fail: Fail): KerasGraph {
  let model = root;
  if (isObject(model) && isObject(model.model_config)) model = model.model_config;
  if (!isObject(model)) return fail(`the model config must be an object, got ${show(model)}`);
  const className = model.class_name;
  if (className !== "Sequential" && className !== "Model" && className !== "Functional") {
    return fail(`model class_name ${show(className)} is not "Sequential", "Functional" or "Model"; only those models are read`);
  }
  const config = model.config;
  const list = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(list) || list.length === 0) return fail("modelTopology.config.layers must be a non-empty array");
  const layers = (list as unknown[]).map((l, k): KerasLayer => {
    if (!isObject(l) || typeof l.class_name !== "string" || !isObject(l.config)) {
      return fail(`modelTopology.config.layers[${k}] must be { class_name, config }, got ${show(l)}`);
    }
    const name = l.config.name ?? l.name;
    if (typeof name !== "string" || name === "") return fail(`modelTopology.config.layers[${k}] (${l.class_name}) has no name`);
    return { className: l.class_name, name, config: l.config, inbound: [] };
  });
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.name)) fail(`layer name '${l.name}' is used twice`);
    seen.add(l.name);
  }
  if (className === "Sequential") return sequentialGraph(layers, fail);

  const cfg = config as Record<string, unknown>;
  (list as Array<Record<string, unknown>>).forEach((l, k) => {
    layers[k].inbound = inboundOf(l.inbound_nodes, layers[k], fail);
  });
  const inputs = endpointNames(cfg.input_layers, "input_layers", fail);
  const outputs = endpointNames(cfg.output_layers, "output_layers", fail);
  for (const n of [...inputs, ...outputs]) if (!seen.has(n)) fail(`input_layers / output_layers name '${n}', which is no layer`);
  return { className: "Functional", layers: topologicalOrder(layers, fail), inputs, outputs };
}

/** A Sequential's layers as a chain, with an input node made from the first layer's batch shape when there is no InputLayer. */
function sequentialGraph(layers: KerasLayer[], fail: Fail): KerasGraph {
  const chain = [...layers];
  if (chain[0].className !== "InputLayer") {
    const shape = batchShapeOf(chain[0].config);
    if (shape === undefined || shape === null) {
      fail(`layer '${chain[0].name}' (${chain[0].className}): no InputLayer and no batch_input_shape on the first layer: the input size is unknown`);
    }
    const name = seenFree(layers, "input");
    chain.unshift({ className: "InputLayer", name, config: { name, batch_input_shape: shape, dtype: chain[0].config.dtype }, inbound: [] });
  }
  chain.forEach((l, k) => {
    if (k > 0 && l.className === "InputLayer") fail(`layer '${l.name}' (InputLayer): an InputLayer must come first in a Sequential`);
    if (k > 1 && batchShapeOf(l.config) !== undefined && batchShapeOf(l.config) !== null) {
      fail(`layer '${l.name}' (${l.className}): batch_input_shape is allowed on the first layer only`);
    }
    l.inbound = k === 0 ? [] : [chain[k - 1].name];
  });
  return { className: "Sequential", layers: chain, inputs: [chain[0].name], outputs: [chain[chain.length - 1].name] };
}

function seenFree(layers: KerasLayer[], base: string): string {
  let name = base;
  for (let k = 1; layers.some((l) => l.name === name); k++) name = `${base}_${k}`;
  return name;
}

/** A layer's producers from its inbound_nodes, in either dialect. */
function inboundOf(nodes: unknown, layer: KerasLayer, fail: Fail): string[] {
  const where = `layer '${layer.name}' (${layer.className})`;
  if (nodes === undefined || nodes === null || (Array.isArray(nodes) && nodes.length === 0)) return [];
  if (!Array.isArray(nodes)) return fail(`${where}: inbound_nodes ${show(nodes)} must be a list`);
  if (nodes.length > 1) fail(`${where} is called ${nodes.length} times; shared layers are not supported`);
  const node = nodes[0];
  const names: string[] = [];
  const history = (h: unknown, what: unknown): void => {
    if (!Array.isArray(h) || typeof h[0] !== "string") {
      fail(`${where}: inbound_nodes ${JSON.stringify(what)}: expected [layer, node, tensor] entries`);
    }
    const [name, nodeIndex, tensorIndex] = h as [string, unknown, unknown];
    if ((nodeIndex ?? 0) !== 0 || (tensorIndex ?? 0) !== 0) {
      fail(`${where} reads output ${String(tensorIndex)} of call ${String(nodeIndex)} of '${name}'; only a layer's one output is supported (no return_state, no shared layers)`);
    }
    names.push(name);
  };
  if (isObject(node)) {
    // Keras 3: {args: [tensor | [tensor, …]], kwargs}; the tensors carry keras_history.
    const kwargs = isObject(node.kwargs) ? node.kwargs : {};
    for (const [key, v] of Object.entries(kwargs)) {
      if (key === "training" || v === null || v === undefined) continue;
      fail(`${where}: call argument '${key}' ${show(v)} is not supported (masks, initial states and other extra inputs are not read)`);
    }
    const args = Array.isArray(node.args) ? node.args : [];
    if (args.length !== 1) fail(`${where}: inbound_nodes: ${args.length} positional call arguments; one (a tensor or a list of tensors) is supported`);
    const visit = (t: unknown): void => {
      if (Array.isArray(t)) return t.forEach(visit);
      if (!isObject(t) || t.class_name !== "__keras_tensor__" || !isObject(t.config)) {
        return fail(`${where}: inbound_nodes argument ${show(t)} is not a Keras tensor`);
      }
      history(t.config.keras_history, t);
    };
    visit(args[0]);
    return names;
  }
  // Keras 2 / TF.js: [[layer, node, tensor, kwargs], …].
  if (!Array.isArray(node)) return fail(`${where}: inbound_nodes ${JSON.stringify(nodes)} is neither Keras 2's nor Keras 3's form`);
  for (const entry of node) {
    history(entry, nodes);
    const kwargs = Array.isArray(entry) ? entry[3] : undefined;
    if (isObject(kwargs)) {
      for (const [key, v] of Object.entries(kwargs)) {
        if (key !== "training" && v !== null && v !== undefined) fail(`${where}: call argument '${key}' is not supported (masks, initial states and other extra inputs are not read)`);
      }
    }
  }
  return names;
}

/** input_layers / output_layers: `[name, 0, 0]` (Keras 3, one) or `[[name, 0, 0], …]`. */
function endpointNames(v: unknown, key: string, fail: Fail): string[] {
  if (!Array.isArray(v) || v.length === 0) return fail(`config.${key} ${JSON.stringify(v)} must list the model's ${key === "input_layers" ? "inputs" : "outputs"}`);
  const entries = typeof v[0] === "string" ? [v] : v;
  return entries.map((e: unknown) => {
    if (!Array.isArray(e) || typeof e[0] !== "string") return fail(`config.${key} entry ${JSON.stringify(e)} must be [layer, node, tensor]`);
    if ((e[1] ?? 0) !== 0 || (e[2] ?? 0) !== 0) fail(`config.${key} entry ${JSON.stringify(e)}: only a layer's one output is supported`);
    return e[0] as string;
  });
}

/** The layers reordered so that producers come first (their file order usually is); refuses cycles and unknown producers. */
function topologicalOrder(layers: KerasLayer[], fail: Fail): KerasLayer[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const done = new Set<string>();
  const order: KerasLayer[] = [];
  const visiting = new Set<string>();
  const visit = (l: KerasLayer): void => {
    if (done.has(l.name)) return;
    if (visiting.has(l.name)) fail(`layer '${l.name}' (${l.className}) feeds itself: the graph has a cycle`);
    visiting.add(l.name);
    for (const p of l.inbound) {
      const producer = byName.get(p);
      if (producer === undefined) fail(`layer '${l.name}' (${l.className}) reads '${p}', which is no layer of the model`);
      visit(producer as KerasLayer);
    }
    visiting.delete(l.name);
    done.add(l.name);
    order.push(l);
  };
  layers.forEach(visit);
  return order;
}
