/**
 * `gaitforge ablate`: measures what synthetic gaits are worth. For every
 * seed it re-splits the real data (the test split is real only and is never
 * seen by a generator nor used for model selection), trains each learned
 * generator once on the train split, makes the synthetic sets, trains every
 * classifier on real train + synthetic, selects on val, evaluates on test.
 *
 * Every unit of work is a cached cell (see cache.ts): re-running skips
 * finished cells, an interrupted run resumes where it stopped with the same
 * results, `--shard i/n` runs one slice of the grid, and `workers` runs
 * slices in parallel processes on one machine.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { GaitforgeError } from '../core/errors.js';
import { GaitSet, type ResolvedGrouping } from '../core/gaitset.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { VERSION } from '../core/version.js';
import { runShardInWorker } from './ablate-shard.js';
import { machineThreads } from '../train/parallel.js';
import { currentBackend } from '../core/backend.js';
import { loadClassifier, trainClassifier, evaluateClassifier, type ClassifierKind } from '../classifier/index.js';
import { loadGenerator, resolveGenerator, type GeneratorConfig } from '../generator/index.js';
import { trainGeneratorWithCard } from './model-card.js';
import { classicalAugment, type ClassicalAugmenter } from './augment.js';
import { buildCell, cacheKey, canonicalJson, cellDir, cleanStaleTemps, hashFloats, readCell } from './cache.js';
import { writeFilesAtomic, type OutputFile } from '../core/files.js';
import { gaitStripSvg } from '../render/index.js';
import { readGaitFile } from '../io/index.js';
import { gridCells, isLearnedAugmenter, realRowsOf, resolveAblation, usesEvaluator, type AblationConfig, type GridCell, type ResolvedAblation } from './config.js';
import { compareLearnedWithClassical, summarizeCells, writeAblationReport, type AugmenterComparison, type CellSummary, type ReportMeta } from './report.js';
import { evaluateGenerator, proportionalCounts, type FidSummary } from './evaluate-generator.js';
import { crossFitEvaluators, type CrossFitEvaluators } from './evaluator.js';
import { identityCell, identitySplit, identitySplitsEntry, type IdentityCellScores, type IdentitySplit, type IdentitySplitsEntry } from './ablate-identity.js';

export interface AblateOptions {
  /** Run folder: cells/, results, report and plots go here. */
  runDir: string;
  /** Run one slice of the grid (0-based index): whole (seed, augmenter) groups, dealt by work (see shardCells). */
  shard?: { index: number; count: number };
  /** Parallel workers on this machine (worker threads, each runs a shard). Needs `dataPath`. */
  workers?: number;
  /** Data-parallel threads of every training (src/train/parallel.ts). Default 1. */
  threads?: number;
  /** Path of the dataset file (workers re-read it). */
  dataPath?: string;
  /** Stop after this many newly built cells (to test interruption and resume). */
  maxNewCells?: number;
  progress?: Progress;
}

/** One classifier cell's outcome: a row of results.parquet. */
export interface CellResult extends GridCell {
  key: string;
  generatorKey: string | null;
  trainReal: number;
  trainSynthetic: number;
  /** Test gaits (task 'identity': the probes scored). */
  testGaits: number;
  /** Test accuracy (task 'identity': the mean cross-condition rank-1 over probe conditions). */
  accuracy: number;
  /** Macro-F1 (task 'identity': the mean mAP over probe conditions). */
  macroF1: number;
  /** Top-2 accuracy (task 'identity': the mean rank-5). */
  top2: number;
  perClassRecall: Record<string, number>;
  confusion: number[][];
  bestEpoch: number;
  /** Validation accuracy of the selected epoch (what the report picks cells by; absent in cells from older versions). */
  valAccuracy?: number;
  /** Validation gaits (real). */
  valGaits?: number;
  wallSeconds: number;
  /** Task 'identity': rank-1, rank-5, mAP by probe condition, gallery and target counts. */
  identity?: IdentityCellScores;
}

/** One learned generator per (seed, variant). */
export interface GeneratorCellResult {
  seed: number;
  augmenter: string;
  key: string;
  checkpointHash: string;
  bestEpoch: number;
  wallSeconds: number;
}

