/**
 * The grid of an ablation: one cell per (seed, augmenter, count, model),
 * grouped by (seed, augmenter) so a group needs at most one generator, and
 * dealt into shards by work.
 */
import { isLearnedAugmenter, type AugmenterName, type ModelName, type ResolvedAblation } from './config.js';

/** One unit of the grid: a model trained on a seed's real training gaits plus `count` synthetic gaits of an augmenter. */
export interface GridCell {
  seed: number;
  augmenter: AugmenterName;
  /** Synthetic gaits per label (task 'identity': per target identity and unrecorded condition). */
  count: number;
  /** The model trained: a classifier, or (task 'identity') the identity model. */
  classifier: ModelName;
}

/** The grid a config spans. 'none' contributes count 0 only; every other augmenter its counts > 0 (count 0 is the shared real-only row). */
export function gridCells(r: ResolvedAblation): GridCell[] {
  const cells: GridCell[] = [];
  for (const seed of r.seeds)
    for (const augmenter of r.augmenters)
      for (const count of augmenter === 'none' ? [0] : r.counts.filter((n) => n > 0))
        for (const classifier of r.classifiers) cells.push({ seed, augmenter, count, classifier });
  return cells;
}

/** Cells grouped by (seed, augmenter), in grid order: one group needs at most one generator. */
export function groupCells(cells: GridCell[]): GridCell[][] {
  const groups = new Map<string, GridCell[]>();
  for (const c of cells) {
    const k = `${c.seed}/${c.augmenter}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(c);
  }
  return [...groups.values()];
}

/**
 * The cells shard `index` of `count` runs: whole (seed, augmenter) groups,
 * each dealt in grid order to the shard with the least work so far (a
 * classifier cell counts 1, training a learned generator and its FID 2
 * more), so a grid of one real-only and one learned group per seed does not
 * give every generator to one shard. Deterministic: every shard computes
 * the same assignment.
 */
export function shardCells(cells: GridCell[], shard?: { index: number; count: number }): GridCell[] {
  if (!shard) return cells;
  const load = new Array(shard.count).fill(0);
  const out: GridCell[] = [];
  for (const group of groupCells(cells)) {
    const k = load.indexOf(Math.min(...load));
    load[k] += group.length + (isLearnedAugmenter(group[0]!.augmenter) ? 2 : 0);
    if (k === shard.index) out.push(...group);
  }
  return out;
}
