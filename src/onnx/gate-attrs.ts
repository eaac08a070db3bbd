/**
 * The `activations` / `activation_alpha` / `activation_beta` attributes of an ONNX LSTM, GRU or
 * RNN node read as rnnkit's options, one place for the lifter (./import.ts) and the graph
 * interpreter (./graph-recurrent.ts). Not a general activation table: only what rnnkit's fused
 * cells compute is accepted.
 *
 *   LSTM  per direction [f, g, h] = [Sigmoid | HardSigmoid, Tanh, Tanh]
 *   GRU   per direction [f, g]    = [Sigmoid | HardSigmoid, Tanh]
 *   RNN   per direction [f]       = Tanh | Relu | Sigmoid
 *   the same list in both directions of a bidirectional node.
 *
 * HardSigmoid(x) = min(max(alpha·x + beta, 0), 1) is rnnkit's "hardSigmoid" for (alpha, beta) =
 * (0.2, 0.5) and "hardSigmoid6" for (1/6, 0.5), compared within float32 rounding (the attribute is
 * stored as float32). The ONNX spec says the alpha / beta values "are consumed in the order of
 * activation functions", defaults being those of the matching ONNX operator; onnxruntime consumes
 * one alpha and one beta for each function that takes them (HardSigmoid here), in list order,
 * none for Sigmoid / Tanh / Relu. So exactly one alpha and one beta per HardSigmoid are read;
 * missing values (whose default onnxruntime and the spec may read differently) and values left
 * over (no function consumes them) are refused.
 */
import type { GateActivation, RnnActivation } from "../backend/kernels.js";
import type { CellKind } from "../ops/recurrent.js";

/** What a node's activation attributes ask of rnnkit, or why they cannot be run. */
export type ActivationReading =
  | { ok: true; gateActivation: GateActivation; nonlinearity?: RnnActivation }
  | { ok: false; problem: string };

/** HardSigmoid (alpha, beta) of each hard gate activation, as exportOnnx writes them. */
export const HARD_SIGMOID_PARAMS: Readonly<Record<Exclude<GateActivation, "sigmoid">, { alpha: number; beta: number }>> = {
  hardSigmoid: { alpha: 0.2, beta: 0.5 },
  hardSigmoid6: { alpha: 1 / 6, beta: 0.5 },
};

/** a equals b up to float32 rounding (one unit in the last place of b as a float32). */
function f32Equal(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.abs(b) * 2 ** -23;
}

/** Values as float32 shows them (7 significant digits). */
const fmt = (xs: readonly number[]) => `[${xs.map((x) => String(Number(Math.fround(x).toPrecision(7)))).join(", ")}]`;

/**
 * Reads `acts` (the `activations` strings, any case; absent = the cell's defaults) with their
 * `alphas` / `betas` for a node of `cell` with `D` directions. The problem names the attribute
 * and what is supported.
 */
export function readActivations(
  cell: CellKind, D: number, acts: readonly string[] | undefined, alphas: readonly number[] | undefined, betas: readonly number[] | undefined,
): ActivationReading {
  const list = (acts ?? []).map((a) => a.toLowerCase());
  const fail = (problem: string): ActivationReading => ({ ok: false, problem });
  if (cell === "rnn") {
    const act = list[0] ?? "tanh";
    if (list.length !== 0 && (list.length !== D || !["tanh", "relu", "sigmoid"].includes(act) || list.some((x) => x !== act))) {
      return fail(`activations [${list.join(", ")}] are not supported (Tanh, Relu or Sigmoid, the same in each direction)`);
    }
    if (alphas !== undefined || betas !== undefined) {
      return fail(`activation_alpha / activation_beta ${fmt([...(alphas ?? []), ...(betas ?? [])])} are not consumed by Tanh, Relu or Sigmoid`);
    }
    return { ok: true, gateActivation: "sigmoid", nonlinearity: act as RnnActivation };
  }
  const rest = cell === "lstm" ? ["tanh", "tanh"] : ["tanh"];
  const supported = `[Sigmoid or HardSigmoid, ${rest.map(() => "Tanh").join(", ")}] per direction, the same in each`;
  const per = rest.length + 1;
  if (list.length !== 0) {
    const first = list.slice(0, per);
    const ok = list.length === D * per && ["sigmoid", "hardsigmoid"].includes(first[0]) && first.slice(1).join() === rest.join()
      && list.every((a, k) => a === first[k % per]);
    if (!ok) return fail(`activations [${list.join(", ")}] are not supported (${supported})`);
  }
  const hard = list.length !== 0 && list[0] === "hardsigmoid";
  // One alpha and one beta per HardSigmoid, in list order (see the file comment).
  const want = hard ? D : 0;
  const count = (xs: readonly number[] | undefined, what: string): string | null => {
    const n = xs?.length ?? 0;
    if (n === want) return null;
    return want === 0
      ? `${what} ${fmt(xs!)} is not consumed (only HardSigmoid takes one, and the activations have none)`
      : `${what} has ${n} value${n === 1 ? "" : "s"}, expected ${want} (one per HardSigmoid, in order)`;
  };
  const bad = count(alphas, "activation_alpha") ?? count(betas, "activation_beta");
  if (bad !== null) return fail(bad);
  if (!hard) return { ok: true, gateActivation: "sigmoid" };
  const found = (Object.keys(HARD_SIGMOID_PARAMS) as Array<keyof typeof HARD_SIGMOID_PARAMS>).find((g) =>
    alphas!.every((a) => f32Equal(a, HARD_SIGMOID_PARAMS[g].alpha)) && betas!.every((b) => f32Equal(b, HARD_SIGMOID_PARAMS[g].beta)));
  if (found === undefined) {
    return fail(`HardSigmoid with activation_alpha ${fmt(alphas!)} and activation_beta ${fmt(betas!)} is not supported (alpha 0.2 or 1/6 with beta 0.5, the same in each direction)`);
  }
  return { ok: true, gateActivation: found };
}
