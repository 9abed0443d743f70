/**
 * A generator's model directory:
 *   generator.json         manifest: format and gaitforge versions, resolved config, label names,
 *                          skeleton, T, V, fps, data hash, seed, normalisation, best epoch, progress
 *   best/                  the epoch with the lowest validation loss: encoder/, decoder/,
 *                          checkpoint.json and latent.json (the fitted latent prior)
 *   last/                  the latest finished epoch: encoder/, decoder/, optimizer and fit state
 *   loss.csv, loss.json    the loss curve, one row per epoch
 * last/ and best/ are checkpoints of the training engine (src/train/checkpoint.ts),
 * swapped in whole, so a crash leaves the previous one intact.
 */
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { GaitSet } from '../core/gaitset.js';
import { GaitforgeError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/files.js';
import { VERSION } from '../core/version.js';
import { swapDir } from '../train/checkpoint.js';
import { resolveGenerator, type ResolvedGeneratorConfig } from './config.js';
import { LOSS_TERMS, type LossTerms } from './losses.js';
import type { GaitNormalization } from './normalize.js';

export const MANIFEST_FILE = 'generator.json';
export const MANIFEST_FORMAT = 'gaitforge-generator';
/** Bumped whenever a directory written by an older gaitforge could not be read correctly. */
export const MANIFEST_VERSION = 1;

export type LossValues = LossTerms<number>;

export interface EpochLog {
  /** 1-based epoch number. */
  epoch: number;
  lr: number;
  /** Mean training loss terms over the epoch's gaits. */
  train: LossValues;
  /** Validation loss terms (eval mode), or null without validation gaits. */
  val: LossValues | null;
  /** Wall-clock seconds of the epoch's training steps. */
  seconds: number;
  /** Training gaits per second in this epoch. */
  samplesPerSec: number;
}

/** The fields of every generator family's generator.json; `config` is the family's resolved config. */
export interface ManifestFields<C> {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  gaitforgeVersion: string;
  /** Generator name written into synthetic rows: the variant. */
  name: string;
  config: C;
  labelNames: string[];
  skeleton: string;
  T: number;
  V: number;
  fps: number;
  edges: [number, number][];
  normalization: GaitNormalization;
  /** SHA-256 of the training (and given validation) gaits. */
  dataHash: string;
  seed: number;
  trainGaits: number;
  valGaits: number;
  /** Epochs finished so far. */
  epochsDone: number;
  /** 1-based epoch of best/ (0 before the first epoch ends). */
  bestEpoch: number;
  completed: boolean;
  backend: string;
}

/** STEP-Gen's (and the baseline CVAE's) generator.json. */
export interface GeneratorManifest extends ManifestFields<ResolvedGeneratorConfig> {
  /** The identities of an identity-conditioned generator (config identityDim > 0), sorted; absent otherwise. */
  identityNames?: string[];
  /**
   * Each identity's bone lengths measured on its training walks (rigid.ts
   * `walkerBoneLengths`, [identity][joint], metres), in `identityNames` order;
   * sampling sets that walker's bones to them. Absent in older model folders:
   * their samples keep each gait's median bone lengths.
   */
  identityBoneLengths?: number[][];
  /** β on the summed scale (config.ts summedKlWeight: β · T·V·3 / latentDim); absent in older model folders. */
  summedKlWeight?: number;
  /** The GaitTAKE model of L_id (config identityFeatureWeight > 0): its directory as given and the hash of its weights. */
  identityFeatureModel?: { dir: string; checkpointHash: string };
}


/**
 * Copies a finished checkpoint directory's `parts` (STEP-Gen's by default;
 * not the optimizer state) into a fresh temporary one, adds `extra` files
 * (name → text), and swaps it in.
 */
export function copyCheckpoint(from: string, to: string, extra: Record<string, string> = {}, parts: readonly string[] = ['encoder', 'decoder', 'checkpoint.json']): void {
  const tmp = `${to}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const part of parts)
    cpSync(path.join(from, part), path.join(tmp, part), { recursive: true });
  writeFilesAtomic(Object.entries(extra).map(([name, data]) => ({ path: path.join(tmp, name), data })));
  swapDir(tmp, to);
}

/** File in best/ holding the fitted latent prior (latent.ts). */
export const LATENT_FILE = 'latent.json';

export function writeManifest(dir: string, m: ManifestFields<object>): void {
  writeFilesAtomic([{ path: path.join(dir, MANIFEST_FILE), data: JSON.stringify(m, null, 2) + '\n' }]);
}

/**
 * Reads generator.json of any family with its format checks: E_MODEL when it
 * is missing, not JSON, another format or a newer format version.
 */
export function readManifestJson(dir: string): { file: string; m: ManifestFields<Record<string, unknown>> & Record<string, unknown> } {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(dir)) throw new GaitforgeError('E_MODEL', `model directory ${dir} does not exist`);
  if (!existsSync(file)) throw new GaitforgeError('E_MODEL', `${dir} is not a generator directory: it has no ${MANIFEST_FILE}`);
  let m: ManifestFields<Record<string, unknown>> & Record<string, unknown>;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as typeof m;
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!m || m.format !== MANIFEST_FORMAT) throw new GaitforgeError('E_MODEL', `${file} is not a gaitforge generator manifest (format ${JSON.stringify(m?.format)})`);
  if (m.formatVersion !== MANIFEST_VERSION)
    throw new GaitforgeError('E_MODEL', `${file} has format version ${m.formatVersion} (written by gaitforge ${m.gaitforgeVersion}); gaitforge ${VERSION} reads version ${MANIFEST_VERSION}`);
  return { file, m };
}

/** The variant of the generator in `dir` (its config's; 'stepgen' for a config without one), after readManifestJson's checks. */
export function manifestVariant(dir: string): string {
  return variantOf(readManifestJson(dir).m);
}

function variantOf(m: ManifestFields<Record<string, unknown>>): string {
  const v = m.config && typeof m.config === 'object' ? m.config['variant'] : undefined;
  return typeof v === 'string' ? v : 'stepgen';
}

/**
 * Checks a manifest's config with its family's `resolve` (it must be what
 * resolving it gives) and the fields every family has. E_MODEL naming the
 * field.
 */
export function checkManifest<C extends object>(file: string, m: ManifestFields<C>, resolve: (c: C) => C): void {
  try {
    const resolved = resolve(m.config);
    for (const k of Object.keys(resolved) as (keyof C)[])
      if (JSON.stringify(resolved[k]) !== JSON.stringify(m.config[k])) throw new RangeError(`${String(k)} is missing or differs from its resolved value`);
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${file}: incompatible config (written by gaitforge ${m.gaitforgeVersion}): ${(e as Error).message}`, { cause: e });
  }
  const bad = (field: string) => new GaitforgeError('E_MODEL', `${file}: field ${field} is missing or invalid`);
  if (!Array.isArray(m.labelNames) || m.labelNames.length === 0) throw bad('labelNames');
  for (const k of ['T', 'V', 'fps', 'seed', 'epochsDone', 'bestEpoch'] as const) if (typeof m[k] !== 'number' || !Number.isFinite(m[k])) throw bad(k);
  if (!m.normalization || !Array.isArray(m.normalization.mean) || m.normalization.mean.length !== m.T * m.V * 3 || !(m.normalization.scale > 0)) throw bad('normalization');
  if (!Array.isArray(m.edges)) throw bad('edges');
}

