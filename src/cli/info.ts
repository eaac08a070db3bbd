/**
 * `rnnkit info MODEL [--json]`: what a model file holds — type, cell, sizes, layers,
 * parameter count, and, where the file has them, the vocabulary (`rnnkit.vocab`) and the
 * training record `rnnkit train text` stores (`rnnkit.train`: configuration, data
 * checksum, creation date, steps, validation loss). Files without training metadata show
 * what they have.
 */
import { Command } from "commander";
import { loadModel } from "../node/files.js";
import { VOCAB_KEY } from "./sample.js";
import { TRAIN_KEY, usageExitCodes } from "./train-text.js";

/** What `info` reports, as `--json` prints it. */
export interface ModelInfo {
  file: string;
  type: string;
  cell: string | null;
  inputSize: number | null;
  hiddenSize: number | null;
  numLayers: number | null;
  outputSize: number | null;
  bidirectional: boolean | null;
  dtype: string | null;
  options: Record<string, unknown>;
  parameters: number;
  tensors: Array<{ name: string; shape: number[] }>;
  vocabSize: number | null;
  training: Record<string, unknown> | null;
  /** The other metadata keys, as stored. */
  metadata: Record<string, string>;
}

const CELL_OF_TYPE: Record<string, string> = { RNN: "rnn", LSTM: "lstm", GRU: "gru" };

/** The facts of a model file; throws (exit 2) for a missing or refused file. */
export function modelInfo(path: string): ModelInfo {
  const { model, spec, metadata } = loadModel(path);
  const o = spec.options;
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  const named = model.namedParameters();
  let vocabSize: number | null = null;
  if (metadata[VOCAB_KEY] !== undefined) {
    try {
      const v = JSON.parse(metadata[VOCAB_KEY]) as unknown;
      if (Array.isArray(v)) vocabSize = v.length;
    } catch {
      vocabSize = null;
    }
  }
  let training: Record<string, unknown> | null = null;
  if (metadata[TRAIN_KEY] !== undefined) {
    try {
      training = JSON.parse(metadata[TRAIN_KEY]) as Record<string, unknown>;
    } catch {
      training = { unreadable: metadata[TRAIN_KEY] };
    }
  }
  const rest = Object.fromEntries(Object.entries(metadata).filter(([k]) => ![VOCAB_KEY, TRAIN_KEY, "rnnkit.model"].includes(k)));
  return {
    file: path,
    type: spec.type,
    cell: typeof o.cell === "string" ? o.cell : (CELL_OF_TYPE[spec.type] ?? null),
    inputSize: num(o.inputSize ?? o.embeddingSize ?? o.inFeatures),
    hiddenSize: num(o.hiddenSize),
    numLayers: num(o.numLayers) ?? (typeof o.hiddenSize === "number" ? 1 : null),
    outputSize: num(o.outputSize ?? o.outFeatures),
    bidirectional: typeof o.bidirectional === "boolean" ? o.bidirectional : null,
    dtype: typeof o.dtype === "string" ? o.dtype : (named[0]?.[1].dtype ?? null),
    options: o,
    parameters: named.reduce((s, [, t]) => s + t.size, 0),
    tensors: named.map(([name, t]) => ({ name, shape: [...t.shape] })),
    vocabSize,
    training,
    metadata: rest,
  };
}

/** The report as text lines. */
export function formatModelInfo(info: ModelInfo): string {
  const lines = [`${info.file}`, `  type: ${info.type}${info.cell ? ` (${info.cell})` : ""}`];
  const sizes: string[] = [];
  if (info.inputSize !== null) sizes.push(`input ${info.inputSize}`);
  if (info.hiddenSize !== null) sizes.push(`hidden ${info.hiddenSize}`);
  if (info.numLayers !== null) sizes.push(`${info.numLayers} layer${info.numLayers === 1 ? "" : "s"}`);
  if (info.outputSize !== null) sizes.push(`output ${info.outputSize}`);
  if (info.bidirectional) sizes.push("bidirectional");
  if (sizes.length) lines.push(`  sizes: ${sizes.join(", ")}`);
  if (info.dtype) lines.push(`  dtype: ${info.dtype}`);
  lines.push(`  parameters: ${info.parameters.toLocaleString("en-US")} in ${info.tensors.length} tensors`);
  lines.push(`  vocabulary: ${info.vocabSize === null ? "none stored" : `${info.vocabSize} characters`}`);
  const t = info.training;
  if (t === null) lines.push("  training: no record in the file");
  else {
    const data = (t.data ?? {}) as Record<string, unknown>;
    if (typeof t.created === "string") lines.push(`  created: ${t.created}`);
    if (data.sha256 !== undefined) lines.push(`  data: ${String(data.file ?? "?")}, ${String(data.characters ?? "?")} characters, SHA-256 ${String(data.sha256)}`);
    if (t.steps !== undefined) lines.push(`  steps: ${String(t.steps)}${t.bestStep !== undefined ? ` (model of step ${String(t.bestStep)})` : ""}${t.stoppedEarly ? ", stopped early" : ""}`);
    if (typeof t.validationLoss === "number") lines.push(`  validation loss: ${t.validationLoss.toFixed(4)} nats/char`);
    if (t.config !== undefined) lines.push(`  configuration: ${JSON.stringify(t.config)}`);
  }
  for (const [k, v] of Object.entries(info.metadata)) lines.push(`  ${k}: ${v.length > 200 ? `${v.slice(0, 197)}...` : v}`);
  return lines.join("\n");
}

/** `rnnkit info`: add to the program (`program.addCommand(infoCommand())`). */
export function infoCommand(): Command {
  const cmd = new Command("info")
    .description("show a model file's architecture, parameter count, vocabulary and training record")
    .argument("<model-file>", "an rnnkit model file (.safetensors)")
    .option("--json", "one JSON object", false)
    .action((file: string, opts: { json: boolean }) => {
      const info = modelInfo(file);
      process.stdout.write(`${opts.json ? JSON.stringify(info) : formatModelInfo(info)}\n`);
    });
  return usageExitCodes(cmd);
}
