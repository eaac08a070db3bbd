/**
 * Running a documentation page's JavaScript example as written: the ```js block under a
 * heading, with the published entries (`rnnkit`, `rnnkit/node`, `rnnkit/onnx`) pointed at the
 * build, saved in build/ (where dependencies such as onnxruntime-node and @tensorflow/tfjs
 * resolve from the repository's node_modules) and run in a child process.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const ENTRIES: Record<string, string> = {
  "rnnkit": "build/src/index.js",
  "rnnkit/node": "build/src/node/index.js",
  "rnnkit/onnx": "build/src/onnx.js",
};

/**
 * Runs the first ```js block after `## heading` in `doc` with `cwd` as its working folder;
 * asserts it exits 0 and returns the block and what it printed.
 */
export function runDocExample(doc: string, heading: string, cwd: string): { block: string; stdout: string } {
  const page = readFileSync(doc, "utf8");
  const block = new RegExp(`## ${heading}\\n[\\s\\S]*?\`\`\`js\\n([\\s\\S]*?)\`\`\``).exec(page)?.[1];
  assert.ok(block !== undefined, `${doc} has a js block under '${heading}'`);
  const script = block.replace(/from "(rnnkit(?:\/node|\/onnx)?)"/g, (_, entry: string) => `from ${JSON.stringify(pathToFileURL(resolve(ENTRIES[entry])).href)}`);
  const file = resolve(`build/${basename(doc, ".md")}-${heading.toLowerCase().replace(/\W+/g, "-")}-example.mjs`);
  writeFileSync(file, script);
  try {
    const r = spawnSync(process.execPath, [file], { cwd, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return { block, stdout: r.stdout };
  } finally {
    rmSync(file, { force: true });
  }
}
