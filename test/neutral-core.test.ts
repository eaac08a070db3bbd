/**
 * The guard that keeps the core platform-neutral: the package's browser entries (`rnnkit`,
 * `rnnkit/tasks`, `rnnkit/onnx` without its optional peer protobufjs, and `rnnkit/keras` without
 * its optional peers h5wasm and fflate — `rnnkit` pulls in none of the three) bundled by esbuild
 * for `platform=browser` with every Node built-in refused, so an accidental `node:` import fails
 * here, and the bundle must not read `process`, call `require` or use Node's other globals
 * (`Buffer`, `__dirname`, …). The Node layer is checked the other way round: it is the only
 * place allowed to import Node built-ins.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { builtinModules } from "node:module";
import { resolve } from "node:path";
import { build, type Plugin } from "esbuild";

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Fails the build on any import of a Node built-in, naming the importer. */
const refuseNodeBuiltins: Plugin = {
  name: "refuse-node-builtins",
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.path.startsWith("node:") || BUILTINS.has(args.path)) {
        return { errors: [{ text: `the core imports the Node built-in '${args.path}' (from ${args.importer})` }] };
      }
      return undefined;
    });
  },
};

async function bundle(entry: string, external: string[] = []): Promise<string> {
  const out = await build({
    entryPoints: [resolve(entry)], bundle: true, platform: "browser", format: "esm", write: false, logLevel: "silent",
    plugins: [refuseNodeBuiltins], minify: false, external,
  });
  return out.outputFiles[0].text;
}

for (const entry of ["src/index.ts", "src/tasks.ts"]) {
  test(`${entry} bundles for the browser with no Node built-in, no process, no require`, async () => {
    const text = await bundle(entry);
    assert.ok(text.length > 10000, "the bundle holds the library");
    assert.ok(!/\bprocess\s*\./.test(text), "the core reads `process`");
    assert.ok(!/\brequire\s*\(/.test(text), "the core calls require()");
    for (const nodeGlobal of ["Buffer", "__dirname", "__filename", "global", "setImmediate"]) {
      assert.ok(!new RegExp(`(?<![.\\w])${nodeGlobal}\\b`).test(text), `the core uses Node's global ${nodeGlobal}`);
    }
    if (entry === "src/index.ts") {
      assert.ok(/new URL\("\.\/kernels-simd\.wasm", import\.meta\.url\)/.test(text), "the wasm builds are found next to the loader");
    }
  });
}

test("src/onnx.ts (rnnkit/onnx) bundles for the browser too; protobufjs, its optional peer, stays outside", async () => {
  const text = await bundle("src/onnx.ts", ["protobufjs", "protobufjs/*"]);
  assert.ok(/import\("protobufjs\/light\.js"\)/.test(text), "protobufjs is imported lazily");
  assert.ok(!/\bprocess\s*\./.test(text) && !/\brequire\s*\(/.test(text), "no process, no require");
  for (const nodeGlobal of ["Buffer", "__dirname", "__filename", "global", "setImmediate"]) {
    assert.ok(!new RegExp(`(?<![.\\w])${nodeGlobal}\\b`).test(text), `rnnkit/onnx uses Node's global ${nodeGlobal}`);
  }
  assert.ok(!(await bundle("src/index.ts")).includes("protobufjs"), "the core entry does not import protobufjs");
});

test("src/keras.ts (rnnkit/keras) bundles for the browser too; h5wasm and fflate, its optional peers, stay outside", async () => {
  const text = await bundle("src/keras.ts", ["h5wasm", "fflate"]);
  assert.ok(/import\("h5wasm"\)/.test(text) && /import\("fflate"\)/.test(text), "h5wasm and fflate are imported lazily");
  assert.ok(!/\bprocess\s*\./.test(text) && !/\brequire\s*\(/.test(text), "no process, no require");
  for (const nodeGlobal of ["Buffer", "__dirname", "__filename", "global", "setImmediate"]) {
    assert.ok(!new RegExp(`(?<![.\\w])${nodeGlobal}\\b`).test(text), `rnnkit/keras uses Node's global ${nodeGlobal}`);
  }
  const core = await bundle("src/index.ts");
  assert.ok(!core.includes("h5wasm") && !core.includes("fflate"), "the core entry does not import h5wasm or fflate");
});

test("the guard itself fails on a Node built-in (the Node layer imports them)", async () => {
  await assert.rejects(bundle("src/node/index.ts"), /imports the Node built-in 'node:fs'/);
});
