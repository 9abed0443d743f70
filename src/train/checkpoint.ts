/**
 * The one checkpoint format of gaitforge, a directory holding each model of
 * the run (<model name>/, nn/serialize.ts layout), optimizer.json (Adam step,
 * variable shapes), optimizer.bin (Adam's m then v, float32, in variable
 * order) and state.json (the fit loop's state and whatever the model adds).
 * Written under a temporary name and swapped in (`swapDir`), so a crash leaves
 * the previous checkpoint whole (`checkpointDir` repairs a half-done swap).
 * It holds every bit of a run's state, and batches, noise and dropout masks
 * are functions of (seed, epoch, step), so a resumed run is bit-identical to
 * an uninterrupted one on the same backend.
 */
import type * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { GaitforgeError } from '../core/errors.js';
import { writeFilesAtomic } from '../core/files.js';
import { filesHash } from '../core/hash.js';
import { loadModel, saveModel } from '../nn/serialize.js';
import type { AdamState } from './optimizer.js';

/** Content hash (core/hash.ts) of a saved model's model.json and weights.bin in `dir`: which weights a result came from. */
export function checkpointHashOf(dir: string): string {
  return filesHash(dir, ['model.json', 'weights.bin']);
}

/** The fit loop's state, saved in state.json. */
export interface FitState<L> {
  /** Epochs finished. */
  epoch: number;
  history: L[];
  /** 1-based epoch of the best score so far (0: none yet). */
  bestEpoch: number;
  /** Best selection score so far (compared lexicographically, lower is better); null before the first. */
  bestScore: number[] | null;
}

export function freshState<L>(): FitState<L> {
  return { epoch: 0, history: [], bestEpoch: 0, bestScore: null };
}

/** True when score a is better (lexicographically lower) than b. */
export function better(a: readonly number[], b: readonly number[] | null): boolean {
  if (!b) return true;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return true;
    if (a[i]! > b[i]!) return false;
  }
  return false;
}

export interface CheckpointContent<S> {
  models: Record<string, { model: tf.LayersModel; meta?: object }>;
  optimizer: AdamState;
  state: S;
  /** Further small files (name → text). */
  files?: Record<string, string>;
}

/** Writes a checkpoint into a temporary directory and swaps it in as `dir`. */
export async function writeCheckpoint<S>(dir: string, c: CheckpointContent<S>): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const [name, m] of Object.entries(c.models)) await saveModel(m.model, path.join(tmp, name), m.meta ?? {});
    writeFilesAtomic([
      ...optimizerFiles(tmp, c.optimizer),
      { path: path.join(tmp, 'state.json'), data: JSON.stringify(c.state) },
      ...Object.entries(c.files ?? {}).map(([name, data]) => ({ path: path.join(tmp, name), data })),
    ]);
    swapDir(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Sets the weights of `model` (batch-norm statistics included) from the checkpoint model in `dir` (nn/serialize.ts layout). */
export async function restoreWeights(model: tf.LayersModel, dir: string): Promise<void> {
  const { model: saved } = await loadModel(dir);
  try {
    model.setWeights(saved.getWeights());
  } finally {
    saved.dispose();
  }
}

/** Removes checkpoint directory `dir` and what an interrupted swap left of it. */
export function removeCheckpoint(dir: string): void {
  for (const f of [dir, `${dir}.old`]) rmSync(f, { recursive: true, force: true });
}

/** Reads state.json of a checkpoint (E_MODEL when missing or not JSON). */
export function readCheckpointState<S>(dir: string): S {
  const f = path.join(dir, 'state.json');
  if (!existsSync(f)) throw new GaitforgeError('E_MODEL', `checkpoint ${dir} has no state.json: cannot resume`);
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as S;
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${f} is not valid JSON: ${(e as Error).message}`, { cause: e });
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
export function checkpointDir(parent: string, name: string): string {
  const d = path.join(parent, name);
  if (!existsSync(d) && existsSync(`${d}.old`)) renameSync(`${d}.old`, d);
  return d;
}

function optimizerFiles(dir: string, s: AdamState) {
  const bytes = s.values.reduce((a, v) => a + v.byteLength, 0);
  const buf = new Uint8Array(bytes);
  let off = 0;
  for (const v of s.values) {
    buf.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), off);
    off += v.byteLength;
  }
  return [
    { path: path.join(dir, 'optimizer.bin'), data: buf },
    { path: path.join(dir, 'optimizer.json'), data: JSON.stringify({ step: s.step, shapes: s.shapes }) },
  ];
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

export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new GaitforgeError('E_IO', `cannot create directory ${dir}: ${(e as Error).message}`, { cause: e });
  }
}
