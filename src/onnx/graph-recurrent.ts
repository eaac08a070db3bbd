/**
 * ONNX LSTM, GRU and RNN nodes for the graph interpreter, each run as one call of rnnkit's fused
 * `recurrent` op (src/ops/recurrent.ts), so W, R and B get gradients through its hand-written
 * BPTT. ONNX's layouts and gate orders go to PyTorch's with differentiable slices and concats
 * (the block order of ./gates.ts):
 *
 *   W [D, G·H, I] → weight_ih per direction    R [D, G·H, H] → weight_hh
 *   B [D, 2·G·H]  → bias_ih | bias_hh          sequence_lens [B] → lengths (1..T)
 *   initial_h / initial_c [D, B, H] ([B, D, H] with layout 1) → state
 *   Y [T, D, B, H] ([B, T, D, H] with layout 1) ← output [T, B, D·H]     Y_h, Y_c [D, B, H] ← state
 *
 * A reverse-only node runs as the reverse half of a bidirectional op whose forward half has zero
 * weights (constants, so nothing flows to them), and keeps that half's outputs. GRU
 * linear_before_reset 0 / 1 is the op's resetAfter false / true; activations with HardSigmoid
 * gates are its gateActivation (./gate-attrs.ts says which lists and alpha / beta are read).
 * Refused: clip, input_forget, peepholes, any other activations.
 */
import { concat, reshape, slice, transpose } from "../ops/movement.js";
import { gateCount, recurrent, type CellKind, type RecurrentSpec } from "../ops/recurrent.js";
import { Tensor } from "../tensor/tensor.js";
import { floatIn, floatsAttr, getInt, getString, getStrings, intAttr, intsIn, type AttrCheck, type OpContext, type OpEntry } from "./graph-op-kit.js";
import { ONNX_GATE_SOURCE } from "./gates.js";
import { readActivations, type ActivationReading } from "./gate-attrs.js";
import type { NodeDef } from "./graph-def.js";
import type { Value } from "./graph-values.js";

const DIRECTIONS = ["forward", "reverse", "bidirectional"];
const refusedAttr = (why: string): AttrCheck => () => why;

/** The activations a node asks for, read by ./gate-attrs.ts. */
function activationsOf(cell: CellKind, node: NodeDef): ActivationReading {
  const D = getString(node, "direction") === "bidirectional" ? 2 : 1;
  const floats = (name: string) => { const a = node.attrs[name]; return a !== undefined && "floats" in a ? a.floats : undefined; };
  return readActivations(cell, D, getStrings(node, "activations"), floats("activation_alpha"), floats("activation_beta"));
}

/** A PyTorch-ordered block stack [G·H, C] (or [G·H]) from the ONNX-ordered one, differentiably. */
function pytorchOrder(cell: CellKind, w: Tensor, H: number): Tensor {
  const source = ONNX_GATE_SOURCE[cell];
  if (source.length === 1) return w;
  // PyTorch block j is ONNX block k where source[k] = j.
  return concat(source.map((_, j) => { const k = source.indexOf(j); return slice(w, 0, k * H, (k + 1) * H); }), 0);
}

/** Row d of a [D, …] tensor without its first axis. */
const row = (t: Tensor, d: number) => reshape(slice(t, 0, d, d + 1), t.shape.slice(1));

