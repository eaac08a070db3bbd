/**
 * Gate order between PyTorch's layout (rnnkit's wire format) and ONNX's, the one place the
 * conversion happens. A recurrent weight [G·H, C] (or bias [G·H]) stacks G blocks of H rows,
 * one per gate:
 *
 *   cell   PyTorch (rnnkit)   ONNX      ONNX block k takes PyTorch block
 *   LSTM   i, f, g, o         i, o, f, c   [0, 3, 1, 2]
 *   GRU    r, z, n            z, r, h      [1, 0, 2]
 *   RNN    (one block)        (one block)  [0]
 *
 * The gate equations are the same on both sides (ONNX LSTM without peepholes, ONNX GRU with
 * linear_before_reset = 1), so only the blocks move.
 */
import type { Floats } from "../tensor/tensor.js";
import type { CellKind } from "../ops/recurrent.js";
import { moveGateBlocks } from "../io/gate-blocks.js";

/** For each ONNX gate block in ONNX order, the index of the PyTorch block it is. */
export const ONNX_GATE_SOURCE: Readonly<Record<CellKind, readonly number[]>> = {
  rnn: [0],
  lstm: [0, 3, 1, 2],
  gru: [1, 0, 2],
};

/**
 * A PyTorch-ordered weight [G·H, C] or bias [G·H] (C = 1), row-major, with its gate blocks
 * reordered to ONNX's order, as float32.
 * @example toOnnxGateOrder("lstm", weight_ih_l0.data, H) // rows i|f|g|o → i|o|f|c
 */
export function toOnnxGateOrder(cell: CellKind, data: Floats, hiddenSize: number): Float32Array {
  return moveGateBlocks(`toOnnxGateOrder (${cell})`, ONNX_GATE_SOURCE[cell], data, hiddenSize, "out");
}

/**
 * The inverse of `toOnnxGateOrder`: an ONNX-ordered weight [G·H, C] or bias [G·H] with its
 * gate blocks moved back to PyTorch's (rnnkit's) order, as float32, values copied bit for bit.
 * @example fromOnnxGateOrder("gru", W_d, H) // rows z|r|h → r|z|n
 */
export function fromOnnxGateOrder(cell: CellKind, data: Floats, hiddenSize: number): Float32Array {
  return moveGateBlocks(`fromOnnxGateOrder (${cell})`, ONNX_GATE_SOURCE[cell], data, hiddenSize, "in");
}
