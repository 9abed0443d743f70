/**
 * Principal components of gaits, the space the PCA-based generator families
 * (flow/, pca-gaussian/) model: a gait of D = T·V·3 standardised values
 * (normalize.ts) is mean + Σ_i c_i · u_i over the top k components u_i
 * (orthonormal rows of `components`), read back by the same linear map.
 * Fitting: the covariance's non-zero spectrum is that of the smaller of
 * X·Xᵀ and Xᵀ·X (X: [N, D] centred), S (n × n, n = min(N, D)), formed by a tfjs
 * matMul of operands transposed first (nn/ops.ts). Its top eigenpairs come from
 * ml-matrix's full O(n³) eigendecomposition when n ≤ 2K (K = component cap +
 * 16), else from subspace iteration (Halko, Martinsson & Tropp 2011, alg. 4.4:
 * Q = orth(S·Ω) for a seeded Gaussian Ω: [n, K], four times Q = orth(S·Q), then
 * the K × K eigendecomposition of Qᵀ·S·Q), exact to float precision for a
 * spectrum that falls as a gait's does. The total variance is S's trace, so
 * explained fractions are exact either way; variances are per gait (÷ N).
 * k is the smallest count explaining `explainedVariance`, capped at
 * `maxComponents` and at the numerical rank (eigenvalues above 1e-6 of the
 * largest: S is float32).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { GaitforgeError, checkRange } from '../core/errors.js';
import { writeFilesAtomic } from '../core/files.js';
import { Rng } from '../core/rng.js';

/** A fitted basis. */
export interface PcaBasis {
  /** Values per row (T·V·3 for gaits). */
  D: number;
  /** Components kept. */
  k: number;
  /** The mean row, [D]. */
  mean: Float32Array;
  /** Orthonormal components, [k, D] row-major, by decreasing variance. */
  components: Float32Array;
  /** Variance of the rows along each component (per row: the eigenvalue / N), [k]. */
  variances: number[];
  /** Total variance of the rows (the trace of their covariance). */
  totalVariance: number;
  /** Fraction of `totalVariance` the k components explain. */
  explained: number;
}

export interface PcaOptions {
  /** Keep the fewest components that explain at least this fraction of the variance, in (0, 1]. */
  explainedVariance: number;
  /** At most this many components. */
  maxComponents: number;
  /** Seed of the subspace iteration's start (used only when it runs). */
  seed: number;
}

/** Oversampling of the subspace iteration beyond the cap, and its power iterations. */
const OVERSAMPLE = 16;
const POWER_ITERATIONS = 4;

/** The number of leading `variances` (descending) that explain `fraction` of `total`, capped at `cap` and at their count. */
export function componentsFor(variances: readonly number[], total: number, fraction: number, cap: number): number {
  let cum = 0;
  const n = Math.min(cap, variances.length);
  for (let i = 0; i < n; i++) {
    cum += variances[i]!;
    // a relative slack of 1e-6 (S is formed in float32): fraction 1 keeps the numerical rank, not every rounding error
    if (cum >= fraction * total * (1 - 1e-6)) return i + 1;
  }
  return n;
}

/**
 * Fits the top components of rows `x` ([N, D] row-major; N ≥ 2). Leaves no
 * tensors behind. E_VALUE when the rows do not vary.
 */
