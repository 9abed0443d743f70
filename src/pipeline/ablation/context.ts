/**
 * The run context every cell builds over: the real data, the resolved
 * config, the run folder, each seed's split (computed once), the parts every
 * cell key shares, and `build`, which reads a finished cell or builds it
 * (cache.ts) within the run's budget of new cells.
 */
import type { GaitSet } from '../../core/gaitset.js';
import { silentProgress, type Progress } from '../../core/progress.js';
import { buildCell, cacheKey, cellDir, hashFloats, readCell } from '../cache.js';
import type { ResolvedAblation } from './config.js';
import { identitySplit, type IdentitySplit } from './identity-split.js';
import { realSubsetIndices, splitSets, type SplitUnit } from './splits.js';

export interface AblateOptions {
  /** Run folder: cells/, results, report and plots go here. */
  runDir: string;
  /** Run one slice of the grid (0-based index): whole (seed, augmenter) groups, dealt by work (see shardCells). */
  shard?: { index: number; count: number };
  /** Parallel workers on this machine (worker threads sharing one queue of groups, shard.ts). Needs `dataPath`. */
  workers?: number;
  /** Data-parallel threads of every training (src/train/parallel.ts). Default 1. */
  threads?: number;
  /** Path of the dataset file (workers re-read it). */
  dataPath?: string;
  /** Stop after this many newly built cells (to test interruption and resume). */
  maxNewCells?: number;
  progress?: Progress;
}

/** Thrown by `build` when the run's budget of new cells is spent. */
export class StopEarly extends Error {}

export class RunContext {
  readonly identityTask: boolean;
  /** The content hash of the real data (positions and every column), part of every key. */
  readonly dataHash: string;
  /** Results depend on the thread count (data-parallel batch statistics): a count > 1 enters every training cell's key. */
  readonly threadsKey: { threads?: number };
  /** The identity task's keys name its split; the emotion task's keys are what they were before tasks existed. */
  readonly taskKey: { task?: 'identity'; identitySplit?: { targetFraction: number; galleryCondition: string } };
  readonly progress: Progress;
  /** Cells built by this context so far. */
  built = 0;
  private readonly splits = new Map<string, [GaitSet, GaitSet, GaitSet]>();
  private readonly subsets = new Map<string, GaitSet>();
  private readonly identitySplits = new Map<number, IdentitySplit>();

  constructor(readonly data: GaitSet, readonly r: ResolvedAblation, readonly options: AblateOptions) {
    this.identityTask = r.task === 'identity';
    this.dataHash = hashFloats(data.positions) + ':' + cacheKey({ labels: Array.from(data.labels), names: data.labelNames, ids: data.ids, identity: data.identity, recording: data.recording });
    this.threadsKey = (options.threads ?? 1) > 1 ? { threads: options.threads } : {};
    this.taskKey = this.identityTask ? { task: 'identity', identitySplit: { targetFraction: r.identity!.targetFraction, galleryCondition: r.identity!.galleryCondition } } : {};
    this.progress = options.progress ?? silentProgress;
  }

  get runDir(): string {
    return this.options.runDir;
  }

  get threads(): number | undefined {
    return this.options.threads;
  }

  /** The emotion task's [train, val, test] of a split unit (a seed, or a seed's fold). */
  split(u: SplitUnit): [GaitSet, GaitSet, GaitSet] {
    const k = `${u.seed}/${u.fold ?? '-'}`;
    if (!this.splits.has(k)) this.splits.set(k, splitSets(this.data, this.r, u));
    return this.splits.get(k)!;
  }

  /** The real training gaits of a unit at `realFraction` (splits.ts realSubsetIndices; all of them at 1 or absent). */
  realTrain(u: SplitUnit, realFraction = 1): GaitSet {
    const [train] = this.split(u);
    if (realFraction === 1) return train;
    const k = `${u.seed}/${u.fold ?? '-'}/${realFraction}`;
    if (!this.subsets.has(k)) this.subsets.set(k, train.select(realSubsetIndices(train, this.r, u, realFraction)));
    return this.subsets.get(k)!;
  }

  /** The identity task's split of `seed`. */
  identitySplit(seed: number): IdentitySplit {
    if (!this.identitySplits.has(seed)) this.identitySplits.set(seed, identitySplit(this.data, this.r, seed));
    return this.identitySplits.get(seed)!;
  }

  /** The folder of the cell of `kind` (a file-name prefix: clf, gen, fid, xev) and `key`. */
  cellDir(kind: string, key: string): string {
    return cellDir(this.runDir, kind, key);
  }

  /** The finished cell of `kind` and `key`, or a new one built by `fn` in a temporary folder; StopEarly when the budget is spent. */
  async build<R>(kind: string, key: string, fn: (tmp: string) => Promise<R>): Promise<R> {
    const dir = this.cellDir(kind, key);
    const done = readCell<R>(dir);
    if (done) return done;
    if (this.built >= (this.options.maxNewCells ?? Infinity)) throw new StopEarly();
    const res = await buildCell(dir, fn);
    this.built++;
    return res;
  }
}
