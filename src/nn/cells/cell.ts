/**
 * What every built-in recurrent cell shares: the options, PyTorch's four parameters
 * (`weight_ih [G·H, I]`, `weight_hh [G·H, H]`, `bias_ih [G·H]`, `bias_hh [G·H]`) drawn
 * from U(±1/√H) in that order, the two input projections and the shape checks.
 * The equations live in each cell (rnn.ts, lstm.ts, gru.ts); this is not a layer and
 * does not loop over time (src/nn/recurrent.ts does).
 */
import { Module } from "../module.js";
import { fillPytorchRecurrent } from "../init.js";
import { Tensor, type DType } from "../../tensor/tensor.js";
import type { Rng } from "../../tensor/random.js";
import { expectShape, ShapeError, shapeToString } from "../../tensor/shape.js";
import { linear } from "../../ops/matmul.js";
import { hardSigmoid, hardSigmoid6, sigmoid } from "../../ops/elementwise.js";
import { GATE_ACTIVATIONS, type GateActivation } from "../../backend/kernels.js";
import { checkBoolean, checkDType, checkInteger, checkKnownKeys, checkOptionsObject, checkRng, checkTensorLike } from "../../util/check.js";

/** The option names every cell knows; a cell with more (RNNCell's nonlinearity) lists them. */
export const CELL_KEYS = ["inputSize", "hiddenSize", "bias", "rng", "dtype"] as const;

export interface CellOptions {
  /** I: features of each input row. */
  inputSize: number;
  /** H: features of the hidden state. */
  hiddenSize: number;
  /** Whether to have `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** Draws the initial parameters. */
  rng: Rng;
  /** Parameter dtype (default float32); inputs and states must match it. */
  dtype?: DType;
}

/** LSTMCell's and GRUCell's options: CellOptions and the gates' activation. */
export interface GatedCellOptions extends CellOptions {
  /** The activation of the gates (LSTM i, f, o; GRU r, z): "sigmoid" (default), "hardSigmoid" or "hardSigmoid6". */
  gateActivation?: GateActivation;
}

/** Checks a gateActivation option (undefined → "sigmoid"), naming the cell and the values it knows. */
export function checkGateActivation(who: string, value: unknown): GateActivation {
  if (value === undefined) return "sigmoid";
  if (typeof value !== "string" || !GATE_ACTIVATIONS.includes(value as GateActivation)) {
    throw new RangeError(`${who}: gateActivation must be one of ${GATE_ACTIVATIONS.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as GateActivation;
}

/** The gate activation as an autodiff op: σ or one of the two hard sigmoids. */
export function gateOp(gate: GateActivation): (x: Tensor) => Tensor {
  switch (gate) {
    case "sigmoid":
      return sigmoid;
    case "hardSigmoid":
      return hardSigmoid;
    case "hardSigmoid6":
      return hardSigmoid6;
    default:
      throw new RangeError(`unknown gate activation '${gate as string}'`);
  }
}

/** A one-step recurrent cell with state type S: `forward(x [B, I], state) → state`. */
export abstract class RecurrentCell<S> extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype: DType;
  /** [G·H, I], gate blocks stacked along the rows. */
  readonly weight_ih: Tensor;
  /** [G·H, H]. */
  readonly weight_hh: Tensor;
  /** [G·H], or null with `bias: false`. */
  readonly bias_ih: Tensor | null;
  /** [G·H], or null with `bias: false`. */
  readonly bias_hh: Tensor | null;

  /** @param gates G: 1 (RNN), 4 (LSTM), 3 (GRU). */
  protected constructor(
    readonly cellName: string,
    readonly gates: number,
    options: CellOptions,
    extraKeys: readonly string[] = [],
  ) {
    super();
    checkKnownKeys(cellName, checkOptionsObject(cellName, options), [...CELL_KEYS, ...extraKeys]);
    const I = checkInteger(cellName, "inputSize", options.inputSize);
    const H = checkInteger(cellName, "hiddenSize", options.hiddenSize);
    const bias = checkBoolean(cellName, "bias", options.bias, true);
    const rng = checkRng(cellName, options.rng);
    const dtype = checkDType(cellName, options.dtype);
    this.inputSize = I;
    this.hiddenSize = H;
    this.dtype = dtype;
    const make = (name: string, shape: number[]): Tensor =>
      this.registerParameter(name, fillPytorchRecurrent(Tensor.zeros(shape, { dtype }), rng, H));
    this.weight_ih = make("weight_ih", [gates * H, I]);
    this.weight_hh = make("weight_hh", [gates * H, H]);
    this.bias_ih = bias ? make("bias_ih", [gates * H]) : null;
    this.bias_hh = bias ? make("bias_hh", [gates * H]) : null;
  }

  /** One step: the next state from the input x [B, I] and the state (zeros when omitted). */
  abstract forward(x: Tensor, state?: S): S;

  /** The all-zero state for a batch of B rows. */
  abstract initialState(batch: number): S;

  /** W_ih x + b_ih: x [B, I] → [B, G·H]. */
  protected inputProjection(x: Tensor): Tensor {
    return linear(x, this.weight_ih, this.bias_ih ?? undefined);
  }

  /** W_hh h + b_hh: h [B, H] → [B, G·H]. */
  protected hiddenProjection(h: Tensor): Tensor {
    return linear(h, this.weight_hh, this.bias_hh ?? undefined);
  }

  /** Checks x [B, I] and returns B. */
  protected batchOf(x: Tensor): number {
    checkTensorLike(`${this.cellName}.forward`, "x", x, ` [B, ${this.inputSize}]`);
    expectShape(`${this.cellName}.forward: x`, x.shape, [-1, this.inputSize]);
    return x.shape[0];
  }

  /** Checks a state tensor against [B, H]. */
  protected checkState(what: string, t: Tensor, batch: number): void {
    checkTensorLike(`${this.cellName}.forward`, `state ${what}`, t, ` [${batch}, ${this.hiddenSize}]`);
    if (t.rank !== 2 || t.shape[0] !== batch || t.shape[1] !== this.hiddenSize) {
      throw new ShapeError(
        `${this.cellName}.forward: ${what} ${shapeToString(t.shape)} does not fit x of batch ${batch}: ` +
          `expected [${batch}, ${this.hiddenSize}]`,
      );
    }
  }

  /** Zeros [B, H] in the cell's dtype. */
  protected zeroState(batch: number): Tensor {
    if (!Number.isInteger(batch) || batch < 0) throw new RangeError(`${this.cellName}: batch must be a non-negative integer, got ${batch}`);
    return Tensor.zeros([batch, this.hiddenSize], { dtype: this.dtype });
  }
}
