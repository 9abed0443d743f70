/**
 * Nearest-neighbour identification baselines that every identity result is
 * reported beside: bone lengths (mean over frames of each of the skeleton's
 * bones, [N, 15] for the 16-joint skeleton) and the 29 affective features of
 * STEP. Each feature is z-scored with the statistics of the evaluated set
 * (no labels or identities are used), then compared by Euclidean distance.
 * Pure TypeScript.
 */
import type { GaitSet } from '../core/gaitset.js';
import { EDGES, NUM_JOINTS } from '../core/skeleton.js';
import { affectiveFeatures, NUM_AFFECTIVE_FEATURES } from '../core/affective.js';
import type { IdentityFeatures } from '../eval/identification.js';

/** Mean length of every bone over the frames: [N, bones] (bones = the 16-joint skeleton's 15 edges). */
export function boneLengthFeatures(set: GaitSet): { data: Float64Array; dim: number } {
  if (set.V !== NUM_JOINTS) throw new RangeError(`bone-length features need the ${NUM_JOINTS}-joint skeleton; this set has V = ${set.V}`);
  const B = EDGES.length;
  const out = new Float64Array(set.N * B);
  for (let i = 0; i < set.N; i++) {
    const g = set.gait(i);
    EDGES.forEach(([a, b], k) => {
      let s = 0;
      for (let t = 0; t < set.T; t++) {
        const o = t * set.V * 3;
        s += Math.hypot(g[o + 3 * a]! - g[o + 3 * b]!, g[o + 3 * a + 1]! - g[o + 3 * b + 1]!, g[o + 3 * a + 2]! - g[o + 3 * b + 2]!);
      }
      out[i * B + k] = s / set.T;
    });
  }
  return { data: out, dim: B };
}

/** Z-scores every column of rows [N, dim] in place (a constant column becomes 0) and returns it as a feature space. */
export function zScored(data: Float64Array, dim: number): IdentityFeatures {
  const n = data.length / dim;
  for (let d = 0; d < dim; d++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += data[i * dim + d]!;
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * dim + d]! - m) ** 2;
    const sd = Math.sqrt(v / n);
    for (let i = 0; i < n; i++) data[i * dim + d] = sd > 0 ? (data[i * dim + d]! - m) / sd : 0;
  }
  return { data, dim, parts: 1 };
}

export type BaselineName = 'boneLengths' | 'affective';
export const BASELINES: readonly BaselineName[] = ['boneLengths', 'affective'];

/** The feature space of a baseline on `set`. */
export function baselineFeatures(name: BaselineName, set: GaitSet): IdentityFeatures {
  if (name === 'boneLengths') {
    const b = boneLengthFeatures(set);
    return zScored(b.data, b.dim);
  }
  return zScored(affectiveFeatures(set), NUM_AFFECTIVE_FEATURES);
}