function runRecurrent(cell: CellKind, c: OpContext): Value[] {
  const { node } = c;
  const layout = getInt(node, "layout", 0);
  const x = floatIn(c, 0);
  const W = floatIn(c, 1);
  const R = floatIn(c, 2);
  if (x.rank !== 3) c.fail(`X must be a sequence of rank 3, got [${x.shape.join(", ")}]`);
  const [T, B, I] = layout === 0 ? x.shape : [x.shape[1], x.shape[0], x.shape[2]];
  const direction = getString(node, "direction") ?? "forward";
  const D = direction === "bidirectional" ? 2 : 1;
  const G = gateCount(cell);
  const H = getInt(node, "hidden_size", R.shape[2] ?? 0);
  const expect = (t: Tensor, what: string, shape: number[]) => {
    if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) c.fail(`${what} is [${t.shape.join(", ")}], expected [${shape.join(", ")}]`);
  };
  expect(W, "W", [D, G * H, I]);
  expect(R, "R", [D, G * H, H]);
  const Bias = c.inputs[3] === undefined ? null : floatIn(c, 3);
  if (Bias !== null) expect(Bias, "B", [D, 2 * G * H]);
  let lengths: number[] | undefined;
  if (c.inputs[4] !== undefined) {
    lengths = intsIn(c, 4).data;
    if (lengths.length !== B || lengths.some((n) => !Number.isInteger(n) || n < 1 || n > T)) {
      c.fail(`sequence_lens [${lengths.join(", ")}] must hold ${B} lengths in 1..${T}`);
    }
  }
  const stateIn = (k: number, what: string): Tensor | undefined => {
    if (c.inputs[k] === undefined) return undefined;
    const s = floatIn(c, k);
    expect(s, what, layout === 0 ? [D, B, H] : [B, D, H]);
    return layout === 0 ? s : transpose(s, [1, 0, 2]);
  };
  let h0 = stateIn(5, "initial_h");
  let c0 = cell === "lstm" ? stateIn(6, "initial_c") : undefined;
  if (cell === "lstm" && c.inputs[7] !== undefined) c.fail("peepholes (P) have no rnnkit equivalent");

  const reverseOnly = direction === "reverse";
  const dtype = x.dtype;
  const acts = activationsOf(cell, node);
  if (!acts.ok) return c.fail(acts.problem);
  const spec: RecurrentSpec = {
    cell, nonlinearity: acts.nonlinearity,
    ...(cell !== "rnn" ? { gateActivation: acts.gateActivation } : {}),
    // ONNX's default linear_before_reset = 0 is the reset-before form.
    ...(cell === "gru" ? { resetAfter: getInt(node, "linear_before_reset", 0) === 1 } : {}),
    inputSize: I, hiddenSize: H, numLayers: 1, bidirectional: D === 2 || reverseOnly, bias: Bias !== null, batchFirst: layout === 1,
  };
  const weights: Tensor[] = [];
  if (reverseOnly) {
    weights.push(Tensor.zeros([G * H, I], { dtype }), Tensor.zeros([G * H, H], { dtype }));
    if (Bias !== null) weights.push(Tensor.zeros([G * H], { dtype }), Tensor.zeros([G * H], { dtype }));
    const zeros = Tensor.zeros([1, B, H], { dtype });
    if (h0 !== undefined) h0 = concat([zeros, h0], 0);
    if (c0 !== undefined) c0 = concat([zeros, c0], 0);
  }
  for (let d = 0; d < D; d++) {
    weights.push(pytorchOrder(cell, row(W, d), H), pytorchOrder(cell, row(R, d), H));
    if (Bias !== null) {
      const b = row(Bias, d);
      weights.push(pytorchOrder(cell, slice(b, 0, 0, G * H), H), pytorchOrder(cell, slice(b, 0, G * H, 2 * G * H), H));
    }
  }
  // The state needs both h and c for an LSTM: a missing one is zeros, as in ONNX.
  const rows = reverseOnly ? 2 : D;
  const state = h0 === undefined && c0 === undefined ? undefined
    : { h: h0 ?? Tensor.zeros([rows, B, H], { dtype }), ...(cell === "lstm" ? { c: c0 ?? Tensor.zeros([rows, B, H], { dtype }) } : {}) };
  const r = recurrent(spec, x, weights, { state, lengths });

  // output [T, B, rows·H] (batch-first [B, T, rows·H]) → ONNX Y; a reverse-only node keeps the second half.
  const split = reshape(r.output, layout === 0 ? [T, B, rows, H] : [B, T, rows, H]);
  const mine = reverseOnly ? slice(split, 2, 1, 2) : split;
  const Y = layout === 0 ? transpose(mine, [0, 2, 1, 3]) : mine;
  const final = (s: Tensor) => {
    const own = reverseOnly ? slice(s, 0, 1, 2) : s;
    return layout === 0 ? own : transpose(own, [1, 0, 2]);
  };
  return cell === "lstm" ? [Y, final(r.state.h), final(r.state.c!)] : [Y, final(r.state.h)];
}

function recurrentEntry(cell: CellKind): OpEntry {
  const attrs: Record<string, AttrCheck> = {
    hidden_size: intAttr(),
    direction: (a) => (!("s" in a) ? "expected a string" : DIRECTIONS.includes(a.s) ? null : `'${a.s}' is not a direction (forward, reverse, bidirectional)`),
    layout: intAttr([0, 1]),
    activations: (a) => ("strings" in a ? null : "expected a list of strings"),
    clip: refusedAttr("cell clipping (clip) has no rnnkit equivalent"),
    activation_alpha: floatsAttr,
    activation_beta: floatsAttr,
  };
  if (cell === "lstm") attrs.input_forget = intAttr([0]);
  if (cell === "gru") attrs.linear_before_reset = intAttr([0, 1]);
  const check = (node: NodeDef): string | null => {
    const acts = activationsOf(cell, node);
    return acts.ok ? null : acts.problem;
  };
  return { inputs: [3, cell === "lstm" ? 8 : 6], outputs: [0, cell === "lstm" ? 3 : 2], attrs, check, run: (c) => runRecurrent(cell, c) };
}

export const RECURRENT_OPS: Record<string, OpEntry> = { LSTM: recurrentEntry("lstm"), GRU: recurrentEntry("gru"), RNN: recurrentEntry("rnn") };