/** A FID beside its floor in one feature space, as a FID cell records it (means over the cell's draws). */
export interface FidEntry {
  fid: number;
  floor: number;
  /** Gaits in each of the three sets (reference, floor, generated). */
  n: number;
  /** Dimension both FIDs were computed in, and the features' own. */
  dim: number;
  featureDim: number;
  /** The largest ridge any draw added (0: none). */
  ridge: number;
  /** Gaits per label in each of the three sets (equal: label-matched). */
  counts: Record<string, number>;
}

/**
 * One learned generator scored against the seed's real test split
 * (`evaluateGenerator` over FID_CELL_REPEATS draws, evaluators cross-fitted
 * on the test split): FID in each space beside its floor, the anchored
 * recognition ratio and the training-set copy's.
 */
export interface FidCellResult {
  seed: number;
  augmenter: string;
  key: string;
  /** How the cell was measured (FID_CELL_METHOD). */
  method: string;
  realGaits: number;
  /** Generated gaits per draw, per label in the test split's proportions. */
  fakeGaits: number;
  repeats: number;
  affective: FidEntry;
  evaluator: (FidEntry & { scheme: string; checkpointHashes: string[] }) | null;
  /** Why there is no evaluator space when the config asked for one (e.g. a test half without a label). */
  evaluatorSkipped?: string;
  recognition: { generated: number; real: number; ratio: number; trainingCopyRatio: number | null } | null;
}

/** What a FID cell measures, part of its key: the label-matched, anchored scoring of evaluateGenerator. */
export const FID_CELL_METHOD = 'evaluate-generator/label-matched/cross-fit-evaluators';
/** Draws of a FID cell. */
export const FID_CELL_REPEATS = 3;

export interface AblationOutcome {
  cells: CellResult[];
  generators: GeneratorCellResult[];
  fids: FidCellResult[];
  /** Cells built in this call (the rest came from the cache). */
  built: number;
  /** False when maxNewCells stopped the run early or a shard covered only part of the grid. */
  complete: boolean;
}

class StopEarly extends Error {}

/** Splits the real data for one seed: [train, val, test], grouped as `r.splits.groupBy` says. */
export function splitForSeed(data: GaitSet, r: ResolvedAblation, seed: number): [GaitSet, GaitSet, GaitSet] {
  const [train, val, test] = data.stratifiedSplit([r.splits.train, r.splits.val, r.splits.test], seed, { groupBy: r.splits.groupBy });
  return [train!, val!, test!];
}

/** What `splits.json` in a run folder holds: the grouping used and the gait ids of every seed's parts. */
export interface SplitsFile {
  /** Task 'identity': 'identity-task' (targets and donors, see ablate-identity.ts). */
  groupedBy: ResolvedGrouping | 'identity-task';
  [seed: string]: { train: string[]; val: string[]; test: string[] } | IdentitySplitsEntry | string;
}

/** The splits of every seed of `r` on `data` (what `splits.json` holds). */
export function ablationSplits(data: GaitSet, r: ResolvedAblation): SplitsFile {
  if (r.task === 'identity') {
    const out: SplitsFile = { groupedBy: 'identity-task' };
    for (const seed of r.seeds) out[String(seed)] = identitySplitsEntry(identitySplit(data, r, seed), r.identity!.galleryCondition);
    return out;
  }
  const out: SplitsFile = { groupedBy: data.grouping(r.splits.groupBy) };
  for (const seed of r.seeds) {
    const [train, val, test] = data.splitIndices([r.splits.train, r.splits.val, r.splits.test], seed, { groupBy: r.splits.groupBy });
    const ids = (p: number[] | undefined) => p!.map((i) => data.ids[i]!);
    out[String(seed)] = { train: ids(train), val: ids(val), test: ids(test) };
  }
  return out;
}

