/**
 * The PCA-Gaussian floor: each label a full-covariance Gaussian over the k PCA
 * coefficients of its training gaits (pca-space.ts), shrunk towards the pooled
 * within-label covariance; fitted in seconds, sampled as the other families
 * are. A learned generator that does not beat it has learned nothing a linear
 * model of the data does not already know. Model directory: generator.json
 * (no epochs: epochsDone = bestEpoch = 0), pca.json + pca.bin, gaussians.json
 * (per label: mean [k], shrinkage δ, lower Cholesky factor [k, k]).
 * Shrinkage 'auto' (Schäfer & Strimmer 2005, Ledoit-Wolf for a general
 * target): for label l with n_l centred rows x, w_r = x_r x_rᵀ,
 * S_l = Σ_r w_r / (n_l − 1), target P (pooled), clipped to [0, 1]:
 *   δ_l = Σ_ij Var̂(s_ij) / Σ_ij (s_ij − p_ij)²,   Var̂(s_ij) = n_l / (n_l − 1)³ · Σ_r (w_r,ij − w̄_ij)².
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { GaitforgeError, optionError } from '../../core/errors.js';
import type { GaitSet } from '../../core/gaitset.js';
import { filesHash } from '../../core/hash.js';
import { silentProgress, type Progress } from '../../core/progress.js';
import { Rng } from '../../core/rng.js';
import { writeFilesAtomic } from '../../core/files.js';
import { MANIFEST_FILE, writeManifest, type ManifestFields } from '../checkpoint.js';
import { PCA_BIN, PCA_JSON, writePca } from '../pca.js';
import { fitPcaSpace, PcaSpaceGenerator, readPcaFamilyManifest, readPcaSpace, toSpace, type PcaManifestFields } from '../pca-space.js';
import { gaitSeed, refuseOptions, type Planned, type SampleOptions } from '../plan.js';
import { checkRunInput, findResume, freshRunDir, manifestFields, prepareGaits, runDataHash, type RunOptions } from '../run.js';
import { resolvePcaGaussian, type PcaGaussianConfig, type ResolvedPcaGaussianConfig } from './config.js';

export const GAUSSIANS_FILE = 'gaussians.json';

/** One label's Gaussian over the coefficients. */
export interface LabelGaussian {
  /** [k]. */
  mean: number[];
  /** The shrinkage δ its covariance was fitted with. */
  shrinkage: number;
  /** Lower Cholesky factor of the covariance, [k, k] row-major. */
  cholesky: number[];
}

export type PcaGaussianManifest = ManifestFields<ResolvedPcaGaussianConfig> & PcaManifestFields;

export interface FitPcaGaussianOptions extends RunOptions {
  progress?: Progress;
}

export interface FitPcaGaussianResult {
  dir: string;
  /** Components kept and the variance they explain. */
  k: number;
  explained: number;
  /** δ of each label, in the model's label order. */
  shrinkage: number[];
  seconds: number;
}

/**
 * Each label's mean and covariance of coefficient rows z ([N, k]) with the
 * shrinkage of the module comment (or a fixed δ). Labels in 0 … L−1, each
 * with at least 2 rows.
 */
export function fitLabelGaussians(z: Float32Array, labels: ArrayLike<number>, L: number, k: number, shrinkage: number | 'auto'): { mean: Float64Array; cov: Float64Array; shrinkage: number }[] {
  const rows: number[][] = Array.from({ length: L }, () => []);
  for (let i = 0; i < labels.length; i++) rows[labels[i]!]!.push(i);
  const stats = rows.map((r, l) => {
    if (r.length < 2) throw new GaitforgeError('E_SHAPE', `label ${l} has ${r.length} training gait(s); a covariance needs at least 2`);
    const mean = new Float64Array(k);
    for (const i of r) for (let a = 0; a < k; a++) mean[a]! += z[i * k + a]! / r.length;
    const S = new Float64Array(k * k);
    for (const i of r)
      for (let a = 0; a < k; a++) {
        const da = z[i * k + a]! - mean[a]!;
        for (let b = 0; b <= a; b++) S[a * k + b]! += (da * (z[i * k + b]! - mean[b]!)) / (r.length - 1);
      }
    for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) S[b * k + a] = S[a * k + b]!;
    return { mean, S, rows: r };
  });
  const N = labels.length;
  const pooled = new Float64Array(k * k);
  for (const s of stats) for (let j = 0; j < k * k; j++) pooled[j]! += (s.S[j]! * (s.rows.length - 1)) / (N - L);
  return stats.map(({ mean, S, rows: r }) => {
    let delta: number;
    if (shrinkage !== 'auto') delta = shrinkage;
    else {
      const n = r.length;
      // Σ_ij Var̂(s_ij) from the products w_r,ij about their mean (n − 1)/n · s_ij
      let varSum = 0;
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) {
          const wBar = (S[a * k + b]! * (n - 1)) / n;
          let ss = 0;
          for (const i of r) ss += ((z[i * k + a]! - mean[a]!) * (z[i * k + b]! - mean[b]!) - wBar) ** 2;
          varSum += ss;
        }
      varSum *= n / (n - 1) ** 3;
      let dist = 0;
      for (let j = 0; j < k * k; j++) dist += (S[j]! - pooled[j]!) ** 2;
      delta = dist > 0 ? Math.min(1, Math.max(0, varSum / dist)) : 1;
    }
    const cov = Float64Array.from(S, (s, j) => (1 - delta) * s + delta * pooled[j]!);
    return { mean, cov, shrinkage: delta };
  });
}

