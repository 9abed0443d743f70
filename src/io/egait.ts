/**
 * E-Gait / STEP HDF5 import (h5wasm): `features.h5` holds one dataset per
 * gait (T × 48 floats: 16 joints × xyz in STEP's order), `labels.h5` one
 * scalar per key, matched by key. Label encodings disagree: STEP's classifier
 * reads 0=angry, 1=neutral, 2=happy, 3=sad (the default), STEP-Gen's scripts
 * write six values named by the key suffix (Emo0, Angry, Neutral, Happy, Emo4,
 * Sad = 0-5), so the label map is an option and labels can come from the keys.
 * Each gait is brought to `frames` frames by cyclic tiling (as STEP does;
 * longer clips are cut) or linear resampling; its original length is kept in
 * the `frames` column.
 */
import { open, stat } from 'node:fs/promises';
import type H5 from 'h5wasm/node';
import { GaitforgeError } from '../core/errors.js';
import { inferLabelNames, labelIndex } from './labels.js';
import { GaitSet, type GaitSource } from '../core/gaitset.js';
import { NUM_JOINTS, SKELETON_NAME } from '../core/skeleton.js';
import { resampleGait, tileGait } from './preprocess.js';

/** STEP's classifier label encoding (the default label map). */
export const STEP_LABEL_MAP: readonly string[] = ['angry', 'neutral', 'happy', 'sad'];

export interface EgaitImportConfig {
  /** Path of features.h5 (one [T, 48] or [T, 16, 3] dataset per gait). */
  features: string;
  /** Path of labels.h5 (one integer scalar per key). Needed unless labelsFrom is 'key'. */
  labels?: string;
  /** Where labels come from: the labels file (default) or the dataset key names. */
  labelsFrom?: 'h5' | 'key';
  /**
   * Label value → name, as a list (index = value) or an object ({"0": "angry", ...}).
   * Default STEP_LABEL_MAP (0=angry, 1=neutral, 2=happy, 3=sad). A value
   * outside the map is an E_LABEL error naming the key.
   */
  labelMap?: readonly string[] | Record<string, string>;
  /**
   * labelsFrom 'key': a regular expression whose first capture group is the
   * label name in a key. Default `_([A-Za-z][A-Za-z0-9]*)$` (the suffix after
   * the last underscore). Names are lower-cased.
   */
  keyLabelPattern?: string;
  /** Optional regular expression whose first capture group is the identity in a key. Default: no identity. */
  identityPattern?: string | null;
  /** Label names of the result, in index order. Default: the labels found, STEP's four emotions first. */
  labelNames?: string[];
  /** Frames per gait (T). Default 75. */
  frames?: number;
  /** How clips of another length become `frames` long. Default 'tile'. */
  lengthMode?: 'tile' | 'resample';
  /** Frame rate of the data. Default 30. */
  fps?: number;
  /** Source column value of every key not matched by `syntheticPattern`. Default 'real'. */
  source?: GaitSource;
  /**
   * A regular expression on the key: matching keys are marked 'synthetic'
   * (E-Gait ships real and generated gaits; its files do not say which is
   * which). Default: none, so every key gets `source`.
   */
  syntheticPattern?: string | null;
  /** Generator column value (for files of generated gaits). Default null. */
  generator?: string | null;
}

export const DEFAULT_EGAIT_IMPORT = {
  labelsFrom: 'h5' as const, labelMap: STEP_LABEL_MAP, keyLabelPattern: '_([A-Za-z][A-Za-z0-9]*)$', identityPattern: null,
  frames: 75, lengthMode: 'tile' as const, fps: 30, source: 'real' as const, syntheticPattern: null, generator: null,
};

/** Parses "0=angry,1=neutral" (or "angry,neutral,happy,sad", index = value) into a label map. */
export function parseLabelMap(text: string): Record<string, string> {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new GaitforgeError('E_OPTION', `label map ${JSON.stringify(text)} is empty`);
  const out: Record<string, string> = {};
  parts.forEach((p, i) => {
    const m = /^(-?\d+)\s*[=:]\s*(.+)$/.exec(p);
    const [k, v] = m ? [m[1]!, m[2]!.trim()] : [String(i), p];
    if (k in out) throw new GaitforgeError('E_OPTION', `label map ${JSON.stringify(text)} names value ${k} twice`);
    out[k] = v;
  });
  return out;
}

type H5Module = typeof H5;
let ready: Promise<H5Module> | null = null;
/**
 * h5wasm, loaded on first use (its WebAssembly start-up is not paid by
 * programs that never read HDF5) and initialised once, with HDF5 errors
 * turned into exceptions instead of diagnostics printed on stderr.
 */
