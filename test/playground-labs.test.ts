// The playground's labs in Node (the page runs the same code in a Web Worker): every lab
// builds from its default settings, trains, gives the same snapshots for the same seed and
// other ones for another, posts only what structured clone can carry, and refuses settings
// outside its schema. The browser side is test/browser/playground.test.ts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Rng, SequenceToVector, decodeModel, encodeModel, useBackend } from "../src/index.js";
import { LABS, findLab } from "../playground/src/experiments/labs.js";
import type { LabAssets, LabDefinition } from "../playground/src/lab/lab.js";
import { History } from "../playground/src/lab/history.js";
import { checkSetting, defaultSettings, readSettings, settingsToParams, type SettingsSchema } from "../playground/src/lab/settings.js";

/** The files a lab asks for, read from playground/public/ as the page serves them. */
function assetsOf(lab: LabDefinition): LabAssets {
  return Object.fromEntries((lab.card.assets ?? []).map((name) => [name, new Uint8Array(readFileSync(`playground/public/${name}`))]));
}

/** A few updates of `lab` from these settings, and its snapshot then. */
function run(lab: LabDefinition, settings: Record<string, unknown>, updates: number) {
  const l = lab.create(settings as never, assetsOf(lab));
  for (let i = 0; i < updates; i++) l.step();
  return l.snapshot();
}

describe("every playground lab", () => {
  useBackend("wasm-simd", { shared: false });
  for (const lab of LABS) {
    it(`${lab.card.name}: trains, is reproducible from its seed, and snapshots what structured clone carries`, () => {
      const defaults = defaultSettings(lab.card.settings);
      const a = run(lab, defaults, 3);
      const b = run(lab, defaults, 3);
      assert.equal(a.step, 3);
      assert.equal(typeof a.metricName, "string");
      assert.ok(Number.isFinite(a.metric), `${lab.card.name}: metric ${a.metric}`);
      assert.deepEqual(structuredClone(a), a, "a snapshot survives structured clone unchanged");
      assert.deepEqual(b, a, "same settings, same snapshot");
      const other = run(lab, { ...defaults, seed: defaults.seed + 1 }, 3);
      assert.notDeepEqual(other, a, "another seed, another run");
    });
  }

  it("findLab names the known labs when asked for another", () => {
    assert.equal(findLab("linear").card.name, "linear");
    assert.throws(() => findLab("lstmm"), (e: Error) => e.message.includes("lstmm") && LABS.every((l) => e.message.includes(l.card.name)));
  });
});

describe("lab settings", () => {
  const schema = {
    seed: { kind: "number", label: "seed", default: 1, min: 0, max: 100, step: 1 },
    lr: { kind: "number", label: "lr", default: 0.1, min: 0.001, max: 1, step: 0.001, log: true },
    cell: { kind: "choice", label: "cell", default: "lstm", options: ["lstm", "gru"] },
    peep: { kind: "flag", label: "peep", default: false },
    text: { kind: "text", label: "text", default: "", maxLength: 5 },
  } satisfies SettingsSchema;

  it("reads URL values in their types and keeps defaults for the rest", () => {
    const { settings, errors } = readSettings(schema, new URLSearchParams("seed=7&lr=0.01&cell=gru&peep=1&view=x").entries());
    assert.deepEqual(errors, []);
    assert.deepEqual(settings, { seed: 7, lr: 0.01, cell: "gru", peep: true, text: "" });
  });

  it("refuses values outside the schema, naming the setting and what it expected, and keeps the default", () => {
    const { settings, errors } = readSettings(schema, [["seed", "2.5"], ["lr", "5"], ["cell", "rnn"], ["peep", "yes"], ["text", "toolong"], ["seed", ""]]);
    assert.deepEqual(settings, defaultSettings(schema));
    assert.deepEqual(errors, [
      "setting seed: expected an integer, got 2.5",
      "setting lr: expected a number in [0.001, 1], got 5",
      "setting cell: expected one of lstm, gru, got \"rnn\"",
      "setting peep: expected true or false, got \"yes\"",
      "setting text: at most 5 characters, got 7",
      "setting seed: expected a number, got \"\"",
    ]);
    assert.throws(() => checkSetting("seed", schema.seed, NaN), /setting seed: expected a number/);
  });

  it("writes only what differs from the defaults to the URL, and reads it back", () => {
    const settings = { ...defaultSettings(schema), seed: 3, peep: true };
    const params = settingsToParams(schema, settings);
    assert.deepEqual(params, [["seed", "3"], ["peep", "1"]]);
    assert.deepEqual(readSettings(schema, params).settings, settings);
  });

  it("every lab's defaults pass its own schema", () => {
    for (const lab of LABS) {
      for (const [key, s] of Object.entries(lab.card.settings)) assert.equal(checkSetting(key, s, s.default), s.default, `${lab.card.name}.${key}`);
    }
  });
});

describe("History", () => {
  it("keeps at most its capacity, the first point and an even stride", () => {
    const h = new History(1, 8);
    for (let step = 0; step < 100; step++) h.push(step, [step * 2]);
    const { steps, values } = h.curves();
    assert.ok(steps.length < 8, `${steps.length} points`);
    assert.equal(steps[0], 0);
    assert.deepEqual(values[0], steps.map((s) => s * 2));
    const gaps = new Set(steps.slice(1).map((s, i) => s - steps[i]));
    assert.equal(gaps.size, 1, `one stride between points: ${[...gaps]}`);
    assert.equal(h.last(0), values[0][values[0].length - 1]);
  });
});

describe("labs that offer their model", () => {
  useBackend("wasm-simd", { shared: false });
  for (const lab of LABS.filter((l) => l.card.models)) {
    it(`${lab.card.name}: the downloaded file is an rnnkit model file, and loading it into another run gives that run the same parameters`, () => {
      const defaults = defaultSettings(lab.card.settings);
      const a = lab.create(defaults as never, assetsOf(lab));
      for (let i = 0; i < 3; i++) a.step();
      const file = a.download!();
      assert.match(file.name, /\.safetensors$/);
      const params = (bytes: Uint8Array) => Object.entries(decodeModel(bytes, file.name).model.stateDict()).map(([name, t]) => [name, [...t.data]] as const);
      const original = params(file.bytes);
      const b = lab.create({ ...defaults, seed: defaults.seed + 1 } as never, assetsOf(lab));
      assert.notDeepEqual(params(b.download!().bytes), original, "two seeds, two models");
      assert.match(b.load!(file.bytes, file.name), new RegExp(file.name.replace(/\./g, "\\.")));
      assert.deepEqual(params(b.download!().bytes), original, "the loaded run's parameters are the file's");
      b.step(); // and it trains on from there
    });

    it(`${lab.card.name}: refuses a file that is not a model it can use, saying why`, () => {
      const l = lab.create(defaultSettings(lab.card.settings) as never, assetsOf(lab));
      assert.throws(() => l.load!(new Uint8Array([1, 2, 3]), "junk.safetensors"), /junk\.safetensors/);
      const other = new SequenceToVector({ cell: "gru", inputSize: 3, hiddenSize: 4, outputSize: 2, rng: new Rng(1) });
      assert.throws(() => l.load!(encodeModel(other), "other.safetensors"), /other\.safetensors.*(needs|reads)/);
    });
  }
});
