// Writes playground/public/shakespeare.txt, the playground's default text for its character
// model: the start of tinyshakespeare (Karpathy's char-rnn data set, Shakespeare's plays: public
// domain) up to the last blank line before 100,000 characters, so it ends between two speeches.
//
//   node tools/make-playground-text.mjs [path/to/tinyshakespeare/input.txt]
//
// Default input: ../shared/data/tinyshakespeare/input.txt beside the repository.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const LIMIT = 100_000;
const repository = fileURLToPath(new URL("..", import.meta.url));
const input = process.argv[2] ?? `${repository}../shared/data/tinyshakespeare/input.txt`;
const text = readFileSync(input, "utf8");
const end = text.lastIndexOf("\n\n", LIMIT);
if (end < LIMIT / 2) throw new Error(`${input}: no blank line in the first ${LIMIT} characters; is this tinyshakespeare?`);
const out = `${repository}playground/public/shakespeare.txt`;
writeFileSync(out, text.slice(0, end + 1));
console.log(`${out}: ${end + 1} characters from ${input}`);
