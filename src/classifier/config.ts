/**
 * Classifier configuration: one interface for the three models (Baseline-STEP,
 * STEP, AT-GCN); fields that only one model reads say so. The resolved config
 * is saved next to the weights.
 */
import { checkKnownFields, checkRange, ConfigRangeError } from '../core/errors.js';
import { checkMilestones, learningRate, type StepSchedule } from '../train/schedule.js';

export type ClassifierKind = 'baseline-step' | 'step' | 'at-gcn';
export const CLASSIFIER_KINDS: readonly ClassifierKind[] = ['baseline-step', 'step', 'at-gcn'];

/** AT-GCN's task switches. Emotion classification is always on. */
export interface TaskSwitches {
  /** Emotion (label) classification. Always true. */
  emotion: true;
  /** Identity classification (only where the training gaits carry identities). Default true. */
  identity: boolean;
  /** Next-frame pose prediction (L2). Default true. */
  nextFrame: boolean;
}

export interface ClassifierConfig {
  /** Training epochs. Default 40. */
  epochs?: number;
  /** Gaits per batch. Default 16. */
  batchSize?: number;
  /** Adam learning rate. Default 0.003. */
  lr?: number;
  /** L2 weight decay (torch's Adam `weight_decay`) on the kernels, by the training engine's decay rule (src/train/optimizer.ts). Default 5e-4. */
  weightDecay?: number;
  /**
   * Milestones of the step schedule (src/train/schedule.ts): after this many
   * finished epochs the learning rate is multiplied by `lrDecay`; increasing.
   * Default [] = milestones at 50 % and 75 % of `epochs`, as STEP's schedule.
   */
  lrSteps?: number[];
  /** Factor applied at each of `lrSteps`. Default 0.1. */
  lrDecay?: number;
  /** Class-balanced sampling: each epoch draws N gaits with replacement, every label equally likely. Default false. */
  balanced?: boolean;
  /** Temporal kernel of the ST-GCN layers (odd). Default 9. */
  temporalKernel?: number;
  /** Dropout rate inside the ST-GCN blocks and before the heads. Default 0.1. */
  dropout?: number;
  /** Batch-norm momentum (PyTorch convention: running = (1 − m)·running + m·batch). Default 0.1. */
  bnMomentum?: number;
  /** STEP: width of the hidden dense layer over the hybrid features. Default 128 (paper §4.3). */
  hybridUnits?: number;
  /** AT-GCN: hidden channels per joint of the graph GRU. Default 32. */
  hidden?: number;
  /** AT-GCN: use every k-th frame (the GRU is sequential, so this sets its cost). Default 2. */
  frameStride?: number;
  /** AT-GCN: task switches. Default { emotion: true, identity: true, nextFrame: true }. */
  tasks?: Partial<TaskSwitches>;
  /** Validation every k epochs (and on the last). Default 1. */
  validateEvery?: number;
  /**
   * Which validated epoch is the model: `accuracy` (highest validation
   * accuracy, ties to the lower validation loss), `loss` (lowest validation
   * loss), or `last` (the last epoch; validation is still logged). Default
   * `accuracy`.
   */
  selectBy?: ClassifierSelection;
}

export type ClassifierSelection = 'accuracy' | 'loss' | 'last';
export const CLASSIFIER_SELECTIONS: readonly ClassifierSelection[] = ['accuracy', 'loss', 'last'];

export type ResolvedClassifierConfig = Required<Omit<ClassifierConfig, 'tasks'>> & { tasks: TaskSwitches };

export const DEFAULT_CLASSIFIER: ResolvedClassifierConfig = {
  epochs: 40,
  batchSize: 16,
  lr: 0.003,
  weightDecay: 5e-4,
  lrSteps: [],
  lrDecay: 0.1,
  balanced: false,
  temporalKernel: 9,
  dropout: 0.1,
  bnMomentum: 0.1,
  hybridUnits: 128,
  hidden: 32,
  frameStride: 2,
  tasks: { emotion: true, identity: true, nextFrame: true },
  validateEvery: 1,
  selectBy: 'accuracy',
};

