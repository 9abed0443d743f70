/**
 * Running the grid: for every (seed, augmenter) group of this shard, the
 * group's generator cell (learned augmenters), its model cells and its FID
 * cell, each read from the run folder when finished (cache.ts), so an
 * interrupted run resumes with the same results, `--shard i/n` runs one slice
 * and `workers` runs the groups on parallel worker threads on one machine.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { currentBackend } from '../../core/backend.js';
import { GaitforgeError } from '../../core/errors.js';
import type { GaitSet, ResolvedGrouping } from '../../core/gaitset.js';
import { silentProgress } from '../../core/progress.js';
import { writeFilesAtomic } from '../../core/files.js';
import { cleanStaleTemps, readCell } from '../cache.js';
import { emotionCell, generatorOf } from './cells/classifier.js';
import { fidCell } from './cells/fid.js';
import { generatorCell } from './cells/generator.js';
import { identityCell } from './cells/identity.js';
import { isKfold, isLearnedAugmenter, realRowsOf, type ResolvedAblation } from './config.js';
import { RunContext, StopEarly, type AblateOptions } from './context.js';
import { gridCells, groupCells, scheduleGroups, shardCells, type GridCell } from './grid.js';
import { identitySplit, identitySplitsEntry, type IdentitySplitsEntry } from './identity-split.js';
import { splitEntries, type SplitEntry } from './splits.js';
import { FID_CELL_METHOD, readCellResult, type AblationOutcome, type CellResult, type FidCellResult, type GeneratorCellResult } from './results.js';
import { runGroupsInWorkers } from './shard.js';

/** What `splits.json` in a run folder holds: the grouping used and every unit's parts (k-fold: every fold of every repeat). */
export interface SplitsFile {
  /** Task 'identity': 'identity-task' (targets and donors, see identity-split.ts). */
  groupedBy: ResolvedGrouping | 'identity-task';
  /** k-fold: the mode and the fold count. */
  mode?: 'kfold';
  folds?: number;
  /** Per seed: its parts (holdout), its folds' parts (k-fold), or the identity task's roles. */
  [seed: string]: SplitEntry | { folds: SplitEntry[] } | IdentitySplitsEntry | ResolvedGrouping | string | number | undefined;
}

/** The splits of every unit of `r` on `data` (what `splits.json` holds). */
export function ablationSplits(data: GaitSet, r: ResolvedAblation): SplitsFile {
  if (r.task === 'identity') {
    const out: SplitsFile = { groupedBy: 'identity-task' };
    for (const seed of r.seeds) out[String(seed)] = identitySplitsEntry(identitySplit(data, r, seed), r.identity!.galleryCondition);
    return out;
  }
  const s = r.splits;
  return { groupedBy: data.grouping(s.groupBy), ...(isKfold(s) ? { mode: 'kfold' as const, folds: s.folds } : {}), ...splitEntries(data, r) };
}

/**
 * Runs (or resumes) an ablation. Returns every cell result available in the
 * run folder for this config (all of them unless sharded or stopped early).
 */
export async function runAblation(allRows: GaitSet, r: ResolvedAblation, options: AblateOptions): Promise<AblationOutcome> {
  const progress = options.progress ?? silentProgress;
  const data = realRowsOf(allRows, r.nonReal);
  mkdirSync(options.runDir, { recursive: true });
  cleanStaleTemps(options.runDir);
  // Written before any training, so the split of every seed can be audited (and is the same for every shard).
  writeFilesAtomic([{ path: path.join(options.runDir, 'splits.json'), data: JSON.stringify(ablationSplits(data, r)) }]);
  if (options.workers && options.workers > 1) return runWithWorkers(data, r, options);
  const ctx = new RunContext(data, r, options);
  const mine = shardCells(gridCells(r), options.shard);
  const out: AblationOutcome = { cells: [], generators: [], fids: [], built: 0, complete: !options.shard || options.shard.count === 1 };
  progress.start('ablation cells', mine.length);
  try {
    let done = 0;
    for (const group of groupCells(mine)) {
      const g = await runGroup(ctx, group, (res) => progress.update(++done, res.task === 'identity' ? { rank1: res.rank1 } : { acc: res.accuracy }));
      out.cells.push(...g.cells);
      out.generators.push(...g.generators);
      out.fids.push(...g.fids);
    }
  } catch (e) {
    if (!(e instanceof StopEarly)) throw e;
    out.complete = false;
  } finally {
    progress.stop();
  }
  return { ...out, built: ctx.built };
}

