/**
 * The flow generator's configuration (docs/flow.md): the PCA space it lives
 * in, the denoiser's size, the flow-matching objective with its geometric
 * terms, the training schedule and the sampler's defaults.
 */
import { checkRange, ConfigRangeError } from '../../core/errors.js';
import { checkChoice, checkFamilyFields, checkGeneratorTraining } from '../config.js';

export type ComponentScale = 'per-component' | 'global';
export const COMPONENT_SCALES: readonly ComponentScale[] = ['per-component', 'global'];
export type FlowPrediction = 'velocity' | 'x0';
export const FLOW_PREDICTIONS: readonly FlowPrediction[] = ['velocity', 'x0'];
export type FlowSampler = 'euler' | 'heun';
export const FLOW_SAMPLERS: readonly FlowSampler[] = ['euler', 'heun'];
export type TimeGrid = 'uniform' | 'cosine';
export const TIME_GRIDS: readonly TimeGrid[] = ['uniform', 'cosine'];

export interface FlowConfig {
  /** Always 'flow' (what resolveGeneratorFamily dispatches on). */
  variant?: 'flow';
  /** Keep the fewest principal components of the training gaits that explain this fraction of their variance (pca.ts). Default 0.999. */
  explainedVariance?: number;
  /** At most this many components (k). Default 256. */
  maxComponents?: number;
  /**
   * How the k coefficients are scaled before the flow sees them:
   * 'per-component' divides each by its standard deviation (the flow's noise
   * then as large along the small components as along the large); 'global'
   * divides all by one scale (the RMS over components), keeping their relative
   * sizes. Default 'global': per-component scaling spends the model on the many
   * small components, and its samples move their limbs too slowly.
   */
  componentScale?: ComponentScale;
  /** Width of the denoiser's residual MLP. Default 256. */
  width?: number;
  /** Residual blocks of the denoiser. Default 3. */
  depth?: number;
  /** Sinusoidal frequencies of the time embedding (2× as many features). Default 32. */
  timeFeatures?: number;
  /**
   * What the denoiser outputs: 'velocity' v = ε − x0 (rectified flow), or
   * 'x0' (the clean coefficients; the velocity is then (x_t − x̂0) / t).
   * Either way the model exposes x̂0 = x_t − t·v̂ for the geometric terms.
   * Default 'velocity'.
   */
  prediction?: FlowPrediction;
  /** Probability that a training gait's label is replaced by the null label (classifier-free guidance). Default 0.1. */
  labelDropout?: number;
  /**
   * Guidance W of sampling when a call names none: v = v_uncond + W·(v_cond − v_uncond);
   * 1 is plain conditional, 0 unconditional. Default 1.25, chosen on validation clips: a
   * higher W is recognised more often but moves further from the real data's FID floor.
   */
  guidance?: number;
  /** Integration steps of sampling when a call names none. Default 8 (with Heun's rule: 15 evaluations of the denoiser). */
  steps?: number;
  /**
   * 'euler' or 'heun' (two velocity evaluations a step, second order; the last
   * step into t = 0 is Euler's). Default 'heun', which matches or beats Euler
   * at the same number of denoiser evaluations.
   */
  sampler?: FlowSampler;
  /**
   * The time grid from noise (t = 1) to data (t = 0): 'uniform', or 'cosine'
   * (t_i = 1 − sin(π/2 · i/n): finer steps towards the data end, where the
   * flow bends; coarser at the noise end, where it points at the mean). Default 'uniform'.
   */
  timeGrid?: TimeGrid;
  /** Weight of the bone-length term on x̂0 (decoded to model units, losses.ts' bone term). Default 0. */
  boneWeight?: number;
  /** Weight of the foot-skating term on x̂0: squared horizontal foot speed (m/s) in the frames the real gait's foot is in contact. Default 0. */
  footWeight?: number;
  /** Weight of the joint-velocity term on x̂0: squared error of frame-to-frame joint velocities (m/s). Default 0. */
  velocityWeight?: number;
  /** Training epochs. Default 300 (the validation loss still fell at 300 on the Bandai clips). */
  epochs?: number;
  /** Gaits per step. Default 64. */
  batchSize?: number;
  /** Adam learning rate. Default 1e-3. */
  lr?: number;
  /** L2 weight decay on the kernels (the training engine's rule). Default 0. */
  weightDecay?: number;
  /** Fractions of `epochs` after which the learning rate is multiplied by 0.1. Default [0.8]. */
  lrSteps?: number[];
  /** Fraction of the training gaits held out (stratified by label, by walker where known) for the validation loss when no validation set is given. Default 0.1. */
  valFraction?: number;
  /**
   * Restyling's strength when a call names none (restyle.ts): how far along
   * the flow a real walk is noised before it is integrated back with the new
   * label (0 the walk itself, 1 pure noise). Default 0.5.
   */
  restyleStrength?: number;
}

