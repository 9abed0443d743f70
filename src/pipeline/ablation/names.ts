/**
 * The names an ablation config chooses from: tasks, augmenters, classifiers.
 * Apart from config.ts, which loads the generator families (and tfjs), so
 * that the CLI can list them in `ablate --help` without loading tfjs.
 */
import { CLASSICAL_AUGMENTERS } from '../augment.js';

export const LEARNED_AUGMENTERS = ['stepgen', 'cvae-baseline', 'flow', 'pca-gaussian'] as const;
export const AUGMENTERS = ['none', ...LEARNED_AUGMENTERS, ...CLASSICAL_AUGMENTERS] as const;
export type AugmenterName = (typeof AUGMENTERS)[number];
/** The learned augmenters of the CVAE family, whose options are the `generator` section. */
export const CVAE_AUGMENTERS: readonly AugmenterName[] = ['stepgen', 'cvae-baseline'];
/** Whether an augmenter is a learned generator (trained per seed; its gaits are sampled). */
export function isLearnedAugmenter(augmenter: string): boolean {
  return (LEARNED_AUGMENTERS as readonly string[]).includes(augmenter);
}
/**
 * The identity task's only classical augmenter, its control without a generator: each target's gallery
 * walks moved into the other conditions by the difference of the training walks' mean gaits
 * (generator/edit.ts, labelMeanShift). The others cannot make a walk in a condition that was not recorded.
 */
export const IDENTITY_TASK_CONTROL = 'mean-shift';
/**
 * The augmenters the identity task compares. The PCA-Gaussian floor has no walker to keep, and the
 * classical augmenters but the control cannot make a named walker's walk in an unrecorded condition.
 */
export const IDENTITY_TASK_AUGMENTERS: readonly AugmenterName[] = ['none', ...CVAE_AUGMENTERS, 'flow', IDENTITY_TASK_CONTROL];
export const CLASSIFIERS = ['baseline-step', 'step', 'at-gcn'] as const;
export type ClassifierName = (typeof CLASSIFIERS)[number];
/** What an ablation measures: emotion recognition (classifiers), or cross-condition identification (the identity model). */
export const ABLATION_TASKS = ['emotion', 'identity'] as const;
export type AblationTask = (typeof ABLATION_TASKS)[number];
