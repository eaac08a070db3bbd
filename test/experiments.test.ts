import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig, spread } from "../src/experiments/experiment.js";
import { findExperiment, runExperiment, formatSummary } from "../src/experiments/index.js";
import { parseReproArgs } from "../src/experiments/repro.js";

test("config overrides are typed, unknown keys refused, quick applied first", () => {
  const e = findExperiment("linear");
  const c = resolveConfig(e, { seeds: "2", bugCompatible: "false" }, true);
  assert.equal(c.seeds, 2);
  assert.equal(c.bugCompatible, false);
  assert.equal(resolveConfig(e, {}, true).seeds, e.quick.seeds);
  assert.throws(() => resolveConfig(e, { sedes: "2" }, false), /^Error: linear: unknown config key\(s\) sedes \(did you mean seeds\?\); known: seeds, sequences, /);
  assert.throws(() => resolveConfig(e, { zzz: "2" }, false), /^Error: linear: unknown config key\(s\) zzz; known: seeds, /);
  assert.throws(() => resolveConfig(e, { lr: "fast" }, false), /expected a number/);
  assert.throws(() => findExperiment("nope"), /unknown experiment 'nope'/);
});

test("repro arguments: name, --quick, --out, --key=value", () => {
  const a = parseReproArgs(["linear", "--quick", "--out", "/tmp/x", "--seeds=3", "--lr=0.05"]);
  assert.deepEqual(a, { name: "linear", quick: true, outDir: "/tmp/x", progress: "auto", overrides: { seeds: "3", lr: "0.05" }, help: false });
  assert.throws(() => parseReproArgs([]), /which experiment/);
});

test("spread gives mean, sample std, min and max", () => {
  assert.deepEqual(spread([1, 2, 3]), { mean: 2, std: 1, min: 1, max: 3 });
});

test("xor, linear and vanishing run end to end and write their reports with plots", async () => {
  const out = mkdtempSync(join(tmpdir(), "rnnkit-repro-"));
  const runs = [
    ["xor", { seeds: "2", epochs: "1500" }],
    ["linear", { seeds: "1", steps: "30" }],
    ["vanishing", {}],
  ] as const;
  const results = [];
  for (const [name, overrides] of runs) {
    const r = await runExperiment(findExperiment(name), { quick: true, overrides, outDir: out, progress: "none", log: () => {} });
    results.push(r);
    const files = readdirSync(join(out, name));
    for (const f of ["results.json", "report.md"]) assert.ok(files.includes(f), `${name}: ${f}`);
    const pngs = files.filter((f) => f.endsWith(".png"));
    assert.ok(pngs.length >= 1 && files.some((f) => f.endsWith(".svg")), `${name}: plots`);
    assert.deepEqual([...readFileSync(join(out, name, pngs[0])).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const json = JSON.parse(readFileSync(join(out, name, "results.json"), "utf8"));
    assert.equal(json.experiment, name);
    assert.ok(json.figures.length >= 1);
    assert.match(readFileSync(join(out, name, "report.md"), "utf8"), /\| figure \| ours \| published \| verdict \|/);
  }
  const xor = results[0].figures.find((f) => f.name.startsWith("seeds that solve"))!;
  assert.match(xor.ours, /^[12]\/2$/);
  const vanish = results[2].figures[0];
  assert.equal(vanish.verdict, "vanishes, as published");
  // Quick runs with settings of their own are smoke runs; vanishing's quick run is its full protocol.
  const smoke = formatSummary(results, 100);
  assert.match(smoke, /^Quick run: a smoke run of every experiment on small data/);
  assert.match(smoke, /\nexperiment +figure +ours +quick-run check\n/);
  assert.match(smoke, /\nvanishing +same, LSTM +\S+ +agrees\n/);
  const full = formatSummary(results.map((r) => ({ ...r, smoke: false })), 100);
  assert.match(full, /^experiment +figure +ours +published +verdict\n/);
});
