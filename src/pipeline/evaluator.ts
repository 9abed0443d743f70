/**
 * Which evaluator a generator metric runs with.
 *
 * Scoring a trained generator (evaluate-generator, the model card, the
 * ablation's FID cell, the benches) uses evaluators cross-fitted on the
 * held-out real gaits (`crossFitEvaluators`): the real set is cut into two
 * grouped halves, a Baseline-STEP trains on each, and each scores the
 * generated gaits and the half it never saw. No evaluator has trained on the
 * gaits the generator learned from, so samples that imitate those gaits gain
 * nothing over unseen real ones: a copy of the training set scores a
 * recognition ratio of about 1.
 *
 * `gaitforge fid` (two given sets) uses `chooseEvaluator`: a directory the
 * user names, else the shipped one when it fits the data, else a
 * Baseline-STEP trained on a real training split (`--train`) that shares no
 * gait, walker or recording with the real gaits evaluated. Per-dataset
 * evaluators are cached in folders keyed by the content hash of their
 * training gaits and settings, so the next run loads them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClassifier, trainClassifier, type Classifier, type ClassifierConfig } from '../classifier/index.js';
import { GaitforgeError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/files.js';
import { checkHeldOut, groupedHalves, groupedSplit, type GaitSet } from '../core/gaitset.js';
import { contentHash, gaitSetsHash } from '../core/hash.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { VERSION } from '../core/version.js';
import { buildCell, canonicalJson, readCell } from './cache.js';
import { deriveSeed } from '../core/rng.js';

/**
 * The folder of the evaluator shipped with gaitforge (samples/evaluator): a
 * Baseline-STEP trained on real procedural gaits only (T = 75, V = 16,
 * angry / neutral / happy / sad). Found next to the package root from src/
 * and from dist/src/; null when the package was installed without samples.
 */
export function defaultEvaluatorDir(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const dir = path.resolve(here, up, 'samples', 'evaluator');
    if (existsSync(path.join(dir, 'model.json'))) return dir;
  }
  return null;
}

/**
 * Loads an evaluator: the classifier in `dir`, or the shipped one when `dir`
 * is absent. Returns it with the name used in messages and outputs. The
 * caller disposes it.
 */
export async function loadEvaluator(dir?: string): Promise<{ evaluator: Classifier; name: string; dir: string }> {
  if (dir !== undefined) return { evaluator: await loadClassifier(dir), name: `the evaluator in ${dir}`, dir };
  const d = defaultEvaluatorDir();
  if (!d) throw new GaitforgeError('E_MODEL', 'the default evaluator (samples/evaluator) is not installed; pass an evaluator directory or use the affective feature space');
  return { evaluator: await loadClassifier(d), name: 'the default evaluator', dir: d };
}

/**
 * Throws E_MODEL when `evaluator` cannot embed `set` meaningfully: other frame
 * or joint counts, or labels it was not trained on. `which` names the
 * evaluator in the message ("the default evaluator", a directory...).
 */
export function checkEvaluatorFits(evaluator: Classifier, set: GaitSet, which: string, setName = 'the real set'): void {
  const m = evaluator.meta;
  const problems: string[] = [];
  if (set.T !== m.T || set.V !== m.V) problems.push(`T = ${set.T}, V = ${set.V}`);
  const used = set.labelNames.filter((_, l) => set.labels.includes(l));
  const unknown = used.filter((n) => !evaluator.labelNames.includes(n));
  if (unknown.length) problems.push(`label${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} that it does not know`);
  if (problems.length === 0) return;
  throw new GaitforgeError(
    'E_MODEL',
    `${which} (Baseline-STEP ${evaluator.checkpointHash}) was trained on gaits of T = ${m.T}, V = ${m.V} labelled ${evaluator.labelNames.join(', ')}, ` +
      `but the gaits of ${setName} have ${problems.join(' and ')}, so its features say nothing about this data: ` +
      `use the affective feature space (--features affective) or an evaluator trained on data like yours (--evaluator DIR)`,
  );
}

