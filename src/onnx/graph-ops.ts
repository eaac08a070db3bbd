/**
 * The graph interpreter's math operators: Add, Sub, Mul, Div (numpy broadcasting; on int arrays
 * too), Tanh, Sigmoid, Relu, Softmax and LogSoftmax over one axis (opset 13's semantics), MatMul
 * and Gemm. Float data runs on rnnkit's differentiable ops (src/ops), so gradients reach every
 * float initializer. Shapes and movement are ./graph-ops-shape.ts, the recurrent nodes
 * ./graph-recurrent.ts; the checker (./graph-check.ts) joins the three tables.
 */
import { add, div, mul, relu, scale, sigmoid, sub, tanh } from "../ops/elementwise.js";
import { linear, matmul } from "../ops/matmul.js";
import { reshape, transpose } from "../ops/movement.js";
import { logSoftmax, softmax } from "../ops/softmax.js";
import type { Tensor } from "../tensor/tensor.js";
import { intBinary, isInts, type Value } from "./graph-values.js";
import { axisIn, floatAttr, floatIn, getFloat, getInt, intAttr, type OpContext, type OpEntry } from "./graph-op-kit.js";

type Binary = (a: Tensor, b: Tensor) => Tensor;
function binaryEntry(f: Binary, g: (x: number, y: number) => number): OpEntry {
  return {
    inputs: [2, 2], outputs: [1, 1], attrs: {},
    run: (c) => {
      const [a, b] = [c.inputs[0]!, c.inputs[1]!];
      if (isInts(a) && isInts(b)) return [intBinary(c.node.op, a, b, g)];
      if (isInts(a) || isInts(b)) return c.fail("one input is float data and the other integers");
      return [f(a, b)];
    },
  };
}

const unaryEntry = (f: (x: Tensor) => Tensor): OpEntry => ({ inputs: [1, 1], outputs: [1, 1], attrs: {}, run: (c) => [f(floatIn(c, 0))] });

const softmaxEntry = (f: (x: Tensor, axis: number) => Tensor): OpEntry => ({
  inputs: [1, 1], outputs: [1, 1], attrs: { axis: intAttr() },
  run: (c) => {
    const x = floatIn(c, 0);
    return [f(x, axisIn(c, getInt(c.node, "axis", -1), x.rank))];
  },
});

function matMul(c: OpContext): Value[] {
  const [a, b] = [floatIn(c, 0), floatIn(c, 1)];
  if (b.rank === 2) return [matmul(a, b)];
  if (b.rank === 1) return [reshape(matmul(a, reshape(b, [b.shape[0], 1])), a.shape.slice(0, -1))];
  return c.fail(`a right operand of rank ${b.rank} (a batched MatMul) is not run; the interpreter multiplies by matrices [K, N] and vectors`);
}

function gemm(c: OpContext): Value[] {
  const [a0, b] = [floatIn(c, 0), floatIn(c, 1)];
  if (a0.rank !== 2 || b.rank !== 2) c.fail(`A and B must be matrices, got ranks ${a0.rank} and ${b.rank}`);
  const a = getInt(c.node, "transA", 0) === 1 ? transpose(a0) : a0;
  let y = getInt(c.node, "transB", 0) === 1 ? linear(a, b) : matmul(a, b);
  const alpha = getFloat(c.node, "alpha", 1);
  if (alpha !== 1) y = scale(y, alpha);
  if (c.inputs[2] === undefined) return [y];
  const beta = getFloat(c.node, "beta", 1);
  const cc = floatIn(c, 2);
  return [add(y, beta === 1 ? cc : scale(cc, beta))];
}

/** Integer division truncates toward zero (C's rule, which ONNX runtimes follow); by zero it is refused. */
const INT_DIV = (x: number, y: number) => {
  if (y === 0) throw new RangeError(`integer division of ${x} by zero`);
  return Math.trunc(x / y);
};

/** The math operators, by op_type. */
export const MATH_OPS: Record<string, OpEntry> = {
  Add: binaryEntry(add, (x, y) => x + y),
  Sub: binaryEntry(sub, (x, y) => x - y),
  Mul: binaryEntry(mul, (x, y) => x * y),
  Div: binaryEntry(div, INT_DIV),
  Tanh: unaryEntry(tanh),
  Sigmoid: unaryEntry(sigmoid),
  Relu: unaryEntry(relu),
  Softmax: softmaxEntry(softmax),
  LogSoftmax: softmaxEntry(logSoftmax),
  MatMul: { inputs: [2, 2], outputs: [1, 1], attrs: {}, run: matMul },
  Gemm: { inputs: [2, 3], outputs: [1, 1], attrs: { alpha: floatAttr, beta: floatAttr, transA: intAttr([0, 1]), transB: intAttr([0, 1]) }, run: gemm },
};
