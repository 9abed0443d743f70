/**
 * A generator's model directory:
 *
 *   generator.json         manifest: format version, gaitforge version, resolved
 *                          config, label names, skeleton, T, V, fps, data hash,
 *                          seed, normalisation statistics, best epoch, progress
 *   best/encoder|decoder/  the checkpoint with the lowest validation loss
 *   last/encoder|decoder/  the latest finished epoch (nn/serialize.ts layout:
 *                          model.json + weights.bin + meta.json, tfjs layers format)
 *   last/optimizer.json    Adam step + variable shapes; last/optimizer.bin its m and v
 *   last/state.json        epoch and loss history (what `resume` continues from)
 *   loss.csv, loss.json    the loss curve, one row per epoch
 *
 * Directories are written under a temporary name and swapped in, and files are
 * written to a temporary name and renamed, so a crash leaves the previous
 * checkpoint intact.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GaitSet } from '../core/gaitset.js';
import { GaitforgeError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { resolveGenerator, type ResolvedGeneratorConfig } from './config.js';
import { LOSS_TERMS, type LossTerms } from './losses.js';
import type { GaitNormalization } from './normalize.js';
import type { AdamState } from './optimizer.js';

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

export interface GeneratorManifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  gaitforgeVersion: string;
  /** Generator name written into synthetic rows: the variant. */
  name: string;
  config: ResolvedGeneratorConfig;
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

export interface TrainState {
  epoch: number;
  history: EpochLog[];
  bestEpoch: number;
  bestLoss: number;
}

/** SHA-256 (hex) of a set's shape, label names, labels and positions. */
export function gaitSetHash(set: GaitSet): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ T: set.T, V: set.V, skeleton: set.skeleton, labelNames: set.labelNames, N: set.N }));
  h.update(new Uint8Array(set.labels.buffer, set.labels.byteOffset, set.labels.byteLength));
  h.update(new Uint8Array(set.positions.buffer, set.positions.byteOffset, set.positions.byteLength));
  return h.digest('hex');
}

/** Writes a file atomically (temporary name + rename). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new GaitforgeError('E_IO', `cannot write ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Replaces directory `target` by `tmp` (the old one is removed only once the new one is in place). */
export function swapDir(tmp: string, target: string): void {
  const old = `${target}.old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(tmp, target);
  rmSync(old, { recursive: true, force: true });
}

/** A checkpoint directory, restoring `<dir>.old` if a swap was interrupted between its two renames. */
export function checkpointDir(modelDir: string, which: 'best' | 'last'): string {
  const d = path.join(modelDir, which);
  if (!existsSync(d) && existsSync(`${d}.old`)) renameSync(`${d}.old`, d);
  return d;
}

/**
 * Copies a finished checkpoint directory (without optimizer state) into a
 * fresh temporary one, adds `extra` files (name → text), and swaps it in.
 */
export function copyCheckpoint(from: string, to: string, extra: Record<string, string> = {}): void {
  const tmp = `${to}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const part of ['encoder', 'decoder', 'checkpoint.json'])
    cpSync(path.join(from, part), path.join(tmp, part), { recursive: true });
  for (const [name, text] of Object.entries(extra)) writeFileSync(path.join(tmp, name), text);
  swapDir(tmp, to);
}

/** File in best/ holding the fitted latent prior (latent.ts). */
export const LATENT_FILE = 'latent.json';

export function writeManifest(dir: string, m: GeneratorManifest): void {
  writeFileAtomic(path.join(dir, MANIFEST_FILE), JSON.stringify(m, null, 2) + '\n');
}

/**
 * Reads and checks generator.json: E_MODEL when it is missing, not JSON,
 * another format, a newer format version, or holds a config this gaitforge
 * cannot resolve.
 */
