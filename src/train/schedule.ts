/**
 * The one learning-rate schedule convention, PyTorch's MultiStepLR: epoch `e`
 * (0-based) trains at `lr · factor^k`, k = the number of milestones ≤ e, so a
 * milestone m means "after m finished epochs the rate drops". Configs state
 * milestones as fractions of the run (the generator's `lrSteps`) or as
 * finished-epoch counts (the classifier's); both resolve to epoch milestones here.
 */
import { checkRange, ConfigRangeError } from '../core/errors.js';

export interface StepSchedule {
  /** Base learning rate. */
  lr: number;
  /** Finished-epoch counts after which the rate is multiplied by `factor`, increasing. */
  milestones: number[];
  factor: number;
}

/** The learning rate of 0-based epoch `epoch`. */
export function learningRate(s: StepSchedule, epoch: number): number {
  let lr = s.lr;
  for (const m of s.milestones) if (epoch >= m) lr *= s.factor;
  return lr;
}

/** Milestones from fractions of a run of `epochs` epochs: round(f · epochs). */
export function milestonesFromFractions(fractions: readonly number[], epochs: number): number[] {
  return fractions.map((f) => Math.round(f * epochs));
}

/** Checks milestones (finished-epoch counts): integers in [1, 10^6], increasing. */
export function checkMilestones(field: string, m: unknown): number[] {
  if (!Array.isArray(m)) throw new ConfigRangeError(`${field} = ${JSON.stringify(m)} is not a list of epochs`);
  m.forEach((e, i) => {
    if (typeof e !== 'number' || !Number.isInteger(e) || e < 1 || e > 1e6)
      throw new ConfigRangeError(`${field}[${i}] = ${JSON.stringify(e)} is out of range: expected an integer in [1, 1000000] (epochs finished before the drop)`);
    if (i > 0 && e <= (m[i - 1] as number)) throw new ConfigRangeError(`${field} = ${JSON.stringify(m)} is out of range: epochs must increase`);
  });
  return [...(m as number[])];
}

/** Checks step fractions (a config's `lrSteps`): numbers in [0, 1], increasing. */
export function checkStepFractions(field: string, f: unknown): void {
  if (!Array.isArray(f)) throw new ConfigRangeError(`${field} = ${JSON.stringify(f)} is not an array of fractions`);
  f.forEach((x, i) => {
    checkRange(`${field}[${i}]`, x as number, 0, 1);
    if (i > 0 && (x as number) <= (f[i - 1] as number)) throw new ConfigRangeError(`${field} = ${JSON.stringify(f)} is out of range: fractions must increase`);
  });
}