function countsPerLabel(labels: string[], n: number): Record<string, number> {
  return Object.fromEntries(labels.map((l) => [l, n]));
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
  const dataHash = hashFloats(data.positions) + ':' + cacheKey({ labels: Array.from(data.labels), names: data.labelNames, ids: data.ids, identity: data.identity, recording: data.recording });
  const cells = gridCells(r);
  const mine = shardCells(cells, options.shard);
  // results depend on the thread count (data-parallel batch statistics): cells of other counts are other cells
  const threadsKey = (options.threads ?? 1) > 1 ? { threads: options.threads } : {};
  let built = 0;
  const budget = options.maxNewCells ?? Infinity;
  const splits = new Map<number, [GaitSet, GaitSet, GaitSet]>();
  const split = (seed: number) => {
    if (!splits.has(seed)) splits.set(seed, splitForSeed(data, r, seed));
    return splits.get(seed)!;
  };
  const identitySplits = new Map<number, IdentitySplit>();
  const idSplit = (seed: number) => {
    if (!identitySplits.has(seed)) identitySplits.set(seed, identitySplit(data, r, seed));
    return identitySplits.get(seed)!;
  };
  const identityTask = r.task === 'identity';
  // the identity task's keys name its split; the emotion task's keys are what they were before tasks existed
  const taskKey = identityTask ? { task: 'identity', identitySplit: { targetFraction: r.identity!.targetFraction, galleryCondition: r.identity!.galleryCondition } } : {};
  const build = async <R>(dir: string, fn: (tmp: string) => Promise<R>): Promise<R> => {
    const done = readCell<R>(dir);
    if (done) return done;
    if (built >= budget) throw new StopEarly();
    const res = await buildCell(dir, fn);
    built++;
    return res;
  };

  // what a learned augmenter's generator trains with; its cell is keyed on this config resolved
  // (the defaults filled in), so a cell made under other defaults is not reused
  const generatorConfig = (variant: string) => ({ ...(r.generator as GeneratorConfig), variant }) as GeneratorConfig;
  const genKey = (seed: number, variant: string) =>
    cacheKey({ kind: 'generator', version: VERSION, dataHash, seed, variant, splits: r.splits, config: resolveGenerator(generatorConfig(variant)), ...threadsKey, ...taskKey });
  const generatorCell = (seed: number, variant: string) =>
    build(cellDir(options.runDir, 'gen', genKey(seed, variant)), async (tmp): Promise<GeneratorCellResult> => {
      const t0 = performance.now();
      // the identity task has no validation walks to spare: the generator holds out its own valFraction of the training walks
      const [train, val] = identityTask ? [idSplit(seed).train, undefined] : split(seed);
      progress.log(`ablate: training ${variant} (seed ${seed}) on ${train.N} real gaits`);
      const res = await trainGeneratorWithCard(train, generatorConfig(variant), {
        outDir: path.join(tmp, 'model'), seed, val, progress, threads: options.threads, dataName: `${options.dataPath ?? 'the ablation data'}: the seed-${seed} train split`,
      });
      const gen = await loadGenerator(path.join(tmp, 'model'));
      const hash = gen.checkpointHash;
      gen.dispose();
      return { seed, augmenter: variant, key: genKey(seed, variant), checkpointHash: hash, bestEpoch: res.bestEpoch, wallSeconds: (performance.now() - t0) / 1000 };
    });
  const genModelDir = (seed: number, variant: string) => generatorModelDir(options.runDir, { key: genKey(seed, variant) });

  const clfKey = (c: GridCell) =>
    cacheKey({
      kind: 'classifier', version: VERSION, dataHash, seed: c.seed, augmenter: c.augmenter, count: c.count, classifier: c.classifier,
      splits: r.splits, config: r.classifier, augment: r.augment, ...threadsKey,
      generator: isLearnedAugmenter(c.augmenter) ? genKey(c.seed, c.augmenter) : null,
    });
  const idKey = (c: GridCell) =>
    cacheKey({
      kind: 'identity', version: VERSION, dataHash, seed: c.seed, augmenter: c.augmenter, count: c.count, model: c.classifier, config: r.identity!.model, ...threadsKey, ...taskKey,
      generator: isLearnedAugmenter(c.augmenter) ? genKey(c.seed, c.augmenter) : null,
      // how the generator's walks were made, in the keys of the cells that have any (sampled cells keep the keys they had before
      // restyling existed, and cells restyled at the posterior mean those they had before the shifted latent existed)
      ...(isLearnedAugmenter(c.augmenter) && c.count > 0 && r.identity!.walks !== 'sample' ? { walks: r.identity!.walks } : {}),
      ...(isLearnedAugmenter(c.augmenter) && c.count > 0 && r.identity!.restyleLatent === 'shifted' ? { restyleLatent: 'shifted' } : {}),
    });
  // identity-task cells live beside the classifier cells (prefix clf-), so progress, shards and merging treat them alike
  const identityTaskCell = (c: GridCell) => {
    const learned = isLearnedAugmenter(c.augmenter);
    const key = idKey(c);
    return build(cellDir(options.runDir, 'clf', key), async (tmp): Promise<CellResult> => {
      const t0 = performance.now();
      const res = await identityCell({
        cell: c, r, split: idSplit(c.seed), generatorDir: learned ? genModelDir(c.seed, c.augmenter) : null, sampleSeed: Number.parseInt(key.slice(0, 8), 16),
        outDir: path.join(tmp, 'model'), threads: options.threads, progress,
      });
      const s = res.scores;
      return {
        ...c, key, generatorKey: learned ? genKey(c.seed, c.augmenter) : null, trainReal: res.trainReal, trainSynthetic: res.trainSynthetic,
        testGaits: Object.values(s.probes).reduce((a, b) => a + b, 0), accuracy: s.rank1['mean']!, macroF1: s.mAP['mean']!, top2: s.rank5['mean']!,
        perClassRecall: {}, confusion: [], bestEpoch: res.bestEpoch, wallSeconds: (performance.now() - t0) / 1000, identity: s,
      };
    });
  };

  const classifierCell = (c: GridCell) => (identityTask ? identityTaskCell(c) : emotionClassifierCell(c));

  const emotionClassifierCell = (c: GridCell) => {
    const learned = isLearnedAugmenter(c.augmenter);
    const key = clfKey(c);
    return build(cellDir(options.runDir, 'clf', key), async (tmp): Promise<CellResult> => {
      const t0 = performance.now();
      const [train, val, test] = split(c.seed);
      let synthetic: GaitSet | null = null;
      const cellSeed = Number.parseInt(key.slice(0, 8), 16);
      if (c.count > 0) {
        const counts = countsPerLabel(train.labelNames, c.count);
        if (learned) {
          const gen = await loadGenerator(genModelDir(c.seed, c.augmenter));
          try {
            synthetic = gen.sample(counts, { seed: cellSeed }).withLabelNames(train.labelNames);
          } finally {
            gen.dispose();
          }
        } else synthetic = classicalAugment(train, c.augmenter as ClassicalAugmenter, counts, cellSeed, r.augment);
      }
      const trainSet = synthetic ? GaitSet.concat([train, synthetic]) : train;
      progress.log(`ablate: ${c.classifier} on ${train.N} real + ${synthetic?.N ?? 0} ${c.augmenter} gaits (seed ${c.seed})`);
      const out = await trainClassifier(c.classifier as ClassifierKind, trainSet, r.classifier as never, { outDir: path.join(tmp, 'model'), seed: c.seed, val, progress, threads: options.threads });
      const clf = await loadClassifier(path.join(tmp, 'model'));
      try {
        const ev = evaluateClassifier(clf, test);
        return {
          ...c, key, generatorKey: learned ? genKey(c.seed, c.augmenter) : null, trainReal: train.N, trainSynthetic: synthetic?.N ?? 0, testGaits: test.N,
          accuracy: ev.accuracy, macroF1: ev.macroF1, top2: ev.top2Accuracy,
          perClassRecall: ev.perClassRecall,
          confusion: ev.confusion, bestEpoch: out.bestEpoch, valAccuracy: out.bestValAccuracy, valGaits: val.N, wallSeconds: (performance.now() - t0) / 1000,
        };
      } finally {
        clf.dispose();
      }
    });
  };

  // A learned generator scored against the seed's real test split: FID in the affective space and in the space of
  // two Baseline-STEP evaluators cross-fitted on the test split (neither trained on the generator's training gaits),
  // label-matched, beside the floor, with the anchored recognition ratio and the training-set copy's.
  const fidCell = (g: GeneratorCellResult) => {
    const useEvaluator = usesEvaluator(r);
    const key = cacheKey({ kind: 'fid', method: FID_CELL_METHOD, generator: g.key, perLabel: r.fidPerLabel, evaluator: useEvaluator, repeats: FID_CELL_REPEATS });
    return build(cellDir(options.runDir, 'fid', key), async (tmp): Promise<FidCellResult> => {
      const [train, , test] = split(g.seed);
      const gen = await loadGenerator(genModelDir(g.seed, g.augmenter));
      let ev: CrossFitEvaluators | null = null;
      let evaluatorSkipped: string | undefined;
      try {
        if (useEvaluator) {
          try {
            ev = await crossFitEvaluators(test, { seed: g.seed, cacheDir: path.join(tmp, 'evaluators'), threads: options.threads, progress, name: `the seed-${g.seed} test split` });
          } catch (e) {
            if (!(e instanceof GaitforgeError && e.code === 'E_SHAPE')) throw e;
            evaluatorSkipped = e.message;
            progress.log(`ablate: no evaluator space for ${g.augmenter} (seed ${g.seed}): ${e.message}`);
          }
        }
        const counts = proportionalCounts(test, r.fidPerLabel * test.labelNames.length);
        const e = await evaluateGenerator(gen, test, { seed: g.seed, repeats: FID_CELL_REPEATS, counts, evaluator: ev?.folds ?? null, train, threads: options.threads });
        const entry = (f: FidSummary): FidEntry => ({ fid: f.fid.mean, floor: f.floor.mean, n: f.n, dim: f.dim, featureDim: f.featureDim, ridge: f.ridge, counts: f.counts });
        return {
          seed: g.seed, augmenter: g.augmenter, key, method: FID_CELL_METHOD, realGaits: test.N, fakeGaits: e.generatedPerDraw, repeats: e.repeats,
          affective: entry(e.affective.fid),
          evaluator: e.evaluatorSpace && e.evaluator ? { ...entry(e.evaluatorSpace.fid), scheme: e.evaluator.scheme, checkpointHashes: e.evaluator.folds.map((f) => f.checkpointHash) } : null,
          ...(evaluatorSkipped ? { evaluatorSkipped } : {}),
          recognition: e.recognition
            ? { generated: e.recognition.generated.mean, real: e.recognition.real, ratio: e.recognition.ratio.mean, trainingCopyRatio: e.recognition.trainingCopyRatio?.mean ?? null }
            : null,
        };
      } finally {
        ev?.dispose();
        gen.dispose();
      }
    });
  };

  const results: CellResult[] = [];
  const generators: GeneratorCellResult[] = [];
  const fids: FidCellResult[] = [];
  let complete = !options.shard || options.shard.count === 1;
  progress.start('ablation cells', mine.length);
  try {
    let done = 0;
    for (const group of groupCells(mine)) {
      const { seed, augmenter } = group[0]!;
      const learned = isLearnedAugmenter(augmenter);
      const g = learned ? await generatorCell(seed, augmenter) : null;
      for (const c of group) {
        const res = await classifierCell(c);
        results.push(res);
        progress.update(++done, { acc: res.accuracy });
      }
      if (g) {
        generators.push(g);
        // FID compares generated and real walks per label; the identity task's generated walks are of conditions its targets never walked in
        if (!identityTask) fids.push(await fidCell(g));
      }
    }
  } catch (e) {
    if (!(e instanceof StopEarly)) throw e;
    complete = false;
  } finally {
    progress.stop();
  }
  return { cells: results, generators, fids, built, complete };
}

