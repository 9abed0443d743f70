/**
 * The ablation's splits of the real data. A split unit is a seed (mode
 * 'holdout': one train/val/test split per seed) or a (seed, fold) (mode
 * 'kfold': the seed is one repeat, its groups dealt into k folds stratified
 * by label; fold f is the test split, and `val` of the other folds' groups is
 * held out for model selection). Every split is grouped (no walker or
 * recording on two sides); a cell's real training gaits are a nested subset
 * of its unit's training split (`realFraction`), the validation and test
 * splits staying those of fraction 1.
 */
import { GaitforgeError } from '../../core/errors.js';
import type { GaitSet, SplitGrouping } from '../../core/gaitset.js';
import { deriveSeed } from '../../core/rng.js';

export const SPLIT_MODES = ['holdout', 'kfold'] as const;
export type SplitMode = (typeof SPLIT_MODES)[number];

/** Resolved splits: holdout fractions (as before modes existed), or k-fold with its validation share. */
export type ResolvedSplits = { train: number; val: number; test: number; groupBy: SplitGrouping } | { mode: 'kfold'; folds: number; val: number; groupBy: SplitGrouping };

/** What the splits depend on: the resolved splits, the seeds and the real fractions of a config. */
export interface SplitConfig {
  splits: ResolvedSplits;
  seeds: number[];
  realFractions?: number[];
}

/** Whether the splits are k-fold cross-validation (else one holdout split per seed). */
export function isKfold(s: ResolvedSplits): s is Extract<ResolvedSplits, { mode: 'kfold' }> {
  return 'mode' in s && s.mode === 'kfold';
}

/** A seed (holdout) or a seed's fold (k-fold). */
export interface SplitUnit {
  seed: number;
  /** k-fold: the test fold (0-based). */
  fold?: number;
}

/** Every split unit of a config, seed by seed. */
export function splitUnits(r: SplitConfig): SplitUnit[] {
  const s = r.splits;
  return r.seeds.flatMap((seed) => (isKfold(s) ? Array.from({ length: s.folds }, (_, fold) => ({ seed, fold })) : [{ seed }]));
}

/** "seed 3" or "seed 3, fold 2" (1-based fold). */
export function unitName(u: SplitUnit): string {
  return u.fold === undefined ? `seed ${u.seed}` : `seed ${u.seed}, fold ${u.fold + 1}`;
}

/** Row indices (ascending) of a unit's train, val and test splits of `data`. */
export function splitParts(data: GaitSet, r: SplitConfig, u: SplitUnit): { train: number[]; val: number[]; test: number[] } {
  const s = r.splits;
  if (!isKfold(s)) {
    const [train, val, test] = data.splitIndices([s.train, s.val, s.test], u.seed, { groupBy: s.groupBy });
    return { train: train!, val: val!, test: test! };
  }
  if (u.fold === undefined || u.fold < 0 || u.fold >= s.folds) throw new RangeError(`fold ${u.fold} of ${s.folds}`);
  const folds = data.splitIndices(new Array(s.folds).fill(1 / s.folds), u.seed, { groupBy: s.groupBy });
  const rest = folds.flatMap((f, k) => (k === u.fold ? [] : f)).sort((a, b) => a - b);
  const [tr, va] = data.select(rest).splitIndices([1 - s.val, s.val], deriveSeed(u.seed, `ablate/kfold/${u.fold}/val`), { groupBy: s.groupBy });
  return { train: tr!.map((i) => rest[i]!), val: va!.map((i) => rest[i]!), test: folds[u.fold]! };
}

/** The unit's [train, val, test] sets. */
export function splitSets(data: GaitSet, r: SplitConfig, u: SplitUnit): [GaitSet, GaitSet, GaitSet] {
  const p = splitParts(data, r, u);
  return [data.select(p.train), data.select(p.val), data.select(p.test)];
}

/**
 * Row indices of `train` (a unit's training split) that a cell of
 * `realFraction` trains on: all of them at 1, else GaitSet.nestedSubset,
 * seeded by the unit so every fraction of a unit draws from one order.
 */
