/**
 * Fréchet distance between Gaussians fitted to two feature sets (FID with a
 * frozen evaluator's features; also used on the 29 affective features):
 *   FID = ‖μa − μb‖² + Tr Σa + Tr Σb − 2 Tr((Σa Σb)^½)
 * (STEP's eq. 9 prints +2 before the last term: a typo). Unbiased
 * covariances, float64. Tr((Σa Σb)^½) = Tr((√Σa Σb √Σa)^½), the sum of the
 * square roots of a symmetric PSD matrix's eigenvalues: two symmetric
 * eigendecompositions, no sqrtm of a non-symmetric product. Singular
 * covariances get a ridge ε·I on both, returned with a warning, never silently.
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
 * See the module comment for the formula and `FidOptions.ridge` for the ridge.
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

export interface FidBesideFloorOptions extends Omit<FidOptions, 'ridge'> {
  /** Seed of the subsets (and of the halves when `halves` is absent). */
  seed: number;
  /**
   * Rows of the real features that may form the reference and the floor set
   * (disjoint; give grouped halves, e.g. GaitSet.splitIndices([0.5, 0.5]),
   * so no walker or recording is in both). Default: seeded random halves.
   */
  halves?: { reference: ArrayLike<number>; floor: ArrayLike<number> };
  /**
   * Label index of every real row and of every generated row: the three
   * sets then hold the same number of gaits of each label, in the reference
   * half's proportions (FID also measures the label mix, so sets mixed
   * differently differ for reasons unrelated to the generator).
   */
  labels?: { real: ArrayLike<number>; fake: ArrayLike<number> };
}

/** A generator's FID beside the real-vs-real floor, at equal sizes against one reference. */
export interface FidBesideFloor {
  /** FID(reference, n generated gaits). */
  fid: number;
  /** FID(reference, floorN other real gaits): what sampling noise alone gives. */
  floor: number;
  /** Generated gaits in `fid` (= floorN = referenceN). */
  n: number;
  /** Real gaits in the floor set. */
  floorN: number;
  /** Real gaits in the reference both are measured against. */
  referenceN: number;
  /** ‖μ_ref − μ_gen‖² and the covariance term of `fid`. */
  meanTerm: number;
  covTerm: number;
  /** Dimension both FIDs were computed in: the features' own, or the principal components they were projected onto (projectedDim). */
  dim: number;
  /** Dimension of the features given. */
  featureDim: number;
  /** The one ridge added to every covariance of both FIDs (0 when none was needed). */
  ridge: number;
  /** Gaits per label index in each of the three sets (equal; null without labels). */
  counts: { reference: number[]; floor: number[]; generated: number[] } | null;
  /** Warnings of both FIDs, the floor's prefixed with "floor: ". */
  warnings: string[];
}

/**
 * The dimension a FID of n gaits per set is computed in: the features' own
 * d when n > 2d, else the top ⌈n/2⌉ − 1 principal components of the real
 * reference (so d < n/2 always: a covariance of n samples in d ≥ n
 * dimensions is singular, and near n it is an estimate dominated by noise).
 */
export function projectedDim(n: number, d: number): number {
  return n > 2 * d ? d : Math.max(1, Math.ceil(n / 2) - 1);
}

/** The top-k principal directions ([k, d] row-major, by decreasing variance) of rows of a matrix. */
function principalDirections(x: FeatureMatrix, k: number): Float64Array {
  const s = gaussianStats(x, undefined, 'reference features');
  const e = symEig(s.cov, s.d);
  const order = e.values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const out = new Float64Array(k * s.d);
  for (let r = 0; r < k; r++) for (let j = 0; j < s.d; j++) out[r * s.d + j] = e.vectors.get(j, order[r]![1]);
  return out;
}

/** x [n, d] times the directions' transpose: [n, k]. */
function project(x: FeatureMatrix, dirs: Float64Array, k: number): FeatureMatrix {
  const out = new Float64Array(x.n * k);
  for (let i = 0; i < x.n; i++)
    for (let r = 0; r < k; r++) {
      let v = 0;
      for (let j = 0; j < x.d; j++) v += x.data[i * x.d + j]! * dirs[r * x.d + j]!;
      out[i * k + r] = v;
    }
  return { data: out, n: x.n, d: k };
}

/** Why a covariance is singular (n ≤ d, or smallest/largest eigenvalue below 1e-10), or null. */
function singularity(s: GaussianStats, name: string): string | null {
  if (s.n <= s.d) return `set ${name} has ${s.n} samples for ${s.d} features, so its covariance is singular`;
  const [lo, hi] = extremeEigenvalues(symEig(s.cov, s.d).values);
  return lo > 1e-10 * hi ? null : `the covariance of set ${name} is numerically singular (eigenvalues ${lo.toExponential(2)} … ${hi.toExponential(2)})`;
}

/**
 * Gaits per label in each of the three sets: the reference half's counts
 * scaled by the largest factor ≤ 1 that every label's floor and generated
 * gaits can fill.
 */
function matchedCounts(ref: number[], flo: number[], gen: number[]): number[] {
  let f = 1;
  ref.forEach((r, l) => {
    if (r > 0) f = Math.min(f, flo[l]! / r, gen[l]! / r);
  });
  return ref.map((r) => Math.floor(f * r + 1e-9));
}

/**
 * A generator's FID beside its floor, the one way gaitforge reports it: h
 * generated and h real gaits (the floor set) are each compared with the same
 * reference of h real gaits, every subset seeded; with `labels`, drawn label
 * by label in the reference half's proportions (else h = the smallest of the
 * two halves and the generated set). Both FIDs use `projectedDim(h, d)`
 * dimensions and one ridge (only when a covariance is singular there): FID is
 * biased upwards by about 1/size, so only a floor at the same size, dimension
 * and reference is comparable. real: [nr, d], fake: [nf, d].
 */
