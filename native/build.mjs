#!/usr/bin/env node
/**
 * Compiles rnnkit's native kernels (native/src/*.c) into native/out/rnnkit.node with the
 * machine's C compiler and the Node-API headers of the `node-api-headers` package; nothing
 * is downloaded. Run when the package is installed (its `install` script), by `npm run
 * build`, and by `rnnkit build-native`.
 *
 * Never fails the install: where no compiler works, it writes why to native/out/failed.txt,
 * prints one line, and exits 0; rnnkit then runs on WebAssembly and says why once.
 *
 * Environment: CC (the compiler; default: cc, then gcc, then clang), RNNKIT_NATIVE=0 (skip),
 * RNNKIT_NATIVE_STRICT=1 (exit 1 when the build fails: for CI, where it must not).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, "src");
const outDir = join(here, "out");
const addon = join(outDir, "rnnkit.node");
const failedFile = join(outDir, "failed.txt");
const infoFile = join(outDir, "build.json");
const strict = process.env.RNNKIT_NATIVE_STRICT === "1";

function give_up(reason) {
  mkdirSync(outDir, { recursive: true });
  rmSync(addon, { force: true });
  writeFileSync(failedFile, `${reason}\n`);
  console.log(`rnnkit: native kernels not built (${reason.split("\n")[0]}); rnnkit will run on WebAssembly`);
  process.exit(strict ? 1 : 0);
}

/** The Node-API headers: the node-api-headers package, else the running Node's own. */
function includeDir() {
  try {
    const dir = createRequire(import.meta.url)("node-api-headers").include_dir;
    if (existsSync(join(dir, "node_api.h"))) return dir;
  } catch {
    // not installed: try Node's own headers below
  }
  for (const dir of [join(dirname(process.execPath), "..", "include", "node"), "/usr/include/node"]) {
    if (existsSync(join(dir, "node_api.h"))) return dir;
  }
  return null;
}

/** The first compiler that answers `--version`. */
function findCompiler() {
  const candidates = process.env.CC ? [process.env.CC] : ["cc", "gcc", "clang"];
  for (const cc of candidates) {
    const r = spawnSync(cc, ["--version"], { encoding: "utf8" });
    if (r.status === 0) return { cc, version: r.stdout.split("\n")[0].trim() };
  }
  return null;
}

if (process.env.RNNKIT_NATIVE === "0") give_up("RNNKIT_NATIVE=0");
if (process.platform !== "linux" && process.platform !== "darwin") give_up(`no build recipe for ${process.platform} yet`);

const sources = readdirSync(srcDir).filter((f) => f.endsWith(".c")).sort().map((f) => join(srcDir, f));
const inputs = [...sources, ...readdirSync(srcDir).filter((f) => f.endsWith(".h")).map((f) => join(srcDir, f)), fileURLToPath(import.meta.url)];
const compiler = findCompiler();
if (compiler === null) give_up(`no C compiler found (tried ${process.env.CC ?? "cc, gcc, clang"}; set CC to use another)`);
const include = includeDir();
if (include === null) give_up("no Node-API headers (the node-api-headers package is missing)");

// Up to date? Same compiler, same Node, and newer than every input.
if (existsSync(addon) && existsSync(infoFile)) {
  try {
    const info = JSON.parse(readFileSync(infoFile, "utf8"));
    const built = statSync(addon).mtimeMs;
    if (info.compiler === compiler.version && info.node === process.version && inputs.every((f) => statSync(f).mtimeMs <= built)) process.exit(0);
  } catch {
    // rebuild
  }
}

// -ffp-contract=off: no multiply-add is fused unless the source says fma (the bits are the
// sources' own); -fno-trapping-math lets the compiler vectorise the branch-free selects of
// vecmath.h (it changes no result, only whether floating-point exceptions may be raised).
const base = [
  "-O3", "-std=c11", "-D_GNU_SOURCE", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math", "-fPIC", "-shared",
  "-fvisibility=hidden", "-pthread", `-I${include}`,
  ...(process.platform === "darwin" ? ["-undefined", "dynamic_lookup"] : []),
];
// Older compilers may lack AVX-512 intrinsics or function multi-versioning: drop them in turn.
const attempts = [[], ["-DRNNKIT_NO_AVX512"], ["-DRNNKIT_NO_AVX512", "-DRNNKIT_NO_CLONES"]];
mkdirSync(outDir, { recursive: true });
const partial = join(outDir, `rnnkit.node.${process.pid}.tmp`);
let lastError = "";
for (const extra of attempts) {
  const args = [...base, ...extra, ...sources, "-o", partial, "-lm"];
  const r = spawnSync(compiler.cc, args, { encoding: "utf8" });
  if (r.status === 0) {
    renameSync(partial, addon);
    writeFileSync(infoFile, `${JSON.stringify({ compiler: compiler.version, node: process.version, flags: extra }, null, 2)}\n`);
    rmSync(failedFile, { force: true });
    process.exit(0);
  }
  lastError = (r.error?.message ?? r.stderr ?? "").trim().split("\n").slice(0, 6).join("\n");
}
rmSync(partial, { force: true });
give_up(`${compiler.cc} failed: ${lastError}`);
