/**
 * Atomic file writes: write to a temporary file in the same directory, fsync it, rename
 * it over the target, then fsync the directory (where the platform lets a directory be
 * opened), so that after a crash or power loss the target holds either the old bytes or
 * the new ones, never a torn file, and the rename itself is on disk.
 *
 * Temporary files are named `.<target>.<host>-<pid>-<random>.rnnkit-tmp`. A failed write
 * or rename removes its own; a process killed mid-write (SIGKILL, power loss) cannot, so
 * the next save to the same target removes the ones left by processes that are gone
 * (same host, pid not alive) or that are older than a day (any host).
 *
 * Directories are created one level at a time from the nearest existing ancestor, with a
 * clear error when one cannot be (Node's recursive mkdir never returns for a path under
 * /proc); `checkWritableDir` lets a program find an unusable output directory before its
 * long work rather than after.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

const TMP_SUFFIX = ".rnnkit-tmp";
/** Temporary files older than this are removed whatever their pid says (pids are reused). */
const STALE_AGE_MS = 24 * 60 * 60 * 1000;

/** 8 hex digits naming this host (FNV-1a of the hostname), so a pid is only judged on its own machine. */
const HOST_TAG = (() => {
  let h = 0x811c9dc5;
  for (const ch of hostname()) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
})();

const TMP_TAIL = /^([0-9a-f]{8})-(\d+)-[0-9a-z]+\.rnnkit-tmp$/;

/** The prefix shared by every temporary file of `target`'s base name (long names are cut so the whole stays < 255 bytes). */
function tmpPrefix(base: string): string {
  return `.${base.length > 120 ? base.slice(0, 120) : base}.`;
}

function tmpName(base: string, pid = process.pid): string {
  return `${tmpPrefix(base)}${HOST_TAG}-${pid}-${randomBytes(4).toString("hex")}${TMP_SUFFIX}`;
}

/**
 * A fresh temporary path for `target` in its directory, as `writeFileAtomic` names them
 * (`.<target>.<host>-<pid>-<random>.rnnkit-tmp`), for process `pid` (this one by default).
 */
export function tempPathFor(target: string, pid = process.pid): string {
  return join(dirname(target), tmpName(basename(target), pid));
}

function codeOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? "";
}

function messageOf(e: unknown): string {
  return (e as Error).message ?? String(e);
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return codeOf(e) === "EPERM";
  }
}

/**
 * Removes the temporary files of `target` left in its directory by processes that are
 * gone: same host and pid not alive, or older than a day. Returns the names removed.
 * Never throws: a file it cannot remove stays.
 */
export function removeStaleTempFiles(target: string): string[] {
  const dir = dirname(target);
  const prefix = tmpPrefix(basename(target));
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = TMP_TAIL.exec(name.slice(prefix.length));
    if (m === null) continue;
    const [, host, pidText] = m;
    const pid = Number(pidText);
    const path = join(dir, name);
    let stale: boolean;
    try {
      const old = Date.now() - statSync(path).mtimeMs > STALE_AGE_MS;
      stale = old || (host === HOST_TAG && pid !== process.pid && !pidAlive(pid));
    } catch {
      continue;
    }
    if (!stale) continue;
    try {
      unlinkSync(path);
      removed.push(name);
    } catch {
      // Someone else removed it, or it is not ours to remove.
    }
  }
  return removed;
}

/**
 * Makes sure `dir` is a directory, creating the missing ones one level at a time from the
 * nearest existing ancestor. Refuses, naming the path and the reason, a component that is
 * a file or a directory that cannot be made (under /proc, /sys, a read-only mount, …).
 * @param who the operation, for the message.
 */
export function ensureDirectory(dir: string, who: string): void {
  const missing: string[] = [];
  let cur = resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(cur, { throwIfNoEntry: false });
    } catch (e) {
      // ENOTDIR: a component above is a file; walking up names it.
      if (codeOf(e) !== "ENOTDIR") throw new Error(`${who}: cannot use directory ${cur}: ${messageOf(e)}`, { cause: e });
    }
    if (st !== undefined) {
      if (!st.isDirectory()) throw new Error(`${who}: ${cur} is not a directory`);
      break;
    }
    const parent = dirname(cur);
    if (parent === cur) throw new Error(`${who}: the root of ${dir} does not exist`);
    missing.push(cur);
    cur = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if (codeOf(e) === "EEXIST" && statSync(d, { throwIfNoEntry: false })?.isDirectory()) continue; // made meanwhile
      throw new Error(`${who}: cannot create directory ${d}: ${messageOf(e)}`, { cause: e });
    }
  }
}

/**
 * Flushes a directory's entries (a rename into it) to disk. Returns false where the
 * platform does not let a directory be opened or synced (Windows, some network file
 * systems); throws on other errors.
 */
export function fsyncDirectory(dir: string): boolean {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch (e) {
    if (["EISDIR", "EPERM", "EACCES", "ENOTSUP"].includes(codeOf(e))) return false;
    throw e;
  }
  try {
    fsyncSync(fd);
    return true;
  } catch (e) {
    if (["EINVAL", "ENOTSUP", "EBADF", "EPERM", "EISDIR"].includes(codeOf(e))) return false;
    throw e;
  } finally {
    closeSync(fd);
  }
}

/** Removes a file if it is there; never throws. */
function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * Writes `data` to `path` atomically: temporary file, fsync, rename, fsync of the
 * directory. Creates missing parent directories. On any failure the temporary file is
 * removed and the target is left as it was.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  if (typeof path !== "string" || path === "") throw new TypeError(`writeFileAtomic: path must be a non-empty string, got ${JSON.stringify(path)}`);
  if (typeof data !== "string" && !(data instanceof Uint8Array)) {
    throw new TypeError(`writeFileAtomic: data must be a string or a Uint8Array, got ${data === null ? "null" : typeof data}`);
  }
  const dir = dirname(path);
  ensureDirectory(dir, `cannot write ${path}`);
  removeStaleTempFiles(path);
  const tmp = tempPathFor(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let fd: number;
  try {
    fd = openSync(tmp, "wx");
  } catch (e) {
    throw new Error(`cannot write ${path}: ${messageOf(e)}`, { cause: e });
  }
  try {
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    removeQuietly(tmp);
    throw e;
  }
  fsyncDirectory(dir);
}

/**
 * Checks, before any long work, that files can be written in `dir`: creates it (and its
 * missing parents) if needed, then creates and removes a probe file. Throws an Error
 * naming the directory and the reason otherwise.
 * @example checkWritableDir("reports/charnn"); // then train, then save there
 */
export function checkWritableDir(dir: string): void {
  if (typeof dir !== "string" || dir === "") throw new TypeError(`checkWritableDir: dir must be a non-empty string, got ${JSON.stringify(dir)}`);
  const who = `output directory ${dir} is not usable`;
  ensureDirectory(dir, who);
  const probe = join(dir, tmpName("rnnkit-probe"));
  try {
    closeSync(openSync(probe, "wx"));
  } catch (e) {
    throw new Error(`output directory ${dir} is not writable: ${messageOf(e)}`, { cause: e });
  }
  removeQuietly(probe);
}
