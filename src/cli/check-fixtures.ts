/**
 * `rnnkit check-fixtures <file-or-dir>...`: one line per case with the worst error
 * ratio (|actual − expected| / (atol + rtol·|expected|); ≤ 1 passes), a summary per
 * family, and exit code 1 when any case fails, errors or is not supported.
 */
import type { DType } from "../tensor/tensor.js";
import { runFixtures, summarizeByFamily, type CaseReport } from "../fixtures/run.js";
import { EXIT, expectFileOrDirectory } from "./paths.js";

export interface CheckFixturesOptions {
  dtype: "float32" | "float64" | "both";
  json: boolean;
  quiet: boolean;
}

function formatRatio(r: number): string {
  return Number.isFinite(r) ? r.toExponential(2) : String(r);
}

function line(r: CaseReport): string {
  const status = r.status.toUpperCase().padEnd(11);
  const where = `${r.file} ${r.name}`.padEnd(52);
  const fam = (r.family ?? "?").padEnd(10);
  const worst = r.worst ? `worst ${formatRatio(r.worst.ratio)} at ${r.worst.key}` : "";
  const msg = r.message ? `  ${r.message}` : "";
  return `${status} ${where} ${fam} ${r.dtype}  ${worst}${msg}`;
}

/**
 * Runs the check; returns the process exit code: 0 every case passed, 1 a case failed,
 * errored or is not supported, 2 no case found. A path that is missing throws (exit 2).
 */
export function checkFixtures(paths: string[], options: CheckFixturesOptions): number {
  for (const p of paths) expectFileOrDirectory(p, "a fixture file (.json) or a directory of them");
  const dtypes: DType[] = options.dtype === "both" ? ["float32", "float64"] : [options.dtype];
  const reports = runFixtures(paths, dtypes);
  const bad = reports.filter((r) => r.status !== "pass");
  if (options.json) {
    for (const r of reports) {
      console.log(JSON.stringify({ file: r.file, case: r.name, family: r.family, dtype: r.dtype, status: r.status, worst_ratio: r.worst?.ratio ?? null, worst_key: r.worst?.key ?? null, message: r.message ?? null }));
    }
  } else {
    for (const r of reports) if (!options.quiet || r.status !== "pass") console.log(line(r));
    console.log("");
    console.log("family      dtype    cases  failed  worst ratio  (case)");
    for (const s of summarizeByFamily(reports)) {
      console.log(`${s.family.padEnd(11)} ${s.dtype}  ${String(s.cases).padStart(5)}  ${String(s.failed).padStart(6)}  ${formatRatio(s.worst).padStart(11)}  ${s.worstCase}`);
    }
    console.log("");
    console.log(`${reports.length - bad.length} passed, ${bad.length} failed`);
    for (const r of bad) console.log(`  ${r.status}: ${r.file} ${r.name} (${r.dtype})${r.message ? `: ${r.message}` : ""}`);
  }
  if (reports.length === 0) {
    console.error("check-fixtures: no fixture case found under the given paths (expected .json fixture files)");
    return EXIT.usage;
  }
  return bad.length === 0 ? EXIT.ok : EXIT.checkFailed;
}
