/**
 * What every generator family's training run shares around the training
 * engine (src/train): the checks of its input, the validation split, the
 * data fingerprint, resume-or-refuse against the manifest already in the
 * model directory, and the directory's fresh start. STEP-Gen's train.ts and
 * the PCA-space families (flow/, pca-gaussian/) call these; each family
 * supplies only its task, its files and its manifest fields.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { GaitforgeError, optionError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { gaitSetsHash } from '../core/hash.js';
import type { FitState } from '../train/checkpoint.js';
import { checkSameRun, clearRunDir, lastCheckpoint, type Interrupted } from '../train/run.js';
import * as tf from '@tensorflow/tfjs';
import { currentBackend } from '../core/backend.js';
import { VERSION } from '../core/version.js';
import { MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, type ManifestFields } from './checkpoint.js';
import { canonicalizeAll, fitNormalization, standardize, type GaitNormalization } from './normalize.js';
import { EDGES, NUM_JOINTS, SKELETON_NAME } from '../core/skeleton.js';

/** Skeleton edges for a set; the generator's graph needs a known skeleton. */
export function skeletonEdges(skeleton: string, V: number): [number, number][] {
  if (skeleton !== SKELETON_NAME || V !== NUM_JOINTS)
    throw new GaitforgeError('E_SHAPE', `the generator needs the ${SKELETON_NAME} skeleton with ${NUM_JOINTS} joints, got ${skeleton} with V = ${V}`);
  return EDGES.map(([a, b]) => [a, b] as [number, number]);
}

/**
 * The training and validation gait indices of `valFraction` held out,
 * stratified by label. A label-only generator holds out whole groups
 * (GaitSet.grouping 'auto'). An identity-conditioned one must learn every
 * identity's embedding, so it holds out whole recordings and returns to
 * training the held-out walks of any identity left without training walks.
 */
export function validationSplit(train: GaitSet, cfg: { valFraction: number; identityDim: number }, seed: number): [number[], number[]] {
  const f = [1 - cfg.valFraction, cfg.valFraction];
  if (cfg.identityDim === 0) {
    const [a, b] = train.splitIndices(f, seed);
    return [a!, b!];
  }
  const [a, b] = train.splitIndices(f, seed, { groupBy: 'recording' });
  const training = new Set(a!.map((i) => train.identity[i]));
  const back = b!.filter((i) => !training.has(train.identity[i]));
  return [[...a!, ...back].sort((x, y) => x - y), b!.filter((i) => training.has(train.identity[i]))];
}

/** The options of a run that this module reads. */
export interface RunOptions {
  outDir: string;
  seed: number;
  resume?: boolean;
  overwrite?: boolean;
  val?: GaitSet;
}

/**
 * Checks a run's seed, output directory and training gaits (a known
 * skeleton, at least 2 gaits, every label present). Returns the skeleton's
 * edges. Throws before anything is written.
 */
export function checkRunInput(train: GaitSet, o: RunOptions): [number, number][] {
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw optionError('seed', o.seed, 'a non-negative integer');
  if (typeof o.outDir !== 'string' || o.outDir === '') throw optionError('outDir', o.outDir, 'a directory path');
  if (existsSync(o.outDir) && !statSync(o.outDir).isDirectory()) throw new GaitforgeError('E_IO', `${o.outDir} exists and is not a directory`);
  const edges = skeletonEdges(train.skeleton, train.V);
  if (train.N < 2) throw new GaitforgeError('E_SHAPE', `the training set has ${train.N} gait(s); a generator needs at least 2`);
  checkLabelsPresent(train, 'the training set', ' (every label of the set needs gaits; drop the label or add gaits)');
  return edges;
}

export function checkLabelsPresent(set: GaitSet, what: string, hint: string): void {
  const counts = set.countsByLabel();
  for (const [label, c] of Object.entries(counts))
    if (c === 0) throw new GaitforgeError('E_LABEL', `label ${JSON.stringify(label)} has no gaits in ${what}${hint}`);
}

/**
 * The gaits a run trains on and validates with: `val` when given (of the
 * training gaits' shape, relabelled to their label names), else
 * `valFraction` of `train` held out (validationSplit: stratified by label,
 * by walker where every gait has one), else none.
 */
