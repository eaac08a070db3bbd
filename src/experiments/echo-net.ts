/**
 * The echo task's net (R2RT's tutorial; see echo.ts), apart from the experiment's plots so
 * that the playground's echo view builds the very same net. Platform-neutral.
 */
import type { Rng } from "../tensor/random.js";
import { SequenceToSequence } from "../nn/topologies.js";
import { fillGlorotUniform, fillTf1Recurrent, fillZeros } from "../nn/init.js";
import type { CellKind } from "../ops/recurrent.js";

/**
 * An echo net: one-hot input (2 classes) → recurrent layer → Linear(H → 2) at every step
 * → softmax, initialized as TF1 does for the tanh cell (see echo.ts). The layer
 * takes `fillTf1Recurrent`'s "gate" reading, one [I+H, H] kernel per gate block with the
 * bound √(6/(I+H+H)): for the tanh cell (one block) that is TF's cell kernel, and the GRU
 * and LSTM get the same bound for every gate block. The draws, in order: the layer's and
 * the head's default init (overwritten), the layer's TF1 kernels, the head's weight.
 */
export function echoNet(cell: CellKind, hidden: number, rng: Rng): SequenceToSequence {
  const net = new SequenceToSequence({ cell, inputSize: 2, hiddenSize: hidden, outputSize: 2, rng });
  fillTf1Recurrent(net.rnn, rng, { kernel: "gate" });
  fillGlorotUniform(net.head.weight, rng, hidden, 2);
  fillZeros(net.head.bias!);
  return net;
}