/**
 * One (unit, fraction, augmenter) group: its generator cell (learned
 * augmenters), its model cells (`onCell` after each), then its FID cell.
 */
export async function runGroup(ctx: RunContext, group: GridCell[], onCell: (res: CellResult) => void): Promise<Omit<AblationOutcome, 'built' | 'complete'>> {
  const c0 = group[0]!;
  const g = isLearnedAugmenter(c0.augmenter) ? await generatorCell(ctx, generatorOf(c0)) : null;
  const cells: CellResult[] = [];
  for (const c of group) {
    const res = await (ctx.identityTask ? identityCell(ctx, c) : emotionCell(ctx, c));
    cells.push(res);
    onCell(res);
  }
  if (!g) return { cells, generators: [], fids: [] };
  return { cells, generators: [g], fids: ctx.identityTask ? [] : [await fidCell(ctx, g)] };
}

/** Collects every finished cell result in one or more run folders (for merging shards). */
export function collectResults(runDirs: string[]): { cells: CellResult[]; generators: GeneratorCellResult[]; fids: FidCellResult[] } {
  const cells = new Map<string, CellResult>();
  const generators = new Map<string, GeneratorCellResult>();
  const fids = new Map<string, FidCellResult>();
  for (const dir of runDirs) {
    const root = path.join(dir, 'cells');
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      throw new GaitforgeError('E_IO', `${dir} is not an ablation run folder (no cells/ inside)`);
    }
    for (const n of names) {
      if (n.includes('.tmp-')) continue;
      const res = readCell<{ key: string }>(path.join(root, n));
      if (!res) continue;
      if (n.startsWith('clf-')) cells.set(res.key, readCellResult(res as unknown as Record<string, unknown>));
      else if (n.startsWith('gen-')) generators.set(res.key, res as GeneratorCellResult);
      // FID cells measured another way (before label matching and cross-fitted evaluators) are not comparable: left out
      else if (n.startsWith('fid-') && (res as FidCellResult).method === FID_CELL_METHOD) fids.set(res.key, res as FidCellResult);
    }
  }
  return { cells: [...cells.values()], generators: [...generators.values()], fids: [...fids.values()] };
}

/**
 * Runs the grid on `workers` worker threads on this machine, which take
 * (unit, fraction, augmenter) groups from one queue, longest first
 * (shard.ts), in the same run folder.
 */
async function runWithWorkers(data: GaitSet, r: ResolvedAblation, options: AblateOptions): Promise<AblationOutcome> {
  if (!options.dataPath) throw new GaitforgeError('E_OPTION', 'workers > 1 needs the dataset as a file (dataPath)');
  const n = options.workers!;
  const threads = options.threads ?? 1;
  const progress = options.progress ?? silentProgress;
  progress.log(`ablate: ${n} workers × ${threads} thread(s)`);
  const cells = gridCells(r);
  let done = 0;
  progress.start('ablation cells', cells.length);
  let built: number;
  try {
    const init = { dataPath: options.dataPath, config: r, runDir: options.runDir, backend: currentBackend()?.chosen ?? ('auto' as const), threads };
    built = await runGroupsInWorkers(scheduleGroups(cells), init, n, () => progress.update(++done));
  } finally {
    progress.stop();
  }
  // Everything is cached now: a single pass collects the results in grid order.
  const collected = await runAblation(data, r, { ...options, workers: 1, progress: silentProgress });
  return { ...collected, built: collected.built + built };
}