/** A frozen evaluator and the rows of the real set it never trained on: its accuracy, FID reference and floor come from them. */
export interface EvaluatorFold {
  classifier: Classifier;
  /** Row indices of the real set, ascending. */
  scored: Int32Array;
}

/** Where an evaluator came from: a directory the user named, the shipped one, a per-dataset one from the cache, or one trained by this call. */
export type EvaluatorSource = 'given' | 'shipped' | 'cached' | 'trained';

/** Epochs of a per-dataset evaluator by default: a small budget (the shipped evaluator had 12). */
export const DEFAULT_EVALUATOR_EPOCHS = 10;
/** Seed of a per-dataset evaluator by default (fixed, so every evaluation of a dataset finds the same cached evaluator). */
export const DEFAULT_EVALUATOR_SEED = 1;
/** Gaits of each label a cross-fitting half needs (it trains an evaluator and is scored like a real set). */
const MIN_PER_LABEL = 4;

/** Fraction of the training split a per-dataset evaluator holds out for its model selection. */
export const EVALUATOR_VAL_FRACTION = 0.2;

/** What `evaluator.json` in a per-dataset evaluator's folder records. */
export interface EvaluatorRecord {
  /** The content hash (core/hash.ts) the folder is keyed by. */
  key: string;
  /** Content hash of the real training split. */
  dataHash: string;
  trainGaits: number;
  labelNames: string[];
  T: number;
  V: number;
  epochs: number;
  seed: number;
  bestEpoch: number;
  bestValAccuracy: number;
  checkpointHash: string;
  gaitforgeVersion: string;
}

export interface EvaluatorChoice {
  /** The loaded classifier; the caller disposes it. */
  evaluator: Classifier;
  /** Names it in messages ("the default evaluator", "the evaluator in DIR"...). */
  name: string;
  /** Its folder. */
  dir: string;
  source: EvaluatorSource;
  /** One sentence: which evaluator and why. */
  description: string;
  /** Per-dataset evaluators: what they were trained on; null for given and shipped ones. */
  record: EvaluatorRecord | null;
}

export interface ChooseEvaluatorOptions {
  /** An evaluator directory to use as it is (`--evaluator DIR`). */
  dir?: string;
  /** The real training split: what a per-dataset evaluator trains on when the shipped one does not fit. */
  train?: GaitSet | null;
  /** Names the training split in messages (e.g. its file). Default 'the training split'. */
  trainName?: string;
  /** Folder holding cached per-dataset evaluators (one sub-folder per key). Needed when one has to be trained or looked up. */
  cacheDir?: string;
  /** Epochs of a per-dataset evaluator. Default DEFAULT_EVALUATOR_EPOCHS. */
  epochs?: number;
  /** Seed of a per-dataset evaluator. Default DEFAULT_EVALUATOR_SEED. */
  seed?: number;
  /** Data-parallel threads of its training (a count > 1 is part of the cache key: results depend on it). Default 1. */
  threads?: number;
  progress?: Progress;
}

/** A set the evaluator must embed, named for messages; `real` sets are test data and must not share gaits with the training split. */
export interface EvaluatedSet {
  set: GaitSet;
  name: string;
  real: boolean;
}

/** The classifier config of a per-dataset evaluator: Baseline-STEP with the default config and `epochs`. */
function evaluatorConfig(epochs: number): ClassifierConfig {
  return { epochs };
}

/** The cache key of a per-dataset evaluator: training split, config, seed, threads and gaitforge version. */
export function evaluatorKey(train: GaitSet, epochs: number, seed: number, threads = 1): string {
  const settings = { kind: 'baseline-step', config: evaluatorConfig(epochs), seed, valFraction: EVALUATOR_VAL_FRACTION, valSplit: 'grouped, finer when too few groups', version: VERSION, ...(threads > 1 ? { threads } : {}) };
  return contentHash([gaitSetsHash([train]), canonicalJson(settings)]).slice(0, 20);
}

