/**
 * Test support (no tests here): where the PyTorch fixtures are, reading a fixture file,
 * and running one case through its family with a clear failure message.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DType } from "../../src/tensor/tensor.js";
import { Comparison, type FixtureCase, type FixtureFamily } from "../../src/fixtures/format.js";
import { readFixtureFile } from "../../src/fixtures/run.js";

/** The shared fixtures directory: $RNNKIT_FIXTURES, else the first `shared/fixtures` above this file. */
export function fixturesDir(): string {
  if (process.env.RNNKIT_FIXTURES) return process.env.RNNKIT_FIXTURES;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "shared", "fixtures");
    if (existsSync(join(candidate, "rnn_layers.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("shared/fixtures not found above the test file; set RNNKIT_FIXTURES");
    dir = parent;
  }
}

/** Every case of one fixture file (e.g. "losses.json"); fails if there is none. */
export function readFixtureCases(file: string): FixtureCase[] {
  const cases = readFixtureFile(join(fixturesDir(), file));
  assert.ok(cases.length > 0, `${file} holds no case`);
  return cases;
}

/** Runs a case through `family` in `dtype` and asserts that it is recognized and passes. */
export function runPassingCase(family: FixtureFamily, c: FixtureCase, dtype: DType): Comparison {
  assert.ok(family.matches(c), `${c.name} is not recognized by the ${family.name} family`);
  const cmp = new Comparison(c.tolerances, dtype);
  family.run(c, cmp);
  const w = cmp.worst();
  assert.ok(cmp.ok, `${c.name} (${dtype}): ${w ? `${w.key} ratio ${w.ratio}${w.problem ? ` (${w.problem})` : ""}` : "nothing checked"}`);
  return cmp;
}
