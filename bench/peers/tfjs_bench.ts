/**
 * TensorFlow.js peer for rnnkit's benchmark (`npm run bench -- --peers` spawns it, one child
 * process per backend and workload; it also runs alone):
 *
 *   node build/bench/peers/tfjs_bench.js --backend wasm --workload W1,W6 [--seconds 2] [--slow]
 *
 * Times the shared BENCH.md workloads with the shapes, losses and optimizers of
 * bench/workloads.ts on `@tensorflow/tfjs` 4.22 (pure-JS "cpu" backend) or
 * `@tensorflow/tfjs-backend-wasm` 4.22 (its .wasm files are read from node_modules, never
 * downloaded). Models are `tf.sequential` of `tf.layers.simpleRNN/lstm/gru` (+ `returnSequences`
 * for per-step heads) and `tf.layers.dense`, stepped with `model.trainOnBatch`; the gates use
 * `recurrentActivation: "sigmoid"` (tfjs defaults to hardSigmoid) so the maths is rnnkit's.
 * Softmax cross-entropy is Keras's softmax head + categoricalCrossentropy on one-hot targets.
 * W6 is timed two ways: a hand-written LSTM cell from raw ops in `tf.tidy` ("raw-ops") and a
 * stateful `tf.layers.lstm` + `predict` ("layers-predict"), state carried in both. W5 (tens of
 * seconds to minutes per step) runs only with `--slow`.
 *
 * Prints one JSON line per measurement (BENCH.md keys, `impl` "tfjs-cpu" / "tfjs-wasm") on
 * stdout. Deliberately not here: threads (tfjs-wasm in Node is single-threaded, see PEERS.md),
 * tfjs-node (its install downloads libtensorflow, which this machine cannot reach).
 */
import { parseArgs } from "node:util";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";

interface PeerWorkload {
  id: string;
  model: string;
  /** Samples consumed by one step (the batch size). */
  batch: number;
  unit: "ms" | "us";
  minSteps: number;
  warmup: number;
  variant?: string;
  note?: string;
  /** Only with --slow. */
  slow?: boolean;
  /** Builds model and data; returns one step and a disposer. */
  build(): { step: () => Promise<unknown> | void; dispose: () => void };
}

/** A compiled model trained on one fixed batch; `trainOnBatch` is awaited every step. */
function trainer(model: tf.Sequential, x: tf.Tensor, y: tf.Tensor, optimizer: tf.Optimizer, loss: string) {
  model.compile({ optimizer, loss });
  return {
    step: () => model.trainOnBatch(x, y),
    dispose: () => {
      model.dispose();
      optimizer.dispose();
      tf.dispose([x, y]);
    },
  };
}

let seed = 1234;
const normal = (shape: number[]) => tf.randomNormal(shape, 0, 1, "float32", seed++);
const oneHot = (shape: number[], classes: number) =>
  tf.tidy(() => tf.oneHot(tf.randomUniform(shape, 0, classes, "int32", seed++), classes).toFloat());
const gates = { recurrentActivation: "sigmoid" } as const;

const w1 = (cell: "lstm" | "rnn"): PeerWorkload => ({
  id: "W1", model: cell, batch: 800, unit: "ms", minSteps: 50, warmup: 5,
  build() {
    const rec = cell === "lstm"
      ? tf.layers.lstm({ units: 4, inputShape: [10, 1], ...gates })
      : tf.layers.simpleRNN({ units: 4, activation: "sigmoid", inputShape: [10, 1] });
    const model = tf.sequential({ layers: [rec, tf.layers.dense({ units: 1 })] });
    return trainer(model, normal([800, 10, 1]), normal([800, 1]), tf.train.adam(0.1), "meanSquaredError");
  },
});

const w2: PeerWorkload = {
  id: "W2", model: "rnn", batch: 200, unit: "ms", minSteps: 50, warmup: 5,
  build() {
    const model = tf.sequential({
      layers: [
        tf.layers.simpleRNN({ units: 16, returnSequences: true, inputShape: [10, 2] }),
        tf.layers.dense({ units: 2, activation: "softmax" }),
      ],
    });
    return trainer(model, oneHot([200, 10], 2), oneHot([200, 10], 2), tf.train.adagrad(0.1), "categoricalCrossentropy");
  },
};