/** The folder of the per-dataset evaluator of `key` under `cacheDir`. */
export function evaluatorCacheDir(cacheDir: string, key: string): string {
  return path.join(cacheDir, `evaluator-${key}`);
}

/** The problem that keeps `evaluator` from embedding the sets, or null when it fits them all. */
function misfit(evaluator: Classifier, sets: EvaluatedSet[], which: string): string | null {
  try {
    for (const s of sets) checkEvaluatorFits(evaluator, s.set, which, s.name);
    return null;
  } catch (e) {
    if (e instanceof GaitforgeError && e.code === 'E_MODEL') return e.message;
    throw e;
  }
}

/**
 * The evaluator for `sets`: `options.dir` when given; else the shipped one
 * when it fits every set; else the per-dataset Baseline-STEP of
 * `options.train` from `options.cacheDir`, trained there first when the
 * cache does not hold it. Throws E_MODEL when no evaluator fits and no
 * training split is given, E_VALUE when the training split shares a gait
 * with a real set being evaluated, E_LABEL when a set has a label the
 * training split lacks, E_SHAPE on other frame or joint counts. The caller
 * disposes the returned classifier.
 */
export async function chooseEvaluator(sets: EvaluatedSet[], options: ChooseEvaluatorOptions = {}): Promise<EvaluatorChoice> {
  if (options.dir !== undefined) {
    const evaluator = await loadClassifier(options.dir);
    return { evaluator, name: `the evaluator in ${options.dir}`, dir: options.dir, source: 'given', description: `the evaluator in ${options.dir} (given)`, record: null };
  }
  const shipped = defaultEvaluatorDir();
  let why = 'the shipped evaluator (samples/evaluator) is not installed';
  if (shipped) {
    const evaluator = await loadClassifier(shipped);
    const problem = misfit(evaluator, sets, 'the default evaluator');
    if (!problem) return { evaluator, name: 'the default evaluator', dir: shipped, source: 'shipped', description: `the shipped evaluator (${shipped})`, record: null };
    evaluator.dispose();
    why = problem.split(', so its features')[0]!;
  }
  const train = options.train ?? null;
  if (!train)
    throw new GaitforgeError(
      'E_MODEL',
      `${why}; pass the real training split (--train FILE) to train an evaluator for this dataset on it, an evaluator directory (--evaluator DIR), or use the affective feature space (--features affective)`,
    );
  const trainName = options.trainName ?? 'the training split';
  for (const s of sets) {
    checkCanEmbed(train, trainName, s.set, s.name);
    if (s.real) checkHeldOut(train, trainName, s.set, s.name, 'the evaluator must not train on the gaits, walkers or recordings it is evaluated on; pass a training split disjoint from them');
  }
  const t = await trainedEvaluator(train, { ...options, trainName });
  const description =
    `a per-dataset evaluator (Baseline-STEP, ${t.record.epochs} epochs on ${t.record.trainGaits} gaits of ${trainName}, validation accuracy ${(100 * t.record.bestValAccuracy).toFixed(1)}%) ` +
    `${t.source === 'cached' ? 'loaded from the cache' : 'trained now and cached'} in ${t.dir}, because ${why.replace(/^the default evaluator/, 'the shipped evaluator')}`;
  return { evaluator: t.evaluator, name: `the per-dataset evaluator in ${t.dir}`, dir: t.dir, source: t.source, description, record: t.record };
}

