/**
 * What the classifiers see, and the seeded batching of a training epoch.
 * Pure TypeScript (no tfjs).
 *
 * Preprocessing (src/io's `preprocess`, the same for training and inference,
 * saved with the model): root-centred on the first frame (the root's
 * trajectory within the clip, hence walking speed and bounce, is kept) and
 * rotated about the vertical so the gait walks along +Z (or faces +Z when it
 * barely travels). No scaling: body size is information, and each model's
 * input BatchNorm normalises every joint coordinate. Skeletons other than
 * the 16-joint one are only root-centred.
 */
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { Rng } from '../core/rng.js';
import { NUM_JOINTS } from '../core/skeleton.js';
import { preprocess, type PreprocessConfig } from '../io/preprocess.js';

/** The preprocessing a classifier uses for a skeleton with V joints. */
export function classifierPreprocess(V: number): PreprocessConfig {
  return V === NUM_JOINTS ? { centre: 'first-frame', view: 'canonical', scale: 'height', height: 1.6 } : { centre: 'first-frame', view: 'none' };
}

/** What a saved model records about the gaits it takes (classifier and identity meta.json). */
export interface ModelInputMeta {
  /** Frames and joints of the gaits it accepts (before the frame stride). */
  T: number;
  V: number;
  fps: number;
  skeleton: string;
  /** Frames the network sees: every frameStride-th frame. */
  frameStride: number;
  modelT: number;
  preprocess: PreprocessConfig;
}

/**
 * The positions a saved model sees for every gait of `set` ([N, T', V, 3]);
 * E_SHAPE when `set` does not have the frames and joints the model was trained on.
 */
export function inputPositions(set: GaitSet, meta: Pick<ModelInputMeta, 'T' | 'V' | 'frameStride' | 'preprocess'>): Float32Array {
  if (set.T !== meta.T || set.V !== meta.V)
    throw new GaitforgeError('E_SHAPE', `the model takes gaits of T = ${meta.T} frames and V = ${meta.V} joints; this set has T = ${set.T}, V = ${set.V} (resample it first)`);
  return modelPositions(set, meta.preprocess, meta.frameStride).data;
}

/**
 * Preprocessed positions of gaits `indices` of `set` (all when omitted),
 * every `frameStride`-th frame from frame 0: [n, T', V, 3] with
 * T' = ceil(T / frameStride).
 */
export function modelPositions(set: GaitSet, config: PreprocessConfig, frameStride = 1, indices?: ArrayLike<number>): { data: Float32Array; T: number } {
  const sub = indices ? set.select(indices) : set;
  const pre = preprocess(sub, config);
  const { T, V } = pre;
  if (frameStride === 1) return { data: pre.positions, T };
  const Tout = Math.ceil(T / frameStride);
  const frame = V * 3;
  const out = new Float32Array(pre.N * Tout * frame);
  for (let i = 0; i < pre.N; i++)
    for (let t = 0, k = 0; t < T; t += frameStride, k++)
      out.set(pre.positions.subarray((i * T + t) * frame, (i * T + t + 1) * frame), (i * Tout + k) * frame);
  return { data: out, T: Tout };
}

/** Rows `indices` of a row-major [N, width] array, gathered into a new array. */
export function gatherRows(data: Float32Array, width: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * width);
  for (let k = 0; k < indices.length; k++) out.set(data.subarray(indices[k]! * width, (indices[k]! + 1) * width), k * width);
  return out;
}

/**
 * The order in which one epoch visits the training gaits, cut into batches.
 * Plain: a seeded permutation. Balanced: N draws with replacement, each
 * label equally likely, a uniform gait within the label (labels with no
 * gaits are skipped). The last batch may be smaller; a final batch of one
 * gait is merged into the one before (BatchNorm needs two).
 */
export function epochBatches(labels: Int32Array, numLabels: number, batchSize: number, balanced: boolean, rng: Rng): Int32Array[] {
  const n = labels.length;
  if (n === 0) throw new GaitforgeError('E_SHAPE', 'the training set is empty');
  let order: Int32Array;
  if (balanced) {
    const byLabel: number[][] = Array.from({ length: numLabels }, () => []);
    for (let i = 0; i < n; i++) byLabel[labels[i]!]!.push(i);
    const present = byLabel.filter((g) => g.length > 0);
    order = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const g = present[rng.int(present.length)]!;
      order[k] = g[rng.int(g.length)]!;
    }
  } else order = rng.permutation(n);
  const batches: Int32Array[] = [];
  for (let s = 0; s < n; s += batchSize) batches.push(order.subarray(s, Math.min(n, s + batchSize)));
  if (batches.length > 1 && batches[batches.length - 1]!.length === 1) {
    const last = batches.pop()!;
    const prev = batches.pop()!;
    const merged = new Int32Array(prev.length + 1);
    merged.set(prev);
    merged[prev.length] = last[0]!;
    batches.push(merged);
  }
  return batches;
}
