/**
 * The examples run and do what the README says, and every TypeScript block of the
 * README appears word for word in an example file (with `from "rnnkit"` standing for
 * the relative import the examples use), so the README cannot drift from tested code.
 */
import { test } from "node:test";
import { nativeUnavailable } from "./support/backends.js";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { trainClassifier, classifyStreaming } from "../examples/sequence-classifier.js";
import { trainTextModel, generate } from "../examples/text-model.js";
import { quickstart } from "../examples/quickstart.js";

const dir = mkdtempSync(join(tmpdir(), "rnnkit-examples-"));

test("the sequence classifier learns, saves, loads and streams", () => {
  const path = join(dir, "classifier.safetensors");
  const last = trainClassifier(path, 6);
  assert.ok(last.valAccuracy! >= 0.95, `validation accuracy ${last.valAccuracy}`);
  const p = classifyStreaming(path, [1, 1, 1, -1, -1, -1, -1]);
  assert.equal(p.length, 7);
  assert.ok(p[2] > 0.5 && p[6] < 0.5, `probabilities ${p}`);
});

test("the text model's loss falls and it generates text from its vocabulary", () => {
  const path = join(dir, "text.safetensors");
  const { losses, vocab } = trainTextModel(path, 30);
  const tail = losses.slice(-5).reduce((a, b) => a + b) / 5;
  assert.ok(tail < losses[0] - 0.4, `loss ${losses[0]} → ${tail}`);
  const text = generate(path, vocab, "The ", 40, 0.8, 3);
  assert.equal(text.length, 44);
  assert.ok(text.startsWith("The "));
  assert.ok([...text].every((ch) => vocab.chars.includes(ch)));
  assert.equal(generate(path, vocab, "The ", 40, 0.8, 3), text, "same seed, same text");
});

test("the quick start trains, reports its kernels, and reloads its model with the same outputs", () => {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  let r;
  try {
    r = quickstart(join(dir, "quickstart.safetensors"), 20);
  } finally {
    console.log = orig;
  }
  // Node's default: the native kernels where they were built, else WebAssembly SIMD.
  assert.match(lines[0], nativeUnavailable() === null ? /^kernels: native \(best available: native/ : /^kernels: wasm-simd \(/);
  const first = r.history[0], last = r.history.at(-1)!;
  assert.ok(last.valLoss! < first.valLoss! * 0.5, `validation loss ${first.valLoss} → ${last.valLoss}`);
  assert.equal(r.sameAfterReload, true);
});

test("each example runs as a program and prints what it shows", () => {
  const run = (file: string) => spawnSync(process.execPath, [resolve(file)], { cwd: dir, encoding: "utf8" });
  const classifier = run("build/examples/sequence-classifier.js");
  assert.equal(classifier.status, 0, classifier.stderr);
  assert.match(classifier.stdout, /validation accuracy (0\.9\d\d|1\.000) after 6 epochs/);
  assert.match(classifier.stdout, /step 7: read -1, P\(sum so far > 0\) = 0\.\d+/);
  const backends = run("build/examples/backends.js");
  assert.equal(backends.status, 0, backends.stderr);
  assert.match(backends.stdout, /name: 'wasm-scalar',\s+how: 'chosen'/);
  assert.match(backends.stdout, /threads: 2/);
  assert.match(backends.stdout, /backend 'wasm-simd' cannot be used: simd: /);
  const peephole = run("build/examples/peephole-lstm.js");
  assert.equal(peephole.status, 0, peephole.stderr);
  assert.match(peephole.stdout, /held-out MSE \d\.\d{4}/);
});

test("README code blocks are quoted from the tested examples", () => {
  const readme = readFileSync(resolve("README.md"), "utf8");
  const files = readdirSync(resolve("examples"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  const examples = files.map((f) => readFileSync(resolve("examples", f), "utf8")).join("\n");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 2, "the README shows the examples");
  for (const block of blocks) {
    for (const line of block.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("//"))) {
      // The Node examples import "rnnkit" as Node resolves it; the browser example, the core itself.
      const asInRepo = [
        line.replace('from "rnnkit"', 'from "../src/node/entry.js"'),
        line.replace('from "rnnkit"', 'from "../../src/index.js"'),
      ].map((l) => l.replace('from "rnnkit/node"', 'from "../src/node/index.js"').replace('from "rnnkit/tasks"', 'from "../src/tasks.js"'));
      assert.ok(asInRepo.some((l) => examples.includes(l)), `README line not found in the examples: ${line}`);
    }
  }
});
