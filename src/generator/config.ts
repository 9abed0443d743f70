/**
 * Generator configuration: STEP-Gen and the baseline CVAE are the same
 * network; the baseline trains with λc = λd = 0 (STEP's "Baseline CVAE"), so
 * ablations compare the two by flipping one field.
 */
import { checkKnownFields, checkRange, ConfigRangeError } from '../core/errors.js';
import { LATENT_PRIORS, type LatentPriorKind } from './latent.js';
import { checkStepFractions, learningRate, milestonesFromFractions, type StepSchedule } from '../train/schedule.js';

/** The variants of this config: STEP-Gen and the baseline CVAE, one network. */
export type CvaeVariant = 'stepgen' | 'cvae-baseline';
export const CVAE_VARIANTS: readonly CvaeVariant[] = ['stepgen', 'cvae-baseline'];
/**
 * Every generator family: the CVAE variants above, and the PCA-space
 * families beside them, each with its own config (flow/config.ts,
 * pca-gaussian/config.ts); family.ts resolves any of them by `variant`.
 */
export type GeneratorVariant = CvaeVariant | 'flow' | 'pca-gaussian';
export const GENERATOR_VARIANTS: readonly GeneratorVariant[] = ['stepgen', 'cvae-baseline', 'flow', 'pca-gaussian'];
export type GeneratorPreset = 'default' | 'step-paper';
export type LatentMap = 'repeat' | 'per-position';
export const LATENT_MAPS: readonly LatentMap[] = ['repeat', 'per-position'];
export const GENERATOR_PRESETS: readonly GeneratorPreset[] = ['default', 'step-paper'];

export interface GeneratorConfig {
  /** Which preset fills the fields not given here. Default 'default'. */
  preset?: GeneratorPreset;
  /** 'stepgen' (push-pull loss) or 'cvae-baseline' (λc = λd = 0). Default 'stepgen'. */
  variant?: GeneratorVariant;
  /** Latent size. Default 32 (STEP). */
  latentDim?: number;
  /** Temporal kernel of every ST-GCN layer. 9 in 'default', 75 in 'step-paper' (as in the STEP code). */
  temporalKernel?: number;
  /** Encoder ST-GCN widths. Default [64, 32, 32] (STEP). */
  encoderChannels?: number[];
  /** Hidden decoder ST-GCN widths; a last layer with 3 channels follows. Default [32, 64] (STEP). */
  decoderChannels?: number[];
  /**
   * How the latent meets the frames. 'repeat' (STEP): the encoder pools over
   * frames and joints, the decoder repeats the latent over T × V; it needs a
   * temporal kernel spanning the clip (STEP's 75) to tell frames apart, else
   * the decoder cannot swing limbs. 'per-position' (default): the encoder pools
   * over joints and reads the latent from the [T, C] series with a learned map;
   * the decoder maps [z, label] to every frame and joint with a learned map.
   */
  latentMap?: LatentMap;
  /** Weight of L_c (push: velocity + acceleration matching). Default 1 (the STEP code adds every term with weight 1). */
  lambdaC?: number;
  /** Weight of L_d (pull: drift against the first, middle and last frame). Default 1. */
  lambdaD?: number;
  /**
   * Weight of L_b, a bone-length term not in STEP (mean squared bone-length
   * difference of real and reconstructed gaits, metres / scale): STEP's losses
   * are per joint, so decoded bones stretch over time. Default 1; 0 in
   * 'step-paper'. Both variants use it.
   */
  lambdaB?: number;
  /**
   * Weight of the KL term. Default 0.01. The terms are means (over a gait's
   * T·V·3 values, over the latent dimensions), so on the summed scale of a VAE
   * and of STEP's paper β acts as β · T·V·3 / latentDim (`summedKlWeight`, e.g.
   * 1.13 at T = 75, V = 16, latentDim 32); the model card and generator.json record it.
   */
  beta?: number;
  /** Training epochs. Default 80 ('default'), 150 ('step-paper'). */
  epochs?: number;
  /** Gaits per step. Default 16 ('default'), 8 ('step-paper'). */
  batchSize?: number;
  /** Adam learning rate. Default 2e-3 ('default'), 1e-3 ('step-paper'). */
  lr?: number;
  /** L2 weight decay (PyTorch's Adam `weight_decay`) on the kernels, by the training engine's decay rule (src/train/optimizer.ts). Default 5e-4 (STEP). */
  weightDecay?: number;
  /**
   * Fractions of `epochs` after which the learning rate is multiplied by 0.1.
   * Default [0.7] ('default'); [0.5, 0.75, 0.88] ('step-paper': STEP's 75,
   * 113, 132 of 150).
   */
  lrSteps?: number[];
  /** Fraction of the training gaits held out (stratified by label) for the validation loss when no validation set is given. Default 0.1. */
  valFraction?: number;
  /**
   * Size of a learned identity embedding fed to encoder and decoder beside the
   * label, so a walker can be asked for in any emotion (every training gait
   * then needs an identity). 0 (default, and 'step-paper'): label only.
   */
  identityDim?: number;
  /**
   * Where the decoder sees the condition: 'input' (STEP) once beside z;
   * 'every-layer' also before each decoder ST-GCN layer, so no layer can lose
   * it (a decoder whose z carries the style otherwise ignores the label).
   * Default 'every-layer' ('input' in 'step-paper'); older model folders load as 'input'.
   */
  decoderCondition?: DecoderCondition;
  /**
   * The latent prior sampling draws from when a call names none (latent.ts;
   * training writes every fitted prior): 'mixture' (default), 'fitted' (STEP,
   * 'step-paper'), 'identity' (the default with identityDim > 0, only there) or
   * 'standard' N(0, I). Older model folders load as 'fitted'.
   */
  prior?: LatentPriorKind;
  /**
   * λid, the weight of L_id (identity-features.ts), a term not in STEP that
   * keeps what identifies a walker. Training then needs a trained GaitTAKE
   * model (`identityFeatureModel`, CLI `--identity-feature-model`). Default 0.
   */
  identityFeatureWeight?: number;
}