export function fitPca(x: Float32Array, D: number, o: PcaOptions): PcaBasis {
  checkRange('explainedVariance', o.explainedVariance, 1e-6, 1);
  checkRange('maxComponents', o.maxComponents, 1, 1e5, true);
  const N = x.length / D;
  if (!Number.isInteger(N) || N < 2) throw new GaitforgeError('E_SHAPE', `PCA needs at least 2 rows of ${D} values, got ${x.length} values`);
  const mean64 = new Float64Array(D);
  for (let i = 0; i < x.length; i++) mean64[i % D]! += x[i]!;
  const mean = Float32Array.from(mean64, (m) => m / N);
  const centred = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) centred[i] = x[i]! - mean[i % D]!;
  const gram = N <= D;
  const n = Math.min(N, D);
  const xc = tf.tensor2d(centred, [N, D]);
  try {
    const s = tf.tidy(() => (gram ? tf.matMul(xc, tf.transpose(xc)) : tf.matMul(tf.transpose(xc), xc)));
    let S: Matrix;
    try {
      S = new Matrix(n, n);
      const sv = s.dataSync();
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) S.set(i, j, 0.5 * (sv[i * n + j]! + sv[j * n + i]!));
    } finally {
      s.dispose();
    }
    let total = 0;
    for (let i = 0; i < n; i++) total += S.get(i, i);
    if (!(total > 0)) throw new GaitforgeError('E_VALUE', 'the rows do not vary: no principal components to fit');
    const K = Math.min(n, o.maxComponents + OVERSAMPLE);
    const { values, vectors } = K * 2 >= n ? eigenSymmetric(S) : subspaceEigen(S, K, o.seed);
    const rankTol = 1e-6 * Math.max(values[0]!, 0);
    const positive = values.filter((v) => v > rankTol).length;
    const variances = values.slice(0, positive).map((v) => v / N);
    const k = Math.max(1, componentsFor(variances, total / N, o.explainedVariance, o.maxComponents));
    // eigenvectors of the Gram matrix map to components by u = Xᵀ·v / √λ
    const V = new Float32Array(n * k);
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) V[i * k + c] = vectors.get(i, c) / (gram ? Math.sqrt(Math.max(values[c]!, rankTol)) : 1);
    const comps = tf.tidy(() => {
      const v = tf.tensor2d(V, [n, k]);
      return gram ? tf.matMul(tf.transpose(v), xc) : tf.transpose(v);
    });
    const components = new Float32Array(comps.dataSync());
    comps.dispose();
    const explained = variances.slice(0, k).reduce((a, b) => a + b, 0) / (total / N);
    return { D, k, mean, components, variances: variances.slice(0, k), totalVariance: total / N, explained: Math.min(1, explained) };
  } finally {
    xc.dispose();
  }
}

/** Eigenvalues (descending) and eigenvectors (columns, in that order) of a symmetric matrix. */
function eigenSymmetric(S: Matrix): { values: number[]; vectors: Matrix } {
  const e = new EigenvalueDecomposition(S, { assumeSymmetric: true });
  const order = e.realEigenvalues.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  const vectors = new Matrix(S.rows, order.length);
  const ev = e.eigenvectorMatrix;
  order.forEach(([, i], c) => {
    for (let r = 0; r < S.rows; r++) vectors.set(r, c, ev.get(r, i));
  });
  return { values: order.map(([v]) => v), vectors };
}

/** S·Q (S: [n, n] tensor, Q: [n, K] row-major) by tfjs, as float64. */
function times(S: tf.Tensor2D, Q: Float64Array, K: number): Float64Array {
  const out = tf.tidy(() => tf.matMul(S, tf.tensor2d(Float32Array.from(Q), [S.shape[0], K])));
  const v = Float64Array.from(out.dataSync());
  out.dispose();
  return v;
}

/** AᵀB for A: [n, K], B: [n, K'] row-major (float64: the Gram matrices below square condition numbers). */
function innerProducts(A: Float64Array, B: Float64Array, n: number, K: number, K2: number): Matrix {
  const G = new Float64Array(K * K2);
  for (let r = 0; r < n; r++) {
    const a = r * K;
    const b = r * K2;
    for (let i = 0; i < K; i++) {
      const ai = A[a + i]!;
      if (ai === 0) continue;
      const row = i * K2;
      for (let j = 0; j < K2; j++) G[row + j]! += ai * B[b + j]!;
    }
  }
  const M = new Matrix(K, K2);
  for (let i = 0; i < K; i++) for (let j = 0; j < K2; j++) M.set(i, j, G[i * K2 + j]!);
  return M;
}

/** Y·M for Y: [n, K] row-major and M: [K, K'] → [n, K'] row-major. */
function timesSmall(Y: Float64Array, n: number, K: number, M: Matrix): Float64Array {
  const K2 = M.columns;
  const m = Float64Array.from(M.to1DArray());
  const out = new Float64Array(n * K2);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < K; i++) {
      const y = Y[r * K + i]!;
      if (y === 0) continue;
      for (let j = 0; j < K2; j++) out[r * K2 + j]! += y * m[i * K2 + j]!;
    }
  return out;
}

/**
 * An orthonormal basis of Y's columns ([n, K] row-major): Y·W·Λ^(−1/2) from the eigenpairs of
 * YᵀY (float64), directions of negligible norm dropped. Plain loops over typed arrays: ml-matrix's
 * Householder QR through get/set is orders of magnitude slower at these sizes.
 */
function orthonormalize(Y: Float64Array, n: number, K: number): { Q: Float64Array; K: number } {
  const { values, vectors } = eigenSymmetric(innerProducts(Y, Y, n, K, K));
  const keep = values.filter((v) => v > 1e-12 * values[0]!).length;
  const M = new Matrix(K, keep);
  for (let i = 0; i < K; i++) for (let c = 0; c < keep; c++) M.set(i, c, vectors.get(i, c) / Math.sqrt(values[c]!));
  return { Q: timesSmall(Y, n, K, M), K: keep };
}

