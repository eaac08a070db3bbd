/**
 * Reverse-mode autodiff. Each op that sees an input requiring grad records a node:
 * its inputs, its outputs and a closure that reads the outputs' gradients and
 * *accumulates* (`+=`) into the inputs' gradients. `runBackward` visits the nodes
 * in reverse topological order. Multi-output ops (a fused LSTM layer returns the
 * outputs and both final states) are one node whose closure runs once.
 *
 * A node may also hold saved state in backend memory (the fused recurrent op's workspace)
 * and a `release` that gives it back: `runBackward` calls it right after the node's
 * backward unless `retainGraph` is set, so a second backward through that node throws
 * (PyTorch's rule). A node never backpropagated keeps its state until its op lets go of
 * it; see docs/memory.md for the bound on that.
 */
import type { Floats, Tensor } from "../tensor/tensor.js";
import { ShapeError, shapeToString } from "../tensor/shape.js";

export interface TapeNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /** Receives one gradient buffer per output (zeros where none arrived). */
  backward(outputGrads: Floats[]): void;
  /** Gives back what the node saved for its backward (idempotent); absent when it saved nothing there. */
  readonly release?: () => void;
  /** Set once `release` has run: the node cannot be backpropagated again. */
  released: boolean;
}

export interface BackwardOptions {
  /**
   * Keep what the graph's nodes saved for backward, so that another `backward()` can run
   * through them (PyTorch's `retain_graph`). Default false: each node's saved state is
   * given back as soon as its backward has run.
   */
  retainGraph?: boolean;
}

let gradEnabled = true;

/** Runs `fn` without recording: results of ops inside have no graph. */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** True if an op over these inputs must be recorded. */
export function needsGrad(inputs: readonly Tensor[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t.requiresGrad) return true;
  return false;
}

/**
 * Records an op if any input requires grad. The outputs are marked as requiring grad
 * and point at the node. Returns nothing; call it after computing the outputs.
 * `release`, if given, gives back what `backward` reads beyond the inputs and outputs
 * (see `TapeNode.release`).
 */
export function record(
  op: string,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  backward: (outputGrads: Floats[]) => void,
  release?: () => void,
): void {
  if (!needsGrad(inputs)) return;
  const node: TapeNode = { op, inputs, outputs, backward, release, released: false };
  for (const out of outputs) {
    out.requiresGrad = true;
    out.node = node;
  }
}

/**
 * The gradient buffer of `t` to accumulate into, allocated (zeros) on first use;
 * null when `t` does not require grad, so callers can skip work.
 */
export function gradOf(t: Tensor): Floats | null {
  if (!t.requiresGrad) return null;
  if (t.grad === null) t.grad = t.data instanceof Float64Array ? new Float64Array(t.size) : new Float32Array(t.size);
  return t.grad;
}

/** Reverse sweep from `root`; see `Tensor.backward`. */
export function runBackward(root: Tensor, seed?: Floats, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error("backward(): this tensor does not require grad (no parameter or input with requiresGrad reaches it)");
  }
  const rootGrad = gradOf(root)!;
  if (seed === undefined) {
    if (root.size !== 1) {
      throw new ShapeError(`backward(): a seed gradient is needed for a non-scalar of shape ${shapeToString(root.shape)}`);
    }
    rootGrad[0] += 1;
  } else {
    if (seed.length !== root.size) {
      throw new ShapeError(`backward(): seed has ${seed.length} values, tensor has ${root.size}`);
    }
    for (let i = 0; i < seed.length; i++) rootGrad[i] += seed[i];
  }
  const order = topoOrder(root);
  for (const node of order) {
    // A tensor freed since the forward (a disposed module's parameter): its message, not a read of freed memory.
    for (const t of node.inputs) {
      const why = t.revokedBecause;
      if (why !== null) throw new Error(why);
    }
    if (node.released) {
      throw new Error(
        `backward(): the ${node.op} in this graph gave back its saved activations after an earlier backward(); ` +
          "pass { retainGraph: true } to that backward() to run another one, or run the forward again",
      );
    }
  }
  for (const node of order) {
    let any = false;
    for (const out of node.outputs) if (out.grad !== null) any = true;
    if (!any) continue;
    try {
      node.backward(node.outputs.map((out) => gradOf(out)!));
    } finally {
      // As soon as it is done, so later nodes of this sweep can reuse the memory.
      if (!options.retainGraph) releaseNode(node);
    }
  }
  if (!options.retainGraph) for (const node of order) releaseNode(node);
}

function releaseNode(node: TapeNode): void {
  if (node.release === undefined || node.released) return;
  node.released = true;
  node.release();
}

/** Nodes reachable from root, each after every node that consumes its outputs. Iterative: graphs of unrolled cells can be thousands deep. */
function topoOrder(root: Tensor): TapeNode[] {
  const order: TapeNode[] = [];
  if (root.node === null) return order;
  const visited = new Set<TapeNode>();
  const stack: Array<{ node: TapeNode; next: number }> = [{ node: root.node, next: 0 }];
  visited.add(root.node);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next < top.node.inputs.length) {
      const child = top.node.inputs[top.next++].node;
      if (child !== null && !visited.has(child)) {
        visited.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      stack.pop();
      order.push(top.node);
    }
  }
  return order.reverse();
}
