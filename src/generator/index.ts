/**
 * The generator families: STEP-Gen and the baseline CVAE (configuration, push-pull loss,
 * training, sampling), the flow (flow/) and the PCA-Gaussian floor (pca-gaussian/) in the PCA
 * space of pca.ts; `loadGenerator` loads any of them.
 */
export {
  CVAE_VARIANTS, DECODER_CONDITIONS, DEFAULT_GENERATOR, GENERATOR_PRESETS, LATENT_MAPS, GENERATOR_PRESET_VALUES, GENERATOR_VARIANTS, generatorLearningRate, resolveGenerator, summedKlWeight,
  type CvaeVariant, type DecoderCondition, type GeneratorConfig, type GeneratorPreset, type GeneratorVariant, type LatentMap, type ResolvedGeneratorConfig,
} from './config.js';
export { canonicalizeAll, canonicalizeGait, destandardize, fitNormalization, standardize, type GaitNormalization } from './normalize.js';
export { loadIdentityFeatureTerm, type IdentityFeatureTerm } from './identity-features.js';
export { anchorFrames, boneTerm, LOSS_TERMS, pushPullLoss, type BoneTerm, type LossTerms, type LossWeights } from './losses.js';
export { LabelBroadcast, LatentGrid, LatentReadout, LatentUnpool } from './layers.js';
export { buildCvae, buildDecoder, buildEncoder, type Cvae, type CvaeShape } from './model.js';
export {
  MANIFEST_FILE as GENERATOR_MANIFEST_FILE, readManifest as readGeneratorManifest, type EpochLog as GeneratorEpochLog, type GeneratorManifest,
  type LossValues as GeneratorLossValues,
} from './checkpoint.js';
export { CvaeTrainer, trainGenerator, type TrainGeneratorOptions, type TrainGeneratorResult } from './train.js';
export {
  gaitSeed, generateToFile, isPlanGenerator, loadGenerator, planRequest, startSampler, type PlanGenerator, type SampleSource, type GenerateToFileOptions, type GenerateToFileResult, type Generator, type SampleCell,
  type SampleCounts, type SampleOptions, type Sampler,
} from './sample.js';
export { motionStats, stepFrequency, type MotionStats } from './quality.js';
export { rigidifyGait } from './rigid.js';
export { labelMeanShift } from './edit.js';
export { restyle, restyleFile, type RestyleFileOptions, type RestyleFileResult, type RestyleOptions } from './restyle.js';
export { DEFAULT_RESTYLE_LATENT, RESTYLE_LATENTS, type RestyleLatent } from './latent.js';
export {
  generatorFamily, readGeneratorFamilyManifest, resolveGeneratorFamily, trainGeneratorFamily,
  type GeneratorFamilyConfig, type ResolvedGeneratorFamilyConfig, type TrainFamilyResult,
} from './family.js';
export { componentsFor, fitPca, pcaProject, pcaReconstruct, readPca, writePca, type PcaBasis, type PcaOptions } from './pca.js';
export {
  COMPONENT_SCALES, DEFAULT_FLOW, FLOW_PREDICTIONS, FLOW_SAMPLERS, resolveFlow, TIME_GRIDS,
  type ComponentScale, type FlowConfig, type FlowPrediction, type FlowSampler, type ResolvedFlowConfig, type TimeGrid,
} from './flow/config.js';
export { buildDenoiser, FlowDenoiser, type FlowDenoiserArgs } from './flow/model.js';
export { FLOW_TERMS, type FlowLossValues } from './flow/objective.js';
export { readFlowManifest, trainFlow, type FlowEpochLog, type FlowManifest, type TrainFlowOptions, type TrainFlowResult } from './flow/train.js';
export { FlowGenerator, restyleSeed, type FlowSampleOptions } from './flow/sample.js';
export { DEFAULT_PCA_GAUSSIAN, resolvePcaGaussian, type PcaGaussianConfig, type ResolvedPcaGaussianConfig } from './pca-gaussian/config.js';
export { fitPcaGaussian, PcaGaussianGenerator, readPcaGaussianManifest, type FitPcaGaussianOptions, type FitPcaGaussianResult } from './pca-gaussian/model.js';