const w3 = (cell: "rnn" | "gru"): PeerWorkload => ({
  id: "W3", model: cell, batch: 150, unit: "ms", minSteps: 10, warmup: 2,
  note: cell === "gru" ? "tfjs GRU applies the reset gate before the recurrent product (Keras reset_after=false)" : undefined,
  build() {
    const rec = cell === "rnn"
      ? tf.layers.simpleRNN({ units: 150, inputShape: [28, 28] })
      : tf.layers.gru({ units: 150, inputShape: [28, 28], ...gates });
    const model = tf.sequential({ layers: [rec, tf.layers.dense({ units: 10, activation: "softmax" })] });
    return trainer(model, normal([150, 28, 28]), oneHot([150], 10), tf.train.adam(1e-3), "categoricalCrossentropy");
  },
});

const w4 = (cell: "lstm" | "gru"): PeerWorkload => ({
  id: "W4", model: cell, batch: 50, unit: "ms", minSteps: 3, warmup: 1,
  note: cell === "gru" ? "tfjs GRU applies the reset gate before the recurrent product (Keras reset_after=false)" : undefined,
  build() {
    const V = 65;
    const layer = (first: boolean) => {
      const args = { units: 128, returnSequences: true, ...gates, ...(first ? { inputShape: [50, V] } : {}) };
      return cell === "lstm" ? tf.layers.lstm(args) : tf.layers.gru(args);
    };
    const model = tf.sequential({ layers: [layer(true), layer(false), tf.layers.dense({ units: V, activation: "softmax" })] });
    return trainer(model, oneHot([50, 50], V), oneHot([50, 50], V), tf.train.adam(2e-3), "categoricalCrossentropy");
  },
});

const w5: PeerWorkload = {
  id: "W5", model: "lstm", batch: 64, unit: "ms", minSteps: 1, warmup: 1, slow: true,
  build() {
    // The default orthogonal initializer of a 512x2048 recurrent kernel takes many minutes on the
    // cpu backend (PEERS.md); the initializer does not change the cost of a step.
    const model = tf.sequential({
      layers: [tf.layers.lstm({ units: 512, returnSequences: true, inputShape: [64, 256], recurrentInitializer: "glorotUniform", ...gates })],
    });
    return trainer(model, normal([64, 64, 256]), normal([64, 64, 512]), tf.train.adam(1e-3), "meanSquaredError");
  },
};

const I6 = 32;
const H6 = 128;

/** One LSTM step from raw ops (gates i, f, g, o), h and c kept outside the tidy scope. */
const w6Raw: PeerWorkload = {
  id: "W6", model: "lstm", batch: 1, unit: "us", minSteps: 2000, warmup: 200, variant: "raw-ops",
  build() {
    const scale = 1 / Math.sqrt(H6);
    const wIh = tf.mul(normal([I6, 4 * H6]), scale);
    const wHh = tf.mul(normal([H6, 4 * H6]), scale);
    const bias = tf.zeros([4 * H6]);
    const x = normal([1, I6]);
    let h: tf.Tensor = tf.zeros([1, H6]);
    let c: tf.Tensor = tf.zeros([1, H6]);
    return {
      step() {
        const [hNext, cNext] = tf.tidy(() => {
          const z = tf.add(tf.add(tf.matMul(x, wIh), tf.matMul(h, wHh)), bias);
          const [i, f, g, o] = tf.split(z, 4, 1);
          const cN = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
          return [tf.mul(tf.sigmoid(o), tf.tanh(cN)), cN];
        });
        tf.dispose([h, c]);
        h = hNext;
        c = cNext;
      },
      dispose: () => tf.dispose([wIh, wHh, bias, x, h, c]),
    };
  },
};