export function fidBesideFloor(real: FeatureInput | FeatureMatrix, fake: FeatureInput | FeatureMatrix, options: FidBesideFloorOptions): FidBesideFloor {
  const a = toFeatureMatrix(real, options.dim, 'real features');
  const b = toFeatureMatrix(fake, options.dim ?? a.d, 'generated features');
  const ridgeScale = options.ridgeScale ?? 1e-6;
  if (!(ridgeScale > 0 && ridgeScale < 1)) throw new ConfigRangeError(`ridgeScale = ${ridgeScale} is out of range: expected a number in (0, 1)`);
  let ref: ArrayLike<number>;
  let flo: ArrayLike<number>;
  if (options.halves) {
    ref = options.halves.reference;
    flo = options.halves.floor;
    const seen = new Set<number>();
    for (const i of [...Array.from(ref), ...Array.from(flo)]) {
      if (!Number.isInteger(i) || i < 0 || i >= a.n) throw new RangeError(`FID halves: row ${i} is not one of the ${a.n} real rows`);
      if (seen.has(i)) throw new RangeError(`FID halves: row ${i} is in both halves (or twice)`);
      seen.add(i);
    }
  } else {
    const perm = new Rng(options.seed, 'eval/fid-halves').permutation(a.n);
    const half = Math.floor(a.n / 2);
    ref = perm.subarray(0, half);
    flo = perm.subarray(half, 2 * half);
  }
  const genRows = Int32Array.from({ length: b.n }, (_, i) => i);
  // each set's rows, by label (one group without labels), then the counts all three can fill
  let groups: { ref: number[][]; flo: number[][]; gen: number[][] };
  let per: number[];
  if (options.labels) {
    const { real: rl, fake: fl } = options.labels;
    if (rl.length !== a.n || fl.length !== b.n) throw new RangeError(`FID labels: ${rl.length} real and ${fl.length} generated labels for ${a.n} and ${b.n} rows`);
    const L = 1 + Math.max(0, ...Array.from(rl), ...Array.from(fl));
    const byLabel = (rows: ArrayLike<number>, labels: ArrayLike<number>) => {
      const out: number[][] = Array.from({ length: L }, () => []);
      for (const i of Array.from(rows)) out[labels[i]!]!.push(i);
      return out;
    };
    groups = { ref: byLabel(ref, rl), flo: byLabel(flo, rl), gen: byLabel(genRows, fl) };
    per = matchedCounts(groups.ref.map((g) => g.length), groups.flo.map((g) => g.length), groups.gen.map((g) => g.length));
  } else {
    groups = { ref: [Array.from(ref)], flo: [Array.from(flo)], gen: [Array.from(genRows)] };
    per = [Math.min(ref.length, flo.length, b.n)];
  }
  const h = per.reduce((x, y) => x + y, 0);
  if (h < 3)
    throw new GaitforgeError('E_SHAPE', `FID beside its floor needs at least 3 gaits in each set, got ${h} (real halves of ${ref.length} and ${flo.length}, ${b.n} generated${options.labels ? ', matched label by label' : ''})`);
  // seeded subsets, label by label
  const subset = (g: number[][], what: string) => {
    const rows: number[] = [];
    g.forEach((idx, l) => {
      const p = new Rng(options.seed, options.labels ? `eval/fid-subset/${what}/${l}` : `eval/fid-subset/${what}`).permutation(idx.length).subarray(0, per[l]!);
      for (const k of p) rows.push(idx[k]!);
    });
    return rows;
  };
  const k = projectedDim(h, a.d);
  const warnings: string[] = [];
  let sets = [selectRows(a, subset(groups.ref, 'reference')), selectRows(b, subset(groups.gen, 'generated')), selectRows(a, subset(groups.flo, 'floor'))];
  if (k < a.d) {
    const dirs = principalDirections(selectRows(a, Array.from(ref)), k);
    sets = sets.map((x) => project(x, dirs, k));
    warnings.push(`${h} gaits per set in ${a.d} dimensions: both FIDs are computed on the top ${k} principal components of the ${ref.length} reference-half gaits`);
  }
  const [sr, sg, sf] = sets.map((x, i) => gaussianStats(x, undefined, ['reference', 'generated', 'floor'][i]));
  const singular = [singularity(sr!, 'reference'), singularity(sg!, 'generated'), singularity(sf!, 'floor')].filter((w): w is string => w !== null);
  let ridge = 0;
  if (singular.length) {
    let tr = 0;
    for (let i = 0; i < k; i++) tr += sr!.cov[i * k + i]!;
    ridge = ridgeScale * (tr > 0 ? tr / k : 1);
    warnings.push(...singular, `added a ridge ε = ${ridge.toExponential(3)} to every covariance of both FIDs`);
  }
  const gen = frechetDistance(sr!, sg!, { ridge });
  const floor = frechetDistance(sr!, sf!, { ridge });
  const own = (w: string) => !w.startsWith('added a ridge') && !w.includes('samples for') && !w.includes('numerically singular');
  return {
    fid: gen.fid, floor: floor.fid, n: h, floorN: h, referenceN: h, meanTerm: gen.meanTerm, covTerm: gen.covTerm, dim: k, featureDim: a.d, ridge,
    counts: options.labels ? { reference: [...per], floor: [...per], generated: [...per] } : null,
    warnings: [...warnings, ...gen.warnings.filter(own), ...floor.warnings.filter(own).map((w) => `floor: ${w}`)],
  };
}
