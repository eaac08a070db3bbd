/**
 * The package as users get it: `npm pack`, install the tarball into a fresh project with
 * npm's cache only (no network), its install script approved (`allowScripts`), so the
 * native kernels compile; then (a) a Node ESM script trains a few steps from the installed
 * package and must find the native backend active (WebAssembly SIMD where this machine
 * cannot build it), saves and reloads the model through `rnnkit/node`, and runs the `rnnkit`
 * command; (b) a strict TypeScript consumer compiles against the shipped types; (c) the same
 * install with the compiler hidden succeeds, and the library runs on WebAssembly SIMD, saying
 * why once; (d) `rnnkit/onnx` loads without its optional peer protobufjs and says how to get
 * it. Also: what the tarball holds, and the installed size (reported).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { nativeUnavailable } from "./support/backends.js";

const root = resolve(".");
const work = mkdtempSync(join(tmpdir(), "rnnkit-package-"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false", ...env } });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? bytesUnder(p) : e.isFile() ? statSync(p).size : 0;
  }
  return total;
}

// The build is already there (npm test builds first), so the pack skips prepack's rebuild.
const packed = JSON.parse(run(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", work], root)) as Array<{
  filename: string; files: Array<{ path: string }>;
}>;
const tarball = join(work, packed[0].filename);
const files = packed[0].files.map((f) => f.path);
const app = join(work, "app");
const appWithoutCompiler = join(work, "app-without-compiler");

/**
 * A lockfile for the fresh project: rnnkit from the tarball, and its dependencies exactly
 * as the repository's lockfile resolves them (every entry not marked dev), so `npm ci
 * --offline` installs from npm's cache, which the repository's own `npm ci` filled.
 */
function appLockfile(): object {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, Record<string, unknown>> };
  const own = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Record<string, unknown>;
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    "": { name: "app", dependencies: { rnnkit: spec } },
    "node_modules/rnnkit": {
      version: own.version, resolved: spec, dependencies: own.dependencies, bin: own.bin, engines: own.engines, hasInstallScript: true,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.startsWith("node_modules/") || entry.dev === true || entry.link === true) continue;
    // The registry's tarball address, which npm looks up in its cache by the integrity.
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const resolved = entry.resolved ?? `https://registry.npmjs.org/${name}/-/${name.split("/").at(-1)}-${entry.version as string}.tgz`;
    packages[path] = { ...entry, resolved };
  }
  return { name: "app", lockfileVersion: 3, requires: true, packages };
}
/** A fresh project that depends on the tarball, with rnnkit's install script approved, installed. */
function install(dir: string, env: Record<string, string> = {}): string {
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({
    name: "app", private: true, type: "module", dependencies: { rnnkit: `file:${tarball}` }, allowScripts: { rnnkit: true },
  }));
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify(appLockfile(), null, 2));
  return run(npm, ["ci", "--offline", "--no-audit", "--no-fund", "--foreground-scripts"], dir, env);
}
install(app);
// "No compiler": CC names one that does not exist (build.mjs then tries no other).
const installWithoutCompiler = install(appWithoutCompiler, { CC: join(work, "no-such-compiler") });
/** Whether the install compiled the native kernels (it does wherever the repository's own build did). */
const nativeHere = existsSync(join(app, "node_modules", "rnnkit", "native", "out", "rnnkit.node"));
assert.equal(nativeHere, nativeUnavailable() === null, "the installed package builds the native kernels exactly where the repository does");

