/**
 * Fréchet distance between Gaussians fitted to two feature sets (FID when
 * the features come from a frozen evaluator network; gaitforge also uses the
 * 29 affective features, which need no network):
 *
 *   FID = ‖μa − μb‖² + Tr Σa + Tr Σb − 2 Tr((Σa Σb)^½)
 *
 * (STEP's eq. 9 prints +2 before the last term: a typo). Covariances are
 * unbiased (divide by n − 1); everything is float64. Tr((Σa Σb)^½) equals
 * Tr((√Σa Σb √Σa)^½), and √Σa Σb √Σa is symmetric positive semi-definite,
 * so the trace is the sum of the square roots of its eigenvalues: two
 * symmetric eigendecompositions (ml-matrix), no general matrix square root,
 * no complex round-off as with sqrtm of the non-symmetric product.
 *
 * Singular covariances (fewer samples than dimensions, or numerically
 * rank-deficient) get a small ridge ε·I added to both covariances; ε is
 * returned in the result with a warning, never applied silently.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { ConfigRangeError, GaitforgeError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { selectRows, toFeatureMatrix, type FeatureInput, type FeatureMatrix } from './features.js';

/** Mean and unbiased covariance of a feature set. */
export interface GaussianStats {
  /** Samples the statistics were computed from. */
  n: number;
  /** Feature dimension. */
  d: number;
  /** μ: [d]. */
  mean: Float64Array;
  /** Σ: [d, d] row-major, divided by n − 1. */
  cov: Float64Array;
}

/** Mean and unbiased covariance of features x: [n, d] (n ≥ 2). Reuse it to score many sets against one real set. */
export function gaussianStats(x: FeatureInput | FeatureMatrix, dim?: number, what = 'features'): GaussianStats {
  const m = toFeatureMatrix(x, dim, what);
  const { n, d, data } = m;
  if (n < 2) throw new GaitforgeError('E_SHAPE', `${what}: a covariance needs at least 2 samples, got ${n}`);
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j]! += data[i * d + j]!;
  for (let j = 0; j < d; j++) mu[j]! /= n;
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) c[j] = data[i * d + j]! - mu[j]!;
    for (let j = 0; j < d; j++) {
      const cj = c[j]!;
      const row = j * d;
      for (let k = j; k < d; k++) cov[row + k]! += cj * c[k]!;
    }
  }
  for (let j = 0; j < d; j++)
    for (let k = j; k < d; k++) {
      const v = cov[j * d + k]! / (n - 1);
      cov[j * d + k] = v;
      cov[k * d + j] = v;
    }
  return { n, d, mean: mu, cov };
}

export interface FidOptions {
  /** Feature dimension, required when the inputs are flat arrays. */
  dim?: number;
  /**
   * Ridge added to both covariance diagonals. 'auto' (default): none unless a
   * covariance is singular (n ≤ d, or smallest/largest eigenvalue below
   * 1e-10), then `ridgeScale` × the mean variance of both sets. A number
   * forces that ridge (0 disables it).
   */
  ridge?: 'auto' | number;
  /** Relative ridge size for 'auto'. Default 1e-6. */
  ridgeScale?: number;
}

export interface FidResult {
  /** The Fréchet distance (≥ 0). */
  fid: number;
  /** ‖μa − μb‖². */
  meanTerm: number;
  /** Tr Σa + Tr Σb − 2 Tr((Σa Σb)^½). */
  covTerm: number;
  /** Ridge ε added to both covariance diagonals (0 when none). */
  ridge: number;
  /** Conditions worth knowing (singular covariances, the ridge used, clamped eigenvalues). */
  warnings: string[];
  na: number;
  nb: number;
  d: number;
}

/** Symmetric eigendecomposition (ml-matrix) of a [d, d] row-major matrix. */
function symEig(a: Float64Array, d: number): { values: number[]; vectors: Matrix } {
  const e = new EigenvalueDecomposition(Matrix.from1DArray(d, d, a), { assumeSymmetric: true });
  return { values: e.realEigenvalues, vectors: e.eigenvectorMatrix };
}