/** The top K eigenpairs of symmetric S by subspace iteration from a seeded start (see the module comment). */
function subspaceEigen(S: Matrix, K: number, seed: number): { values: number[]; vectors: Matrix } {
  const n = S.rows;
  const rng = new Rng(seed, 'pca/subspace');
  const omega = new Float64Array(n * K);
  for (let i = 0; i < omega.length; i++) omega[i] = rng.normal();
  const St = tf.tensor2d(Float32Array.from(S.to1DArray()), [n, n]);
  try {
    let q = orthonormalize(times(St, omega, K), n, K);
    for (let it = 0; it < POWER_ITERATIONS; it++) q = orthonormalize(times(St, q.Q, q.K), n, q.K);
    const B = innerProducts(q.Q, times(St, q.Q, q.K), n, q.K, q.K);
    const { values, vectors } = eigenSymmetric(B.add(B.transpose()).mul(0.5));
    const X = timesSmall(q.Q, n, q.K, vectors);
    const out = new Matrix(n, q.K);
    for (let i = 0; i < n; i++) for (let j = 0; j < q.K; j++) out.set(i, j, X[i * q.K + j]!);
    return { values, vectors: out };
  } finally {
    St.dispose();
  }
}

/** Coefficients [N, k] of rows x ([N, D]): (x − mean)·Uᵀ. Leaves no tensors behind. */
export function pcaProject(b: PcaBasis, x: Float32Array): Float32Array {
  const N = x.length / b.D;
  const out = tf.tidy(() => tf.matMul(tf.sub(tf.tensor2d(x, [N, b.D]), tf.tensor1d(b.mean)), tf.transpose(tf.tensor2d(b.components, [b.k, b.D]))));
  const c = new Float32Array(out.dataSync());
  out.dispose();
  return c;
}

/** Rows [N, D] of coefficients c ([N, k]): mean + c·U. Leaves no tensors behind. */
export function pcaReconstruct(b: PcaBasis, c: Float32Array): Float32Array {
  const N = c.length / b.k;
  const out = tf.tidy(() => tf.add(tf.matMul(tf.tensor2d(c, [N, b.k]), tf.tensor2d(b.components, [b.k, b.D])), tf.tensor1d(b.mean)));
  const x = new Float32Array(out.dataSync());
  out.dispose();
  return x;
}

/** Files of a basis in a model directory: pca.json (sizes, variances) and pca.bin (float32: mean [D], then components [k, D]). */
export const PCA_JSON = 'pca.json';
export const PCA_BIN = 'pca.bin';

/** Writes the basis into `dir` (atomically, both files or neither). */
export function writePca(dir: string, b: PcaBasis): void {
  const bin = new Float32Array(b.D + b.k * b.D);
  bin.set(b.mean, 0);
  bin.set(b.components, b.D);
  writeFilesAtomic([
    { path: path.join(dir, PCA_JSON), data: JSON.stringify({ D: b.D, k: b.k, variances: b.variances, totalVariance: b.totalVariance, explained: b.explained }, null, 2) + '\n' },
    { path: path.join(dir, PCA_BIN), data: new Uint8Array(bin.buffer) },
  ]);
}

/** Reads the basis of `dir`; E_MODEL when a file is missing or does not match the other. */
export function readPca(dir: string): PcaBasis {
  const jf = path.join(dir, PCA_JSON);
  const bf = path.join(dir, PCA_BIN);
  for (const f of [jf, bf]) if (!existsSync(f)) throw new GaitforgeError('E_MODEL', `model directory ${dir} is missing ${path.basename(f)}`);
  let meta: Omit<PcaBasis, 'mean' | 'components'>;
  try {
    meta = JSON.parse(readFileSync(jf, 'utf8')) as typeof meta;
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${jf} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const buf = readFileSync(bf);
  const { D, k } = meta;
  if (!Number.isInteger(D) || !Number.isInteger(k) || k < 1 || !Array.isArray(meta.variances) || meta.variances.length !== k || buf.byteLength !== 4 * (D + k * D))
    throw new GaitforgeError('E_MODEL', `${bf} (${buf.byteLength} bytes) does not match ${jf} (D = ${D}, k = ${k})`);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { ...meta, mean: all.slice(0, D), components: all.slice(D) };
}