export function readManifest(dir: string): GeneratorManifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(dir)) throw new GaitforgeError('E_MODEL', `model directory ${dir} does not exist`);
  if (!existsSync(file)) throw new GaitforgeError('E_MODEL', `${dir} is not a generator directory: it has no ${MANIFEST_FILE}`);
  let m: GeneratorManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as GeneratorManifest;
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!m || m.format !== MANIFEST_FORMAT) throw new GaitforgeError('E_MODEL', `${file} is not a gaitforge generator manifest (format ${JSON.stringify(m?.format)})`);
  if (m.formatVersion !== MANIFEST_VERSION)
    throw new GaitforgeError('E_MODEL', `${file} has format version ${m.formatVersion} (written by gaitforge ${m.gaitforgeVersion}); gaitforge ${VERSION} reads version ${MANIFEST_VERSION}`);
  try {
    const resolved = resolveGenerator(m.config);
    for (const k of Object.keys(resolved) as (keyof ResolvedGeneratorConfig)[])
      if (JSON.stringify(resolved[k]) !== JSON.stringify(m.config[k])) throw new RangeError(`${k} is missing or differs from its resolved value`);
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${file}: incompatible config (written by gaitforge ${m.gaitforgeVersion}): ${(e as Error).message}`, { cause: e });
  }
  const bad = (field: string) => new GaitforgeError('E_MODEL', `${file}: field ${field} is missing or invalid`);
  if (!Array.isArray(m.labelNames) || m.labelNames.length === 0) throw bad('labelNames');
  for (const k of ['T', 'V', 'fps', 'seed', 'epochsDone', 'bestEpoch'] as const) if (typeof m[k] !== 'number' || !Number.isFinite(m[k])) throw bad(k);
  if (!m.normalization || !Array.isArray(m.normalization.mean) || m.normalization.mean.length !== m.T * m.V * 3 || !(m.normalization.scale > 0)) throw bad('normalization');
  if (!Array.isArray(m.edges)) throw bad('edges');
  return m;
}

export function writeOptimizerState(dir: string, s: AdamState): void {
  const bytes = s.values.reduce((a, v) => a + v.byteLength, 0);
  const buf = new Uint8Array(bytes);
  let off = 0;
  for (const v of s.values) {
    buf.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), off);
    off += v.byteLength;
  }
  writeFileSync(path.join(dir, 'optimizer.bin'), buf);
  writeFileSync(path.join(dir, 'optimizer.json'), JSON.stringify({ step: s.step, shapes: s.shapes }));
}

export function readOptimizerState(dir: string): AdamState {
  const jf = path.join(dir, 'optimizer.json');
  const bf = path.join(dir, 'optimizer.bin');
  for (const f of [jf, bf]) if (!existsSync(f)) throw new GaitforgeError('E_MODEL', `checkpoint ${dir} has no ${path.basename(f)}: cannot resume`);
  const { step, shapes } = JSON.parse(readFileSync(jf, 'utf8')) as { step: number; shapes: number[][] };
  const bin = readFileSync(bf);
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const total = 2 * sizes.reduce((a, b) => a + b, 0);
  if (bin.byteLength !== total * 4) throw new GaitforgeError('E_MODEL', `${bf} has ${bin.byteLength} bytes, ${jf} describes ${total * 4}`);
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const values: Float32Array[] = [];
  let off = 0;
  for (const n of [...sizes, ...sizes]) {
    values.push(all.slice(off, off + n));
    off += n;
  }
  return { step, shapes, values };
}


/** Writes loss.csv and loss.json (one row per epoch). */
export function writeLossCurve(dir: string, history: EpochLog[]): void {
  const header = ['epoch', 'lr', ...LOSS_TERMS.map((t) => `train_${t}`), ...LOSS_TERMS.map((t) => `val_${t}`), 'seconds', 'samples_per_s'];
  const rows = history.map((h) =>
    [h.epoch, h.lr, ...LOSS_TERMS.map((t) => h.train[t]), ...LOSS_TERMS.map((t) => (h.val ? h.val[t] : '')), h.seconds.toFixed(3), h.samplesPerSec.toFixed(2)].join(','),
  );
  writeFileAtomic(path.join(dir, 'loss.csv'), [header.join(','), ...rows].join('\n') + '\n');
  writeFileAtomic(path.join(dir, 'loss.json'), JSON.stringify(history, null, 2) + '\n');
}

export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new GaitforgeError('E_IO', `cannot create directory ${dir}: ${(e as Error).message}`, { cause: e });
  }
}
