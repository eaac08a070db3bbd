/** Every experiment's card and view, in the order of the page's tabs (no library code: the worker has that). */
import type { LabCard } from "../lab/lab.js";
import type { View } from "../ui/view.js";
import { linearCard } from "./linear/card.js";
import { linearView } from "./linear/view.js";
import { mnistCard } from "./mnist/card.js";
import { mnistView } from "./mnist/view.js";
import { lagCard } from "./lag/card.js";
import { lagView } from "./lag/view.js";
import { charCard } from "./char/card.js";
import { charView } from "./char/view.js";

export interface Experiment {
  card: LabCard;
  view: () => View;
}

export const EXPERIMENTS: readonly Experiment[] = [
  { card: linearCard, view: linearView },
  { card: mnistCard, view: mnistView },
  { card: lagCard, view: lagView },
  { card: charCard, view: charView },
] as unknown as Experiment[];