/** Cells grouped by (seed, augmenter), in grid order: one group needs at most one generator. */
function groupCells(cells: GridCell[]): GridCell[][] {
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
      if (n.startsWith('clf-')) cells.set(res.key, res as CellResult);
      else if (n.startsWith('gen-')) generators.set(res.key, res as GeneratorCellResult);
      // FID cells measured another way (before label matching and cross-fitted evaluators) are not comparable: left out
      else if (n.startsWith('fid-') && (res as FidCellResult).method === FID_CELL_METHOD) fids.set(res.key, res as FidCellResult);
    }
  }
  return { cells: [...cells.values()], generators: [...generators.values()], fids: [...fids.values()] };
}

/**
 * Runs the grid in `workers` worker threads on this machine (one shard each,
 * same run folder; src/pipeline/ablate-worker.ts). Shards are whole (seed,
 * augmenter) groups, so no two workers train the same generator.
 */
async function runWithWorkers(data: GaitSet, r: ResolvedAblation, options: AblateOptions): Promise<AblationOutcome> {
  if (!options.dataPath) throw new GaitforgeError('E_OPTION', 'workers > 1 needs the dataset as a file (dataPath)');
  const n = options.workers!;
  const backend = currentBackend()?.chosen ?? 'auto';
  const progress = options.progress ?? silentProgress;
  progress.log(`ablate: ${n} workers × ${options.threads ?? 1} thread(s)`);
  const children = Array.from({ length: n }, (_, k) =>
    runShardInWorker({ dataPath: options.dataPath!, config: r, runDir: options.runDir, shard: { index: k, count: n }, backend, threads: options.threads ?? 1 }));
  // The workers are quiet; the bar follows the finished classifier cells in the shared run folder.
  const total = gridCells(r).length;
  const cellsDir = path.join(options.runDir, 'cells');
  const finished = () => (existsSync(cellsDir) ? readdirSync(cellsDir).filter((f) => f.startsWith('clf-') && !f.includes('.tmp-')).length : 0);
  const before = finished();
  progress.start('ablation cells', total);
  const poll = setInterval(() => progress.update(Math.min(total, finished())), 1000);
  try {
    await Promise.all(children);
  } finally {
    clearInterval(poll);
    progress.stop();
  }
  // Everything is cached now: a single pass collects the results in grid order.
  const collected = await runAblation(data, r, { ...options, workers: 1 });
  return { ...collected, built: collected.built + finished() - before };
}