/** The lexicographic selection score of a validated epoch (lower is better; fit.ts compares them). */
export function selectionScore(c: ResolvedClassifierConfig, epoch: number, v: { accuracy: number; loss: number }): number[] {
  if (c.selectBy === 'loss') return [v.loss, -v.accuracy];
  if (c.selectBy === 'last') return [-epoch];
  return [-v.accuracy, v.loss];
}

/** Copies, fills defaults and range-checks; throws a RangeError naming the field, the value and the range. */
export function resolveClassifierConfig(c: ClassifierConfig = {}): ResolvedClassifierConfig {
  checkKnownFields(c, Object.keys(DEFAULT_CLASSIFIER));
  const given = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as ClassifierConfig;
  const r: ResolvedClassifierConfig = {
    ...DEFAULT_CLASSIFIER,
    ...given,
    lrSteps: [...(given.lrSteps ?? DEFAULT_CLASSIFIER.lrSteps)],
    tasks: { ...DEFAULT_CLASSIFIER.tasks, ...(given.tasks ?? {}), emotion: true },
  };
  checkRange('epochs', r.epochs, 1, 100_000, true);
  checkRange('batchSize', r.batchSize, 1, 4096, true);
  checkRange('lr', r.lr, 1e-8, 10);
  checkRange('weightDecay', r.weightDecay, 0, 1);
  checkRange('lrDecay', r.lrDecay, 1e-6, 1);
  r.lrSteps = checkMilestones('lrSteps', r.lrSteps);
  if (typeof r.balanced !== 'boolean') throw new ConfigRangeError(`balanced = ${JSON.stringify(r.balanced)} is not a boolean`);
  checkRange('temporalKernel', r.temporalKernel, 1, 301, true);
  if (r.temporalKernel % 2 === 0) throw new ConfigRangeError(`temporalKernel = ${r.temporalKernel} is out of range: expected an odd integer in [1, 301]`);
  checkRange('dropout', r.dropout, 0, 0.95);
  checkRange('bnMomentum', r.bnMomentum, 0.001, 1);
  checkRange('hybridUnits', r.hybridUnits, 1, 8192, true);
  checkRange('hidden', r.hidden, 1, 1024, true);
  checkRange('frameStride', r.frameStride, 1, 100, true);
  checkRange('validateEvery', r.validateEvery, 1, 100_000, true);
  if (!CLASSIFIER_SELECTIONS.includes(r.selectBy)) throw new ConfigRangeError(`selectBy = ${JSON.stringify(r.selectBy)} is not one of ${CLASSIFIER_SELECTIONS.join(', ')}`);
  for (const k of ['identity', 'nextFrame'] as const)
    if (typeof r.tasks[k] !== 'boolean') throw new ConfigRangeError(`tasks.${k} = ${JSON.stringify(r.tasks[k])} is not a boolean`);
  for (const k of Object.keys(r.tasks))
    if (!['emotion', 'identity', 'nextFrame'].includes(k)) throw new ConfigRangeError(`tasks.${k} is not a task (emotion, identity, nextFrame)`);
  return r;
}

/** The training engine's step schedule of a config: `lrSteps`, or milestones at 50 % and 75 % of the run. */
export function classifierSchedule(c: ResolvedClassifierConfig): StepSchedule {
  const milestones = c.lrSteps.length ? [...c.lrSteps] : [Math.max(1, Math.round(c.epochs * 0.5)), Math.max(2, Math.round(c.epochs * 0.75))];
  return { lr: c.lr, milestones, factor: c.lrDecay };
}

/** The learning rate in effect during `epoch` (1-based, as in the training history). */
export function learningRateAt(c: ResolvedClassifierConfig, epoch: number): number {
  return learningRate(classifierSchedule(c), epoch - 1);
}