export function realSubsetIndices(train: GaitSet, r: SplitConfig, u: SplitUnit, realFraction: number): number[] {
  if (realFraction === 1) return Array.from({ length: train.N }, (_, i) => i);
  return train.nestedSubset(realFraction, deriveSeed(u.seed, `ablate/real-fraction/${u.fold ?? 'holdout'}`), r.splits.groupBy);
}

/** A unit's parts as gait ids, with the training subset of every real fraction below 1. */
export interface SplitEntry {
  train: string[];
  val: string[];
  test: string[];
  /** realFractions below 1: the training gaits of each, by fraction. */
  trainSubsets?: Record<string, string[]>;
}

/** A config's units as `splits.json` holds them (k-fold: every fold of every repeat), keyed by seed. */
export function splitEntries(data: GaitSet, r: SplitConfig): Record<string, SplitEntry | { folds: SplitEntry[] }> {
  const ids = (p: number[]) => p.map((i) => data.ids[i]!);
  const entry = (u: SplitUnit): SplitEntry => {
    const p = splitParts(data, r, u);
    const fractions = (r.realFractions ?? []).filter((f) => f < 1);
    if (fractions.length === 0) return { train: ids(p.train), val: ids(p.val), test: ids(p.test) };
    const train = data.select(p.train);
    const trainSubsets = Object.fromEntries(fractions.map((f) => [String(f), realSubsetIndices(train, r, u, f).map((i) => train.ids[i]!)]));
    return { train: ids(p.train), val: ids(p.val), test: ids(p.test), trainSubsets };
  };
  const s = r.splits;
  return Object.fromEntries(r.seeds.map((seed) => [String(seed), isKfold(s) ? { folds: Array.from({ length: s.folds }, (_, fold) => entry({ seed, fold })) } : entry({ seed })]));
}

/**
 * Throws E_CONFIG unless every unit's train, val and test split holds every
 * label, and, with `learned` (generators scored on the test split), 4 test
 * gaits of every label (2 in each half of a draw).
 */
export function checkSplittable(r: SplitConfig, data: GaitSet, learned: boolean): void {
  const s = r.splits;
  const i = s.groupBy === 'identity' ? data.identity.findIndex((x) => x == null) : -1;
  if (i >= 0) throw new GaitforgeError('E_CONFIG', `splits.groupBy is 'identity' but gait ${i} (${data.ids[i]}) has no identity`);
  const grouping = data.grouping(s.groupBy);
  const what = { identity: 'identities', recording: 'recordings', 'identity-or-recording': 'walkers or recordings', gait: 'gaits' }[grouping];
  const shape = isKfold(s) ? `${s.folds} folds, val ${s.val}` : `${s.train}/${s.val}/${s.test}`;
  if (!isKfold(s)) {
    const need = Math.ceil(1 / Math.min(s.train, s.val, s.test));
    const keys = data.groupKeys(grouping);
    data.indicesByLabel().forEach((idx, l) => {
      const units = new Set(idx.map((i) => keys[i])).size;
      if (units < need)
        throw new GaitforgeError('E_CONFIG', `label ${JSON.stringify(data.labelNames[l])} has ${units} ${what} (splits grouped by ${grouping}): too few to split ${shape} (needs at least ${need})`);
    });
  }
  // The check that counts: every unit leaves every label in train, val and test.
  for (const u of splitUnits(r)) {
    const p = splitParts(data, r, u);
    for (const [name, rows] of [['train', p.train], ['val', p.val], ['test', p.test]] as const) {
      const counts = new Map<number, number>();
      for (const i of rows) counts.set(data.labels[i]!, (counts.get(data.labels[i]!) ?? 0) + 1);
      const need = name === 'test' && learned ? 4 : 1;
      const few = data.labelNames.flatMap((n, l) => ((counts.get(l) ?? 0) < need ? [`${n} (${counts.get(l) ?? 0})`] : []));
      if (few.length)
        throw new GaitforgeError(
          'E_CONFIG',
          `${unitName(u)}: the ${name} split (${rows.length} gaits, grouped by ${grouping}) has ${need === 1 ? 'no gait labelled' : `fewer than ${need} gaits of`} ${few.join(', ')}` +
            `${need > 1 ? ' (each generator is scored on the test split, 2 gaits of each label in each half of a draw)' : ''}; ` +
            `use more data, other splits (now ${shape}) or other seeds`,
        );
    }
  }
}