/**
 * One FID cell per generator (seed, augmenter): where a folder holds a
 * generator scored both with and without the evaluator, the one `withEvaluator`
 * asks for.
 */
function oneFidPerGenerator(fids: FidCellResult[], withEvaluator: boolean): FidCellResult[] {
  const asked = (f: FidCellResult) => f.evaluator !== null || f.evaluatorSkipped !== undefined;
  const byGenerator = new Map<string, FidCellResult>();
  for (const f of fids) {
    const k = `${f.seed}/${f.augmenter}`;
    const had = byGenerator.get(k);
    if (!had || (asked(had) !== withEvaluator && asked(f) === withEvaluator)) byGenerator.set(k, f);
  }
  return [...byGenerator.values()];
}

/**
 * Whether two resolved configs run the same grid. `evaluator` only decides
 * which FID cells (keyed by it) are computed, so one folder holds runs with
 * and without it.
 */
function sameGrid(a: ResolvedAblation, b: ResolvedAblation): boolean {
  const grid = ({ evaluator: _, ...rest }: ResolvedAblation) => canonicalJson(rest);
  return grid(a) === grid(b);
}

/** A run folder's `ablation.json`, its config completed with what folders written before a field existed ran. */
function readManifest(file: string): RunManifest {
  const m = JSON.parse(readFileSync(file, 'utf8')) as RunManifest;
  const id = m.config.identity;
  if (id) {
    // folders written before identity.walks existed sampled their walks, and before identity.restyleLatent restyled at the posterior mean
    if (id.walks === undefined) id.walks = 'sample';
    if (id.restyleLatent === undefined) id.restyleLatent = id.walks === 'restyle' ? 'posterior' : null;
  }
  return m;
}

