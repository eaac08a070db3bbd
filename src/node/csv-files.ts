/**
 * CSV files for the command line: read with the path and a one-line reason when the file
 * is missing, a directory or unreadable, then parsed by src/data/csv.ts.
 */
import { readFileSync, statSync } from "node:fs";
import { CsvDataError, parseCsv, type CsvTable } from "../data/csv.js";

/** Refuses, in one line, a path that is not a readable file (`what` names it: "CSV file", "model file"). */
export function checkInputFile(path: string, what: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CsvDataError(code === "ENOENT" ? `${path}: no such file` : `${path}: cannot read the ${what}: ${(e as Error).message}`);
  }
  if (st.isDirectory()) throw new CsvDataError(`${path}: is a directory, not a ${what}`);
}

/** Reads and parses a CSV file with a header row. */
export function readCsvFile(path: string): CsvTable {
  checkInputFile(path, "CSV file");
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CsvDataError(`${path}: cannot read the CSV file: ${(e as Error).message}`);
  }
  return parseCsv(text, path);
}
