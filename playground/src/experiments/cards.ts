/** Every experiment's card and view, in the order of the page's tabs (no library code: the worker has that). */
import type { LabCard } from "../lab/lab.js";
import type { View } from "../ui/view.js";
import { linearCard } from "./linear/card.js";
import { linearView } from "./linear/view.js";
import { echoCard } from "./echo/card.js";
import { echoView } from "./echo/view.js";
import { mnistCard } from "./mnist/card.js";
import { mnistView } from "./mnist/view.js";
import { lagCard } from "./lag/card.js";
import { lagView } from "./lag/view.js";
import { charCard } from "./char/card.js";
import { charView } from "./char/view.js";
import { vanishingCard } from "./vanishing/card.js";
import { vanishingView } from "./vanishing/view.js";

export interface Experiment {
  card: LabCard;
  view: () => View;
}

export const EXPERIMENTS: readonly Experiment[] = [
  { card: linearCard, view: linearView },
  { card: echoCard, view: echoView },
  { card: mnistCard, view: mnistView },
  { card: lagCard, view: lagView },
  { card: charCard, view: charView },
  { card: vanishingCard, view: vanishingView },
] as unknown as Experiment[];
