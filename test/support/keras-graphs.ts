/**
 * Two KerasLayersModel graphs that use every merge layer (add, subtract, multiply, average,
 * concatenate), go_backwards in both directions and every Bidirectional merge mode on
 * sequences and on final states: one on token ids through an Embedding, one on features.
 * Shared by the ONNX and TF.js export tests; `gru` picks the cell that stands where a GRU
 * can (TF.js has no reset-after GRU, so its test puts an LSTM there).
 */
import type { KerasLayersModel } from "../../src/index.js";

type Cell = "lstm" | "gru" | "rnn";
type Merge = "concat" | "sum" | "mul" | "ave";

const rec = (name: string, input: string, cell: Cell, inputSize: number, hiddenSize: number, bidirectional: boolean, merge: Merge, returnSequences: boolean, goBackwards: boolean) =>
  ({ op: "recurrent" as const, name, input, cell, inputSize, hiddenSize, bias: true, bidirectional, merge, returnSequences, goBackwards });

/** [label, options] of the two graphs. */
export function mergeTestGraphs(gru: "gru" | "lstm"): Array<[string, ConstructorParameters<typeof KerasLayersModel>[0]]> {
  return [
    ["token graph", {
      input: { name: "ids", kind: "tokens" },
      nodes: [
        { op: "embedding", name: "emb", input: "ids", vocabulary: 9, size: 4 },
        rec("a", "emb", gru, 4, 5, true, "sum", true, true),
        rec("b", "emb", "lstm", 4, 5, false, "concat", true, false),
        rec("c", "emb", "rnn", 4, 5, true, "mul", true, true),
        { op: "merge", name: "s", inputs: ["a", "b"], mode: "subtract" },
        { op: "merge", name: "m", inputs: ["a", "b", "c"], mode: "multiply" },
        { op: "merge", name: "av", inputs: ["s", "m", "c"], mode: "average" },
        { op: "dense", name: "d1", input: "av", inFeatures: 5, units: 3, bias: true, activation: "softmax" },
        rec("v1", "av", "lstm", 5, 4, true, "ave", false, true),
        rec("v2", "d1", gru, 3, 4, true, "concat", false, false),
        rec("v3", "b", "rnn", 5, 4, true, "mul", false, false),
        { op: "merge", name: "cat", inputs: ["v1", "v2", "v3"], mode: "concatenate" },
        { op: "dense", name: "out", input: "cat", inFeatures: 16, units: 2, bias: false, activation: "sigmoid" },
      ],
      output: "out",
    }],
    ["feature graph", {
      input: { name: "features", kind: "sequence", size: 3 },
      nodes: [
        { ...rec("r", "features", "rnn", 3, 4, true, "concat", true, true), nonlinearity: "relu" },
        rec("g", "r", gru, 8, 3, true, "ave", true, false),
        { op: "merge", name: "sum", inputs: ["g", "g"], mode: "add" },
        { op: "dense", name: "y", input: "sum", inFeatures: 3, units: 2, bias: true, activation: "tanh" },
      ],
      output: "y",
    }],
  ];
}
