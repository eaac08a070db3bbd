/**
 * Paths named on the command line, checked before they are read: a missing file or a
 * directory where a file was expected is one line naming the path and what was expected,
 * not Node's raw ENOENT / EISDIR.
 */
import { statSync } from "node:fs";

/** The exit codes of every command: 0 ok, 1 a check failed, 2 a usage or data error. */
export const EXIT = { ok: 0, checkFailed: 1, usage: 2 } as const;

function kindOf(path: string): "file" | "directory" | "other" | "missing" {
  try {
    const st = statSync(path);
    return st.isFile() ? "file" : st.isDirectory() ? "directory" : "other";
  } catch {
    return "missing";
  }
}

/** Throws unless `path` is a readable regular file; `what` says what it should hold ("a text file"). */
export function expectFile(path: string, what: string, setting?: string): void {
  const kind = kindOf(path);
  if (kind === "file") return;
  const found = kind === "missing" ? "no such file" : `is a ${kind === "directory" ? "directory" : "special file"}`;
  throw new Error(`${setting ? `${setting}: ` : ""}${path}: ${found}; expected ${what}`);
}

/** Throws unless `path` is a directory. */
export function expectDirectory(path: string, what: string, setting?: string): void {
  const kind = kindOf(path);
  if (kind === "directory") return;
  const found = kind === "missing" ? "no such directory" : "is not a directory";
  throw new Error(`${setting ? `${setting}: ` : ""}${path}: ${found}; expected ${what}`);
}

/** Throws unless `path` exists as a file or a directory. */
export function expectFileOrDirectory(path: string, what: string): void {
  const kind = kindOf(path);
  if (kind === "file" || kind === "directory") return;
  throw new Error(`${path}: ${kind === "missing" ? "no such file or directory" : "is a special file"}; expected ${what}`);
}

/**
 * One line for an error: Node's file-system errors (ENOENT, EISDIR, ENOTDIR, EACCES) are
 * rewritten to name the path and the problem in words; others keep their message.
 */
export function describeError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const path = err?.path;
  const words: Record<string, string> = {
    ENOENT: "no such file or directory",
    EISDIR: "is a directory, expected a file",
    ENOTDIR: "a part of the path is not a directory",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
  };
  if (err?.code && words[err.code]) return path ? `${path}: ${words[err.code]}` : words[err.code];
  return err instanceof Error ? err.message : String(e);
}
