/**
 * Configuration of the GaitTAKE-style identity model (keypoint branch) and
 * its training. The resolved config is saved next to the weights.
 */
import { checkRange } from '../core/errors.js';

export type TripletMode = 'weighted' | 'batch-hard';
export const TRIPLET_MODES: readonly TripletMode[] = ['weighted', 'batch-hard'];
/** Which anchors the triplet loss averages over: all that have a positive and a negative, or only those with a non-zero loss. */
export type TripletMean = 'all' | 'nonzero';
export const TRIPLET_MEANS: readonly TripletMean[] = ['all', 'nonzero'];
export const IDENTITY_PRESETS = ['default', 'gaittake-paper'] as const;
export type IdentityPreset = (typeof IDENTITY_PRESETS)[number];
/** Where GeM pools over joints: within each body part, or over all joints at once (`pooling`). */
export type GemPooling = 'parts' | 'all';
export const GEM_POOLINGS: readonly GemPooling[] = ['parts', 'all'];
/** The identity models: GaitTAKE (this config), or AT-GCN trained with its identity head (a ClassifierConfig). */
export type IdentityModelKind = 'gaittake' | 'at-gcn';
export const IDENTITY_MODEL_KINDS: readonly IdentityModelKind[] = ['gaittake', 'at-gcn'];

export interface IdentityConfig {
  /** Which preset fills the fields not given here: 'default' or 'gaittake-paper' (IDENTITY_PRESET_VALUES). Default 'default'. */
  preset?: IdentityPreset;
  /** Training epochs; an epoch is ceil(N / (P·K)) P×K batches. Default 60. */
  epochs?: number;
  /** Identities per batch (P of P×K). Default 8 (GaitTAKE §4). */
  P?: number;
  /** Walks per identity in a batch (K of P×K); identities with fewer walks are drawn with replacement. Default 4. */
  K?: number;
  /** Adam learning rate. Default 0.001. */
  lr?: number;
  /** Adam's coupled L2 weight decay, on kernels only (the engine's decay rule, docs/train.md). Default 0. */
  weightDecay?: number;
  /** Append each joint's bone vector and length to its position (16-joint skeleton only). Default true. */
  bones?: boolean;
  /** Scale each head's embedding to unit length (the triplet margin is then on the unit sphere). Default true. */
  normalize?: boolean;
  /** Output channels of the per-frame ST-GCN encoder blocks (temporal stride 1: one feature per frame). Default [32, 64, 64]. */
  channels?: number[];
  /** Temporal kernel of the ST-GCN blocks (odd). Default 9. */
  temporalKernel?: number;
  /** Use every k-th frame. Default 2. */
  frameStride?: number;
  /** Hidden units of the temporal attention's score layers. Default 32. */
  attentionUnits?: number;
  /**
   * Temporal attention per clip of this many of the gait's frames (GaitTAKE eqs. 6-9: a softmax
   * within each clip, the clips' features averaged); 0 = one softmax over the whole sequence. Default 0.
   */
  clipLength?: number;
  /** Train on a seeded random window of this many of each gait's frames (all of them at inference); 0 = whole gaits. Default 0. */
  trainFrames?: number;
  /**
   * GeM pooling within each body part (torso+head, each arm, each leg; the parts' features
   * concatenated, so which part a feature comes from is kept) or over all joints at once. Default 'parts'.
   */
  pooling?: GemPooling;
  /** Initial exponent of the Generalized-Mean pooling over joints (learned during training). Default 3. */
  gemP?: number;
  /** Number of parallel fully connected embedding heads (C in GaitTAKE §3.3). Default 4. */
  heads?: number;
  /** Dimension of each head's embedding. Default 64. */
  embeddingDim?: number;
  /** Triplet loss: GaitTAKE's weighted form (softmax-weighted positives and negatives) or batch-hard. Default 'weighted'. */
  triplet?: TripletMode;
  /** The triplet loss's mean: over every anchor ('all') or over the anchors (and heads) whose loss is not zero. Default 'all'. */
  tripletMean?: TripletMean;
  /**
   * Triplet margin m (Euclidean distance; between unit-length embeddings when `normalize`).
   * Default 0.5: on held-out training identities it beat 0.2 (docs/identity.md, "Measured").
   */
  margin?: number;
  /** Weight of an identity cross-entropy head on the pooled feature added to the triplet loss; 0 = no head. Default 0. */
  crossEntropyWeight?: number;
  /**
   * Training augmentation: every batch gets fresh pose-estimator noise of this standard deviation
   * (metres, correlation time `augmentNoiseTime`; see `addEstimatorNoise`), so the model cannot
   * memorise a walk's noise and has to average it out. 0 = off. Default 0.
   */
  augmentNoise?: number;
  /** Correlation time of the augmentation noise, seconds. Default 0.1. */
  augmentNoiseTime?: number;
  /** Batch-norm momentum (PyTorch convention). Default 0.1. */
  bnMomentum?: number;
  /** Fraction of the training identities held out (identity-disjoint) to select the epoch by cross-condition rank-1; 0 = keep the last epoch. Default 0.2. */
  valFraction?: number;
  /** Validate every k epochs (and on the last). Default 5. */
  validateEvery?: number;
}

