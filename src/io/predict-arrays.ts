/**
 * A loaded model run on NumPy arrays, for `rnnkit predict`: what each built-in model type reads
 * (float features or integer token ids — one-hot encoded, or through the model's embedding —,
 * time-major or batch-first, a batch or one sequence), the
 * arrays checked against that and fed to its forward pass without grad, and its first output
 * back as a float32 array. Arrays in, array out; the files are src/cli/predict.ts's.
 *
 * Not here: sequence lengths (every row is read in full), initial states, custom model types.
 */
import type { Module } from "../nn/module.js";
import { Tensor, type DType } from "../tensor/tensor.js";
import { noGrad } from "../autograd/tape.js";
import { oneHot } from "../ops/gather.js";
import { RNN, LSTM, GRU } from "../nn/recurrent.js";
import { Linear } from "../nn/linear.js";
import { SequenceToVector, SequenceToSequence, VectorToSequence, EncoderDecoder, type RecurrentLayerModule } from "../nn/topologies.js";
import { TfjsOutputActivationModule } from "../interop/output-activation.js";
import { KerasLayersModel } from "../interop/keras-layers-model.js";
import { OnnxGraph } from "../onnx/graph.js";
import { NpyError, npyTokenIds, type NpyArray } from "./npy.js";

/** An array and the name its messages give it (its file). */
export interface NamedArray {
  name: string;
  array: NpyArray;
}

export interface PredictArraysOptions {
  /**
   * The vocabulary's size when the model file holds one (`rnnkit.vocab`): a model reading
   * per-step features (a layer stack, SequenceToVector, SequenceToSequence) of that width then
   * reads token ids instead and one-hot encodes them. The other types ignore it (an
   * EncoderDecoder reads ids through its embeddings anyway).
   */
  vocabSize?: number;
  /** Steps to generate: VectorToSequence only, which needs it. */
  steps?: number;
}

export interface PredictArraysResult {
  /** The model's first output, as float32: its forward output, without the batch axis for unbatched inputs. */
  output: NpyArray & { dtype: "float32" };
  /** The model as messages name it: `SequenceToVector(lstm, input 4)`. */
  model: string;
}

/** One argument of a model's forward pass. */
interface Slot {
  /** Its name in the forward signature (x, v, src, tgtIn), shown when a model reads more than one. */
  role: string;
  /** Float features, or integer token ids in [0, vocab). */
  kind: "features" | "ids";
  /**
   * The batched layout, outer axis first: a number is a fixed size, a letter a free size ≥ 1 that
   * is the same for every input that names it; "B" is left out for one unbatched sequence.
   * `"..."` (Linear) stands for any leading axes.
   */
  dims: Array<string | number>;
  vocab?: number;
}

/** How to feed one model: its slots and a forward over batched tensors. */
interface Plan {
  name: string;
  slots: Slot[];
  /** The output's batch axis, dropped when the inputs were one unbatched sequence; null: none. */
  outputBatchAxis: number | null;
  run: (inputs: Tensor[]) => Tensor;
}

const pyShape = (s: readonly number[]) => (s.length === 1 ? `(${s[0]},)` : `(${s.join(", ")})`);
const layoutText = (dims: ReadonlyArray<string | number>) => `[${dims.join(", ")}]`;

/** "[T, B, 4] or [T, 4]": the batched layout and, where there is a batch axis, the unbatched one. */
function layouts(slot: Slot): string {
  const one = slot.dims.filter((d) => d !== "B");
  return one.length === slot.dims.length ? layoutText(slot.dims) : `${layoutText(slot.dims)} or ${layoutText(one)}`;
}

function modelDtype(model: Module): DType {
  return model.parameters()[0]?.dtype ?? "float32";
}

/** Token ids [..shape] → one-hot rows [..shape, V] in the model's dtype. */
function oneHotTensor(ids: Tensor, V: number, dtype: DType): Tensor {
  return new Tensor(oneHot(ids.data, V, dtype).data, [...ids.shape, V]);
}

/**
 * The plan of a model that reads per-step features (a layer stack, or one of the two topologies
 * that read sequences), or token ids when it has an embedding (`embeddingRows`, its V).
 */