/** Throws E_SHAPE / E_LABEL when an evaluator trained on `train` cannot embed or recognise `set`. */
function checkCanEmbed(train: GaitSet, trainName: string, set: GaitSet, name: string): void {
  if (set.T !== train.T || set.V !== train.V)
    throw new GaitforgeError('E_SHAPE', `the gaits of ${name} have T = ${set.T}, V = ${set.V} but those of ${trainName} have T = ${train.T}, V = ${train.V}: an evaluator trained on it cannot embed them`);
  const trainLabels = new Set(train.labelNames.filter((_, l) => train.labels.includes(l)));
  const missing = set.labelNames.filter((n, l) => set.labels.includes(l) && !trainLabels.has(n));
  if (missing.length) throw new GaitforgeError('E_LABEL', `the gaits of ${name} have label${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that ${trainName} lacks, so an evaluator trained on it cannot recognise ${missing.length > 1 ? 'them' : 'it'}`);
}

/**
 * The per-dataset Baseline-STEP of `train` from `options.cacheDir`, trained
 * there first when the cache does not hold it. The caller disposes the
 * returned classifier.
 */
async function trainedEvaluator(train: GaitSet, options: ChooseEvaluatorOptions & { trainName: string }): Promise<{ evaluator: Classifier; dir: string; source: 'cached' | 'trained'; record: EvaluatorRecord }> {
  if (!options.cacheDir) throw new GaitforgeError('E_OPTION', 'training a per-dataset evaluator needs a cache folder (cacheDir / --cache-dir)');
  const epochs = options.epochs ?? DEFAULT_EVALUATOR_EPOCHS;
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 10_000) throw new GaitforgeError('E_OPTION', `evaluator epochs = ${epochs}: expected an integer in [1, 10000]`);
  const seed = options.seed ?? DEFAULT_EVALUATOR_SEED;
  const threads = options.threads ?? 1;
  const key = evaluatorKey(train, epochs, seed, threads);
  const dir = evaluatorCacheDir(options.cacheDir, key);
  const cached = existsSync(path.join(dir, 'model.json')) ? readCell<EvaluatorRecord>(dir) : null;
  const progress = options.progress ?? silentProgress;
  let record: EvaluatorRecord;
  let source: EvaluatorSource;
  if (cached) {
    record = cached;
    source = 'cached';
  } else {
    progress.log(`training an evaluator (Baseline-STEP, ${epochs} epochs) on ${options.trainName} (${train.N} gaits) into ${dir}`);
    record = await buildCell(dir, async (tmp): Promise<EvaluatorRecord> => {
      // its own epoch is chosen on a part of its training gaits, grouped as finely as a small set needs
      const [tr, va] = groupedSplit(train, [1 - EVALUATOR_VAL_FRACTION, EVALUATOR_VAL_FRACTION], deriveSeed(seed, 'evaluator/val'), 1).parts;
      const r = await trainClassifier('baseline-step', train.select(Array.from(tr!)), evaluatorConfig(epochs), { outDir: tmp, seed, val: train.select(Array.from(va!)), progress, threads });
      const rec: EvaluatorRecord = {
        key, dataHash: gaitSetsHash([train]), trainGaits: train.N, labelNames: [...train.labelNames], T: train.T, V: train.V, epochs, seed,
        bestEpoch: r.bestEpoch, bestValAccuracy: r.bestValAccuracy, checkpointHash: r.checkpointHash, gaitforgeVersion: VERSION,
      };
      writeFilesAtomic([{ path: path.join(tmp, 'evaluator.json'), data: JSON.stringify(rec, null, 2) }]);
      return rec;
    });
    source = 'trained';
  }
  return { evaluator: await loadClassifier(dir), dir, source, record };
}

/** Evaluators cross-fitted on a held-out real set (`crossFitEvaluators`). */
export interface CrossFitEvaluators {
  /** Fold f's evaluator trained on half f and scores the other half. */
  folds: EvaluatorFold[];
  /** Each fold's training record and folder. */
  records: EvaluatorRecord[];
  dirs: string[];
  /** The grouping of the two halves ('identity', 'recording', ...). */
  groupedBy: string;
  /** One sentence: how the evaluators were made. */
  description: string;
  /** Releases the classifiers. */
  dispose(): void;
}