export type DecoderCondition = 'input' | 'every-layer';
export const DECODER_CONDITIONS: readonly DecoderCondition[] = ['input', 'every-layer'];

export type ResolvedGeneratorConfig = Required<GeneratorConfig>;

export const DEFAULT_GENERATOR: ResolvedGeneratorConfig = {
  preset: 'default',
  variant: 'stepgen',
  latentDim: 32,
  temporalKernel: 9,
  encoderChannels: [64, 32, 32],
  decoderChannels: [32, 64],
  latentMap: 'per-position',
  lambdaC: 1,
  lambdaD: 1,
  lambdaB: 1,
  beta: 0.01,
  epochs: 80,
  batchSize: 16,
  lr: 2e-3,
  weightDecay: 5e-4,
  lrSteps: [0.7],
  valFraction: 0.1,
  identityDim: 0,
  decoderCondition: 'every-layer',
  prior: 'mixture',
  identityFeatureWeight: 0,
};

/**
 * What each preset changes relative to DEFAULT_GENERATOR. 'step-paper' is
 * STEP's architecture and schedule; its losses are still means (so its β =
 * 0.01 is 1.13 on the paper's summed scale at T = 75, and every term keeps
 * its paper weight relative to L_o only up to that normalisation).
 */
export const GENERATOR_PRESET_VALUES: Record<GeneratorPreset, GeneratorConfig> = {
  default: {},
  'step-paper': {
    temporalKernel: 75, latentMap: 'repeat', lambdaB: 0, epochs: 150, batchSize: 8, lr: 1e-3, lrSteps: [0.5, 0.75, 0.88], decoderCondition: 'input', prior: 'fitted',
  },
};

