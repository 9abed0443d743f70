/**
 * The 16-joint E-Gait skeleton (STEP's joint order) and the ST-GCN spatial
 * partition adjacency. Joints: 0 root, 1 spine, 2 neck, 3 head, 4-6 arm A
 * (shoulder, elbow, hand), 7-9 arm B, 10-12 leg A (hip, knee, foot), 13-15 leg B.
 * Sources disagree on which side A is, so it is a named convention:
 * 'a-is-left' (default) or 'a-is-right'. Only names, mirroring and the
 * procedural walker depend on it; the graph does not.
 */
import { ConfigRangeError } from './errors.js';

export type SideConvention = 'a-is-left' | 'a-is-right';
export const SIDE_CONVENTIONS: readonly SideConvention[] = ['a-is-left', 'a-is-right'];
export const DEFAULT_SIDE_CONVENTION: SideConvention = 'a-is-left';

export const SKELETON_NAME = 'egait16';
export const NUM_JOINTS = 16;

/** Parent of each joint (root = -1); the tree the edges form, rooted at joint 0. */
export const PARENTS: readonly number[] = [-1, 0, 1, 2, 2, 4, 5, 2, 7, 8, 0, 10, 11, 0, 13, 14];

/** The 15 bones as (parent, child) pairs. */
export const EDGES: readonly (readonly [number, number])[] = [
  [0, 1], [0, 10], [0, 13], [1, 2], [2, 3], [2, 4], [2, 7], [4, 5], [5, 6],
  [7, 8], [8, 9], [10, 11], [11, 12], [13, 14], [14, 15],
];

/** Index groups, independent of the side convention. */
export const JOINTS = {
  root: 0, spine: 1, neck: 2, head: 3,
  armA: [4, 5, 6] as const, armB: [7, 8, 9] as const,
  legA: [10, 11, 12] as const, legB: [13, 14, 15] as const,
} as const;

/** Joint names in index order under a side convention. */
export function jointNames(convention: SideConvention = DEFAULT_SIDE_CONVENTION): string[] {
  const [a, b] = convention === 'a-is-left' ? ['left', 'right'] : ['right', 'left'];
  return [
    'root', 'spine', 'neck', 'head',
    `${a}_shoulder`, `${a}_elbow`, `${a}_hand`,
    `${b}_shoulder`, `${b}_elbow`, `${b}_hand`,
    `${a}_hip`, `${a}_knee`, `${a}_foot`,
    `${b}_hip`, `${b}_knee`, `${b}_foot`,
  ];
}

/** Index of the left/right arm and leg joints under a convention. */
export function sideJoints(convention: SideConvention = DEFAULT_SIDE_CONVENTION) {
  const aLeft = convention === 'a-is-left';
  return {
    leftArm: aLeft ? JOINTS.armA : JOINTS.armB,
    rightArm: aLeft ? JOINTS.armB : JOINTS.armA,
    leftLeg: aLeft ? JOINTS.legA : JOINTS.legB,
    rightLeg: aLeft ? JOINTS.legB : JOINTS.legA,
  };
}

/**
 * The permutation that swaps left and right joints (used for mirroring).
 * It is the same under both conventions: A and B swap.
 */
export const MIRROR_PERMUTATION: readonly number[] = [0, 1, 2, 3, 7, 8, 9, 4, 5, 6, 13, 14, 15, 10, 11, 12];

/** Hop distance between every pair of joints (Infinity if disconnected). */
export function hopDistances(numJoints: number, edges: readonly (readonly [number, number])[]): number[][] {
  const d = Array.from({ length: numJoints }, (_, i) =>
    Array.from({ length: numJoints }, (_, j) => (i === j ? 0 : Infinity)),
  );
  for (const [i, j] of edges) {
    d[i]![j] = 1;
    d[j]![i] = 1;
  }
  for (let k = 0; k < numJoints; k++)
    for (let i = 0; i < numJoints; i++)
      for (let j = 0; j < numJoints; j++) {
        const via = d[i]![k]! + d[k]![j]!;
        if (via < d[i]![j]!) d[i]![j] = via;
      }
  return d;
}