/**
 * Two Baseline-STEP evaluators cross-fitted on the held-out real gaits
 * `real` (gaits the generator never trained on): `real` is cut into two
 * halves stratified by label and grouped (no walker or recording in both;
 * seeded by `options.seed`, default DEFAULT_EVALUATOR_SEED), an evaluator
 * trains on each (holding out EVALUATOR_VAL_FRACTION of its half for its own
 * model selection) and scores the other half. Cached in `options.cacheDir`
 * like any per-dataset evaluator. Throws E_SHAPE when a half lacks a label
 * of `real`. The caller disposes the result.
 */
export async function crossFitEvaluators(real: GaitSet, options: Omit<ChooseEvaluatorOptions, 'dir' | 'train' | 'trainName'> & { name?: string }): Promise<CrossFitEvaluators> {
  const name = options.name ?? 'the real gaits';
  const h = groupedHalves(real, deriveSeed(options.seed ?? DEFAULT_EVALUATOR_SEED, 'evaluator/cross-fit'));
  const halves = [h.reference, h.floor];
  const present = real.labelNames.filter((_, l) => real.labels.includes(l));
  // each half trains an evaluator on every label and is scored like a real set (4 gaits of each label: 2 in each half of a draw)
  halves.forEach((rows, f) => {
    const counts = real.select(Array.from(rows)).countsByLabel();
    const few = present.filter((n) => counts[n]! < MIN_PER_LABEL);
    if (few.length)
      throw new GaitforgeError(
        'E_SHAPE',
        `cross-fitting evaluators on ${name}: half ${f + 1} of ${real.N} gaits (grouped by ${h.groupedBy}) has fewer than ${MIN_PER_LABEL} gaits of ${few.map((n) => `${n} (${counts[n]})`).join(', ')}; use more held-out gaits or an evaluator directory (--evaluator DIR)`,
      );
  });
  const trained: Awaited<ReturnType<typeof trainedEvaluator>>[] = [];
  try {
    for (const [f, rows] of halves.entries())
      trained.push(await trainedEvaluator(real.select(Array.from(rows)), { ...options, trainName: `half ${f + 1} of ${name}` }));
  } catch (e) {
    for (const t of trained) t.evaluator.dispose();
    throw e;
  }
  const acc = trained.map((t) => `${(100 * t.record.bestValAccuracy).toFixed(1)}%`).join(' and ');
  return {
    folds: trained.map((t, f) => ({ classifier: t.evaluator, scored: halves[1 - f]! })),
    records: trained.map((t) => t.record), dirs: trained.map((t) => t.dir), groupedBy: h.groupedBy,
    description:
      `two Baseline-STEP evaluators cross-fitted on ${name} (halves of ${halves[0]!.length} and ${halves[1]!.length} gaits grouped by ${h.groupedBy}; ` +
      `${trained[0]!.record.epochs} epochs each, validation accuracy ${acc}): each scores the generated gaits and the half it never trained on`,
    dispose: () => trained.forEach((t) => t.evaluator.dispose()),
  };
}

/** The cache folder of per-dataset evaluators: `cacheDir` when given, else `.gaitforge-evaluators` beside `dataFile` (undefined without either). */
export function evaluatorCacheRoot(cacheDir: string | undefined, dataFile: string | undefined): string | undefined {
  if (cacheDir !== undefined) return cacheDir;
  return dataFile === undefined ? undefined : path.join(path.dirname(path.resolve(dataFile)), '.gaitforge-evaluators');
}

/** The JSON record of which evaluator a command used (`evaluatorUsed` in `fid` and `evaluate-generator` outputs); null without one. */
export function evaluatorUsed(c: EvaluatorChoice | null): { source: EvaluatorSource; dir: string; checkpointHash: string; description: string; record: EvaluatorRecord | null } | null {
  return c ? { source: c.source, dir: c.dir, checkpointHash: c.evaluator.checkpointHash, description: c.description, record: c.record } : null;
}