/** What `ablation.json` in a run folder records: the config and the data it belongs to. */
interface RunManifest {
  config: ResolvedAblation;
  dataHash: string;
  dataset: string;
  gaits: number;
  labelNames: string[];
  /** The grouping of the splits. */
  groupedBy?: ResolvedGrouping;
}

export interface AblateRequest {
  /** The real dataset (.parquet / .arrow). */
  dataPath: string;
  config: AblationConfig;
  runDir: string;
  shard?: { index: number; count: number };
  workers?: number;
  /**
   * Data-parallel threads of every training; workers × threads must not
   * exceed the machine's cores. Default 1, so results do not depend on
   * --workers (a thread count > 1 is part of every cell's cache key).
   */
  threads?: number;
  /** Write results and report after running (default true). */
  report?: boolean;
  maxNewCells?: number;
  progress?: Progress;
  /** Extra Markdown for the report (e.g. filmstrips). */
  appendix?: string;
}

export interface AblateSummary {
  runDir: string;
  /** What was measured: 'emotion' (accuracy) or 'identity' (summaries' accuracy is the mean cross-condition rank-1). */
  task: 'emotion' | 'identity';
  report: string | null;
  cells: number;
  built: number;
  complete: boolean;
  summaries: CellSummary[];
  /** Each learned augmenter against each classical one at the same classifier and count, paired by seed. */
  comparisons: AugmenterComparison[];
  wallSeconds: number;
}