/** The lower Cholesky factor of a symmetric positive semi-definite k × k matrix, with a jitter added to its diagonal until it factors. */
export function choleskyFactor(cov: Float64Array, k: number): Float64Array {
  const trace = Array.from({ length: k }, (_, a) => cov[a * k + a]!).reduce((x, y) => x + y, 0);
  for (let jitter = 0, attempt = 0; attempt < 12; attempt++, jitter = jitter === 0 ? 1e-10 * (trace / k) : jitter * 10) {
    const M = new Matrix(k, k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) M.set(a, b, cov[a * k + b]! + (a === b ? jitter : 0));
    const c = new CholeskyDecomposition(M);
    if (c.isPositiveDefinite()) return Float64Array.from(c.lowerTriangularMatrix.to1DArray());
  }
  throw new GaitforgeError('E_VALUE', 'a label covariance is not positive definite even with jitter: the coefficients are degenerate');
}

/**
 * Fits the PCA-Gaussian floor on `train` (every gait; there is nothing to
 * select, so a validation set is an error) and writes its model directory.
 * With `resume`, a directory that already holds this fit (same data, config
 * and seed) is kept as it is. Validates before writing anything.
 */
export async function fitPcaGaussian(train: GaitSet, config: PcaGaussianConfig, options: FitPcaGaussianOptions): Promise<FitPcaGaussianResult> {
  const cfg = resolvePcaGaussian(config);
  const t0 = performance.now();
  const edges = checkRunInput(train, options);
  if (options.val !== undefined) throw optionError('val', '(a gait set)', 'none: the pca-gaussian floor has no validation loss (nothing is selected); fit it on the training gaits only');
  const dataHash = runDataHash(train, undefined);
  const progress = options.progress ?? silentProgress;
  const want = { seed: options.seed, dataHash, T: train.T, V: train.V, labelNames: train.labelNames, config: cfg };
  // refuses a directory holding another fit (or any generator without resume / overwrite)
  findResume<PcaGaussianManifest, never>(options, want, readPcaGaussianManifest);
  if (options.resume && existsSync(path.join(options.outDir, MANIFEST_FILE))) {
    // this very fit is already there (findResume checked data, config and seed): nothing to do
    const m = readPcaGaussianManifest(options.outDir);
    const g = readGaussians(options.outDir, m, m.pca.k);
    return { dir: options.outDir, k: m.pca.k, explained: m.pca.explained, shrinkage: train.labelNames.map((l) => g[l]!.shrinkage), seconds: (performance.now() - t0) / 1000 };
  }
  progress.start('fit pca-gaussian', 2);
  const { data: x, norm } = prepareGaits(train, null);
  const space = fitPcaSpace(x, train.stride, { explainedVariance: cfg.explainedVariance, maxComponents: cfg.maxComponents, seed: options.seed, scale: 'none' });
  progress.update(1);
  const k = space.basis.k;
  const z = toSpace(space, x);
  const L = train.labelNames.length;
  const fitted = fitLabelGaussians(z, train.labels, L, k, cfg.shrinkage);
  const labels = Object.fromEntries(fitted.map((g, l) => [train.labelNames[l]!, { mean: Array.from(g.mean), shrinkage: g.shrinkage, cholesky: Array.from(choleskyFactor(g.cov, k)) } satisfies LabelGaussian]));
  freshRunDir(options, [GAUSSIANS_FILE, PCA_JSON, PCA_BIN]);
  const manifest: PcaGaussianManifest = {
    ...manifestFields('pca-gaussian', cfg, train, train, null, edges, norm, dataHash, options.seed),
    completed: true, pca: { k, explained: space.basis.explained, scale: 'none' },
  };
  writePca(options.outDir, space.basis);
  writeFilesAtomic([{ path: path.join(options.outDir, GAUSSIANS_FILE), data: JSON.stringify({ k, labels }) + '\n' }]);
  writeManifest(options.outDir, manifest);
  progress.update(2);
  progress.stop();
  return { dir: options.outDir, k, explained: space.basis.explained, shrinkage: fitted.map((g) => g.shrinkage), seconds: (performance.now() - t0) / 1000 };
}

