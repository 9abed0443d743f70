/**
 * The PCA-Gaussian floor's configuration (docs/flow.md): the PCA space and
 * the shrinkage of each label's covariance. Nothing is trained by epochs.
 */
import { checkRange, ConfigRangeError } from '../../core/errors.js';
import { checkFamilyFields } from '../config.js';

export interface PcaGaussianConfig {
  /** Always 'pca-gaussian' (what resolveGeneratorFamily dispatches on). */
  variant?: 'pca-gaussian';
  /** Keep the fewest principal components that explain this fraction of the training gaits' variance (pca.ts). Default 0.999. */
  explainedVariance?: number;
  /** At most this many components (k). Default 64: each label's full k × k covariance is estimated from that label's gaits alone. */
  maxComponents?: number;
  /**
   * Shrinkage δ of each label's covariance towards the pooled within-label
   * covariance: Σ_l = (1 − δ)·S_l + δ·S_pooled. 'auto' (default): each
   * label's δ by the Ledoit-Wolf formula for that target (the one that
   * minimises the expected squared error of Σ_l); a number in [0, 1] fixes it.
   */
  shrinkage?: number | 'auto';
}

export type ResolvedPcaGaussianConfig = Required<PcaGaussianConfig>;

export const DEFAULT_PCA_GAUSSIAN: ResolvedPcaGaussianConfig = {
  variant: 'pca-gaussian',
  explainedVariance: 0.999,
  maxComponents: 64,
  shrinkage: 'auto',
};

/** Copies a config, fills the defaults and checks every field (ConfigRangeError naming field, value and range; STEP-Gen fields named as such). */
export function resolvePcaGaussian(c: PcaGaussianConfig = {}): ResolvedPcaGaussianConfig {
  if (!c || typeof c !== 'object') throw new ConfigRangeError(`a pca-gaussian config must be an object, got ${JSON.stringify(c)}`);
  checkFamilyFields(c, 'pca-gaussian', Object.keys(DEFAULT_PCA_GAUSSIAN));
  const r: ResolvedPcaGaussianConfig = { ...DEFAULT_PCA_GAUSSIAN, ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) };
  if (r.variant !== 'pca-gaussian') throw new ConfigRangeError(`variant = ${JSON.stringify(r.variant)} is not 'pca-gaussian' (a pca-gaussian config)`);
  checkRange('explainedVariance', r.explainedVariance, 1e-6, 1);
  checkRange('maxComponents', r.maxComponents, 1, 4096, true);
  if (r.shrinkage !== 'auto') checkRange('shrinkage', r.shrinkage, 0, 1);
  return r;
}
