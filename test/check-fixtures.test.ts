/**
 * `rnnkit check-fixtures` end to end: every public fixture passes (exit 0); a copy with a
 * wrong expected value fails (exit 1) and names the case; a case nobody recognizes is
 * reported as unsupported (exit 1); a file that is not a fixture file is an error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const cli = resolve("build/src/cli/main.js");
const fixtures = resolve("../shared/fixtures");
const run = (...args: string[]) => spawnSync(process.execPath, [cli, "check-fixtures", ...args], { encoding: "utf8" });

test("every public fixture case passes in float32 and float64", () => {
  const res = run(fixtures, "--dtype", "both", "--quiet");
  assert.equal(res.status, 0, res.stdout + res.stderr);
  const summary = res.stdout.match(/^(\d+) passed, (\d+) failed$/m);
  assert.ok(summary, res.stdout);
  assert.equal(Number(summary[2]), 0);
  const cases = readdirSync(fixtures).filter((f) => f.endsWith(".json") && f !== "manifest.json")
    .reduce((n, f) => n + JSON.parse(readFileSync(join(fixtures, f), "utf8")).length, 0);
  assert.equal(Number(summary[1]), 2 * cases);
  for (const family of ["layers", "cells", "losses", "optimizers", "clipping", "vanishing"]) assert.match(res.stdout, new RegExp(`^${family} +float32`, "m"));
});

test("a wrong expected value fails with the case named; an unknown case is unsupported; junk is an error", () => {
  const dir = mkdtempSync(join(tmpdir(), "rnnkit-fx-"));
  const cases = JSON.parse(readFileSync(join(fixtures, "rnn_layers.json"), "utf8"));
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