function defined<T extends object>(c: T): Partial<T> {
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Copies a config, fills the preset's values and then the defaults, and
 * checks every field (RangeError naming field, value and range). The
 * baseline variant has λc = λd = 0: explicit non-zero weights for it are an error.
 */
export function resolveGenerator(c: GeneratorConfig = {}): ResolvedGeneratorConfig {
  const family = (c as { variant?: unknown } | null)?.variant;
  if (typeof family === 'string' && (GENERATOR_VARIANTS as readonly string[]).includes(family) && !(CVAE_VARIANTS as readonly string[]).includes(family))
    throw new ConfigRangeError(`variant = ${JSON.stringify(family)} is not a STEP-Gen variant (${CVAE_VARIANTS.join(', ')}): its config is resolved by resolveGeneratorFamily (generator/family.ts)`);
  checkKnownFields(c, Object.keys(DEFAULT_GENERATOR));
  const preset = c.preset ?? 'default';
  if (!GENERATOR_PRESETS.includes(preset)) throw new ConfigRangeError(`preset = ${JSON.stringify(preset)} is not one of ${GENERATOR_PRESETS.join(', ')}`);
  const variant = c.variant ?? 'stepgen';
  if (!(CVAE_VARIANTS as readonly string[]).includes(variant)) throw new ConfigRangeError(`variant = ${JSON.stringify(variant)} is not one of ${GENERATOR_VARIANTS.join(', ')}`);
  const given = defined(c);
  if (variant === 'cvae-baseline') {
    for (const k of ['lambdaC', 'lambdaD'] as const)
      if (given[k] !== undefined && given[k] !== 0)
        throw new ConfigRangeError(`${k} = ${given[k]} is out of range: the cvae-baseline variant trains with ${k} = 0 (use variant 'stepgen' for push-pull weights)`);
  }
  const r: ResolvedGeneratorConfig = {
    ...DEFAULT_GENERATOR,
    ...GENERATOR_PRESET_VALUES[preset],
    ...((given.identityDim ?? 0) > 0 ? { prior: 'identity' as const } : {}),
    ...given,
    ...(variant === 'cvae-baseline' ? { lambdaC: 0, lambdaD: 0 } : {}),
    preset,
    variant,
  };
  r.encoderChannels = [...r.encoderChannels];
  r.decoderChannels = [...r.decoderChannels];
  r.lrSteps = [...r.lrSteps];
  checkRange('latentDim', r.latentDim, 1, 4096, true);
  checkRange('temporalKernel', r.temporalKernel, 1, 1001, true);
  if (r.temporalKernel % 2 !== 1) throw new ConfigRangeError(`temporalKernel = ${r.temporalKernel} is out of range: expected an odd integer ("same" padding)`);
  for (const [name, ch] of [['encoderChannels', r.encoderChannels], ['decoderChannels', r.decoderChannels]] as const) {
    if (!Array.isArray(ch) || ch.length < 1 || ch.length > 16) throw new ConfigRangeError(`${name} = ${JSON.stringify(ch)} is out of range: expected 1 to 16 widths`);
    ch.forEach((w, i) => checkRange(`${name}[${i}]`, w, 1, 4096, true));
  }
  if (!LATENT_MAPS.includes(r.latentMap)) throw new ConfigRangeError(`latentMap = ${JSON.stringify(r.latentMap)} is not one of ${LATENT_MAPS.join(', ')}`);
  checkRange('lambdaC', r.lambdaC, 0, 1e6);
  checkRange('lambdaD', r.lambdaD, 0, 1e6);
  checkRange('lambdaB', r.lambdaB, 0, 1e6);
  checkRange('beta', r.beta, 0, 1e6);
  checkRange('identityFeatureWeight', r.identityFeatureWeight, 0, 1e6);
  checkGeneratorTraining(r);
  checkRange('identityDim', r.identityDim, 0, 4096, true);
  if (!DECODER_CONDITIONS.includes(r.decoderCondition))
    throw new ConfigRangeError(`decoderCondition = ${JSON.stringify(r.decoderCondition)} is not one of ${DECODER_CONDITIONS.join(', ')}`);
  if (!LATENT_PRIORS.includes(r.prior)) throw new ConfigRangeError(`prior = ${JSON.stringify(r.prior)} is not one of ${LATENT_PRIORS.join(', ')}`);
  if (r.prior === 'identity' && r.identityDim === 0) throw new ConfigRangeError(`prior = "identity" needs identityDim > 0: a generator not conditioned on identity has no identity prior`);
  return r;
}

/** The training fields of every trained generator family (STEP-Gen's and the flow's configs). */
export type GeneratorTraining = Pick<ResolvedGeneratorConfig, 'epochs' | 'batchSize' | 'lr' | 'weightDecay' | 'lrSteps' | 'valFraction'>;

/** Checks the training fields of a generator config (ConfigRangeError naming field, value and range). */
export function checkGeneratorTraining(r: GeneratorTraining): void {
  checkRange('epochs', r.epochs, 1, 1e6, true);
  checkRange('batchSize', r.batchSize, 2, 4096, true);
  checkRange('lr', r.lr, 1e-12, 10);
  checkRange('weightDecay', r.weightDecay, 0, 1);
  checkStepFractions('lrSteps', r.lrSteps);
  checkRange('valFraction', r.valFraction, 0, 0.9);
}

/** The training engine's step schedule: milestones at round(f · epochs) for each fraction f of `lrSteps`, factor 0.1. */
export function generatorSchedule(c: GeneratorTraining): StepSchedule {
  return { lr: c.lr, milestones: milestonesFromFractions(c.lrSteps, c.epochs), factor: 0.1 };
}

/** Learning rate for a 0-based epoch: `lr` × 0.1 for every step fraction already passed. */
export function generatorLearningRate(c: GeneratorTraining, epoch: number): number {
  return learningRate(generatorSchedule(c), epoch);
}

/**
 * β on the summed scale: the KL weight that gives the same objective, up to
 * a constant factor, when the reconstruction error is summed over the T·V·3
 * values of a gait and the KL over the latent dimensions (as VAEs and STEP's
 * paper write it) instead of averaged: β · T·V·3 / latentDim.
 */
export function summedKlWeight(c: Pick<ResolvedGeneratorConfig, 'beta' | 'latentDim'>, T: number, V: number): number {
  return (c.beta * T * V * 3) / c.latentDim;
}

/**
 * Checks the fields of another family's config (`variant`, with fields
 * `known`): a STEP-Gen field (of GeneratorConfig) is named as one, with the
 * family it is not a field of; any other unknown field as checkKnownFields does.
 */
export function checkFamilyFields(c: object, variant: GeneratorVariant, known: readonly string[]): void {
  for (const k of Object.keys(c))
    if (!known.includes(k) && k in DEFAULT_GENERATOR)
      throw new ConfigRangeError(`${k} is a STEP-Gen field (GeneratorConfig), not a field of the ${variant} variant (its fields: ${known.join(', ')})`);
  checkKnownFields(c, known);
}

/** Checks a choice field: ConfigRangeError naming the field, the value and the choices. */
export function checkChoice<T extends string>(field: string, value: T, choices: readonly T[]): void {
  if (!choices.includes(value)) throw new ConfigRangeError(`${field} = ${JSON.stringify(value)} is not one of ${choices.join(', ')}`);
}