/** Largest and smallest eigenvalue of a symmetric matrix. */
function extremeEigenvalues(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * Fréchet distance between two Gaussians (e.g. from `gaussianStats`).
 * See the module comment for the formula and the ridge rule.
 */
export function frechetDistance(a: GaussianStats, b: GaussianStats, options: FidOptions = {}): FidResult {
  if (a.d !== b.d) throw new GaitforgeError('E_SHAPE', `feature dimensions differ: ${a.d} vs ${b.d}`);
  const d = a.d;
  const ridgeOpt = options.ridge ?? 'auto';
  const ridgeScale = options.ridgeScale ?? 1e-6;
  if (ridgeOpt !== 'auto' && !(typeof ridgeOpt === 'number' && ridgeOpt >= 0 && Number.isFinite(ridgeOpt)))
    throw new ConfigRangeError(`ridge = ${String(ridgeOpt)} is out of range: expected 'auto' or a number ≥ 0`);
  if (!(ridgeScale > 0 && ridgeScale < 1)) throw new ConfigRangeError(`ridgeScale = ${ridgeScale} is out of range: expected a number in (0, 1)`);
  const warnings: string[] = [];

  let trA = 0;
  let trB = 0;
  for (let i = 0; i < d; i++) {
    trA += a.cov[i * d + i]!;
    trB += b.cov[i * d + i]!;
  }
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (a.mean[i]! - b.mean[i]!) ** 2;

  let eigA = symEig(a.cov, d);
  const singular: string[] = [];
  const [loA, hiA] = extremeEigenvalues(eigA.values);
  const [loB, hiB] = extremeEigenvalues(symEig(b.cov, d).values);
  for (const [name, s, lo, hi] of [['a', a, loA, hiA], ['b', b, loB, hiB]] as const) {
    if (s.n <= d) singular.push(`set ${name} has ${s.n} samples for ${d} features, so its covariance is singular`);
    else if (!(lo > 1e-10 * hi)) singular.push(`the covariance of set ${name} is numerically singular (eigenvalues ${lo.toExponential(2)} … ${hi.toExponential(2)})`);
  }
  warnings.push(...singular);
  let ridge = 0;
  if (ridgeOpt === 'auto') {
    if (singular.length) {
      const meanVar = (trA + trB) / (2 * d);
      ridge = ridgeScale * (meanVar > 0 ? meanVar : 1);
      warnings.push(`added a ridge ε = ${ridge.toExponential(3)} to both covariance diagonals`);
    }
  } else if (ridgeOpt > 0) {
    ridge = ridgeOpt;
    warnings.push(`added a ridge ε = ${ridge.toExponential(3)} to both covariance diagonals (asked for)`);
  }

  let covA = a.cov;
  let covB = b.cov;
  if (ridge > 0) {
    covA = Float64Array.from(a.cov);
    covB = Float64Array.from(b.cov);
    for (let i = 0; i < d; i++) {
      covA[i * d + i]! += ridge;
      covB[i * d + i]! += ridge;
    }
    trA += d * ridge;
    trB += d * ridge;
    eigA = symEig(covA, d);
  }

  // √Σa = U diag(√λ) Uᵀ (negative round-off eigenvalues clamped to 0)
  const U = eigA.vectors;
  const sq = eigA.values.map((v) => Math.sqrt(Math.max(0, v)));
  const sqrtA = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += U.get(i, k) * sq[k]! * U.get(j, k);
      sqrtA[i * d + j] = s;
      sqrtA[j * d + i] = s;
    }
  const S = Matrix.from1DArray(d, d, sqrtA);
  const M = S.mmul(Matrix.from1DArray(d, d, covB)).mmul(S);
  const Ms = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) Ms[i * d + j] = 0.5 * (M.get(i, j) + M.get(j, i));
  const mu = symEig(Ms, d).values;
  const [loM, hiM] = extremeEigenvalues(mu);
  if (loM < -1e-8 * Math.max(hiM, 1e-300))
    warnings.push(`√Σa Σb √Σa has a negative eigenvalue ${loM.toExponential(3)} (largest ${hiM.toExponential(3)}), clamped to 0`);
  let trSqrt = 0;
  for (const v of mu) trSqrt += Math.sqrt(Math.max(0, v));

  const covTerm = trA + trB - 2 * trSqrt;
  // The Fréchet distance is ≥ 0; a tiny negative value is round-off.
  const fidValue = Math.max(0, meanTerm + covTerm);
  return { fid: fidValue, meanTerm, covTerm, ridge, warnings, na: a.n, nb: b.n, d };
}

/**
 * FID between feature sets a: [na, d] and b: [nb, d] (nested arrays, or
 * flat float arrays with `options.dim`).
 */
export function fid(a: FeatureInput | FeatureMatrix, b: FeatureInput | FeatureMatrix, options: FidOptions = {}): FidResult {
  return frechetDistance(gaussianStats(a, options.dim, 'set a'), gaussianStats(b, options.dim, 'set b'), options);
}

export interface FidFloorOptions extends FidOptions {
  /** Seed of the split. */
  seed: number;
  /** Samples per half (default ⌊n/2⌋); use the size of the generated set to compare like with like. */
  halfSize?: number;
}

/**
 * The real-vs-real floor: FID between two disjoint random halves of one
 * (real) feature set. A generator's FID is only meaningful next to this
 * value, which is > 0 because of sampling noise and shrinks as 1/n; compare
 * at equal set sizes (`halfSize`).
 */
export function fidFloor(x: FeatureInput | FeatureMatrix, options: FidFloorOptions): FidResult & { halfSize: number } {
  const m = toFeatureMatrix(x, options.dim, 'real features');
  const h = options.halfSize ?? Math.floor(m.n / 2);
  if (!Number.isInteger(h) || h < 2 || 2 * h > m.n)
    throw new GaitforgeError('E_SHAPE', `real-vs-real floor: halves of ${h} samples need 2·${h} ≤ n = ${m.n} and at least 2 per half`);
  const perm = new Rng(options.seed, 'eval/fid-floor').permutation(m.n);
  const r = fid(selectRows(m, perm.subarray(0, h)), selectRows(m, perm.subarray(h, 2 * h)), options);
  return { ...r, halfSize: h };
}
