/**
 * `rnnkit train text` and `rnnkit info` end to end, through the program with both commands
 * registered (test/support/textcli-entry.ts) in child processes: a tiny model trained with
 * --steps on texts the tests write, its info, text sampled from it by the `sample` command's
 * code; --resume after a SIGKILL gives the parameters of an uninterrupted run; every bad
 * data file and bad option exits 2 with one `rnnkit:` line and writes nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel } from "../src/node/files.js";
import { sampleFromFile } from "../src/cli/sample.js";
import { readTextFile } from "../src/node/text-file.js";
import { TRAIN_KEY, parseTrainTextArgs, prepareText, trainTextCommand, type TrainTextArgs } from "../src/cli/train-text.js";
import { infoCommand } from "../src/cli/info.js";

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, "support", "textcli-entry.js");
const register = join(here, "..", "src", "node", "register.js");

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, ["--import", register, entry, ...args], { cwd, encoding: "utf8", env: { ...process.env, CI: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "rnnkit-train-text-"));
}

/** A few kB of text with structure to learn. */
function writeText(dir: string, name = "text.txt", lines = 120): string {
  const words = ["the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far", "é", "🙂"];
  let s = 0;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const line: string[] = [];
    for (let k = 0; k < 8; k++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      line.push(words[s % words.length]);
    }
    out.push(line.join(" "));
  }
  const path = join(dir, name);
  writeFileSync(path, `${out.join("\n")}\n`);
  return path;
}

const TINY = ["--hidden", "12", "--window", "8", "--batch", "4", "--progress", "none"];

function params(path: string): Map<string, number[]> {
  return new Map(loadModel(path).model.namedParameters().map(([n, t]) => [n, Array.from(t.data)]));
}

