/**
 * The latent distribution samples are drawn from. STEP generates "by drawing
 * random samples from the 32 dimensional latent distribution space
 * parametrized by the learned μ and Σ": after training, the encoder's
 * posteriors q(z | x, c) over each label's training gaits are summarised by
 * one Gaussian per label with the mixture's moments,
 *   mean_c = avg μ_i,   Σ_c = Cov(μ_i) + avg diag(σ_i²),
 * and sampling draws z = mean_c + temperature · chol(Σ_c) · ε. With a small
 * KL weight the posteriors do not cover N(0, I), and decoding prior draws
 * gives gaits the decoder never learned; the fitted prior stays where the
 * training gaits are. The standard prior N(0, I) remains available.
 *
 * The mixture prior: one Gaussian per label puts many draws near its centre,
 * between the training gaits' posteriors, where the decoder averages them
 * (docs/generator.md measures stiffer, less recognisable gaits there). The
 * mixture splits each label's posterior means into up to
 * MIXTURE_MAX_COMPONENTS groups by k-means (k-means++ start, seeded; fewer
 * groups while any has under MIXTURE_MIN_GAITS gaits, so no component sits on
 * a handful of training gaits) and fits each group a diagonal Gaussian,
 *   weight_k = n_k / n,  mean_k = avg μ_i,  var_k = Var(μ_i) + avg σ_i²  (over the group),
 * and sampling picks a component by weight and draws
 * z = mean_k + temperature · sd_k ⊙ ε. A label too small to split keeps
 * one component, the label's fitted Gaussian with its full covariance (a
 * diagonal one loses the correlations that keep limbs swinging: measured in
 * test/generator/quality.test.ts).
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { GaitforgeError, optionError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

export type LatentPriorKind = 'fitted' | 'mixture' | 'standard';
export const LATENT_PRIORS: readonly LatentPriorKind[] = ['fitted', 'mixture', 'standard'];

/** `prior` when it names a latent prior; E_OPTION naming the option otherwise. */
export function checkPriorKind(prior: unknown): LatentPriorKind {
  if (!LATENT_PRIORS.includes(prior as LatentPriorKind)) throw optionError('prior', prior, LATENT_PRIORS.join('|'));
  return prior as LatentPriorKind;
}

/** Most components of a label's mixture. */
export const MIXTURE_MAX_COMPONENTS = 8;
/** Fewest gaits behind one mixture component. */
export const MIXTURE_MIN_GAITS = 10;

/**
 * One component of a label's mixture: its weight and mean [D], and either a
 * standard deviation per dimension (`sd`) or, for a label's only component,
 * the lower Cholesky factor of its full covariance (`chol`, [D, D] row-major).
 */
export interface MixtureComponent {
  gaits: number;
  weight: number;
  mean: number[];
  sd?: number[];
  chol?: number[];
}

/**
 * One Gaussian per label: mean [D] and the lower Cholesky factor of its
 * covariance [D, D] row-major; and each label's mixture (absent in model
 * directories written before the mixture prior).
 */
export interface FittedPrior {
  dim: number;
  labels: Record<string, { gaits: number; mean: number[]; chol: number[] }>;
  mixture?: Record<string, MixtureComponent[]>;
}

/**
 * Fits the per-label Gaussians from posterior means and log-variances
 * (mu, logvar: [N, D] row-major) of the gaits with `labels` (indices into `labelNames`).
 */
export function fitLatentPrior(mu: Float32Array, logvar: Float32Array, labels: ArrayLike<number>, labelNames: string[], D: number, seed: number): FittedPrior {
  const out: FittedPrior = { dim: D, labels: {}, mixture: {} };
  labelNames.forEach((name, c) => {
    const idx: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) idx.push(i);
    if (idx.length === 0) return;
    const mean = new Float64Array(D);
    const varMean = new Float64Array(D);
    for (const i of idx)
      for (let d = 0; d < D; d++) {
        mean[d]! += mu[i * D + d]! / idx.length;
        varMean[d]! += Math.exp(logvar[i * D + d]!) / idx.length;
      }
    const cov = new Matrix(D, D);
    for (const i of idx)
      for (let a = 0; a < D; a++) {
        const da = mu[i * D + a]! - mean[a]!;
        for (let b = 0; b <= a; b++) cov.set(a, b, cov.get(a, b) + (da * (mu[i * D + b]! - mean[b]!)) / idx.length);
      }
    for (let a = 0; a < D; a++) {
      for (let b = 0; b < a; b++) cov.set(b, a, cov.get(a, b));
      cov.set(a, a, cov.get(a, a) + varMean[a]! + 1e-6);
    }
    const ch = new CholeskyDecomposition(cov);
    if (!ch.isPositiveDefinite()) throw new GaitforgeError('E_VALUE', `the latent covariance of label ${JSON.stringify(name)} is not positive definite`);
    const L = ch.lowerTriangularMatrix;
    out.labels[name] = { gaits: idx.length, mean: Array.from(mean), chol: Array.from({ length: D * D }, (_, k) => L.get(Math.floor(k / D), k % D)) };
    out.mixture![name] = fitMixture(mu, logvar, idx, D, new Rng(seed, `generator/prior/mixture/${name}`)) ?? [{ ...out.labels[name]!, weight: 1 }];
  });
  return out;
}

