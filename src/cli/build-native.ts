/**
 * `rnnkit build-native`: compiles the native kernels now (native/build.mjs, what the
 * package's install script runs), for installs where npm skipped that script or a compiler
 * arrived later. Unlike the install script it fails loudly: exit 1 with the compiler's
 * message when the build fails.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { loadNativeKernels } from "../node/native.js";

export function buildNativeCommand(): Command {
  return new Command("build-native")
    .description("compile the native kernels with this machine's C compiler (what the install script does)")
    .action(() => {
      const script = fileURLToPath(new URL("../../../native/build.mjs", import.meta.url));
      const r = spawnSync(process.execPath, [script], { stdio: "inherit", env: { ...process.env, RNNKIT_NATIVE_STRICT: "1" } });
      if (r.status !== 0) {
        process.exitCode = 1;
        return;
      }
      const k = loadNativeKernels();
      console.log(`native kernels built: GEMM variants ${k.variants.join(", ")} (using ${k.variant})`);
    });
}
