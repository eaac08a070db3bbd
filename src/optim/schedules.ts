/**
 * Learning-rate schedules as pure functions of the step, `lrAt(step)`, with PyTorch's closed
 * forms (StepLR, ExponentialLR, CosineAnnealingLR, LinearLR-style warm-up), and `LrScheduler`,
 * which writes a schedule's value into an optimizer's `lr` after every step. `step` counts
 * optimizer steps (or epochs, if the scheduler is stepped once per epoch); step 0 is the start.
 */
import type { Optimizer } from "./optimizer.js";

export interface LrSchedule {
  /** The learning rate for the update that follows `step` earlier updates. */
  lrAt(step: number): number;
}

function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`lrAt: step must be an integer ≥ 0, got ${step}`);
}

function checkPositive(op: string, name: string, v: number, allowZero = false): void {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new RangeError(`${op}: ${name} must be a finite number ${allowZero ? "≥" : ">"} 0, got ${v}`);
  }
}

/**
 * The same rate at every step.
 * @example constantLr(0.1).lrAt(1000) // 0.1
 */
export function constantLr(lr: number): LrSchedule {
  checkPositive("constantLr", "lr", lr, true);
  return {
    lrAt(step) {
      checkStep(step);
      return lr;
    },
  };
}

/**
 * Step decay (PyTorch StepLR): lr = baseLr · gamma^⌊step / stepSize⌋.
 * @example stepDecay(0.1, { stepSize: 10, gamma: 0.5 }).lrAt(25) // 0.1 · 0.5² = 0.025
 */
export function stepDecay(baseLr: number, options: { stepSize: number; gamma?: number }): LrSchedule {
  const { stepSize, gamma = 0.1 } = options;
  checkPositive("stepDecay", "baseLr", baseLr, true);
  if (!Number.isInteger(stepSize) || stepSize < 1) throw new RangeError(`stepDecay: stepSize must be an integer ≥ 1, got ${stepSize}`);
  checkPositive("stepDecay", "gamma", gamma, true);
  return {
    lrAt(step) {
      checkStep(step);
      return baseLr * gamma ** Math.floor(step / stepSize);
    },
  };
}

/**
 * Exponential decay (PyTorch ExponentialLR): lr = baseLr · gamma^step.
 * @example exponentialDecay(0.1, { gamma: 0.9 }).lrAt(2) // 0.1 · 0.81 = 0.081
 */
export function exponentialDecay(baseLr: number, options: { gamma: number }): LrSchedule {
  const { gamma } = options;
  checkPositive("exponentialDecay", "baseLr", baseLr, true);
  checkPositive("exponentialDecay", "gamma", gamma, true);
  return {
    lrAt(step) {
      checkStep(step);
      return baseLr * gamma ** step;
    },
  };
}

/**
 * Cosine annealing (PyTorch CosineAnnealingLR, closed form, no restarts):
 *   lr = etaMin + (baseLr − etaMin) · (1 + cos(π · step / tMax)) / 2
 * baseLr at step 0, etaMin at step tMax. Like PyTorch's closed form it is periodic, so past
 * tMax the rate climbs again; stop at tMax or wrap the schedule if that is not wanted.
 * @example cosineAnnealing(0.1, { tMax: 100 }).lrAt(50) // 0.05
 */
export function cosineAnnealing(baseLr: number, options: { tMax: number; etaMin?: number }): LrSchedule {
  const { tMax, etaMin = 0 } = options;
  checkPositive("cosineAnnealing", "baseLr", baseLr, true);
  checkPositive("cosineAnnealing", "tMax", tMax);
  checkPositive("cosineAnnealing", "etaMin", etaMin, true);
  return {
    lrAt(step) {
      checkStep(step);
      return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * step) / tMax))) / 2;
    },
  };
}

/**
 * Linear warm-up in front of another schedule. With target = then.lrAt(0) and W = warmupSteps:
 *   step < W:  lr = target · (startFactor + (1 − startFactor) · step / W)
 *   step ≥ W:  lr = then.lrAt(step − W)       (the wrapped schedule starts when warm-up ends)
 * startFactor defaults to 0, so the very first update has lr 0.
 * @example
 * const s = linearWarmup(cosineAnnealing(0.1, { tMax: 100 }), { warmupSteps: 10 });
 * s.lrAt(0);   // 0
 * s.lrAt(5);   // 0.05
 * s.lrAt(10);  // 0.1
 * s.lrAt(110); // 0 (end of the cosine)
 */
export function linearWarmup(then: LrSchedule, options: { warmupSteps: number; startFactor?: number }): LrSchedule {
  const { warmupSteps, startFactor = 0 } = options;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new RangeError(`linearWarmup: warmupSteps must be an integer ≥ 0, got ${warmupSteps}`);
  }
  if (!(startFactor >= 0 && startFactor <= 1)) throw new RangeError(`linearWarmup: startFactor must be in [0, 1], got ${startFactor}`);
  return {
    lrAt(step) {
      checkStep(step);
      if (step >= warmupSteps) return then.lrAt(step - warmupSteps);
      return then.lrAt(0) * (startFactor + ((1 - startFactor) * step) / warmupSteps);
    },
  };
}

/**
 * Drives an optimizer's `lr` from a schedule: on construction lr = lrAt(0); each `step()`,
 * called after `optimizer.step()`, advances and sets lr = lrAt(steps so far).
 * @example
 * const opt = new Adam(model, { lr: 1e-3 });
 * const sched = new LrScheduler(opt, cosineAnnealing(1e-3, { tMax: 1000 }));
 * for (...) { loss.backward(); opt.step(); opt.zeroGrad(); sched.step(); }
 */
export class LrScheduler {
  #step: number;

  constructor(
    readonly optimizer: Pick<Optimizer, "lr">,
    readonly schedule: LrSchedule,
    startStep = 0,
  ) {
    checkStep(startStep);
    this.#step = startStep;
    optimizer.lr = schedule.lrAt(startStep);
  }

  /** Steps taken so far: the argument of the schedule for the current lr. */
  get currentStep(): number {
    return this.#step;
  }

  /** The learning rate now in the optimizer. */
  get lr(): number {
    return this.optimizer.lr;
  }

  /** Advances one step and writes the new rate into the optimizer; returns it. */
  step(): number {
    this.#step++;
    const lr = this.schedule.lrAt(this.#step);
    this.optimizer.lr = lr;
    return lr;
  }

  stateDict(): { step: number } {
    return { step: this.#step };
  }

  /** Restores the step count and writes the matching rate into the optimizer. */
  loadStateDict(dict: { step: number }): void {
    checkStep(dict.step);
    this.#step = dict.step;
    this.optimizer.lr = this.schedule.lrAt(dict.step);
  }
}
