/**
 * Character-level text: a small corpus written for this project (so it ships with the
 * package and needs no download) and a character vocabulary.
 */

/** A few paragraphs of original prose about recurrent networks, used as the default text. */
export const embeddedCorpus = `A recurrent network reads a sequence one step at a time. At every step it takes the
new input and the state it carried from the step before, and it writes a new state.
The state is a small memory: it holds what the network has decided to keep about the
past. When the network is trained, the error at the end of a sequence is sent back
through every step it came from. This is called backpropagation through time.

The plain recurrent network multiplies its state by the same matrix at every step.
If that matrix is small, the error shrinks as it travels back, and the network
forgets what happened long ago. If it is large, the error grows until training
breaks. The long short-term memory was built to fix this. Its cell state is carried
forward by addition, and gates decide what to write, what to keep and what to show.
A gate is a row of numbers between zero and one that multiplies another row.

The gated recurrent unit keeps the idea but uses fewer gates. An update gate mixes
the old state with a new candidate, and a reset gate decides how much of the old
state the candidate may look at. Both kinds of cell learn to hold a number for many
steps, to count, to match brackets, and to write text one character at a time.

To write text, the network reads a character, predicts the next one, samples it, and
feeds the sample back as its next input. A low temperature makes it careful and
repetitive; a high temperature makes it bold and strange. Read it, train it, and
watch the loss fall as the words begin to look like words.
`;

/** Code-point order (String's default sort compares UTF-16 units, which puts astral characters before U+E000–U+FFFF). */
function byCodePoint(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

/**
 * Maps characters to ids (sorted by code point) and back. A character is a Unicode code
 * point: an emoji or another character outside the Basic Multilingual Plane is one
 * character (one id), not two UTF-16 units, in the vocabulary, in `encode` and in `decode`.
 */
export class CharVocab {
  readonly chars: readonly string[];
  readonly #ids = new Map<string, number>();

  constructor(text: string) {
    if (typeof text !== "string") throw new TypeError(`CharVocab: text must be a string, got ${text === null ? "null" : typeof text}`);
    if (text === "") throw new RangeError("CharVocab: text must not be empty (the vocabulary is the set of its characters)");
    this.chars = [...new Set(text)].sort(byCodePoint);
    this.chars.forEach((c, i) => this.#ids.set(c, i));
  }

  get size(): number {
    return this.chars.length;
  }

  /** Ids of the characters (code points) of `text`; throws on a character outside the vocabulary. */
  encode(text: string): Int32Array {
    if (typeof text !== "string") throw new TypeError(`CharVocab.encode: text must be a string, got ${text === null ? "null" : typeof text}`);
    const out = new Int32Array(text.length); // an upper bound: astral characters take two units
    let n = 0;
    for (const ch of text) {
      const id = this.#ids.get(ch);
      if (id === undefined) throw new Error(`CharVocab: character ${JSON.stringify(ch)} at ${n} is not in the vocabulary`);
      out[n++] = id;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  /** The text of `ids`; throws on an id outside 0..size−1. */
  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i, k) => {
      const ch = this.chars[i];
      if (ch === undefined || !Number.isInteger(i)) throw new RangeError(`CharVocab.decode: id ${i} at ${k} is not in 0..${this.size - 1}`);
      return ch;
    }).join("");
  }
}

/** The number of characters (code points) of `text`, where `text.length` counts UTF-16 units. */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The first `n` characters (code points) of `text`, never cutting an emoji in half. */
export function firstChars(text: string, n: number): string {
  let out = "";
  let k = 0;
  for (const ch of text) {
    if (k++ >= n) break;
    out += ch;
  }
  return out;
}
