/**
 * Which evaluator a generator metric runs with. The shipped evaluator
 * (samples/evaluator) fits the 4-emotion, T = 75 demo data only; for any
 * other dataset (other labels, frame or joint counts) gaitforge trains a
 * Baseline-STEP on the real training split, through the classifier's one
 * training path, and caches it in a folder keyed by the content hash of
 * that split and the training settings, so the next run loads it. The
 * choice is returned with its provenance ('given', 'shipped', 'cached',
 * 'trained'), which `fid` and `evaluate-generator` print and record.
 *
 * The training split must not share a gait with the real gaits being
 * evaluated (those are test data for the evaluator as much as for the
 * generator): a shared id is an error.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadClassifier, trainClassifier, type Classifier, type ClassifierConfig } from '../classifier/index.js';
import { GaitforgeError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/files.js';
import type { GaitSet } from '../core/gaitset.js';
import { contentHash, gaitSetsHash } from '../core/hash.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { VERSION } from '../core/version.js';
import { buildCell, canonicalJson, readCell } from './cache.js';
import { checkEvaluatorFits, defaultEvaluatorDir } from './evaluate-generator.js';

/** Where an evaluator came from: a directory the user named, the shipped one, a per-dataset one from the cache, or one trained by this call. */
export type EvaluatorSource = 'given' | 'shipped' | 'cached' | 'trained';

/** Epochs of a per-dataset evaluator by default: a small budget (the shipped evaluator had 12). */
export const DEFAULT_EVALUATOR_EPOCHS = 10;
/** Seed of a per-dataset evaluator by default (fixed, so every evaluation of a dataset finds the same cached evaluator). */
export const DEFAULT_EVALUATOR_SEED = 1;
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
  const settings = { kind: 'baseline-step', config: evaluatorConfig(epochs), seed, valFraction: EVALUATOR_VAL_FRACTION, version: VERSION, ...(threads > 1 ? { threads } : {}) };
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
  const trainLabels = new Set(train.labelNames.filter((_, l) => train.labels.includes(l)));
  const trainIds = new Set(train.ids);
  for (const s of sets) {
    if (s.set.T !== train.T || s.set.V !== train.V)
      throw new GaitforgeError('E_SHAPE', `the gaits of ${s.name} have T = ${s.set.T}, V = ${s.set.V} but those of ${trainName} have T = ${train.T}, V = ${train.V}: an evaluator trained on it cannot embed them`);
    const missing = s.set.labelNames.filter((n, l) => s.set.labels.includes(l) && !trainLabels.has(n));
    if (missing.length) throw new GaitforgeError('E_LABEL', `the gaits of ${s.name} have label${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that ${trainName} lacks, so an evaluator trained on it cannot recognise ${missing.length > 1 ? 'them' : 'it'}`);
    if (s.real) {
      const shared = s.set.ids.filter((id) => trainIds.has(id));
      if (shared.length)
        throw new GaitforgeError('E_VALUE', `${shared.length} gait(s) of ${s.name} (e.g. ${JSON.stringify(shared[0])}) are also in ${trainName}: the evaluator must not train on the gaits it is evaluated on; pass a training split disjoint from them`);
    }
  }
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
    progress.log(`${why}: training an evaluator (Baseline-STEP, ${epochs} epochs) on ${trainName} (${train.N} gaits) into ${dir}`);
    record = await buildCell(dir, async (tmp): Promise<EvaluatorRecord> => {
      const r = await trainClassifier('baseline-step', train, evaluatorConfig(epochs), { outDir: tmp, seed, valFraction: EVALUATOR_VAL_FRACTION, progress, threads });
      const rec: EvaluatorRecord = {
        key, dataHash: gaitSetsHash([train]), trainGaits: train.N, labelNames: [...train.labelNames], T: train.T, V: train.V, epochs, seed,
        bestEpoch: r.bestEpoch, bestValAccuracy: r.bestValAccuracy, checkpointHash: r.checkpointHash, gaitforgeVersion: VERSION,
      };
      writeFilesAtomic([{ path: path.join(tmp, 'evaluator.json'), data: JSON.stringify(rec, null, 2) }]);
      return rec;
    });
    source = 'trained';
  }
  const evaluator = await loadClassifier(dir);
  const description =
    `a per-dataset evaluator (Baseline-STEP, ${record.epochs} epochs on ${record.trainGaits} gaits of ${trainName}, validation accuracy ${(100 * record.bestValAccuracy).toFixed(1)}%) ` +
    `${source === 'cached' ? 'loaded from the cache' : 'trained now and cached'} in ${dir}, because ${why.replace(/^the default evaluator/, 'the shipped evaluator')}`;
  return { evaluator, name: `the per-dataset evaluator in ${dir}`, dir, source, description, record };
}

/** The cache folder of per-dataset evaluators: `cacheDir` when given, else `.gaitforge-evaluators` beside the training split's file (undefined without either). */
export function evaluatorCacheRoot(cacheDir: string | undefined, trainFile: string | undefined): string | undefined {
  if (cacheDir !== undefined) return cacheDir;
  return trainFile === undefined ? undefined : path.join(path.dirname(path.resolve(trainFile)), '.gaitforge-evaluators');
}

/** The JSON record of which evaluator a command used (`evaluatorUsed` in `fid` and `evaluate-generator` outputs); null without one. */
export function evaluatorUsed(c: EvaluatorChoice | null): { source: EvaluatorSource; dir: string; checkpointHash: string; description: string; record: EvaluatorRecord | null } | null {
  return c ? { source: c.source, dir: c.dir, checkpointHash: c.evaluator.checkpointHash, description: c.description, record: c.record } : null;
}