test("train text --steps writes a model, a report and a checkpoint; info and sample read the model", () => {
  const dir = tmp();
  try {
    const file = writeText(dir);
    const out = join(dir, "out", "m.safetensors");
    const r = cli(["train", "text", file, "--steps", "12", ...TINY, "--out", out, "--sample-length", "40", "--progress", "lines"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /model: lstm 1×12/);
    assert.match(r.stdout, /done: 12 steps/);
    assert.ok(existsSync(out));
    for (const f of ["report.md", "loss.svg", "loss.png", "sample.txt"]) assert.ok(existsSync(join(dir, "out", "m-report", f)), f);
    assert.ok(existsSync(join(dir, "out", "m.ckpt")));

    const { metadata } = loadModel(out);
    const record = JSON.parse(metadata[TRAIN_KEY]) as { config: { steps: number; hidden: number }; data: { sha256: string }; steps: number; validationLoss: number; created: string };
    assert.equal(record.steps, 12);
    assert.equal(record.config.hidden, 12);
    const sha = createHash("sha256").update(readTextFile(file).text).digest("hex");
    assert.equal(record.data.sha256, sha);
    assert.ok(Number.isFinite(record.validationLoss));

    const info = cli(["info", out, "--json"], dir);
    assert.equal(info.code, 0, info.stderr);
    const j = JSON.parse(info.stdout) as { type: string; cell: string; hiddenSize: number; numLayers: number; parameters: number; vocabSize: number; training: { steps: number; data: { sha256: string } } };
    assert.equal(j.type, "SequenceToSequence");
    assert.equal(j.cell, "lstm");
    assert.equal(j.hiddenSize, 12);
    assert.equal(j.numLayers, 1);
    assert.equal(j.vocabSize, JSON.parse(metadata["rnnkit.vocab"]).length);
    const V = j.vocabSize;
    assert.equal(j.parameters, 4 * 12 * (V + 12 + 2) + 12 * V + V);
    assert.equal(j.training.data.sha256, sha);
    const text = cli(["info", out], dir);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /parameters: /);
    assert.match(text.stdout, /SHA-256 [0-9a-f]{64}/);

    const sample = sampleFromFile(out, { prime: "the ", temperature: "0.8", length: "30", seed: "1" });
    assert.equal([...sample].length, 34);
    const viaCli = cli(["sample", out, "--length", "20"], dir);
    assert.equal(viaCli.code, 0, viaCli.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("info shows what a model file without training metadata has", () => {
  const dir = tmp();
  try {
    const file = writeText(dir);
    const out = join(dir, "m.safetensors");
    assert.equal(cli(["train", "text", file, "--steps", "2", ...TINY, "--cell", "gru", "--out", out, "--sample-length", "0"], dir).code, 0);
    // Re-save without metadata.
    const { model } = loadModel(out);
    const bare = join(dir, "bare.safetensors");
    const save = spawnSync(process.execPath, ["--import", register, "--input-type=module", "-e",
      `import { loadModel, saveModel } from ${JSON.stringify(join(here, "..", "src", "node", "files.js"))}; const { model } = loadModel(${JSON.stringify(out)}); saveModel(${JSON.stringify(bare)}, model);`], { encoding: "utf8" });
    assert.equal(save.status, 0, save.stderr);
    assert.ok(model);
    const r = cli(["info", bare], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /SequenceToSequence \(gru\)/);
    assert.match(r.stdout, /vocabulary: none stored/);
    assert.match(r.stdout, /training: no record/);
    const missing = cli(["info", join(dir, "nope.safetensors")], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^rnnkit: .*nope\.safetensors/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--resume after SIGKILL mid-run gives the same parameters as an uninterrupted run", async () => {
  const dir = tmp();
  try {
    const file = writeText(dir, "text.txt", 200);
    const args = (out: string) => ["train", "text", file, "--steps", "150", "--eval-every", "5", "--dropout", "0.2", "--hidden", "24", "--window", "8", "--batch", "4", "--out", out, "--sample-length", "10"];
    const full = join(dir, "a", "m.safetensors");
    const a = cli([...args(full), "--progress", "none"], dir);
    assert.equal(a.code, 0, a.stderr);

    const killed = join(dir, "b", "m.safetensors");
    const child = spawn(process.execPath, ["--import", register, entry, ...args(killed), "--json"], { cwd: dir, env: { ...process.env, CI: "1" } });
    let buffer = "";
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        for (const line of lines) {
          const e = JSON.parse(line) as { event?: string; step?: number };
          if (e.event === "validation" && (e.step ?? 0) >= 15 && existsSync(join(dir, "b", "m.ckpt"))) child.kill("SIGKILL");
        }
      });
      child.on("exit", (_code, sig) => resolve(sig));
    });
    assert.equal(signal, "SIGKILL");
    assert.ok(existsSync(join(dir, "b", "m.ckpt")), "a checkpoint exists");
    assert.ok(!existsSync(killed), "killed before the end");

    const b = cli([...args(killed), "--resume", "--progress", "lines"], dir);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /resumed at step \d+/);
    const pa = params(full), pb = params(killed);
    assert.deepEqual([...pb.keys()], [...pa.keys()]);
    for (const [n, v] of pa) assert.deepEqual(pb.get(n), v, n);
    const ra = JSON.parse(loadModel(full).metadata[TRAIN_KEY]) as { validationLoss: number; steps: number };
    const rb = JSON.parse(loadModel(killed).metadata[TRAIN_KEY]) as { validationLoss: number; steps: number };
    assert.equal(rb.validationLoss, ra.validationLoss);
    assert.equal(rb.steps, 150);

    // A resume with other options is refused by name.
    const other = cli([...args(killed), "--resume", "--lr", "0.01", "--progress", "none"], dir);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /^rnnkit: .*options differ.*lr/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad data and bad options exit 2 with one line naming the problem, and write nothing", () => {
  const dir = tmp();
  try {
    const good = writeText(dir);
    const nul = join(dir, "nul.bin");
    writeFileSync(nul, Buffer.from("some text\u0000more text"));
    const latin1 = join(dir, "latin1.txt");
    writeFileSync(latin1, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x61, 0x62]));
    const empty = join(dir, "empty.txt");
    writeFileSync(empty, "");
    const short = join(dir, "short.txt");
    writeFileSync(short, "hello world, a short text\n".repeat(4));
    const tiny = join(dir, "tiny.txt");
    writeFileSync(tiny, "hello world\n".repeat(3));
    const sub = join(dir, "subdir");
    mkdirSync(sub);
    const cases: Array<[string[], RegExp]> = [
      [[nul], /nul\.bin: not a text file \(a NUL byte at byte 9\)/],
      [[latin1], /latin1\.txt: not UTF-8 text \(an invalid byte sequence at byte 3\)/],
      [[join(dir, "missing.txt")], /missing\.txt: no such file/],
      [[sub], /subdir: is a directory/],
      [[empty], /empty\.txt: the file is empty/],
      [[short, "--batch", "32"], /short\.txt: too short: 104 characters, 94 for training .* --batch 32 streams of --window 64 \+ 1 characters need 2080; lower --batch to 1 or less, or --window/],
      [[tiny], /tiny\.txt: too short: 36 characters, 32 for training .*lower --window \(at most 31\) and --batch/],
      [[good, "--validation", "0.0001"], /leave 0 for validation .*raise --validation/],
      [[good, "--hidden", "0"], /--hidden must be an integer ≥ 1, got '0'/],
      [[good, "--layers", "two"], /--layers must be an integer ≥ 1, got 'two'/],
      [[good, "--cell", "transformer"], /--cell must be lstm, gru or rnn, got 'transformer'/],
      [[good, "--lr", "-1"], /--lr must be a number > 0, got '-1'/],
      [[good, "--steps", "1.5"], /--steps must be an integer ≥ 1, got '1.5'/],
      [[good, "--minutes", "0"], /--minutes must be a number > 0/],
      [[good, "--dropout", "1"], /--dropout must be a number in \[0, 1\)/],
      [[good, "--validation", "1"], /--validation must be a fraction in \(0, 1\)/],
      [[good, "--clip", "nan"], /--clip must be a number > 0/],
      [[good, "--window", "0"], /--window must be an integer ≥ 1/],
      [[good, "--batch", ""], /--batch must be an integer ≥ 1/],
      [[good, "--patience", "-2"], /--patience must be an integer ≥ 0/],
      [[good, "--seed", "x"], /--seed must be an integer/],
      [[good, "--progress", "fancy"], /--progress must be auto, bar, lines, json or none, got 'fancy'/],
      [[good, "--eval-every", "0"], /--eval-every must be an integer ≥ 1/],
      [[good, "--frobnicate"], /unknown option '--frobnicate'/],
      [[good, "--resume"], /--resume: no checkpoint at .*m\.ckpt/],
      [[], /missing required argument 'file'/],
    ];
    for (const [extra, message] of cases) {
      const outDir = join(dir, "out");
      const r = cli(["train", "text", "--steps", "3", "--out", join(outDir, "m.safetensors"), ...extra], dir);
      const label = extra.join(" ");
      assert.equal(r.code, 2, `${label}: exit ${r.code}\n${r.stderr}`);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, `${label}: one line, got ${r.stderr}`);
      assert.match(lines[0], /^rnnkit: /, label);
      assert.match(lines[0], message, label);
      assert.ok(!existsSync(outDir), `${label}: nothing written`);
      assert.equal(r.stdout, "", `${label}: nothing on stdout`);
    }
    assert.deepEqual(readdirSync(dir).sort(), ["empty.txt", "latin1.txt", "nul.bin", "short.txt", "subdir", "text.txt", "tiny.txt"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without --batch a small text gets fewer streams; --steps alone means no time budget, neither means 10 minutes", () => {
  const base: TrainTextArgs = {
    cell: "lstm", hidden: "8", layers: "1", dropout: "0", window: "64", lr: "0.005", clip: "5", validation: "0.1", patience: "10",
    seed: "0", out: "m.safetensors", resume: false, progress: "none", json: false, sampleLength: "0", steps: "10",
  };
  const p = parseTrainTextArgs(base);
  assert.equal(p.config.minutes, null);
  assert.equal(p.config.batch, 32);
  const text = "abcdefghij".repeat(100);
  const prepared = prepareText("t.txt", text, p.config, p.batchGiven);
  assert.equal(p.config.batch, Math.floor(900 / 65));
  assert.equal(prepared.trainIds.length, 900);
  assert.equal(parseTrainTextArgs({ ...base, steps: undefined }).config.minutes, 10);
});

test("early stopping: --patience scores without improvement end the run; the best model is written", () => {
  const dir = tmp();
  try {
    const file = writeText(dir);
    const out = join(dir, "m.safetensors");
    const r = cli(["train", "text", file, "--steps", "200", "--hidden", "16", "--window", "8", "--batch", "4", "--patience", "2", "--eval-every", "2", "--lr", "1", "--out", out, "--json"], dir);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { event?: string; step?: number; val?: number; bestStep?: number; stoppedEarly?: boolean });
    const scores = events.filter((e) => e.event === "validation");
    const done = events.find((e) => e.event === "done")!;
    assert.equal(done.stoppedEarly, true);
    assert.ok(scores.length < 100, "stopped before the 200 steps");
    const best = scores.reduce((a, b) => (b.val! < a.val! ? b : a));
    assert.equal(done.bestStep, best.step);
    const record = JSON.parse(loadModel(out).metadata[TRAIN_KEY]) as { bestStep: number; stoppedEarly: boolean };
    assert.equal(record.bestStep, best.step);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the command objects are named for wiring: train text and info", () => {
  assert.equal(trainTextCommand().name(), "text");
  assert.equal(infoCommand().name(), "info");
});

test("readTextFile: UTF-8 text with a BOM, emoji and CRLF is read; overlong forms, surrogates and cut sequences are refused at their offset", () => {
  const dir = tmp();
  try {
    const write = (name: string, bytes: number[] | string) => {
      const path = join(dir, name);
      writeFileSync(path, typeof bytes === "string" ? bytes : Buffer.from(bytes));
      return path;
    };
    const ok = readTextFile(write("ok.txt", "\uFEFFcafé 🙂\r\nline\n"));
    assert.equal(ok.text, "café 🙂\r\nline\n");
    assert.equal(ok.sha256, createHash("sha256").update(Buffer.from("\uFEFFcafé 🙂\r\nline\n")).digest("hex"));
    const bad: Array<[number[], number]> = [
      [[0x61, 0xc0, 0xaf], 1], // overlong "/"
      [[0x61, 0x62, 0xed, 0xa0, 0x80], 2], // a UTF-16 surrogate
      [[0x61, 0xe2, 0x82], 1], // cut short at the end
      [[0xf5, 0x80, 0x80, 0x80], 0], // beyond U+10FFFF
      [[0x61, 0x80], 1], // a lone continuation byte
    ];
    for (const [bytes, at] of bad) {
      assert.throws(() => readTextFile(write("bad.txt", bytes)), new RegExp(`not UTF-8 text \\(an invalid byte sequence at byte ${at}\\)`), bytes.join(","));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