/** Reads and checks a pca-gaussian generator.json (E_MODEL). */
export function readPcaGaussianManifest(dir: string): PcaGaussianManifest {
  return readPcaFamilyManifest<ResolvedPcaGaussianConfig>(dir, 'pca-gaussian', (c) => resolvePcaGaussian(c));
}

/** The checked options of a pca-gaussian sampling call. */
export interface PcaGaussianSampleOptions {
  seed: number;
  batchSize: number;
  rigid: boolean;
}

export class PcaGaussianGenerator extends PcaSpaceGenerator<ResolvedPcaGaussianConfig, PcaGaussianSampleOptions> {
  constructor(manifest: PcaGaussianManifest, space: ConstructorParameters<typeof PcaSpaceGenerator>[1], checkpointHash: string, dir: string, readonly gaussians: Record<string, LabelGaussian>) {
    super(manifest, space, checkpointHash, dir);
  }

  sampleOptions(o: SampleOptions): PcaGaussianSampleOptions {
    const common = this.commonOptions(o);
    refuseOptions(o, ['steps', 'guidance'], 'pca-gaussian generators', "they are the flow sampler's (a pca-gaussian sample is one draw of its label's Gaussian)");
    return common;
  }

  fileMetadata(o: PcaGaussianSampleOptions): Record<string, string> {
    return { 'generator.name': this.name, 'generator.checkpoint': this.checkpointHash, 'generator.seed': String(o.seed), 'generator.rigid': String(o.rigid) };
  }

  /** z = mean_l + L_l·ε, ε ~ N(0, I) from the gait's own seed. */
  protected coefficients(plan: Planned[], o: PcaGaussianSampleOptions): Float32Array {
    const k = this.space.basis.k;
    const z = new Float32Array(plan.length * k);
    const eps = new Float64Array(k);
    plan.forEach((p, i) => {
      const label = this.labelNames[p.label]!;
      const g = this.gaussians[label]!;
      const rng = new Rng(gaitSeed(o.seed, label, p.k), 'generator/pca-gaussian');
      for (let a = 0; a < k; a++) eps[a] = rng.normal();
      for (let a = 0; a < k; a++) {
        let v = g.mean[a]!;
        for (let b = 0; b <= a; b++) v += g.cholesky[a * k + b]! * eps[b]!;
        z[i * k + a] = v;
      }
    });
    return z;
  }

  dispose(): void {}
}

/** Loads the PCA-Gaussian floor of `dir` (E_MODEL naming a missing or mismatched file). */
export async function loadPcaGaussian(dir: string): Promise<PcaGaussianGenerator> {
  const m = readPcaGaussianManifest(dir);
  const space = readPcaSpace(dir, m);
  const gaussians = readGaussians(dir, m, space.basis.k);
  const hash = filesHash(dir, [MANIFEST_FILE, PCA_JSON, PCA_BIN, GAUSSIANS_FILE]);
  return new PcaGaussianGenerator(m, space, hash, path.resolve(dir), gaussians);
}

/** gaussians.json of `dir`, checked against its manifest (E_MODEL). */
function readGaussians(dir: string, m: PcaGaussianManifest, k: number): Record<string, LabelGaussian> {
  const file = path.join(dir, GAUSSIANS_FILE);
  if (!existsSync(file)) throw new GaitforgeError('E_MODEL', `model directory ${dir} is missing ${GAUSSIANS_FILE}`);
  let g: { k: number; labels: Record<string, LabelGaussian> };
  try {
    g = JSON.parse(readFileSync(file, 'utf8')) as typeof g;
  } catch (e) {
    throw new GaitforgeError('E_MODEL', `${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  for (const l of m.labelNames) {
    const x = g.labels?.[l];
    if (!x || x.mean?.length !== k || x.cholesky?.length !== k * k) throw new GaitforgeError('E_MODEL', `${file} does not match ${path.join(dir, MANIFEST_FILE)}: label ${JSON.stringify(l)} needs a mean of ${k} and a ${k} × ${k} factor`);
  }
  return g.labels;
}