export interface AdjacencyOptions {
  /** Joint that partitions are measured against (ST-GCN's "center"). Default 0 (root). */
  center?: number;
  /**
   * Normalisation.
   * - `'partition'` (default, as the ST-GCN paper defines it): each partition
   *   is normalised by its own in-degree, so every non-empty column of every
   *   partition sums to 1.
   * - `'stgcn-code'`: reproduces the original ST-GCN code (`Graph` with
   *   strategy 'spatial', max_hop 1): the whole 1-hop adjacency with self
   *   loops is normalised once (A·D⁻¹) and then split, so a column sums to 1
   *   only over all three partitions together, and neighbours at the same
   *   distance from the center join the self partition.
   */
  normalization?: 'partition' | 'stgcn-code';
}

/**
 * ST-GCN "spatial" partition adjacency, K = 3, in ST-GCN's layout
 * `A[k][v][w]`: the weight with which input joint v feeds output joint w
 * (a layer computes y[w] = Σ_k Σ_v A[k][v][w] · (x W_k)[v]).
 *  - k = 0: self (v = w);
 *  - k = 1: towards the root: v is a neighbour of w closer to the center (w's parent);
 *  - k = 2: away from the root: v is a neighbour of w farther from the center (w's children).
 * Returned as three V×V row-major Float32Arrays.
 */
export function spatialAdjacency(
  numJoints: number = NUM_JOINTS,
  edges: readonly (readonly [number, number])[] = EDGES,
  options: AdjacencyOptions = {},
): Float32Array[] {
  const center = options.center ?? 0;
  const mode = options.normalization ?? 'partition';
  if (!Number.isInteger(center) || center < 0 || center >= numJoints)
    throw new ConfigRangeError(`center = ${center} is out of range [0, ${numJoints - 1}]`);
  if (mode !== 'partition' && mode !== 'stgcn-code')
    throw new ConfigRangeError(`normalization = ${String(mode)} is not 'partition' or 'stgcn-code'`);
  const hop = hopDistances(numJoints, edges);
  const V = numJoints;
  const parts = [0, 1, 2].map(() => new Float64Array(V * V));
  for (let v = 0; v < V; v++)
    for (let w = 0; w < V; w++) {
      const h = hop[v]![w]!;
      if (h > 1) continue;
      const dv = hop[v]![center]!;
      const dw = hop[w]![center]!;
      let k: number;
      if (h === 0) k = 0;
      else if (dv === dw) k = mode === 'stgcn-code' ? 0 : 1; // only in graphs with cycles
      else k = dv < dw ? 1 : 2;
      parts[k]![v * V + w] = 1;
    }
  const out = parts.map(() => new Float32Array(V * V));
  if (mode === 'stgcn-code') {
    const deg = new Float64Array(V);
    for (const p of parts) for (let v = 0; v < V; v++) for (let w = 0; w < V; w++) deg[w]! += p[v * V + w]!;
    parts.forEach((p, k) => {
      for (let i = 0; i < V * V; i++) out[k]![i] = deg[i % V]! > 0 ? p[i]! / deg[i % V]! : 0;
    });
  } else {
    parts.forEach((p, k) => {
      const deg = new Float64Array(V);
      for (let v = 0; v < V; v++) for (let w = 0; w < V; w++) deg[w]! += p[v * V + w]!;
      for (let i = 0; i < V * V; i++) out[k]![i] = deg[i % V]! > 0 ? p[i]! / deg[i % V]! : 0;
    });
  }
  return out;
}

/** Symmetrically normalised adjacency with self loops, D^-1/2 (A+I) D^-1/2, V×V row-major (used by graph GRUs). */
export function normalizedAdjacency(
  numJoints: number = NUM_JOINTS,
  edges: readonly (readonly [number, number])[] = EDGES,
): Float32Array {
  const V = numJoints;
  const a = new Float64Array(V * V);
  for (let i = 0; i < V; i++) a[i * V + i] = 1;
  for (const [i, j] of edges) {
    a[i * V + j] = 1;
    a[j * V + i] = 1;
  }
  const d = new Float64Array(V);
  for (let i = 0; i < V; i++) for (let j = 0; j < V; j++) d[i]! += a[i * V + j]!;
  const out = new Float32Array(V * V);
  for (let i = 0; i < V; i++) for (let j = 0; j < V; j++) out[i * V + j] = a[i * V + j]! / Math.sqrt(d[i]! * d[j]!);
  return out;
}