test("the tarball holds the five WebAssembly builds, the native sources and build script, the types and the CLI; no experiments, tests, source maps or binaries", () => {
  const builds = ["kernels-simd-shared.wasm", "kernels-simd.wasm", "kernels-scalar.wasm", "kernels-relaxed-shared.wasm", "kernels-relaxed.wasm"];
  for (const build of builds) {
    assert.ok(files.includes(`build/src/backend/wasm/${build}`), `${build} missing from the tarball`);
  }
  for (const f of ["native/build.mjs", "native/src/addon.c", "native/src/gemm_variant.h", "native/src/rnnkit.h"]) {
    assert.ok(files.includes(f), `${f} missing from the tarball`);
  }
  assert.deepEqual(files.filter((f) => f.startsWith("native/out") || f.endsWith(".node")), [], "no compiled addon ships");
  for (const f of ["build/src/index.d.ts", "build/src/node/index.d.ts", "build/src/tasks.d.ts", "build/src/onnx.d.ts", "build/src/keras.d.ts", "build/src/cli/main.js"]) {
    assert.ok(files.includes(f), `${f} missing from the tarball`);
  }
  const stray = files.filter((f) => /experiments|\/test\/|\.map$|^src\//.test(f));
  assert.deepEqual(stray, [], "the tarball ships what only the repository needs");
});

const TRAIN_SCRIPT = `
    import { Rng, SequenceToVector, Adam, mseLoss, backendInfo, encodeModel, decodeModel, noGrad } from "rnnkit";
    import { saveModel, loadModel } from "rnnkit/node";
    import { linearRecurrence } from "rnnkit/tasks";
    const rng = new Rng(7);
    const { x, y } = linearRecurrence(rng, 16, 8);
    const model = new SequenceToVector({ cell: "lstm", inputSize: 1, hiddenSize: 32, outputSize: 1, rng });
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    const losses = [];
    for (let step = 0; step < 20; step++) {
      opt.zeroGrad();
      const loss = mseLoss(model.forward(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    const back = decodeModel(encodeModel(model)).model;
    saveModel("model.safetensors", model);
    const fromFile = loadModel("model.safetensors").model;
    const same = noGrad(() => [model, back, fromFile].map((m) => Array.from(m.forward(x).data).join()));
    console.log(JSON.stringify({ info: backendInfo(), first: losses[0], last: losses.at(-1), same: same[0] === same[1] && same[1] === same[2] }));
`;

/** Runs the training script in an installed project: its JSON line, and what it wrote to stderr. */
function trainIn(dir: string): { out: { info: { name: string; how: string; reason: string; sharedMemory: boolean }; first: number; last: number; same: boolean }; stderr: string } {
  writeFileSync(join(dir, "train.mjs"), TRAIN_SCRIPT);
  const r = spawnSync(process.execPath, ["train.mjs"], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return { out: JSON.parse(r.stdout.trim().split("\n").at(-1)!), stderr: r.stderr };
}

test("installed: a Node ESM script trains from the package on the native backend, by default", () => {
  const { out, stderr } = trainIn(app);
  if (nativeHere) {
    assert.equal(out.info.name, "native", `installed package runs ${out.info.name}: ${out.info.reason}`);
    assert.match(out.info.reason, /^best available: native \((avx512|avx2|generic) GEMM\)$/);
    assert.equal(stderr, "");
  } else {
    assert.equal(out.info.name, "wasm-simd", `installed package runs ${out.info.name}: ${out.info.reason}`);
  }
  assert.equal(out.info.how, "default");
  assert.ok(out.last < out.first, `loss ${out.first} → ${out.last}`);
  assert.equal(out.same, true, "a model reloaded from bytes and from a file gives the same outputs");
});

test("installed without a compiler: the install succeeds, saying why once; the library runs on WebAssembly SIMD and keeps the reason", () => {
  const out = join(appWithoutCompiler, "node_modules", "rnnkit", "native", "out");
  assert.equal(existsSync(join(out, "rnnkit.node")), false);
  assert.match(readFileSync(join(out, "failed.txt"), "utf8"), /^no C compiler found \(tried .*no-such-compiler; set CC to use another\)/);
  assert.match(installWithoutCompiler, /rnnkit: native kernels not built \(no C compiler found .*\); rnnkit will run on WebAssembly/);
  const { out: run, stderr } = trainIn(appWithoutCompiler);
  assert.equal(run.info.name, "wasm-simd");
  assert.equal(run.info.sharedMemory, true);
  assert.match(run.info.reason, /^best available: wasm-simd in shared memory \(native: not built when installed: no C compiler found \(tried .*no-such-compiler; set CC to use another\)\)$/);
  assert.equal(stderr, "", "said at install: not again at every start");
  const { out: again } = trainIn(appWithoutCompiler);
  assert.equal(again.info.name, "wasm-simd");
  assert.ok(run.last < run.first, `loss ${run.first} → ${run.last}`);
  assert.equal(run.same, true);
});

test("installed: every shipped module loads (no import reaches outside the package)", () => {
  // The CLI entry runs its program and the helper-thread script expects worker data: both are run elsewhere.
  const modules = files.filter((f) => f.endsWith(".js") && !f.endsWith("cli/main.js") && !f.endsWith("node/wasm-worker.js"));
  const imports = modules.map((f) => `await import(${JSON.stringify(`./node_modules/rnnkit/${f}`)});`);
  writeFileSync(join(app, "load-all.mjs"), `${imports.join("\n")}\nconsole.log("loaded ${modules.length}");`);
  assert.match(run(process.execPath, ["load-all.mjs"], app), new RegExp(`loaded ${modules.length}`));
});

test("installed: RNNKIT_BACKEND is honoured by the rnnkit command, and a bad value is refused", () => {
  const bin = join(app, "node_modules", ".bin", "rnnkit");
  const ok = spawnSync(bin, ["demo", "--steps", "3"], { cwd: app, encoding: "utf8", env: { ...process.env, RNNKIT_BACKEND: "wasm-scalar" } });
  assert.equal(ok.status, 0, ok.stderr);
  const bad = spawnSync(bin, ["demo", "--steps", "3"], { cwd: app, encoding: "utf8", env: { ...process.env, RNNKIT_BACKEND: "cuda" } });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /RNNKIT_BACKEND must be one of ts, wasm-scalar, wasm-simd, wasm-relaxed, native or wasm, got 'cuda'/);
});

test("installed: protobufjs, the optional peer of rnnkit/onnx, is not installed; rnnkit/onnx loads and says which package to install", () => {
  assert.equal(existsSync(join(app, "node_modules", "protobufjs")), false, "protobufjs is not a dependency");
  writeFileSync(join(app, "onnx.mjs"), `
    import { Rng, LSTM } from "rnnkit";
    import { exportOnnx } from "rnnkit/onnx";
    await exportOnnx(new LSTM({ inputSize: 2, hiddenSize: 3, rng: new Rng(0) })).then(() => console.log("exported"), (e) => console.log(e.message));
  `);
  assert.match(run(process.execPath, ["onnx.mjs"], app), /^ONNX support needs the protobufjs package: npm install protobufjs \(/);
});

test("installed: h5wasm and fflate, the optional peers for Keras files, are not installed; importKeras says which package to install", () => {
  for (const pkg of ["h5wasm", "fflate"]) assert.equal(existsSync(join(app, "node_modules", pkg)), false, `${pkg} is not a dependency`);
  writeFileSync(join(app, "keras.mjs"), `
    import { importKeras } from "rnnkit/keras";
    const hdf5 = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    await importKeras(hdf5, "m.h5").then(() => console.log("read"), (e) => console.log(e.message));
    await importKeras(Uint8Array.from([0x50, 0x4b, 0x03, 0x04]), "m.keras").then(() => console.log("read"), (e) => console.log(e.message));
  `);
  const out = run(process.execPath, ["keras.mjs"], app).split("\n");
  assert.match(out[0], /^reading Keras \.h5 and \.keras files needs the h5wasm package: npm install h5wasm \(/);
  assert.match(out[1], /^reading Keras \.keras files needs the fflate package: npm install fflate \(/);
});

test("installed: a strict TypeScript consumer compiles against the shipped types", () => {
  writeFileSync(join(app, "consumer.ts"), `
    import { Rng, GRU, Tensor, useBackend, backendInfo, type BackendInfo, type ProgressEvent, encodeModel } from "rnnkit";
    import { saveModel, terminalProgress } from "rnnkit/node";
    import { echoSeries } from "rnnkit/tasks";
    import { exportOnnx, type OnnxExportOptions } from "rnnkit/onnx";
    import { KerasLayersModel } from "rnnkit";
    import { importKeras, type ImportedKerasModel } from "rnnkit/keras";
    import { loadKerasModel } from "rnnkit/node";
    const keras: Promise<ImportedKerasModel> = importKeras(new Uint8Array(0), "m.keras").catch(() => loadKerasModel("m.h5"));
    export const kerasUsed = [keras, KerasLayersModel];
    const info: BackendInfo = useBackend("wasm-simd");
    const gru = new GRU({ inputSize: 2, hiddenSize: 4, rng: new Rng(1) });
    const out: Tensor = gru.forward(Tensor.zeros([3, 1, 2])).output;
    const bytes: Uint8Array = encodeModel(gru);
    const onProgress: (e: ProgressEvent) => void = terminalProgress("none");
    saveModel("gru.safetensors", gru);
    echoSeries(new Rng(2), 10);
    const onnxOptions: OnnxExportOptions = { opset: 14 };
    const onnx: Promise<Uint8Array> = exportOnnx(gru, onnxOptions).catch(() => new Uint8Array(0));
    export const used = [info.name, backendInfo().reason, out.shape, bytes.length, onProgress, onnx];
  `);
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", lib: ["ES2022"], noEmit: true,
      typeRoots: [join(root, "node_modules", "@types")], types: ["node"],
    },
    files: ["consumer.ts"],
  }));
  execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(app, "tsconfig.json")], { cwd: app, encoding: "utf8" });
});

test("installed size of the library with its dependencies (goal: under 5 MB)", (t) => {
  const bytes = bytesUnder(join(app, "node_modules"));
  const packages = readdirSync(join(app, "node_modules")).filter((d) => !d.startsWith("."))
    .flatMap((d) => (d.startsWith("@") ? readdirSync(join(app, "node_modules", d)).map((s) => `${d}/${s}`) : [d]));
  t.diagnostic(`installed: ${packages.length} packages, ${(bytes / 1e6).toFixed(2)} MB (${packages.join(", ")})`);
  assert.ok(bytes < 5e6, `${(bytes / 1e6).toFixed(2)} MB installed`);
});