function sequencePlan(
  describe: (reads: string) => string, layer: RecurrentLayerModule, vocabSize: number | undefined, dtype: DType, outputTimeAxis: boolean,
  forward: (x: Tensor) => Tensor, embeddingRows?: number,
): Plan {
  const { inputSize: I, batchFirst } = layer.spec;
  const time = batchFirst ? ["B", "T"] : ["T", "B"];
  const outputBatchAxis = outputTimeAxis ? (batchFirst ? 0 : 1) : 0;
  if (embeddingRows !== undefined) {
    if (vocabSize !== undefined && vocabSize !== embeddingRows) {
      throw new Error(`${describe(`token ids, vocabulary ${embeddingRows}`)}: the file's vocabulary (rnnkit.vocab) has ${vocabSize} characters but the model's embedding has ${embeddingRows} rows`);
    }
    return {
      name: describe(`token ids, vocabulary ${embeddingRows}`),
      slots: [{ role: "x", kind: "ids", dims: time, vocab: embeddingRows }],
      outputBatchAxis,
      run: ([x]) => forward(x),
    };
  }
  const chars = vocabSize !== undefined;
  if (chars && vocabSize !== I) {
    throw new Error(`${describe(`input ${I}`)}: the file's vocabulary (rnnkit.vocab) has ${vocabSize} characters but the model reads ${I} features per step`);
  }
  const name = describe(chars ? `vocabulary ${I}` : `input ${I}`);
  const slot: Slot = chars ? { role: "x", kind: "ids", dims: time, vocab: I } : { role: "x", kind: "features", dims: [...time, I] };
  return {
    name,
    slots: [slot],
    outputBatchAxis,
    run: ([x]) => forward(chars ? oneHotTensor(x, I, dtype) : x),
  };
}

/**
 * The plan of an ONNX graph: one slot per graph input as the file declares it — float32 features
 * or integer ids (any non-negative id; the graph's Gather checks its table's range), fixed sizes
 * as numbers, each dynamic axis by its name (the same name binds the same size) — no batch axis
 * left out, the first output returned.
 */
function graphPlan(model: OnnxGraph): Plan {
  const slots = model.graph.inputs.map((v): Slot => {
    // "B" and "..." mean something to matchShape; a graph's own axis names must not collide with them.
    const dims = v.shape.map((d, k) => (typeof d === "number" && d > 0 ? d : typeof d === "string" && d !== "?" && d !== "B" && d !== "..." ? d : `${v.name}[${k}]`));
    return v.type === "float32" ? { role: v.name, kind: "features", dims } : { role: v.name, kind: "ids", dims, vocab: 2 ** 31 };
  });
  return {
    name: `OnnxGraph(${model.graph.inputs.map((v) => `${v.name} ${v.type}`).join(", ")})`,
    slots,
    outputBatchAxis: null,
    run: (inputs) => model.forward(...inputs),
  };
}