export function splitRun(train: GaitSet, val: GaitSet | undefined, cfg: { valFraction: number; identityDim: number }, seed: number): { trainPart: GaitSet; valPart: GaitSet | null } {
  let trainPart = train;
  let valPart: GaitSet | null = null;
  if (val) {
    if (val.T !== train.T || val.V !== train.V || val.skeleton !== train.skeleton)
      throw new GaitforgeError('E_SHAPE', `validation gaits are [T=${val.T}, V=${val.V}, ${val.skeleton}], training gaits [T=${train.T}, V=${train.V}, ${train.skeleton}]`);
    valPart = val.N > 0 ? val.withLabelNames(train.labelNames) : null;
  } else if (cfg.valFraction > 0) {
    const [a, b] = validationSplit(train, cfg, seed);
    trainPart = train.select(a);
    valPart = b.length > 0 ? train.select(b) : null;
    checkLabelsPresent(trainPart, 'the training part', ` after holding out valFraction = ${cfg.valFraction} for validation (lower valFraction or add gaits)`);
  }
  if (trainPart.N < 2) throw new GaitforgeError('E_SHAPE', `only ${trainPart.N} gait(s) left for training after the validation split`);
  return { trainPart, valPart };
}

/** SHA-256 of what a run trains on: the training gaits and, when given, the validation gaits. */
export function runDataHash(train: GaitSet, val: GaitSet | undefined): string {
  return gaitSetsHash(val ? [train, val] : [train]);
}

/** The fields of a manifest that must match for a run to resume it. */
export type RunFingerprint = Pick<ManifestFields<object>, 'seed' | 'dataHash' | 'T' | 'V' | 'labelNames' | 'config'> & { identityNames?: string[] };

/** A run to continue: its manifest, the fit loop's state and its last checkpoint directory. */
export interface ResumePoint<M, L> extends Interrupted<FitState<L>> {
  manifest: M;
}

/**
 * What is already in `outDir` decides between a fresh run (null) and a
 * resumed one (train/run.ts's policy): with `resume`, a manifest of the
 * same run with a finished epoch is continued, another is refused; without,
 * a manifest there is an error unless `overwrite`. `read` reads the
 * family's manifest.
 */
export function findResume<M extends RunFingerprint & { epochsDone: number }, L>(o: RunOptions, want: RunFingerprint, read: (dir: string) => M): ResumePoint<M, L> | null {
  const { outDir } = o;
  if (!existsSync(path.join(outDir, MANIFEST_FILE))) return null;
  if (!o.resume) {
    if (o.overwrite) return null;
    throw new GaitforgeError('E_IO', `${outDir} already holds a generator (${MANIFEST_FILE}); resume it or choose overwrite / another directory`);
  }
  const manifest = read(outDir);
  const fingerprint = (m: RunFingerprint): RunFingerprint => ({ seed: m.seed, dataHash: m.dataHash, T: m.T, V: m.V, labelNames: m.labelNames, identityNames: m.identityNames, config: m.config });
  checkSameRun(outDir, fingerprint(manifest), fingerprint(want), MANIFEST_FILE);
  if (manifest.epochsDone === 0) return null;
  const found = lastCheckpoint<FitState<L>>(outDir);
  return found && { ...found, manifest };
}

/** Files of a model directory that a fresh run replaces (with `overwrite`), besides a family's own `extra`. */
const RUN_FILES = [MANIFEST_FILE, 'best', 'last', 'best.old', 'last.old', 'loss.csv', 'loss.json'];

/** Starts a fresh run's directory: what a previous run left is removed (with `overwrite`), the directory created. */
export function freshRunDir(o: RunOptions, extra: readonly string[] = []): void {
  clearRunDir(o.outDir, o.overwrite ? [...RUN_FILES, ...extra] : []);
}

/** Standardised canonical copies of a set's positions, and the statistics (fitted on the set unless given). */
export function prepareGaits(set: GaitSet, norm: GaitNormalization | null): { data: Float32Array; norm: GaitNormalization } {
  const canon = canonicalizeAll(set.positions, set.T, set.V);
  const n = norm ?? fitNormalization(canon, set.stride);
  return { data: standardize(canon, n), norm: n };
}

/** The fields every family's manifest starts a fresh run with (nothing trained yet). */
export function manifestFields<C>(
  name: string, config: C, train: GaitSet, trainPart: GaitSet, valPart: GaitSet | null, edges: [number, number][], normalization: GaitNormalization, dataHash: string, seed: number,
): ManifestFields<C> {
  return {
    format: MANIFEST_FORMAT, formatVersion: MANIFEST_VERSION, gaitforgeVersion: VERSION, name, config,
    labelNames: [...train.labelNames], skeleton: train.skeleton, T: train.T, V: train.V, fps: train.fps, edges, normalization, dataHash, seed,
    trainGaits: trainPart.N, valGaits: valPart?.N ?? 0, epochsDone: 0, bestEpoch: 0, completed: false,
    backend: currentBackend()?.chosen ?? tf.getBackend(),
  };
}