/**
 * Reads and checks a STEP-Gen (or baseline CVAE) generator.json: E_MODEL when
 * it is missing, not JSON, another format, a newer format version, holds
 * another family's generator (flow, pca-gaussian: loadGenerator reads every
 * family), or holds a config this gaitforge cannot resolve.
 */
export function readManifest(dir: string): GeneratorManifest {
  const { file, m: raw } = readManifestJson(dir);
  const variant = variantOf(raw);
  if (variant === 'flow' || variant === 'pca-gaussian')
    throw new GaitforgeError('E_MODEL', `${dir} holds a ${variant} generator, not a STEP-Gen one (loadGenerator and readGeneratorFamilyManifest read every family)`);
  const m = raw as unknown as GeneratorManifest;
  // fields absent in older model folders load with the value that reproduces them: identityDim 0
  // (label only), decoderCondition 'input', prior 'fitted' (the only fitted prior then), L_id weight 0
  if (m.config && typeof m.config === 'object' && !('identityDim' in m.config)) m.config = { ...(m.config as object), identityDim: 0 } as ResolvedGeneratorConfig;
  if (m.config && typeof m.config === 'object' && !('decoderCondition' in m.config)) m.config = { ...(m.config as object), decoderCondition: 'input' } as ResolvedGeneratorConfig;
  if (m.config && typeof m.config === 'object' && !('prior' in m.config)) m.config = { ...(m.config as object), prior: 'fitted' } as ResolvedGeneratorConfig;
  if (m.config && typeof m.config === 'object' && !('identityFeatureWeight' in m.config)) m.config = { ...(m.config as object), identityFeatureWeight: 0 } as ResolvedGeneratorConfig;
  checkManifest(file, m, resolveGenerator);
  const bad = (field: string) => new GaitforgeError('E_MODEL', `${file}: field ${field} is missing or invalid`);
  if (m.config.identityDim > 0 ? !Array.isArray(m.identityNames) || m.identityNames.length === 0 || m.identityNames.some((n) => typeof n !== 'string') : m.identityNames !== undefined)
    throw bad('identityNames');
  const bones = m.identityBoneLengths;
  const I = m.identityNames?.length ?? 0;
  if (bones !== undefined && !(Array.isArray(bones) && bones.length === I && bones.every((b) => Array.isArray(b) && b.length === m.V && b.every((x) => Number.isFinite(x) && x >= 0))))
    throw new GaitforgeError('E_MODEL', `${file}: identityBoneLengths must hold ${I} lists (one per identity) of ${m.V} finite lengths ≥ 0`);
  return m;
}

/** One epoch of a loss curve: its terms by name (train, and validation or null). */
export interface CurveRow {
  epoch: number;
  lr: number;
  train: Record<string, number> | object;
  val: Record<string, number> | object | null;
  seconds: number;
  samplesPerSec: number;
}

/** Writes loss.csv and loss.json (one row per epoch; `terms` names the loss terms, STEP-Gen's by default). */
export function writeLossCurve(dir: string, history: readonly CurveRow[], terms: readonly string[] = LOSS_TERMS): void {
  const header = ['epoch', 'lr', ...terms.map((t) => `train_${t}`), ...terms.map((t) => `val_${t}`), 'seconds', 'samples_per_s'];
  const value = (r: object | null, t: string) => (r ? (r as Record<string, number>)[t] ?? '' : '');
  const rows = history.map((h) =>
    [h.epoch, h.lr, ...terms.map((t) => value(h.train, t)), ...terms.map((t) => value(h.val, t)), h.seconds.toFixed(3), h.samplesPerSec.toFixed(2)].join(','),
  );
  writeFilesAtomic([
    { path: path.join(dir, 'loss.csv'), data: [header.join(','), ...rows].join('\n') + '\n' },
    { path: path.join(dir, 'loss.json'), data: JSON.stringify(history, null, 2) + '\n' },
  ]);
}
