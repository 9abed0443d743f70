/**
 * What a trained model (classifier or identity model) sees of a gait set: the
 * preprocessing it was trained with (saved in its meta.json), every
 * frameStride-th frame, and rows gathered for a batch. Pure TypeScript.
 */
import { GaitforgeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { NUM_JOINTS } from '../core/skeleton.js';
import { preprocess, type PreprocessConfig } from './preprocess.js';

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