/** Squared distance between row i of `mu` ([N, D]) and `c`. */
function dist2(mu: Float32Array, i: number, c: Float64Array, D: number): number {
  let s = 0;
  for (let d = 0; d < D; d++) s += (mu[i * D + d]! - c[d]!) ** 2;
  return s;
}

/** k-means of the rows `idx` of mu: k-means++ start, Lloyd iterations until no row moves (at most 100). Group of each row. */
function kmeans(mu: Float32Array, idx: number[], D: number, k: number, rng: Rng): Int32Array {
  const n = idx.length;
  const first = idx[rng.int(n)]!;
  const centres = [Float64Array.from(mu.subarray(first * D, first * D + D))];
  const near = idx.map((i) => dist2(mu, i, centres[0]!, D));
  while (centres.length < k) {
    let r = rng.next() * near.reduce((a, b) => a + b, 0);
    let j = 0;
    while (j < n - 1 && r >= near[j]!) r -= near[j++]!;
    const c = Float64Array.from(mu.subarray(idx[j]! * D, idx[j]! * D + D));
    centres.push(c);
    idx.forEach((i, q) => (near[q] = Math.min(near[q]!, dist2(mu, i, c, D))));
  }
  const group = new Int32Array(n).fill(-1);
  for (let it = 0; it < 100; it++) {
    let moved = false;
    idx.forEach((i, q) => {
      let best = 0;
      let bestD = Infinity;
      centres.forEach((c, g) => {
        const dd = dist2(mu, i, c, D);
        if (dd < bestD) [best, bestD] = [g, dd];
      });
      if (group[q] !== best) [group[q], moved] = [best, true];
    });
    if (!moved) break;
    centres.forEach((c, g) => {
      const members = idx.filter((_, q) => group[q] === g);
      if (members.length === 0) return;
      c.fill(0);
      for (const i of members) for (let d = 0; d < D; d++) c[d]! += mu[i * D + d]! / members.length;
    });
  }
  return group;
}

/** The diagonal components of one label's gaits `idx` (see the file comment); null when they cannot be split in two. */
function fitMixture(mu: Float32Array, logvar: Float32Array, idx: number[], D: number, rng: Rng): MixtureComponent[] | null {
  let groups: number[][] | null = null;
  for (let k = Math.min(MIXTURE_MAX_COMPONENTS, Math.floor(idx.length / MIXTURE_MIN_GAITS)); k > 1 && !groups; k--) {
    const g = kmeans(mu, idx, D, k, rng.derive(String(k)));
    const split = Array.from({ length: k }, (_, c) => idx.filter((_, q) => g[q] === c));
    if (split.every((m) => m.length >= MIXTURE_MIN_GAITS)) groups = split;
  }
  if (!groups) return null;
  return groups.map((members) => {
    const mean = new Float64Array(D);
    const variance = new Float64Array(D);
    for (const i of members) for (let d = 0; d < D; d++) mean[d]! += mu[i * D + d]! / members.length;
    for (const i of members) for (let d = 0; d < D; d++) variance[d]! += ((mu[i * D + d]! - mean[d]!) ** 2 + Math.exp(logvar[i * D + d]!)) / members.length;
    return { gaits: members.length, weight: members.length / idx.length, mean: Array.from(mean), sd: Array.from(variance, (v) => Math.sqrt(v + 1e-6)) };
  });
}

/**
 * Writes z = mean_k + temperature · sd_k ⊙ eps (or chol_k · eps) into `out`
 * (length D), component k picked by the uniform u ∈ [0, 1) and the weights.
 */
export function drawMixture(components: readonly MixtureComponent[], eps: Float64Array, u: number, temperature: number, out: Float32Array, offset: number): void {
  let k = 0;
  for (let acc = components[0]!.weight; k < components.length - 1 && u >= acc; acc += components[++k]!.weight);
  const c = components[k]!;
  if (c.chol) return drawFitted({ mean: c.mean, chol: c.chol }, eps, temperature, out, offset);
  for (let d = 0; d < c.mean.length; d++) out[offset + d] = c.mean[d]! + temperature * c.sd![d]! * eps[d]!;
}

/** Writes z = mean + temperature · chol · eps into `out` (length D). */
export function drawFitted(p: { mean: number[]; chol: number[] }, eps: Float64Array, temperature: number, out: Float32Array, offset: number): void {
  const D = p.mean.length;
  for (let a = 0; a < D; a++) {
    let s = 0;
    for (let b = 0; b <= a; b++) s += p.chol[a * D + b]! * eps[b]!;
    out[offset + a] = p.mean[a]! + temperature * s;
  }
}
