/**
 * Exact nearest-neighbour search in Euclidean distance over flattened gaits
 * (D = T·V·3, e.g. 3600): for every query row, the closest and second-closest
 * reference rows. Pure TypeScript, float64. Hand-written: at such D, indexes
 * (kd-trees, ball trees) are slower than brute force and HNSW approximates.
 * ‖q − r‖² = ‖q‖² + ‖r‖² − 2 q·r with dot products in register blocks of 4
 * queries × 2 references over cache-sized tiles; the winners' distances are
 * then recomputed directly, so a near-copy's distance is exact.
 */
import { GaitforgeError } from '../core/errors.js';

export interface NearestResult {
  /** Index of the nearest reference row, per query. */
  index: Int32Array;
  /** Euclidean distance to it. */
  distance: Float64Array;
  /** Index of the second-nearest reference row (−1 when there is only one reference). */
  index2: Int32Array;
  /** Euclidean distance to it (Infinity when there is only one reference). */
  distance2: Float64Array;
}

function sqNorms(x: Float64Array, n: number, D: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * D;
    for (let k = 0; k < D; k++) s += x[o + k]! * x[o + k]!;
    out[i] = s;
  }
  return out;
}

function sqDistance(a: Float64Array, i: number, b: Float64Array, j: number, D: number): number {
  let s = 0;
  const oa = i * D;
  const ob = j * D;
  for (let k = 0; k < D; k++) {
    const x = a[oa + k]! - b[ob + k]!;
    s += x * x;
  }
  return s;
}

/**
 * Nearest and second-nearest reference row for every query row.
 * queries: [nq, D], refs: [nr, D], both row-major float64 (nr ≥ 1).
 */
export function nearestNeighbours(queries: Float64Array, refs: Float64Array, D: number): NearestResult {
  if (!Number.isInteger(D) || D < 1) throw new GaitforgeError('E_SHAPE', `nearest neighbours: dimension D = ${D} must be a positive integer`);
  if (queries.length % D !== 0 || refs.length % D !== 0)
    throw new GaitforgeError('E_SHAPE', `nearest neighbours: ${queries.length} query / ${refs.length} reference values are not multiples of D = ${D}`);
  const nq = queries.length / D;
  const nr = refs.length / D;
  if (nr < 1) throw new GaitforgeError('E_SHAPE', 'nearest neighbours: the reference set is empty');
  const rn = sqNorms(refs, nr, D);
  // Running best two of ‖r‖² − 2 q·r (‖q‖² is the same for every r of a query).
  const b1 = new Float64Array(nq).fill(Infinity);
  const b2 = new Float64Array(nq).fill(Infinity);
  const i1 = new Int32Array(nq).fill(-1);
  const i2 = new Int32Array(nq).fill(-1);
  const offer = (q: number, v: number, r: number) => {
    if (v < b1[q]!) {
      b2[q] = b1[q]!;
      i2[q] = i1[q]!;
      b1[q] = v;
      i1[q] = r;
    } else if (v < b2[q]!) {
      b2[q] = v;
      i2[q] = r;
    }
  };
  // References per tile: about 1.5 MB of them, so a tile stays in L2 while all query blocks pass over it.
  const tile = Math.max(2, Math.floor((1.5 * 2 ** 20) / (8 * D)) & ~1);
  for (let r0 = 0; r0 < nr; r0 += tile) {
    const r1 = Math.min(nr, r0 + tile);
    for (let q = 0; q < nq; q += 4) {
      // rows past the end repeat the last row; their results are discarded
      const o0 = q * D;
      const o1 = Math.min(q + 1, nq - 1) * D;
      const o2 = Math.min(q + 2, nq - 1) * D;
      const o3 = Math.min(q + 3, nq - 1) * D;
      for (let r = r0; r < r1; r += 2) {
        const hasB = r + 1 < r1;
        const ra = r * D;
        const rb = (hasB ? r + 1 : r) * D;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
        for (let k = 0; k < D; k++) {
          const x = refs[ra + k]!;
          const y = refs[rb + k]!;
          const q0 = queries[o0 + k]!;
          const q1 = queries[o1 + k]!;
          const q2 = queries[o2 + k]!;
          const q3 = queries[o3 + k]!;
          a0 += q0 * x; a1 += q1 * x; a2 += q2 * x; a3 += q3 * x;
          c0 += q0 * y; c1 += q1 * y; c2 += q2 * y; c3 += q3 * y;
        }
        const na = rn[r]!;
        offer(q, na - 2 * a0, r);
        if (q + 1 < nq) offer(q + 1, na - 2 * a1, r);
        if (q + 2 < nq) offer(q + 2, na - 2 * a2, r);
        if (q + 3 < nq) offer(q + 3, na - 2 * a3, r);
        if (hasB) {
          const nb = rn[r + 1]!;
          offer(q, nb - 2 * c0, r + 1);
          if (q + 1 < nq) offer(q + 1, nb - 2 * c1, r + 1);
          if (q + 2 < nq) offer(q + 2, nb - 2 * c2, r + 1);
          if (q + 3 < nq) offer(q + 3, nb - 2 * c3, r + 1);
        }
      }
    }
  }
  const distance = new Float64Array(nq);
  const distance2 = new Float64Array(nq).fill(Infinity);
  for (let q = 0; q < nq; q++) {
    let d1 = sqDistance(queries, q, refs, i1[q]!, D);
    if (i2[q]! >= 0) {
      let d2 = sqDistance(queries, q, refs, i2[q]!, D);
      // exact recomputation can swap a near tie
      if (d2 < d1) {
        [d1, d2] = [d2, d1];
        const t = i1[q]!;
        i1[q] = i2[q]!;
        i2[q] = t;
      }
      distance2[q] = Math.sqrt(d2);
    }
    distance[q] = Math.sqrt(d1);
  }
  return { index: i1, distance, index2: i2, distance2 };
}