export type ResolvedFlowConfig = Required<FlowConfig>;

export const DEFAULT_FLOW: ResolvedFlowConfig = {
  variant: 'flow',
  explainedVariance: 0.999,
  maxComponents: 256,
  componentScale: 'global',
  width: 256,
  depth: 3,
  timeFeatures: 32,
  prediction: 'velocity',
  labelDropout: 0.1,
  guidance: 1.25,
  steps: 8,
  sampler: 'heun',
  timeGrid: 'uniform',
  boneWeight: 0,
  footWeight: 0,
  velocityWeight: 0,
  epochs: 300,
  batchSize: 64,
  lr: 1e-3,
  weightDecay: 0,
  lrSteps: [0.8],
  valFraction: 0.1,
  restyleStrength: 0.5,
};

/**
 * Copies a flow config, fills the defaults and checks every field: a
 * ConfigRangeError naming the field, the value and the range; a field of
 * STEP-Gen's GeneratorConfig (latentDim, beta, ...) is named as one that the
 * flow variant does not have.
 */
export function resolveFlow(c: FlowConfig = {}): ResolvedFlowConfig {
  if (!c || typeof c !== 'object') throw new ConfigRangeError(`a flow config must be an object, got ${JSON.stringify(c)}`);
  checkFamilyFields(c, 'flow', Object.keys(DEFAULT_FLOW));
  const given = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as FlowConfig;
  const r: ResolvedFlowConfig = { ...DEFAULT_FLOW, ...given };
  r.lrSteps = Array.isArray(r.lrSteps) ? [...r.lrSteps] : r.lrSteps;
  if (r.variant !== 'flow') throw new ConfigRangeError(`variant = ${JSON.stringify(r.variant)} is not 'flow' (a flow config)`);
  checkRange('explainedVariance', r.explainedVariance, 1e-6, 1);
  checkRange('maxComponents', r.maxComponents, 1, 4096, true);
  checkChoice('componentScale', r.componentScale, COMPONENT_SCALES);
  checkRange('width', r.width, 1, 8192, true);
  checkRange('depth', r.depth, 0, 64, true);
  checkRange('timeFeatures', r.timeFeatures, 1, 1024, true);
  checkChoice('prediction', r.prediction, FLOW_PREDICTIONS);
  checkRange('labelDropout', r.labelDropout, 0, 1);
  checkRange('guidance', r.guidance, 0, 20);
  checkRange('steps', r.steps, 1, 1000, true);
  checkChoice('sampler', r.sampler, FLOW_SAMPLERS);
  checkChoice('timeGrid', r.timeGrid, TIME_GRIDS);
  checkRange('boneWeight', r.boneWeight, 0, 1e6);
  checkRange('footWeight', r.footWeight, 0, 1e6);
  checkRange('velocityWeight', r.velocityWeight, 0, 1e6);
  checkGeneratorTraining(r);
  checkRange('restyleStrength', r.restyleStrength, 0, 1);
  return r;
}

/**
 * The sampler's time grid: n + 1 times from 1 (noise) to 0 (data), decreasing.
 * Starting part-way (`from` < 1, restyling) the grid runs from `from` to 0 in
 * the same shape.
 */
export function timeGrid(kind: TimeGrid, n: number, from = 1): number[] {
  return Array.from({ length: n + 1 }, (_, i) => {
    if (i === n) return 0;
    const u = i / n;
    return from * (kind === 'uniform' ? 1 - u : 1 - Math.sin((Math.PI / 2) * u));
  });
}