/**
 * The whole `gaitforge ablate`: validates the config against the data before
 * any training, refuses a run folder that holds another experiment, runs (or
 * resumes) the grid and writes the results and report.
 */
export async function ablate(req: AblateRequest): Promise<AblateSummary> {
  const t0 = performance.now();
  const config0 = resolveAblation(req.config);
  const data = realRowsOf(await readGaitFile(req.dataPath), config0.nonReal);
  const config = resolveAblation(req.config, data);
  const dataHash = hashFloats(data.positions);
  const manifest: RunManifest = {
    config, dataHash, dataset: path.resolve(req.dataPath), gaits: data.N, labelNames: data.labelNames, ...(config.task === 'identity' ? {} : { groupedBy: data.grouping(config.splits.groupBy) }),
  };
  const manifestPath = path.join(req.runDir, 'ablation.json');
  if (existsSync(manifestPath)) {
    const old = readManifest(manifestPath);
    if (!sameGrid(old.config, config) || old.dataHash !== dataHash)
      throw new GaitforgeError('E_CONFIG', `run folder ${req.runDir} holds another ablation (different ${old.dataHash !== dataHash ? 'dataset' : 'config'}); use a new --run-dir`);
  } else writeFilesAtomic([{ path: manifestPath, data: JSON.stringify(manifest, null, 2) }]);
  const threads = ablationThreads(req.workers ?? 1, req.threads);
  const outcome = await runAblation(data, config, { runDir: req.runDir, shard: req.shard, workers: req.workers, threads, dataPath: req.dataPath, maxNewCells: req.maxNewCells, progress: req.progress });
  const wallSeconds = (performance.now() - t0) / 1000;
  let report: string | null = null;
  if (req.report !== false && outcome.cells.length > 0 && !req.shard) {
    const strips = config.task === 'identity' ? { markdown: '', files: [] } : await filmstripAppendix(data, config, req.runDir, outcome);
    const appendix = [strips.markdown, req.appendix ?? ''].filter(Boolean).join('\n\n');
    report = (await writeAblationReport(req.runDir, { config, ...outcome, meta: reportMeta(manifest, wallSeconds), appendix, extraFiles: strips.files })).report;
  }
  return { runDir: req.runDir, task: config.task ?? 'emotion', report, cells: outcome.cells.length, built: outcome.built, complete: outcome.complete, summaries: summarizeCells(outcome.cells), comparisons: compareLearnedWithClassical(outcome.cells), wallSeconds };
}

/**
 * Threads per training when `workers` run at once: `threads` (default 1;
 * E_OPTION when workers × threads exceeds the machine's cores).
 */
export function ablationThreads(workers: number, threads = 1): number {
  const cores = machineThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new GaitforgeError('E_OPTION', `invalid threads: ${threads} (expected a positive integer)`);
  if (workers * threads > cores)
    throw new GaitforgeError('E_OPTION', `workers × threads = ${workers} × ${threads} exceeds this machine's ${cores} cores; lower --workers or --threads`);
  return threads;
}

/** The model folder of a finished generator cell. */
export function generatorModelDir(runDir: string, g: Pick<GeneratorCellResult, 'key'>): string {
  return path.join(cellDir(runDir, 'gen', g.key), 'model');
}

/**
 * One real and one synthetic filmstrip per label for the report: real gaits
 * from the first seed's test split, synthetic ones from that seed's first
 * learned generator (else its first classical augmenter).
 */
