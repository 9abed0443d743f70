/**
 * The generator families side by side: STEP-Gen and the baseline CVAE
 * (config.ts), the flow (flow/) and the PCA-Gaussian floor (pca-gaussian/).
 * Each has its own config, resolved by its own `resolveX`; a config of any
 * family is resolved here by its `variant` (default 'stepgen').
 */
import { CVAE_VARIANTS, GENERATOR_VARIANTS, resolveGenerator, type GeneratorConfig, type GeneratorVariant, type ResolvedGeneratorConfig } from './config.js';
import { ConfigRangeError } from '../core/errors.js';
import type { GaitSet } from '../core/gaitset.js';
import { manifestVariant, readManifest, type ManifestFields } from './checkpoint.js';
import { readFlowManifest, trainFlow, type TrainFlowResult } from './flow/train.js';
import { fitPcaGaussian, readPcaGaussianManifest, type FitPcaGaussianResult } from './pca-gaussian/model.js';
import { refuseOptions } from './plan.js';
import { trainGenerator, type TrainGeneratorOptions, type TrainGeneratorResult } from './train.js';
import { resolveFlow, type FlowConfig, type ResolvedFlowConfig } from './flow/config.js';
import { resolvePcaGaussian, type PcaGaussianConfig, type ResolvedPcaGaussianConfig } from './pca-gaussian/config.js';

/** A config of any generator family, told apart by `variant`. */
export type GeneratorFamilyConfig = GeneratorConfig | FlowConfig | PcaGaussianConfig;
export type ResolvedGeneratorFamilyConfig = ResolvedGeneratorConfig | ResolvedFlowConfig | ResolvedPcaGaussianConfig;

/** The family of a config's variant: 'cvae' (stepgen, cvae-baseline), 'flow' or 'pca-gaussian'. */
export function generatorFamily(variant: GeneratorVariant): 'cvae' | 'flow' | 'pca-gaussian' {
  return (CVAE_VARIANTS as readonly string[]).includes(variant) ? 'cvae' : (variant as 'flow' | 'pca-gaussian');
}

/** Resolves a config of any family by its `variant` (resolveGenerator, resolveFlow or resolvePcaGaussian). */
export function resolveGeneratorFamily(c: GeneratorFamilyConfig = {}): ResolvedGeneratorFamilyConfig {
  const variant = (c as { variant?: unknown } | null)?.variant ?? 'stepgen';
  if (typeof variant !== 'string' || !(GENERATOR_VARIANTS as readonly string[]).includes(variant))
    throw new ConfigRangeError(`variant = ${JSON.stringify(variant)} is not one of ${GENERATOR_VARIANTS.join(', ')}`);
  const family = generatorFamily(variant as GeneratorVariant);
  if (family === 'flow') return resolveFlow(c as FlowConfig);
  if (family === 'pca-gaussian') return resolvePcaGaussian(c as PcaGaussianConfig);
  return resolveGenerator(c as GeneratorConfig);
}

/** The manifest of a generator directory of any family, read and checked by its family's reader (E_MODEL). */
export function readGeneratorFamilyManifest(dir: string): ManifestFields<ResolvedGeneratorFamilyConfig> {
  const variant = manifestVariant(dir);
  if (variant === 'flow') return readFlowManifest(dir);
  if (variant === 'pca-gaussian') return readPcaGaussianManifest(dir);
  return readManifest(dir);
}

/** What `trainGeneratorFamily` returns: the family's own result, by variant. */
export type TrainFamilyResult =
  | { family: 'cvae'; result: TrainGeneratorResult }
  | { family: 'flow'; result: TrainFlowResult }
  | { family: 'pca-gaussian'; result: FitPcaGaussianResult };

/**
 * Trains (or fits) a generator of any family by its config's `variant`:
 * trainGenerator (STEP-Gen, the baseline CVAE), trainFlow or fitPcaGaussian,
 * each with the options it takes (`identityFeatureModel` is STEP-Gen's; the
 * PCA-Gaussian floor takes no validation set, signal or threads). Per-epoch
 * logs differ by family: call the family's trainer for `onEpoch`.
 */
export async function trainGeneratorFamily(train: GaitSet, config: GeneratorFamilyConfig, options: Omit<TrainGeneratorOptions, 'onEpoch'>): Promise<TrainFamilyResult> {
  const cfg = resolveGeneratorFamily(config);
  const family = generatorFamily(cfg.variant);
  if (family === 'flow') {
    refuseOptions(options, ['identityFeatureModel'], 'the flow variant', "it is STEP-Gen's L_id");
    return { family, result: await trainFlow(train, cfg as ResolvedFlowConfig, options) };
  }
  if (family === 'pca-gaussian') {
    refuseOptions(options, ['identityFeatureModel'], 'the pca-gaussian variant', "it is STEP-Gen's L_id");
    return { family, result: await fitPcaGaussian(train, cfg as ResolvedPcaGaussianConfig, { outDir: options.outDir, seed: options.seed, resume: options.resume, overwrite: options.overwrite, val: options.val, progress: options.progress }) };
  }
  return { family, result: await trainGenerator(train, cfg as ResolvedGeneratorConfig, options) };
}