/** The same step through a stateful `tf.layers.lstm` (the layer carries h and c). */
const w6Layers: PeerWorkload = {
  id: "W6", model: "lstm", batch: 1, unit: "us", minSteps: 2000, warmup: 200, variant: "layers-predict",
  build() {
    const model = tf.sequential({ layers: [tf.layers.lstm({ units: H6, stateful: true, batchInputShape: [1, 1, I6], ...gates })] });
    const x = normal([1, 1, I6]);
    return {
      step() {
        tf.dispose(model.predict(x));
      },
      dispose: () => {
        model.dispose();
        x.dispose();
      },
    };
  },
};

const peerWorkloads: PeerWorkload[] = [w1("lstm"), w1("rnn"), w2, w3("rnn"), w3("gru"), w4("lstm"), w4("gru"), w5, w6Raw, w6Layers];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Warm-up, then at least minSteps and at least `seconds` of individually timed steps (ms). */
async function measure(w: PeerWorkload, seconds: number): Promise<number[]> {
  const { step, dispose } = w.build();
  // A step over a second (tfjs-cpu on W3-GRU, W4, W5): one warm-up and one timed step suffice.
  let slow = false;
  for (let i = 0; i < w.warmup && !slow; i++) {
    const t0 = performance.now();
    await step();
    slow = performance.now() - t0 > 1000;
  }
  const need = slow ? 1 : w.minSteps;
  const times: number[] = [];
  const start = performance.now();
  while (times.length < need || performance.now() - start < seconds * 1000) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
    if (times.length >= need && times.length >= 100000) break;
  }
  dispose();
  return times;
}

async function selectBackend(name: "cpu" | "wasm"): Promise<Record<string, unknown>> {
  if (name === "wasm") {
    // Imported only here, so that a cpu run never loads the wasm backend.
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
    wasm.setWasmPaths(join(dist, "/"));
    if (!(await tf.setBackend("wasm"))) throw new Error("tfjs-backend-wasm did not initialise");
    await tf.ready();
    return { simd: Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")), wasm_threads: wasm.getThreadsCount() };
  }
  if (!(await tf.setBackend("cpu"))) throw new Error("tfjs cpu backend did not initialise");
  await tf.ready();
  return {};
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backend: { type: "string", default: "wasm" },
      workload: { type: "string", default: "W1,W2,W3,W4,W5,W6" },
      seconds: { type: "string", default: "2" },
      slow: { type: "boolean", default: false },
    },
  });
  const backend = values.backend;
  if (backend !== "cpu" && backend !== "wasm") {
    console.error(`tfjs_bench: unknown backend ${backend}; known: cpu, wasm`);
    process.exit(2);
  }
  const wanted = values.workload.split(",").map((s) => s.trim().toUpperCase());
  const unknown = wanted.filter((id) => !peerWorkloads.some((w) => w.id === id));
  if (unknown.length) {
    console.error(`tfjs_bench: unknown workload(s) ${unknown.join(", ")}; known: W1..W6`);
    process.exit(2);
  }
  const extra = await selectBackend(backend);
  const impl = `tfjs-${backend}`;
  for (const w of peerWorkloads.filter((w) => wanted.includes(w.id))) {
    if (w.slow && !values.slow) {
      console.error(`tfjs_bench: ${impl} ${w.id} ${w.model} skipped (minutes per step; add --slow)`);
      continue;
    }
    const times = await measure(w, Number(values.seconds));
    const scale = w.unit === "us" ? 1000 : 1;
    const med = median(times);
    const line: Record<string, unknown> = { workload: w.id, model: w.model, impl, backend: backend === "cpu" ? "cpu" : extra.simd ? "wasm-simd" : "wasm", threads: 1 };
    line[w.unit === "us" ? "us_per_step" : "ms_per_step"] = +(med * scale).toPrecision(4);
    Object.assign(line, {
      min: +(Math.min(...times) * scale).toPrecision(4), max: +(Math.max(...times) * scale).toPrecision(4),
      samples_per_s: +((w.batch * 1000) / med).toPrecision(4), steps: times.length,
    });
    if (w.variant) line.variant = w.variant;
    if (w.note) line.note = w.note;
    Object.assign(line, { version: tf.version.tfjs }, extra);
    console.log(JSON.stringify(line));
    tf.disposeVariables();
  }
}

await main();
