/**
 * `rnnkit check-fixtures` end to end: every committed fixture (test/fixtures) passes in
 * float32 and float64 (exit 0), and so does every case of the full reference set in
 * ../shared/fixtures when that directory is present (skipped, saying so, when not); the
 * committed manifest matches its files; a copy with a wrong expected value fails (exit 1)
 * and names the case; a case nobody recognizes is unsupported (exit 1); a file that is not
 * a fixture file is an error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { committedFixturesDir, sharedFixturesDir } from "./support/fixtures.js";

const cli = resolve("build/src/cli/main.js");
const committed = committedFixturesDir();
const shared = sharedFixturesDir();
const FAMILIES = ["layers", "cells", "losses", "optimizers", "clipping", "vanishing"];
const run = (...args: string[]) => spawnSync(process.execPath, [cli, "check-fixtures", ...args], { encoding: "utf8" });

/** The fixture files of a directory (manifest.json is not one). */
const familyFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".json") && f !== "manifest.json").sort();
const casesIn = (dir: string, file: string): Array<{ name: string }> => JSON.parse(readFileSync(join(dir, file), "utf8"));

/** Runs the CLI over `dir` in both dtypes: exit 0, every case passed twice, every family reported. */
function assertAllPass(dir: string): number {
  const res = run(dir, "--dtype", "both", "--quiet");
  assert.equal(res.status, 0, res.stdout + res.stderr);
  const summary = res.stdout.match(/^(\d+) passed, (\d+) failed$/m);
  assert.ok(summary, res.stdout);
  assert.equal(Number(summary[2]), 0);
  const cases = familyFiles(dir).reduce((n, f) => n + casesIn(dir, f).length, 0);
  assert.equal(Number(summary[1]), 2 * cases);
  for (const family of FAMILIES) {
    for (const dtype of ["float32", "float64"]) assert.match(res.stdout, new RegExp(`^${family} +${dtype}`, "m"));
  }
  return cases;
}

test("every committed fixture case (test/fixtures) passes in float32 and float64", (t) => {
  const cases = assertAllPass(committed);
  t.diagnostic(`${cases} cases, each in float32 and float64, in ${committed}`);
});

test(
  "every case of the full reference set (../shared/fixtures) passes in float32 and float64",
  { skip: shared === null ? "../shared/fixtures is not present beside the repository" : false },
  (t) => {
    const cases = assertAllPass(shared!);
    t.diagnostic(`${cases} cases, each in float32 and float64, in ${shared}`);
  },
);

test("test/fixtures/manifest.json lists every file's cases, size and sha256", () => {
  const manifest = JSON.parse(readFileSync(join(committed, "manifest.json"), "utf8")) as {
    files: Record<string, { bytes: number; sha256: string; cases: string[] }>;
  };
  assert.deepEqual(Object.keys(manifest.files).sort(), familyFiles(committed));
  for (const [file, entry] of Object.entries(manifest.files)) {
    const bytes = readFileSync(join(committed, file));
    assert.equal(bytes.length, entry.bytes, `${file} size`);
    assert.equal(createHash("sha256").update(bytes).digest("hex"), entry.sha256, `${file} sha256: regenerate with tools/make_fixtures.py`);
    assert.deepEqual(casesIn(committed, file).map((c) => c.name), entry.cases, `${file} case names`);
  }
});

test("a wrong expected value fails with the case named; an unknown case is unsupported; junk is an error", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnkit-fx-"));
  const cases = JSON.parse(readFileSync(join(committed, "rnn_layers.json"), "utf8"));
  const broken = structuredClone(cases[3]);
  broken.name = "gru_broken";
  broken.expected.h_n.data[0] += 0.01;
  const unknown = { ...structuredClone(cases[0]), name: "mystery", config: { module: "Transformer" } };
  writeFileSync(join(dir, "mine.json"), JSON.stringify([cases[0], broken, unknown]));
  const res = run(dir, "--json");
  assert.equal(res.status, 1);
  const rows = res.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => [r.case, r.status]), [["rnn_tanh_1layer", "pass"], ["gru_broken", "fail"], ["mystery", "unsupported"]]);
  assert.equal(rows[1].worst_key, "h_n");
  writeFileSync(join(dir, "junk.json"), "{\"not\": \"cases\"}");
  const junk = run(join(dir, "junk.json"));
  assert.equal(junk.status, 1);
  assert.match(junk.stdout, /not a fixture file/);
});
