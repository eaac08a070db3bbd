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

/** Maps characters to ids (sorted by code point) and back. */
export class CharVocab {
  readonly chars: readonly string[];
  readonly #ids = new Map<string, number>();

  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    this.chars.forEach((c, i) => this.#ids.set(c, i));
  }

  get size(): number {
    return this.chars.length;
  }

  /** Ids of the characters of `text`; throws on a character outside the vocabulary. */
  encode(text: string): Int32Array {
    const out = new Int32Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const id = this.#ids.get(text[i]);
      if (id === undefined) throw new Error(`CharVocab: character ${JSON.stringify(text[i])} at ${i} is not in the vocabulary`);
      out[i] = id;
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.chars[i]).join("");
  }
}