async function h5(): Promise<H5Module> {
  ready ??= import('h5wasm/node').then(async ({ default: h5wasm }) => {
    const m = await h5wasm.ready;
    (m as unknown as { activate_throwing_error_handler(): number }).activate_throwing_error_handler();
    return h5wasm;
  });
  return ready;
}

/** The last "minor:" reason of an HDF5 error stack, or the message's first line. */
function h5Reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const minors = [...msg.matchAll(/minor: (.*)/g)].map((m) => m[1]!.trim());
  return minors.length ? minors[minors.length - 1]! : msg.split('\n')[0]!;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Opens an HDF5 file read-only, with one clear E_IO / E_FORMAT error for missing, non-HDF5 or unreadable files. */
async function openH5(file: string): Promise<InstanceType<H5Module['File']>> {
  const mod = await h5();
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new GaitforgeError('E_IO', `${file}: no such file`);
  }
  // The HDF5 superblock signature sits at offset 0, 512, 1024, 2048, ... (user block).
  const fh = await open(file, 'r');
  let found = false;
  try {
    const sig = Buffer.alloc(8);
    for (let off = 0; off + 8 <= size && off <= 1 << 20 && !found; off = off === 0 ? 512 : off * 2) {
      await fh.read(sig, 0, 8, off);
      found = HDF5_SIGNATURE.every((b, i) => sig[i] === b);
    }
  } finally {
    await fh.close();
  }
  if (!found) throw new GaitforgeError('E_FORMAT', `${file}: not an HDF5 file (no HDF5 signature)`);
  try {
    return new mod.File(file, 'r');
  } catch (e) {
    throw new GaitforgeError('E_FORMAT', `${file}: cannot open HDF5 file: ${h5Reason(e)}`);
  }
}

function readDataset(mod: H5Module, f: InstanceType<H5Module['File']>, file: string, key: string) {
  let node: unknown;
  try {
    node = f.get(key);
  } catch (e) {
    throw new GaitforgeError('E_FORMAT', `${file}: key ${key}: ${h5Reason(e)}`);
  }
  if (!(node instanceof mod.Dataset)) throw new GaitforgeError('E_FORMAT', `${file}: key ${key} is not a dataset`);
  try {
    return { shape: node.shape ?? [], value: node.value };
  } catch (e) {
    throw new GaitforgeError('E_FORMAT', `${file}: key ${key}: cannot read data: ${h5Reason(e)}`);
  }
}

function compile(field: string, pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (e) {
    throw new GaitforgeError('E_OPTION', `${field} ${JSON.stringify(pattern)} is not a regular expression: ${(e as Error).message}`);
  }
}

/**
 * Imports an E-Gait / STEP features.h5 (+ labels.h5) pair as a GaitSet
 * [N, frames, 16, 3] (float64 values rounded to float32). Gaits keep the
 * key order of features.h5; ids are the keys. Errors name the file and key.
 */
