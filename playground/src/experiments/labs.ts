/**
 * Every lab, by name: what the worker builds and the tests run in Node. The page's bundle
 * imports cards.ts instead, which holds no library code.
 */
import type { LabDefinition } from "../lab/lab.js";
import { linearLab } from "./linear/lab.js";
import { echoLab } from "./echo/lab.js";
import { mnistLab } from "./mnist/lab.js";
import { lagLab } from "./lag/lab.js";
import { charLab } from "./char/lab.js";
import { vanishingLab } from "./vanishing/lab.js";

export const LABS: readonly LabDefinition[] = [linearLab, echoLab, mnistLab, lagLab, charLab, vanishingLab] as unknown as LabDefinition[];

/** The lab named `name`; throws naming the known ones. */
export function findLab(name: string): LabDefinition {
  const lab = LABS.find((l) => l.card.name === name);
  if (lab === undefined) throw new Error(`no experiment named ${JSON.stringify(name)}; known: ${LABS.map((l) => l.card.name).join(", ")}`);
  return lab;
}
