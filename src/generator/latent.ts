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
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { GaitforgeError } from '../core/errors.js';

export type LatentPriorKind = 'fitted' | 'standard';
export const LATENT_PRIORS: readonly LatentPriorKind[] = ['fitted', 'standard'];

/** One Gaussian per label: mean [D] and the lower Cholesky factor of its covariance [D, D] row-major. */
export interface FittedPrior {
  dim: number;
  labels: Record<string, { gaits: number; mean: number[]; chol: number[] }>;
}

/**
 * Fits the per-label Gaussians from posterior means and log-variances
 * (mu, logvar: [N, D] row-major) of the gaits with `labels` (indices into `labelNames`).
 */
export function fitLatentPrior(mu: Float32Array, logvar: Float32Array, labels: ArrayLike<number>, labelNames: string[], D: number): FittedPrior {
  const out: FittedPrior = { dim: D, labels: {} };
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
  });
  return out;
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
