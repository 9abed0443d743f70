/**
 * The grid of an ablation: one cell per (split unit, real fraction,
 * augmenter, synthetic amount, model), grouped by (unit, fraction,
 * augmenter) so a group needs at most one generator, scheduled longest
 * first and dealt into shards by work.
 */
import { isLearnedAugmenter, type AugmenterName, type ModelName, type ResolvedAblation } from './config.js';
import { splitUnits, type SplitUnit } from './splits.js';

/** One unit of the grid: a model trained on a split unit's real training gaits (or a nested subset) plus synthetic gaits of an augmenter. */
export interface GridCell extends SplitUnit {
  /** The share of the unit's real training groups the cell trains on (absent: all of them). */
  realFraction?: number;
  augmenter: AugmenterName;
  /**
   * The synthetic amount: gaits per label (task 'identity': per target identity
   * and unrecorded condition), or with the config's syntheticUnit 'ratio'
   * synthetic gaits per real training gait of each label; 0 for real data only.
   */
  count: number;
  /** The model trained: a classifier, or (task 'identity') the identity model. */
  classifier: ModelName;
}

/**
 * The grid a config spans, unit by unit (seed, then fold), then real fraction.
 * 'none' contributes amount 0 only; every other augmenter its amounts > 0
 * (amount 0 is the shared real-only row).
 */
export function gridCells(r: ResolvedAblation): GridCell[] {
  const cells: GridCell[] = [];
  const fractions = r.realFractions ?? [1];
  for (const unit of splitUnits(r))
    for (const f of fractions)
      for (const augmenter of r.augmenters)
        for (const count of augmenter === 'none' ? [0] : r.counts.filter((n) => n > 0))
          for (const classifier of r.classifiers) cells.push({ ...unit, ...(f === 1 ? {} : { realFraction: f }), augmenter, count, classifier });
  return cells;
}

/** The generator group of a cell: its unit, real fraction and augmenter. */
export function groupKey(c: SplitUnit & { realFraction?: number; augmenter: string }): string {
  return `${c.seed}/${c.fold ?? '-'}/${c.realFraction ?? 1}/${c.augmenter}`;
}

/** Cells grouped by (unit, fraction, augmenter), in grid order: one group needs at most one generator. */
export function groupCells(cells: GridCell[]): GridCell[][] {
  const groups = new Map<string, GridCell[]>();
  for (const c of cells) {
    const k = groupKey(c);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(c);
  }
  return [...groups.values()];
}

/** Estimated work of training a group's learned generator and then its FID cell, in classifier cells. */
const GENERATOR_WORK = 4;

/**
 * Estimated work of a group, in classifier cells at the full real fraction:
 * its cells, plus GENERATOR_WORK for a learned generator (a generator trains
 * for more epochs than a classifier and its FID cell follows), scaled by the
 * real fraction every training in the group sees.
 */
export function groupWork(group: GridCell[]): number {
  const c0 = group[0]!;
  return (group.length + (isLearnedAugmenter(c0.augmenter) ? GENERATOR_WORK : 0)) * (c0.realFraction ?? 1);
}

/**
 * The groups of `cells` longest first (most estimated work), so generators
 * start first and side by side and short groups fill the end. Ties keep the
 * augmenter's order and then grid order, so groups of equal work from
 * different units (which need different evaluators) sit next to each other.
 * Deterministic: every shard computes the same order.
 */
export function scheduleGroups(cells: GridCell[]): GridCell[][] {
  const augmenterRank = new Map<string, number>();
  for (const c of cells) if (!augmenterRank.has(c.augmenter)) augmenterRank.set(c.augmenter, augmenterRank.size);
  return groupCells(cells)
    .map((group, index) => ({ group, index, work: groupWork(group), rank: augmenterRank.get(group[0]!.augmenter)! }))
    .sort((a, b) => b.work - a.work || a.rank - b.rank || a.index - b.index)
    .map((g) => g.group);
}

/**
 * The cells shard `index` of `count` runs: whole (unit, fraction, augmenter)
 * groups, longest first (scheduleGroups), each dealt to the shard with the
 * least work so far, so generators spread over the shards and no shard
 * trains the same generator as another.
 */
export function shardCells(cells: GridCell[], shard?: { index: number; count: number }): GridCell[] {
  if (!shard) return cells;
  const load = new Array<number>(shard.count).fill(0);
  const out: GridCell[] = [];
  for (const group of scheduleGroups(cells)) {
    const k = load.indexOf(Math.min(...load));
    load[k] += groupWork(group);
    if (k === shard.index) out.push(...group);
  }
  return out;
}