export type ResolvedIdentityConfig = Required<IdentityConfig>;

export const DEFAULT_IDENTITY: ResolvedIdentityConfig = {
  preset: 'default',
  epochs: 60,
  P: 8,
  K: 4,
  lr: 0.001,
  weightDecay: 0,
  bones: true,
  normalize: true,
  channels: [32, 64, 64],
  temporalKernel: 9,
  frameStride: 2,
  attentionUnits: 32,
  clipLength: 0,
  trainFrames: 0,
  pooling: 'parts',
  gemP: 3,
  heads: 4,
  embeddingDim: 64,
  triplet: 'weighted',
  tripletMean: 'all',
  margin: 0.5,
  crossEntropyWeight: 0,
  augmentNoise: 0,
  augmentNoiseTime: 0.1,
  bnMomentum: 0.1,
  valFraction: 0.2,
  validateEvery: 5,
};

/**
 * What each preset changes. 'gaittake-paper' trains as GaitTAKE §4 does: P×K = 8×8 batches of
 * 30-frame windows, attention within clips (the paper does not give L: 10 frames, a third of a
 * window), the triplet loss averaged over its non-zero terms.
 */
export const IDENTITY_PRESET_VALUES: Record<IdentityPreset, IdentityConfig> = {
  default: {},
  'gaittake-paper': { K: 8, trainFrames: 30, clipLength: 10, tripletMean: 'nonzero' },
};

/** Copies, fills the preset's values and then the defaults, and range-checks; throws a RangeError naming the field, the value and the range. */
export function resolveIdentityConfig(c: IdentityConfig = {}): ResolvedIdentityConfig {
  const given = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as IdentityConfig;
  const preset = given.preset ?? 'default';
  if (!IDENTITY_PRESETS.includes(preset)) throw new RangeError(`preset = ${JSON.stringify(preset)} is out of range: expected one of ${IDENTITY_PRESETS.join(', ')}`);
  const r: ResolvedIdentityConfig = { ...DEFAULT_IDENTITY, ...IDENTITY_PRESET_VALUES[preset], ...given, preset, channels: [...(given.channels ?? DEFAULT_IDENTITY.channels)] };
  checkRange('epochs', r.epochs, 1, 100_000, true);
  checkRange('P', r.P, 2, 1024, true);
  checkRange('K', r.K, 2, 1024, true);
  checkRange('lr', r.lr, 1e-8, 10);
  checkRange('weightDecay', r.weightDecay, 0, 1);
  if (!Array.isArray(r.channels) || r.channels.length === 0) throw new RangeError(`channels = ${JSON.stringify(r.channels)} is out of range: expected a non-empty array of integers in [1, 4096]`);
  r.channels.forEach((x, i) => checkRange(`channels[${i}]`, x, 1, 4096, true));
  for (const k of ['bones', 'normalize'] as const) if (typeof r[k] !== 'boolean') throw new RangeError(`${k} = ${JSON.stringify(r[k])} is not a boolean`);
  checkRange('temporalKernel', r.temporalKernel, 1, 301, true);
  if (r.temporalKernel % 2 === 0) throw new RangeError(`temporalKernel = ${r.temporalKernel} is out of range: expected an odd integer in [1, 301]`);
  checkRange('frameStride', r.frameStride, 1, 100, true);
  checkRange('attentionUnits', r.attentionUnits, 1, 4096, true);
  checkRange('clipLength', r.clipLength, 0, 100_000, true);
  checkRange('trainFrames', r.trainFrames, 0, 100_000, true);
  if (!GEM_POOLINGS.includes(r.pooling)) throw new RangeError(`pooling = ${JSON.stringify(r.pooling)} is out of range: expected 'parts' or 'all'`);
  checkRange('gemP', r.gemP, 1, 100);
  checkRange('heads', r.heads, 1, 256, true);
  checkRange('embeddingDim', r.embeddingDim, 1, 4096, true);
  if (!TRIPLET_MODES.includes(r.triplet)) throw new RangeError(`triplet = ${JSON.stringify(r.triplet)} is out of range: expected one of ${TRIPLET_MODES.join(', ')}`);
  if (!TRIPLET_MEANS.includes(r.tripletMean)) throw new RangeError(`tripletMean = ${JSON.stringify(r.tripletMean)} is out of range: expected one of ${TRIPLET_MEANS.join(', ')}`);
  checkRange('margin', r.margin, 0, 100);
  checkRange('crossEntropyWeight', r.crossEntropyWeight, 0, 100);
  checkRange('augmentNoise', r.augmentNoise, 0, 1);
  checkRange('augmentNoiseTime', r.augmentNoiseTime, 0.001, 100);
  checkRange('bnMomentum', r.bnMomentum, 0.001, 1);
  checkRange('valFraction', r.valFraction, 0, 0.9);
  checkRange('validateEvery', r.validateEvery, 1, 100_000, true);
  for (const k of Object.keys(r)) if (!(k in DEFAULT_IDENTITY)) throw new RangeError(`${k} is not an identity-model setting (known: ${Object.keys(DEFAULT_IDENTITY).join(', ')})`);
  return r;
}
