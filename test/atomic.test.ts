/**
 * Atomic writes under attack: temporary files of processes killed mid-write are removed
 * by the next save to the same target (those of live processes are not); a failed
 * rename leaves no temporary file; a path under /proc is refused at once instead of
 * hanging in a recursive mkdir; the directory is fsynced after the rename (seen with
 * strace, where it can run); checkWritableDir finds an unusable directory up front.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkWritableDir, fsyncDirectory, removeStaleTempFiles, tempPathFor, writeFileAtomic } from "../src/node/atomic.js";
import * as nodeLayer from "../src/node/index.js";
import { saveModel } from "../src/node/files.js";
import { LSTM } from "../src/nn/recurrent.js";
import { Rng } from "../src/tensor/random.js";

const root = mkdtempSync(join(tmpdir(), "rnnkit-atomic-"));
after(() => rmSync(root, { recursive: true, force: true }));
const atomicJs = resolve("build/src/node/atomic.js");
const temps = (dir: string) => readdirSync(dir).filter((n) => n.endsWith(".rnnkit-tmp"));
let n = 0;
const freshDir = () => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};

/** Runs a script in a child Node process with the atomic module imported as `m`. */
function runChild(script: string): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, ["--input-type=module", "-e", `import * as m from ${JSON.stringify(atomicJs)};\n${script}`], { encoding: "utf8" });
}

test("the Node layer exports checkWritableDir", () => {
  assert.equal(nodeLayer.checkWritableDir, checkWritableDir);
});

test("a temporary file left by a dead process is removed by the next save; a live process's is kept", () => {
  const dir = freshDir();
  const target = join(dir, "model.safetensors");
  // A process that started a write and died: its temp file stays behind under its pid.
  const child = runChild(`import { writeFileSync } from "node:fs"; writeFileSync(m.tempPathFor(${JSON.stringify(target)}), "half a mod");`);
  assert.equal(child.status, 0, String(child.stderr));
  assert.equal(temps(dir).length, 1);
  // A live process (this one's parent-side sibling: a sleeping child) with a write in progress.
  const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
  try {
    const live = tempPathFor(target, sleeper.pid!);
    writeFileSync(live, "in progress");
    // One of another target is not touched.
    const other = tempPathFor(join(dir, "other.bin"), 999999999);
    writeFileSync(other, "x");
    writeFileAtomic(target, "new bytes");
    assert.equal(readFileSync(target, "utf8"), "new bytes");
    assert.deepEqual(temps(dir).sort(), [live, other].map((p) => p.slice(dir.length + 1)).sort());
    // A day-old one is stale whatever its pid says (pids are reused).
    const old = new Date(Date.now() - 25 * 3600 * 1000);
    utimesSync(live, old, old);
    assert.deepEqual(removeStaleTempFiles(target), [live.slice(dir.length + 1)]);
  } finally {
    sleeper.kill("SIGKILL");
  }
});

test("processes killed mid-write: the target is old or new, never torn, and the next save leaves no temp file", async () => {
  const dir = freshDir();
  const target = join(dir, "big.bin");
  const size = 16 << 20;
  writeFileAtomic(target, new Uint8Array(size).fill(1));
  let leftovers = 0;
  for (let round = 0; round < 4; round++) {
    const child = spawn(process.execPath, [
      "--input-type=module", "-e",
      `import * as m from ${JSON.stringify(atomicJs)}; const b = new Uint8Array(${size}); for (let i = 2; ; i++) { b.fill(i % 250 + 2); m.writeFileAtomic(${JSON.stringify(target)}, b); }`,
    ]);
    await new Promise((r) => setTimeout(r, 300 + 150 * round));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const bytes = readFileSync(target);
    assert.equal(bytes.length, size, "the target is whole");
    assert.ok(bytes.every((v) => v === bytes[0]), "one write's bytes, not two");
    leftovers += temps(dir).length;
  }
  writeFileAtomic(target, "done");
  assert.deepEqual(temps(dir), [], `the next save removed the ${leftovers} temp file(s) the kills left`);
  assert.equal(readFileSync(target, "utf8"), "done");
});