export async function importEgait(config: EgaitImportConfig): Promise<GaitSet> {
  const c = { ...DEFAULT_EGAIT_IMPORT, ...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) } as Required<EgaitImportConfig>;
  if (c.labelsFrom !== 'h5' && c.labelsFrom !== 'key') throw new GaitforgeError('E_OPTION', `labelsFrom ${JSON.stringify(c.labelsFrom)} is not 'h5' or 'key'`);
  if (c.lengthMode !== 'tile' && c.lengthMode !== 'resample') throw new GaitforgeError('E_OPTION', `lengthMode ${JSON.stringify(c.lengthMode)} is not 'tile' or 'resample'`);
  if (!Number.isInteger(c.frames) || c.frames < 1) throw new GaitforgeError('E_OPTION', `frames = ${c.frames} must be a positive integer`);
  if (c.labelsFrom === 'h5' && !c.labels) throw new GaitforgeError('E_OPTION', 'E-Gait import needs a labels file (or labelsFrom: key)');
  const labelMap: Record<string, string> = Array.isArray(c.labelMap)
    ? Object.fromEntries((c.labelMap as string[]).map((n, i) => [String(i), n]))
    : { ...(c.labelMap as Record<string, string>) };
  const keyRe = compile('keyLabelPattern', c.keyLabelPattern);
  const idRe = c.identityPattern ? compile('identityPattern', c.identityPattern) : null;
  const synRe = c.syntheticPattern ? compile('syntheticPattern', c.syntheticPattern) : null;
  if (c.source !== 'real' && c.source !== 'synthetic') throw new GaitforgeError('E_OPTION', `source ${JSON.stringify(c.source)} is not 'real' or 'synthetic'`);

  const mod = await h5();
  const features = await openH5(c.features);
  const labelsFile = c.labelsFrom === 'h5' ? await openH5(c.labels) : null;
  try {
    const keys = features.keys();
    if (!keys.length) throw new GaitforgeError('E_FORMAT', `${c.features}: holds no datasets`);
    const labelKeys = labelsFile ? new Set(labelsFile.keys()) : null;
    const T = c.frames;
    const per = T * NUM_JOINTS * 3;
    const positions = new Float32Array(keys.length * per);
    const names: string[] = [];
    const identity: (string | null)[] = [];
    const frames = new Int32Array(keys.length);
    keys.forEach((key, i) => {
      // label
      let name: string;
      if (labelsFile) {
        if (!labelKeys!.has(key)) throw new GaitforgeError('E_LABEL', `${c.labels}: no label for key ${key} of ${c.features}`);
        const { shape, value } = readDataset(mod, labelsFile, c.labels, key);
        const n = shape.reduce((a, b) => a * b, 1);
        if (n !== 1) throw new GaitforgeError('E_FORMAT', `${c.labels}: key ${key} holds ${n} values, expected one scalar label`);
        const v = ArrayBuffer.isView(value) || Array.isArray(value) ? (value as ArrayLike<unknown>)[0] : value;
        if (typeof v === 'string') name = v;
        else {
          const num = Number(v);
          if (!Number.isInteger(num)) throw new GaitforgeError('E_LABEL', `${c.labels}: key ${key}: label ${String(v)} is not an integer`);
          const mapped = labelMap[String(num)];
          if (mapped === undefined)
            throw new GaitforgeError('E_LABEL', `${c.labels}: key ${key}: label value ${num} is not in the label map (${Object.entries(labelMap).map(([k, n]) => `${k}=${n}`).join(', ')}); pass a label map that names it`);
          name = mapped;
        }
      } else {
        const m = keyRe.exec(key);
        if (!m?.[1]) throw new GaitforgeError('E_LABEL', `${c.features}: key ${key} does not match the label pattern ${keyRe.source}`);
        name = m[1].toLowerCase();
      }
      names.push(name);
      identity.push(idRe ? (idRe.exec(key)?.[1] ?? null) : null);
      // positions
      const { shape, value } = readDataset(mod, features, c.features, key);
      const ok = (shape.length === 2 && shape[1] === 48) || (shape.length === 3 && shape[1] === 16 && shape[2] === 3);
      if (!ok) throw new GaitforgeError('E_SHAPE', `${c.features}: key ${key} has shape [${shape.join(', ')}], expected [T, 48] or [T, 16, 3]`);
      const Tsrc = shape[0]!;
      if (Tsrc < 1) throw new GaitforgeError('E_SHAPE', `${c.features}: key ${key} has no frames`);
      if (!(value instanceof Float64Array || value instanceof Float32Array))
        throw new GaitforgeError('E_FORMAT', `${c.features}: key ${key} does not hold floating-point values`);
      for (let k = 0; k < value.length; k++) {
        if (!Number.isFinite(value[k]!)) {
          const t = Math.floor(k / 48);
          throw new GaitforgeError('E_VALUE', `${c.features}: key ${key}, frame ${t}, joint ${Math.floor((k % 48) / 3)}: value ${value[k]} is not finite`);
        }
      }
      const g = Float32Array.from(value);
      const fitted = Tsrc === T ? g : c.lengthMode === 'tile' ? tileGait(g, Tsrc, NUM_JOINTS, T) : resampleGait(g, Tsrc, NUM_JOINTS, T);
      positions.set(fitted, i * per);
      frames[i] = Tsrc;
    });
    const labelNames = c.labelNames ?? inferLabelNames(names);
    const labels = names.map((n, i) => labelIndex(labelNames, n, `${c.features}: key ${keys[i]}`));
    const source: GaitSource[] = keys.map((k) => (synRe?.test(k) ? 'synthetic' : c.source));
    return new GaitSet({
      positions, labels, labelNames, T, V: NUM_JOINTS, fps: c.fps, skeleton: SKELETON_NAME, ids: keys, identity,
      // Each key is one capture (no windows), so the key is the recording.
      recording: [...keys],
      source,
      generator: source.map((s) => (s === 'synthetic' ? c.generator : null)), seed: keys.map(() => null), frames,
    });
  } finally {
    features.close();
    labelsFile?.close();
  }
}