async function filmstripAppendix(data: GaitSet, r: ResolvedAblation, runDir: string, outcome: AblationOutcome): Promise<{ markdown: string; files: OutputFile[] }> {
  const seed = r.seeds[0]!;
  const [train, , test] = splitForSeed(data, r, seed);
  const one = countsPerLabel(data.labelNames, 1);
  let synthetic: GaitSet | null = null;
  const g = outcome.generators.find((x) => x.seed === seed);
  if (g) {
    const gen = await loadGenerator(generatorModelDir(runDir, g));
    try {
      synthetic = gen.sample(one, { seed }).withLabelNames(data.labelNames);
    } finally {
      gen.dispose();
    }
  } else {
    const classical = r.augmenters.find((a) => a !== 'none' && !isLearnedAugmenter(a));
    if (classical) synthetic = classicalAugment(train, classical as ClassicalAugmenter, one, seed, r.augment);
  }
  const files: OutputFile[] = [];
  const lines = ['## Real and synthetic gaits', '', `Seed ${seed}: a real test gait and a ${synthetic?.generator[0] ?? 'synthetic'} gait per label (side and front views over a gait cycle).`, ''];
  for (const [l, name] of data.labelNames.entries()) {
    const realIdx = test.labels.indexOf(l);
    const synIdx = synthetic ? synthetic.labels.indexOf(l) : -1;
    const cells: string[] = [];
    if (realIdx >= 0) {
      files.push({ path: `strips/${name}-real.svg`, data: gaitStripSvg(test, realIdx, { title: `${name}: real (${test.ids[realIdx]})` }) });
      cells.push(`![${name} real](strips/${name}-real.svg)`);
    }
    if (synthetic && synIdx >= 0) {
      files.push({ path: `strips/${name}-synthetic.svg`, data: gaitStripSvg(synthetic, synIdx, { title: `${name}: ${synthetic.generator[synIdx]}` }) });
      cells.push(`![${name} synthetic](strips/${name}-synthetic.svg)`);
    }
    lines.push(...cells, '');
  }
  return { markdown: lines.join('\n'), files };
}

function reportMeta(m: RunManifest, wallSeconds: number): ReportMeta {
  const b = currentBackend();
  return {
    dataset: m.dataset, gaits: m.gaits, labelNames: m.labelNames, backend: b ? `${b.chosen} (tfjs '${b.tfBackend}'${b.simd ? ', SIMD' : ''})` : 'unknown',
    versions: { gaitforge: VERSION, ...(b?.versions ?? {}) }, wallSeconds, date: new Date().toISOString(),
    ...(m.groupedBy ? { groupedBy: m.groupedBy } : {}),
  };
}

/**
 * `gaitforge ablate merge`: joins the results of shards run in separate
 * folders (same config and data) into one report in `outDir`.
 */
export async function mergeAblation(runDirs: string[], outDir: string): Promise<AblateSummary> {
  const t0 = performance.now();
  if (runDirs.length === 0) throw new GaitforgeError('E_OPTION', 'ablate merge needs at least one run folder');
  const manifests = runDirs.map((d) => {
    const f = path.join(d, 'ablation.json');
    if (!existsSync(f)) throw new GaitforgeError('E_IO', `${d} is not an ablation run folder (no ablation.json)`);
    return readManifest(f);
  });
  const first = manifests[0]!;
  manifests.forEach((m, i) => {
    if (!sameGrid(m.config, first.config) || m.dataHash !== first.dataHash)
      throw new GaitforgeError('E_CONFIG', `${runDirs[i]} ran another ablation than ${runDirs[0]} (config or data differ)`);
  });
  const collected = collectResults(runDirs);
  const got = { ...collected, fids: oneFidPerGenerator(collected.fids, usesEvaluator(first.config)) };
  const want = gridCells(first.config).length;
  const wallSeconds = (performance.now() - t0) / 1000;
  if (!existsSync(path.join(outDir, 'ablation.json'))) writeFilesAtomic([{ path: path.join(outDir, 'ablation.json'), data: JSON.stringify(first, null, 2) }]);
  const report = (await writeAblationReport(outDir, { config: first.config, ...got, meta: reportMeta(first, wallSeconds) })).report;
  return { runDir: outDir, task: first.config.task ?? 'emotion', report, cells: got.cells.length, built: 0, complete: got.cells.length >= want, summaries: summarizeCells(got.cells), comparisons: compareLearnedWithClassical(got.cells), wallSeconds };
}
