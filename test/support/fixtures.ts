/**
 * Test support (no tests here): where the PyTorch fixtures are (the small set committed in
 * test/fixtures, and the full set in ../shared/fixtures when present), reading a fixture
 * file, and running one case through its family with a clear failure message.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DType } from "../../src/tensor/tensor.js";
import { Comparison, type FixtureCase, type FixtureFamily } from "../../src/fixtures/format.js";
import { readFixtureFile } from "../../src/fixtures/run.js";

/**
 * The repository root: the first directory above this file that holds test/fixtures (this
 * file runs from build/test/support/, and the JSON files are not copied into build/).
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "test", "fixtures", "manifest.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("test/fixtures/manifest.json not found above the test file");
    dir = parent;
  }
}

/** The small fixture set committed with the code (tools/make_fixtures.py writes it). */
export function committedFixturesDir(): string {
  return join(repoRoot(), "test", "fixtures");
}

/** The full reference set beside the repository (../shared/fixtures), or null when it is absent. */
export function sharedFixturesDir(): string | null {
  const dir = join(repoRoot(), "..", "shared", "fixtures");
  return existsSync(join(dir, "rnn_layers.json")) ? dir : null;
}

/** The fixtures the unit tests read: $RNNKIT_FIXTURES when set, else the committed set. */
export function fixturesDir(): string {
  return process.env.RNNKIT_FIXTURES || committedFixturesDir();
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
