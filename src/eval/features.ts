/**
 * Feature matrices: rows = samples, columns = features, float64 row-major.
 * Metrics accept either nested arrays (number[][]) or flat arrays with an
 * explicit dimension; `toFeatureMatrix` validates and converts once.
 */
import { GaitforgeError } from '../core/errors.js';

/** The spaces gaits are compared in: a frozen evaluator's penultimate features, or the affective features. */
export type FeatureSpace = 'affective' | 'evaluator';
export const FEATURE_SPACES: readonly FeatureSpace[] = ['evaluator', 'affective'];

/** Features as nested rows or a flat row-major array (the latter needs `dim`). */
export type FeatureInput = number[][] | Float64Array | Float32Array;

/** A validated feature matrix: data [n, d] row-major float64. */
export interface FeatureMatrix {
  data: Float64Array;
  n: number;
  d: number;
}

/**
 * Validates features and converts them to a float64 matrix. Flat arrays need
 * `dim`; nested arrays must be rectangular (and match `dim` when given).
 * Throws E_SHAPE for ragged or mis-sized input and E_VALUE (naming the row
 * and column) for NaN/±Inf. `what` names the set in messages.
 */
export function toFeatureMatrix(x: FeatureInput | FeatureMatrix, dim?: number, what = 'features'): FeatureMatrix {
  let m: FeatureMatrix;
  if (Array.isArray(x)) {
    const n = x.length;
    const d = dim ?? (n > 0 ? x[0]!.length : 0);
    if (!Number.isInteger(d) || d < 1) throw new GaitforgeError('E_SHAPE', `${what}: cannot infer the feature dimension (rows: ${n})`);
    const data = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const row = x[i]!;
      if (!row || row.length !== d) throw new GaitforgeError('E_SHAPE', `${what}: row ${i} has ${row?.length} values, expected ${d}`);
      for (let j = 0; j < d; j++) data[i * d + j] = row[j]!;
    }
    m = { data, n, d };
  } else if (x instanceof Float64Array || x instanceof Float32Array) {
    if (dim === undefined || !Number.isInteger(dim) || dim < 1)
      throw new GaitforgeError('E_SHAPE', `${what}: a flat array needs the feature dimension (dim), got ${dim}`);
    if (x.length % dim !== 0) throw new GaitforgeError('E_SHAPE', `${what}: ${x.length} values are not a multiple of dim = ${dim}`);
    m = { data: x instanceof Float64Array ? x : Float64Array.from(x), n: x.length / dim, d: dim };
  } else if (x && typeof x === 'object' && (x as FeatureMatrix).data instanceof Float64Array) {
    const f = x as FeatureMatrix;
    if (f.data.length !== f.n * f.d || (dim !== undefined && dim !== f.d))
      throw new GaitforgeError('E_SHAPE', `${what}: matrix [${f.n}, ${f.d}] holds ${f.data.length} values${dim !== undefined ? ` (dim ${dim} asked)` : ''}`);
    m = f;
  } else {
    throw new GaitforgeError('E_SHAPE', `${what}: expected number[][], Float64Array or Float32Array`);
  }
  const { data, d } = m;
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i]!))
      throw new GaitforgeError('E_VALUE', `${what}: row ${Math.floor(i / d)}, column ${i % d}: value ${data[i]} is not finite`);
  return m;
}

/** Rows `indices` of a matrix, copied into a new matrix. */
export function selectRows(m: FeatureMatrix, indices: ArrayLike<number>): FeatureMatrix {
  const out = new Float64Array(indices.length * m.d);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= m.n) throw new RangeError(`row index ${i} out of range [0, ${m.n - 1}]`);
    out.set(m.data.subarray(i * m.d, (i + 1) * m.d), k * m.d);
  }
  return { data: out, n: indices.length, d: m.d };
}

/** Euclidean distance between row i of a and row j of b. */
export function rowDistance(a: FeatureMatrix, i: number, b: FeatureMatrix, j: number): number {
  const d = a.d;
  let s = 0;
  const oa = i * d;
  const ob = j * d;
  for (let k = 0; k < d; k++) {
    const x = a.data[oa + k]! - b.data[ob + k]!;
    s += x * x;
  }
  return Math.sqrt(s);
}