/** What `model` reads and how to run it; refuses a type it does not know. */
function planFor(model: Module, options: PredictArraysOptions): Plan {
  const dtype = modelDtype(model);
  const { vocabSize } = options;
  let plan: Plan;
  if (model instanceof RNN || model instanceof LSTM || model instanceof GRU) {
    const type = model.spec.cell === "rnn" ? "RNN" : model.spec.cell.toUpperCase();
    const describe = (reads: string) => `${type}(${reads}, hidden ${model.spec.hiddenSize})`;
    plan = sequencePlan(describe, model, vocabSize, dtype, true, (x) => model.forward(x).output);
  } else if (model instanceof SequenceToVector || model instanceof SequenceToSequence) {
    const type = model instanceof SequenceToVector ? "SequenceToVector" : "SequenceToSequence";
    const describe = (reads: string) => `${type}(${model.rnn.spec.cell}, ${reads})`;
    plan = sequencePlan(describe, model.rnn, vocabSize, dtype, type === "SequenceToSequence", (x) => model.forward(x), model.embedding?.numEmbeddings);
  } else if (model instanceof TfjsOutputActivationModule) {
    // A TF.js model's sequence topology with its Dense activation applied to the output.
    const inner = model.inner;
    const type = inner instanceof SequenceToVector ? "SequenceToVector" : "SequenceToSequence";
    const describe = (reads: string) => `${type}(${inner.rnn.spec.cell}, ${reads}) with ${model.activation}`;
    plan = sequencePlan(describe, inner.rnn, vocabSize, dtype, type === "SequenceToSequence", (x) => model.forward(x), inner.embedding?.numEmbeddings);
  } else if (model instanceof KerasLayersModel) {
    // An imported Keras graph: batch-first features, or token ids when it starts with an Embedding.
    const { input, nodes } = model.options;
    const vocab = Math.min(...nodes.map((n) => (n.op === "embedding" && n.input === input.name ? n.vocabulary : Infinity)));
    plan = input.kind === "tokens"
      ? { name: `KerasLayersModel(token ids, vocabulary ${vocab})`, slots: [{ role: "x", kind: "ids", dims: ["B", "T"], vocab }], outputBatchAxis: 0, run: ([x]) => model.forward(x) }
      : { name: `KerasLayersModel(input ${input.size})`, slots: [{ role: "x", kind: "features", dims: ["B", "T", input.size] }], outputBatchAxis: 0, run: ([x]) => model.forward(x) };
  } else if (model instanceof VectorToSequence) {
    const { inputSize: I, batchFirst, cell } = model.rnn.spec;
    const steps = options.steps;
    const name = `VectorToSequence(${cell}, input ${I})`;
    if (steps === undefined) throw new Error(`${name} generates a sequence from v [B, ${I}] or [${I}]; give the number of steps to generate (--steps N)`);
    plan = {
      name,
      slots: [{ role: "v", kind: "features", dims: ["B", I] }],
      outputBatchAxis: batchFirst ? 0 : 1,
      run: ([v]) => model.forward(v, steps),
    };
  } else if (model instanceof EncoderDecoder) {
    const V = model.targetEmbedding.numEmbeddings;
    const S = model.sourceEmbedding?.numEmbeddings;
    const I = model.encoder.spec.inputSize;
    const src: Slot = S !== undefined
      ? { role: "src", kind: "ids", dims: ["T_in", "B"], vocab: S }
      : { role: "src", kind: "features", dims: ["T_in", "B", I] };
    plan = {
      name: `EncoderDecoder(${model.encoder.spec.cell}, ${S !== undefined ? `source vocabulary ${S}` : `source input ${I}`}, target vocabulary ${V})`,
      slots: [src, { role: "tgtIn", kind: "ids", dims: ["T_out", "B"], vocab: V }],
      outputBatchAxis: 1,
      run: ([s, t]) => model.forward(s, t),
    };
  } else if (model instanceof OnnxGraph) {
    plan = graphPlan(model);
  } else if (model instanceof Linear) {
    const { inFeatures, outFeatures } = model.options;
    plan = {
      name: `Linear(in ${inFeatures}, out ${outFeatures})`,
      slots: [{ role: "x", kind: "features", dims: ["...", inFeatures] }],
      outputBatchAxis: null,
      run: ([x]) => model.forward(x),
    };
  } else {
    throw new Error(
      `a ${model.constructor.name} is not a model type predict can feed (it feeds RNN, LSTM, GRU, Linear, SequenceToVector, SequenceToSequence, VectorToSequence, EncoderDecoder, ONNX graphs, KerasLayersModel and TF.js / Keras models with an output activation)`,
    );
  }
  if (options.steps !== undefined && !(model instanceof VectorToSequence)) {
    throw new Error(`${plan.name} reads whole sequences; the number of steps applies to VectorToSequence models only`);
  }
  return plan;
}

/** Checks one array against its slot, binding the letters' sizes; returns whether it was given unbatched. */
function matchShape(plan: Plan, slot: Slot, { name, array }: NamedArray, sizes: Map<string, number>): boolean {
  const shape = array.shape;
  const role = plan.slots.length > 1 ? `${slot.role} as ` : "";
  const wrong = (why = ""): never => {
    throw new NpyError(`${name}: shape ${pyShape(shape)}${why} but ${plan.name} reads ${role}${layouts(slot)}`);
  };
  let dims: Array<string | number>;
  if (slot.dims[0] === "...") {
    if (shape.length < 1) wrong();
    dims = [...shape.slice(0, -1).map((_, k) => `axis ${k}`), slot.dims[1]];
  } else if (shape.length === slot.dims.length) dims = slot.dims;
  else if (slot.dims.includes("B") && shape.length === slot.dims.length - 1) dims = slot.dims.filter((d) => d !== "B");
  else return wrong();
  dims.forEach((d, k) => {
    if (typeof d === "number") {
      if (shape[k] !== d) wrong();
      return;
    }
    if (shape[k] < 1) wrong(` has no ${d.startsWith("axis") ? "rows" : d === "B" ? "sequences" : "steps"} (${d} = 0),`);
    const bound = sizes.get(d);
    if (bound !== undefined && bound !== shape[k]) wrong(` has ${d} = ${shape[k]} where the other input has ${d} = ${bound},`);
    if (!d.startsWith("axis")) sizes.set(d, shape[k]);
  });
  return slot.dims.includes("B") && dims.length < slot.dims.length;
}

