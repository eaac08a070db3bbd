/**
 * The differentiable ops, by family. Losses (loss.ts) and the fused recurrent
 * sequence ops (recurrent.ts) are exported from their own modules, not from here.
 */
export {
  add,
  sub,
  mul,
  div,
  neg,
  exp,
  log,
  tanh,
  sigmoid,
  hardSigmoid,
  hardSigmoid6,
  relu,
  scale,
  addScalar,
  scalarSub,
  sameDtype,
  broadcastIndex,
} from "./elementwise.js";
export { sum, mean, type Axes } from "./reduce.js";
export { softmax, logSoftmax } from "./softmax.js";
export { matmul, linear } from "./matmul.js";
export { reshape, transpose, concat, slice, split, stack } from "./movement.js";
export { embedding, oneHot } from "./gather.js";