test("a failed rename removes its temporary file and leaves the target as it was", () => {
  const dir = freshDir();
  const target = join(dir, "taken");
  mkdirSync(target);
  writeFileSync(join(target, "inside"), "keep"); // renaming a file over a non-empty directory fails
  assert.throws(() => writeFileAtomic(target, "bytes"), /EISDIR|ENOTEMPTY|EEXIST|EPERM/);
  assert.deepEqual(readdirSync(dir), ["taken"]);
  assert.equal(readFileSync(join(target, "inside"), "utf8"), "keep");
});

test("a path under /proc is refused at once with the directory named, not a hang", { skip: !existsSync("/proc/self") }, () => {
  const start = performance.now();
  assert.throws(() => writeFileAtomic("/proc/x/m", "bytes"), /^Error: cannot write \/proc\/x\/m: cannot create directory \/proc\/x: ENOENT/);
  const lstm = new LSTM({ inputSize: 1, hiddenSize: 2, rng: new Rng(0) });
  assert.throws(() => saveModel("/proc/x/y/m.safetensors", lstm), /cannot write \/proc\/x\/y\/m\.safetensors: cannot create directory \/proc\/x:/);
  assert.throws(() => checkWritableDir("/proc/x"), /output directory \/proc\/x is not usable: cannot create directory \/proc\/x/);
  assert.throws(() => checkWritableDir("/proc"), /output directory \/proc is not writable/);
  assert.ok(performance.now() - start < 2000);
});

test("checkWritableDir creates a missing directory, refuses one under a file, leaves no probe behind", () => {
  const dir = join(freshDir(), "a", "b");
  checkWritableDir(dir);
  assert.deepEqual(readdirSync(dir), []);
  const file = join(root, "plain-file");
  writeFileSync(file, "x");
  assert.throws(() => checkWritableDir(join(file, "sub")), /output directory .*plain-file\/sub is not usable: .*(ENOTDIR|is not a directory)/);
  assert.throws(() => checkWritableDir(file), /plain-file is not a directory/);
  assert.throws(() => writeFileAtomic(join(file, "m.bin"), "x"), /cannot write .*plain-file\/m\.bin: .*plain-file is not a directory/);
});

test("the directory is fsynced after the rename (strace)", (t) => {
  const probe = spawnSync("strace", ["-o", "/dev/null", "true"]);
  if (probe.error || probe.status !== 0) {
    t.skip("strace is not available here");
    return;
  }
  assert.equal(fsyncDirectory(root), true, "Linux lets a directory be opened and fsynced");
  const dir = freshDir();
  const log = join(root, "strace.log");
  const r = spawnSync("strace", ["-f", "-e", "trace=openat,open,fsync,rename,renameat,renameat2,close", "-o", log,
    process.execPath, "--input-type=module", "-e", `import * as m from ${JSON.stringify(atomicJs)}; m.writeFileAtomic(${JSON.stringify(join(dir, "f.bin"))}, "bytes");`]);
  assert.equal(r.status, 0, String(r.stderr));
  const lines = readFileSync(log, "utf8").split("\n");
  const renameAt = lines.findIndex((l) => /rename/.test(l) && l.includes(join(dir, "f.bin")));
  assert.ok(renameAt >= 0, "the rename is traced");
  const tmpSync = lines.slice(0, renameAt).some((l) => /fsync\(/.test(l));
  assert.ok(tmpSync, "the temporary file is fsynced before the rename");
  const after = lines.slice(renameAt + 1);
  const open = after.map((l) => new RegExp(`open(at)?\\(.*"${dir.replace(/[/.]/g, "\\$&")}", O_RDONLY.*= (\\d+)$`).exec(l)).find((m) => m !== null);
  assert.ok(open, "the directory is opened after the rename");
  const fd = open![2];
  assert.ok(after.some((l) => new RegExp(`fsync\\(${fd}\\)\\s+= 0`).test(l)), `fsync(${fd}) of the directory after the rename`);
});