/** Refuses an array of the wrong kind: floats where token ids are read, integers or booleans where features are. */
function checkDtype(plan: Plan, slot: Slot, { name, array }: NamedArray): void {
  const float = array.dtype === "float32" || array.dtype === "float64";
  const role = plan.slots.length > 1 ? `${slot.role}: ` : "";
  if (slot.kind === "ids" && (float || array.dtype === "bool")) {
    throw new NpyError(`${name}: dtype ${array.dtype} but ${plan.name} reads ${role}integer token ids (int32 or int64) ${layouts(slot)}`);
  }
  if (slot.kind === "features" && !float) {
    throw new NpyError(`${name}: dtype ${array.dtype} but ${plan.name} reads ${role}float32 or float64 features ${layouts(slot)}`);
  }
}

/** The array as the slot's tensor in its batched layout (a missing batch axis inserted as size 1). */
function toTensor(slot: Slot, { name, array }: NamedArray, unbatched: boolean, dtype: DType): Tensor {
  const shape = unbatched ? slot.dims.map((d, k) => (d === "B" ? 1 : array.shape[k < slot.dims.indexOf("B") ? k : k - 1])) : array.shape;
  if (slot.kind === "ids") return new Tensor(Float64Array.from(npyTokenIds(array, slot.vocab!, name)), shape);
  // checkDtype has let only float32 and float64 through.
  const values = array.data as Float32Array | Float64Array;
  return new Tensor(dtype === "float64" ? Float64Array.from(values) : Float32Array.from(values), shape);
}

/**
 * Runs `model` (without grad) on `inputs`, its forward arguments in order, each checked against
 * what the model reads — count, dtype (float features, converted to the model's dtype; or integer
 * token ids in range), rank and sizes, a batch or one sequence (the batch axis left out, and then
 * left out of the output too) — and returns its first output as float32. A refusal names the array
 * and what was expected: an NpyError for an array that does not fit, an Error for the model or the
 * options.
 *
 * @example
 * const { output } = predictArrays(model, [{ name: "x.npy", array: readNpy(bytes, "x.npy") }]);
 * // SequenceToVector, x [T, B, I] → output.shape [B, O]
 */
export function predictArrays(model: Module, inputs: readonly NamedArray[], options: PredictArraysOptions = {}): PredictArraysResult {
  const plan = planFor(model, options);
  const n = plan.slots.length;
  if (inputs.length !== n) {
    const wants = plan.slots.map((s) => `${s.role} ${layouts(s)}`).join(", then ");
    throw new Error(`${plan.name} reads ${n} array${n === 1 ? "" : "s"} (${wants}), got ${inputs.length}${inputs.length ? `: ${inputs.map((i) => i.name).join(", ")}` : ""}`);
  }
  plan.slots.forEach((slot, k) => checkDtype(plan, slot, inputs[k]));
  const sizes = new Map<string, number>();
  const unbatched = plan.slots.map((slot, k) => matchShape(plan, slot, inputs[k], sizes));
  if (unbatched.some((u) => u !== unbatched[0])) {
    const one = inputs[unbatched.indexOf(true)].name, many = inputs[unbatched.indexOf(false)].name;
    throw new NpyError(`${one}: one sequence (no batch axis B) but ${many} is a batch; give both with B or both without`);
  }
  const dtype = modelDtype(model);
  const tensors = plan.slots.map((slot, k) => toTensor(slot, inputs[k], unbatched[0], dtype));
  const y = noGrad(() => plan.run(tensors));
  const drop = unbatched[0] ? plan.outputBatchAxis : null;
  const shape = drop === null ? [...y.shape] : y.shape.filter((_, k) => k !== drop);
  const data = y.data instanceof Float32Array ? y.data.slice() : Float32Array.from(y.data);
  return { output: { dtype: "float32", shape, data }, model: plan.name };
}
