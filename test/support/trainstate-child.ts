/**
 * Test support: a child process for the kill-and-resume tests. Runs `dropoutRun(seed)`
 * with checkpoints to a file (resuming from it if it exists) and kills itself with
 * SIGKILL at the moment the last argument names:
 *   {"step": n}                        after global optimizer step n (from a callback)
 *   {"write": k, "phase": "half"}      during its k-th checkpoint write, half the temp file written
 *   {"write": k, "phase": "rename"}    during its k-th checkpoint write, temp file complete, before the rename
 * Usage: node --import <build>/src/node/register.js trainstate-child.js <path> <seed> <everySteps> <kill JSON>
 */
import fs, { existsSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { fit } from "../../src/index.js";
import { checkpointFile, readCheckpointFile } from "../../src/node/files.js";
import { dropoutRun } from "./dropout-run.js";

const [path, seedText, everyText, killText] = process.argv.slice(2);
const kill = JSON.parse(killText) as { step?: number; write?: number; phase?: "half" | "rename" };
const die = (): never => {
  process.kill(process.pid, "SIGKILL");
  throw new Error("unreachable");
};

// Arm the file-system calls of the atomic write (src/node/atomic.ts imports them by name;
// syncBuiltinESMExports makes those bindings see the patched functions).
let armed: "half" | "rename" | null = null;
const writeSync = fs.writeSync;
const renameSync = fs.renameSync;
fs.writeSync = ((fd: number, buffer: Uint8Array, offset?: number, length?: number) => {
  if (armed === "half" && typeof length === "number" && length > 1) {
    writeSync(fd, buffer, offset, Math.floor(length / 2));
    fs.fsyncSync(fd);
    die();
  }
  return (writeSync as (...a: unknown[]) => number)(fd, buffer, offset, length);
}) as typeof fs.writeSync;
fs.renameSync = ((from: string, to: string) => {
  if (armed === "rename") die();
  renameSync(from, to);
}) as typeof fs.renameSync;
syncBuiltinESMExports();

const r = dropoutRun(Number(seedText));
const file = checkpointFile(path, { everySteps: Number(everyText) });
let writes = 0;
fit(r.model, r.train, {
  ...r.options,
  resumeFrom: existsSync(path) ? readCheckpointFile(path) : undefined,
  checkpoint: {
    everySteps: file.everySteps,
    write: (bytes) => {
      if (++writes === kill.write) armed = kill.phase ?? "half";
      file.write(bytes);
    },
  },
  callbacks: { onStep: ({ step }) => { if (step === kill.step) die(); } },
});
