/**
 * The examples run and do what the README says, and every TypeScript block of the
 * README appears word for word in an example file (with `from "rnnkit"` standing for
 * the relative import the examples use), so the README cannot drift from tested code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { trainClassifier, classifyStreaming } from "../examples/sequence-classifier.js";
import { trainTextModel, generate } from "../examples/text-model.js";

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

test("README code blocks are quoted from the tested examples", () => {
  const readme = readFileSync(resolve("README.md"), "utf8");
  const examples = ["examples/sequence-classifier.ts", "examples/text-model.ts"].map((f) => readFileSync(resolve(f), "utf8")).join("\n");
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 2, "the README shows the examples");
  for (const block of blocks) {
    for (const line of block.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("//"))) {
      const asInRepo = line
        .replace('from "rnnkit"', 'from "../src/index.js"')
        .replace('from "rnnkit/node"', 'from "../src/node/index.js"')
        .replace('from "rnnkit/tasks"', 'from "../src/tasks.js"');
      assert.ok(examples.includes(asInRepo), `README line not found in the examples: ${line}`);
    }
  }
});
