/**
 * Ablation configuration: what `gaitforge ablate` runs. Read from JSON or
 * YAML, overridden from the CLI, and validated completely before any
 * training starts (one GaitforgeError E_CONFIG naming the field).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigRangeError, GaitforgeError } from '../../core/errors.js';
import { SPLIT_GROUPINGS, type GaitSet, type SplitGrouping } from '../../core/gaitset.js';
import type { AugmentConfig } from '../augment.js';
import { resolveClassifierConfig, type ClassifierConfig } from '../../classifier/config.js';
import { resolveGenerator, type GeneratorConfig } from '../../generator/config.js';
import { resolveGeneratorFamily, type GeneratorFamilyConfig } from '../../generator/family.js';
import type { FlowConfig } from '../../generator/flow/config.js';
import type { PcaGaussianConfig } from '../../generator/pca-gaussian/config.js';
import { DEFAULT_RESTYLE_LATENT, RESTYLE_LATENTS, type RestyleLatent } from '../../generator/latent.js';
import { resolveIdentityConfig, type IdentityConfig } from '../../identity/config.js';
import {
  ABLATION_TASKS, AUGMENTERS, CLASSIFIERS, CVAE_AUGMENTERS, IDENTITY_TASK_AUGMENTERS, isLearnedAugmenter, type AblationTask, type AugmenterName, type ClassifierName,
} from './names.js';
import { checkSplittable, SPLIT_MODES, type ResolvedSplits, type SplitMode } from './splits.js';

export { isKfold, type ResolvedSplits, type SplitMode } from './splits.js';

export {
  ABLATION_TASKS, AUGMENTERS, CLASSIFIERS, CVAE_AUGMENTERS, IDENTITY_TASK_AUGMENTERS, IDENTITY_TASK_CONTROL, isLearnedAugmenter, LEARNED_AUGMENTERS,
  type AblationTask, type AugmenterName, type ClassifierName,
} from './names.js';
/** The other generator families, one section each under `generators`. */
export const FAMILY_SECTIONS = ['flow', 'pca-gaussian'] as const;
/** The model of the identity task (its only entry in the grid's model axis). */
export const IDENTITY_TASK_MODELS = ['gaittake'] as const;
export type ModelName = ClassifierName | (typeof IDENTITY_TASK_MODELS)[number];
/** identityDim of the identity task's generators when the generator section does not set one. */
export const IDENTITY_TASK_IDENTITY_DIM = 16;

/**
 * The identity task (task 'identity'), see docs/identity.md. Per seed the
 * identities are dealt at random into targets (`targetFraction` of them) and
 * donors: training holds every walk of the donors and the gallery-condition
 * walks of the targets; the targets' walks in every other condition are the
 * probes, matched against the targets' gallery walks. Generators train on the
 * training walks and generate the targets in the conditions they were not
 * recorded in (count per target identity and condition).
 */
export interface IdentityTaskConfig {
  /** Fraction of the identities that are targets. Default 0.5; at least one target and one donor. */
  targetFraction?: number;
  /** Condition (label) of the gallery, the one condition recorded for targets. Default 'neutral'. */
  galleryCondition?: string;
  /** Options of the GaitTAKE identity model (IdentityConfig). `valFraction` is 0: no identity can be held out of training, the last epoch is kept. */
  model?: IdentityConfig;
  /**
   * How a learned generator makes a target's walks in the unrecorded conditions: 'sample' (default)
   * draws them from the identity prior; 'restyle' edits the target's own gallery walks into each
   * condition (generator/restyle.ts), `count` of them per (target, condition), or all the target
   * has when it has fewer.
   */
  walks?: IdentityTaskWalks;
  /**
   * The latent code restyling decodes each condition at (walks 'restyle' only; RestyleOptions.latent):
   * 'shifted' (default) or 'posterior' (how restyled walks were made before the shift existed).
   */
  restyleLatent?: RestyleLatent;
}

export const IDENTITY_TASK_WALKS = ['sample', 'restyle'] as const;
export type IdentityTaskWalks = (typeof IDENTITY_TASK_WALKS)[number];

export interface ResolvedIdentityTask {
  targetFraction: number;
  galleryCondition: string;
  model: IdentityConfig;
  walks: IdentityTaskWalks;
  /** The restyling latent of walks 'restyle'; null for walks 'sample'. */
  restyleLatent: RestyleLatent | null;
}

export const DEFAULT_IDENTITY_TASK: ResolvedIdentityTask = { targetFraction: 0.5, galleryCondition: 'neutral', model: {}, walks: 'sample', restyleLatent: null };

export interface AblationConfig {
  /** 'emotion' (default): classifiers on emotion; 'identity': the identity model's cross-condition rank-1 (the `identity` section). */
  task?: AblationTask;
  /** The identity task's split and model (task 'identity' only). */
  identity?: IdentityTaskConfig;
  /**
   * Train/val/test fractions (sum 1), stratified by label and grouped:
   * `groupBy` 'auto' (default) keeps identities disjoint when every gait has
   * one, else recordings, else splits gait by gait; 'identity', 'recording'
   * or 'gait' asks for one explicitly. `byIdentity: true` (older configs)
   * means groupBy 'identity'; `byIdentity: false` means 'auto'.
   */
  splits?: {
    /**
     * 'holdout' (default): every seed re-splits the data train/val/test. 'kfold': every seed is one
     * repeat of grouped k-fold cross-validation with its own fold assignment: each fold is the test
     * split once, so every recording is tested exactly once per repeat; `val` is then the share of the
     * training folds' groups held out for model selection, and train/test do not apply.
     */
    mode?: SplitMode;
    /** Folds of mode 'kfold' (2 to 20). Default 5. */
    folds?: number;
    train?: number; val?: number; test?: number; groupBy?: SplitGrouping; byIdentity?: boolean;
  };
  /**
   * Shares of each split's real training groups the models and generators
   * train on, a learning curve over the amount of real data: each subset is
   * drawn by group (walker, else recording), stratified by label and nested
   * (the 10% subset lies inside the 25% one), every label keeping at least
   * one group; the validation and test splits are those of fraction 1.
   * Default [1].
   */
  realFractions?: number[];
  /** Augmenters to compare; 'none' is the real-only baseline (count 0). */
  augmenters?: AugmenterName[];
  /** Synthetic gaits per label; 0 means real data only. */
  counts?: number[];
  /**
   * Instead of `counts`: synthetic gaits per real training gait, label by
   * label (a cell with 40 real gaits of a label and ratio 5 adds 200 of it),
   * so the amount follows the real data along a learning curve.
   */
  syntheticRatio?: number[];
  classifiers?: ClassifierName[];
  /** Number of repeats (seeds 1..S) or an explicit list of seeds. Each re-splits and re-trains. */
  seeds?: number | number[];
  /** Options of the learned generators of the CVAE family, stepgen and cvae-baseline (GeneratorConfig; `variant` is set by the augmenter). */
  generator?: GeneratorConfig;
  /**
   * Options of the other generator families, one section each: `flow`
   * (FlowConfig) and `pca-gaussian` (PcaGaussianConfig). A field of another
   * family (STEP-Gen's λ's or latent size in the flow's section, say) is an
   * error naming the variant.
   */
  generators?: { flow?: FlowConfig; 'pca-gaussian'?: PcaGaussianConfig };
  /** Options of the classifiers (ClassifierConfig). */
  classifier?: ClassifierConfig;
  /** Options of the classical augmenters. */
  augment?: AugmentConfig;
  /** Generated gaits per label for each generator's FID. Default 200. */
  fidPerLabel?: number;
  /**
   * Score each learned generator in the space of two Baseline-STEP
   * evaluators cross-fitted on each split's test split (one evaluator cell
   * per split: two small trainings), with the anchored recognition ratio.
   * Default true; false: the affective space only.
   */
  evaluator?: boolean;
  /**
   * Rows whose source is not 'real': 'refuse' (default) stops with an error
   * naming the first one; 'drop' runs on the real rows only. The test split
   * must be real gaits, and generators must train on real gaits only.
   */
  nonReal?: 'refuse' | 'drop';
}

export interface ResolvedAblation {
  splits: ResolvedSplits;
  augmenters: AugmenterName[];
  /** Synthetic amounts, 0 first: gaits per label, or with `syntheticUnit` 'ratio' synthetic gaits per real training gait. */
  counts: number[];
  /** Present only when the amounts are ratios (`syntheticRatio`). */
  syntheticUnit?: 'ratio';
  /** Present only when not [1]. */
  realFractions?: number[];
  classifiers: ClassifierName[];
  seeds: number[];
  generator: GeneratorConfig;
  /** Present only when given. */
  generators?: { flow?: FlowConfig; 'pca-gaussian'?: PcaGaussianConfig };
  classifier: ClassifierConfig;
  augment: AugmentConfig;
  fidPerLabel: number;
  nonReal: 'refuse' | 'drop';
  /** Present only when false (so a run folder's config reads as it did before the field existed). */
  evaluator?: false;
  /** Present for task 'identity' only (an emotion run's resolved config is what it was before tasks existed). */
  task?: 'identity';
  identity?: ResolvedIdentityTask;
}

export const DEFAULT_ABLATION: ResolvedAblation = {
  splits: { train: 0.7, val: 0.15, test: 0.15, groupBy: 'auto' },
  augmenters: ['none', 'stepgen', 'cvae-baseline', 'mirror', 'rotate', 'timewarp', 'noise', 'classical', 'mean-shift'],
  counts: [0, 250, 500, 1000, 2000, 4000],
  classifiers: ['baseline-step', 'step', 'at-gcn'],
  seeds: [1, 2, 3, 4, 5],
  generator: {},
  classifier: {},
  augment: {},
  fidPerLabel: 200,
  nonReal: 'refuse',
};

/** Whether the ablation scores its generators in the space of evaluators cross-fitted on each test split (`evaluator`, default true). */
export function usesEvaluator(r: ResolvedAblation): boolean {
  return r.evaluator !== false;
}

const KNOWN_KEYS = new Set([...Object.keys(DEFAULT_ABLATION), 'evaluator', 'task', 'identity', 'realFractions', 'syntheticRatio', 'generators']);

function bad(field: string, value: unknown, expected: string): GaitforgeError {
  return new GaitforgeError('E_CONFIG', `ablation config: ${field} = ${JSON.stringify(value)}: ${expected}`);
}

/**
 * Fills defaults and validates everything; with `data`, also checks that
 * every label has enough gaits to appear in each split.
 */
export function resolveAblation(c: AblationConfig, data?: GaitSet): ResolvedAblation {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw bad('(root)', c, 'must be an object');
  for (const k of Object.keys(c)) if (!KNOWN_KEYS.has(k)) throw bad(k, (c as Record<string, unknown>)[k], `unknown field (known: ${[...KNOWN_KEYS].join(', ')})`);
  const task = c.task ?? 'emotion';
  if (!ABLATION_TASKS.includes(task)) throw bad('task', task, `must be one of ${ABLATION_TASKS.join(', ')}`);
  if (task === 'identity') return resolveIdentityAblation(c, data);
  if (c.identity !== undefined) throw bad('identity', c.identity, "is the identity task's section: set task: 'identity' (or leave it out)");
  if (c.generator && typeof c.generator === 'object' && (c.generator as GeneratorConfig).identityDim)
    throw bad('generator.identityDim', (c.generator as GeneratorConfig).identityDim, "identity-conditioned generators belong to task 'identity'; the emotion task generates by label (leave it out or 0)");
  if (c.splits !== undefined && (typeof c.splits !== 'object' || c.splits === null || Array.isArray(c.splits))) throw bad('splits', c.splits, 'must be an object');
  const splits = resolveSplits(c.splits);
  const realFractions = c.realFractions ?? [1];
  if (!Array.isArray(realFractions) || realFractions.length === 0) throw bad('realFractions', realFractions, 'must be a non-empty list');
  for (const f of realFractions) if (typeof f !== 'number' || !(f > 0 && f <= 1)) throw bad('realFractions', f, 'fractions must be numbers in (0, 1]');
  if (c.counts !== undefined && c.syntheticRatio !== undefined) throw bad('syntheticRatio', c.syntheticRatio, 'give either counts or syntheticRatio, not both');
  if (c.syntheticRatio !== undefined) {
    if (!Array.isArray(c.syntheticRatio) || c.syntheticRatio.length === 0) throw bad('syntheticRatio', c.syntheticRatio, 'must be a non-empty list');
    for (const x of c.syntheticRatio) if (typeof x !== 'number' || !(x >= 0 && x <= 1000)) throw bad('syntheticRatio', x, 'ratios must be numbers in [0, 1000]');
  }
  const augmenters = c.augmenters ?? DEFAULT_ABLATION.augmenters;
  if (!Array.isArray(augmenters) || augmenters.length === 0) throw bad('augmenters', augmenters, 'must be a non-empty list');
  for (const a of augmenters) if (!AUGMENTERS.includes(a)) throw bad('augmenters', a, `unknown augmenter (known: ${AUGMENTERS.join(', ')})`);
  const counts = c.syntheticRatio ? [0, ...c.syntheticRatio] : (c.counts ?? DEFAULT_ABLATION.counts);
  if (!Array.isArray(counts) || counts.length === 0) throw bad('counts', counts, 'must be a non-empty list');
  if (!c.syntheticRatio) for (const n of counts) if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw bad('counts', n, 'counts must be non-negative integers');
  const classifiers = c.classifiers ?? DEFAULT_ABLATION.classifiers;
  if (!Array.isArray(classifiers) || classifiers.length === 0) throw bad('classifiers', classifiers, 'must be a non-empty list');
  for (const k of classifiers) if (!CLASSIFIERS.includes(k)) throw bad('classifiers', k, `unknown classifier (known: ${CLASSIFIERS.join(', ')})`);
  let seeds: number[];
  if (c.seeds === undefined) seeds = DEFAULT_ABLATION.seeds;
  else if (typeof c.seeds === 'number') {
    if (!Number.isInteger(c.seeds) || c.seeds < 1 || c.seeds > 1000) throw bad('seeds', c.seeds, 'a repeat count must be an integer in [1, 1000]');
    seeds = Array.from({ length: c.seeds }, (_, i) => i + 1);
  } else if (Array.isArray(c.seeds) && c.seeds.length > 0) {
    for (const s of c.seeds) if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) throw bad('seeds', s, 'seeds must be non-negative integers');
    if (new Set(c.seeds).size !== c.seeds.length) throw bad('seeds', c.seeds, 'seeds must be distinct');
    seeds = [...c.seeds];
  } else throw bad('seeds', c.seeds, 'must be a repeat count or a non-empty list of seeds');
  const fidPerLabel = c.fidPerLabel ?? DEFAULT_ABLATION.fidPerLabel;
  if (!Number.isInteger(fidPerLabel) || fidPerLabel < 2) throw bad('fidPerLabel', fidPerLabel, 'must be an integer ≥ 2');
  const nonReal = c.nonReal ?? DEFAULT_ABLATION.nonReal;
  if (nonReal !== 'refuse' && nonReal !== 'drop') throw bad('nonReal', nonReal, "must be 'refuse' or 'drop'");
  if (c.evaluator !== undefined && typeof c.evaluator !== 'boolean') throw bad('evaluator', c.evaluator, 'must be true or false');
  for (const k of ['generator', 'classifier', 'augment'] as const)
    if (c[k] !== undefined && (typeof c[k] !== 'object' || c[k] === null || Array.isArray(c[k]))) throw bad(k, c[k], 'must be an object of options');
  checkSection('generator', c.generator, (g) => {
    if ((g as Record<string, unknown>)['variant'] !== undefined) throw new ConfigRangeError('variant is set by each learned augmenter (stepgen, cvae-baseline); leave it out');
    for (const variant of augmenters.filter((a) => CVAE_AUGMENTERS.includes(a))) resolveGenerator({ ...g, variant } as GeneratorConfig);
  });
  const generators = checkFamilySections(c.generators);
  checkSection('classifier', c.classifier, (k) => resolveClassifierConfig(k as ClassifierConfig));
  const r: ResolvedAblation = {
    // 'none' (real data only, count 0) is always run: every gain is measured against it.
    splits, augmenters: [...new Set<AugmenterName>(['none', ...augmenters])], counts: [...new Set(counts)].sort((a, b) => a - b), classifiers: [...new Set(classifiers)],
    seeds, generator: { ...(c.generator ?? {}) }, ...(generators ? { generators } : {}), classifier: { ...(c.classifier ?? {}) }, augment: { ...(c.augment ?? {}) }, fidPerLabel, nonReal,
    ...(c.evaluator === false ? { evaluator: false as const } : {}),
    // fields absent at their defaults, so a run folder's config reads as it did before they existed
    ...(c.syntheticRatio ? { syntheticUnit: 'ratio' as const } : {}),
    ...(realFractions.length === 1 && realFractions[0] === 1 ? {} : { realFractions: [...new Set(realFractions)].sort((a, b) => a - b) }),
  };
  if (data) checkSplittable(r, data, r.augmenters.some(isLearnedAugmenter));
  return r;
}

/** The splits section resolved: holdout fractions (the default), or k-fold with its validation share. */
function resolveSplits(given: AblationConfig['splits']): ResolvedSplits {
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) throw bad('splits', given, 'must be an object');
  const { byIdentity, mode = 'holdout', folds, ...rest } = given ?? {};
  for (const k of Object.keys(rest))
    if (!['train', 'val', 'test', 'groupBy'].includes(k)) throw bad(`splits.${k}`, (rest as Record<string, unknown>)[k], 'unknown field (known: mode, folds, train, val, test, groupBy, byIdentity)');
  if (!SPLIT_MODES.includes(mode)) throw bad('splits.mode', mode, `must be one of ${SPLIT_MODES.join(', ')}`);
  if (byIdentity !== undefined && typeof byIdentity !== 'boolean') throw bad('splits.byIdentity', byIdentity, 'must be true or false');
  if (byIdentity !== undefined && rest.groupBy !== undefined && rest.groupBy !== (byIdentity ? 'identity' : rest.groupBy))
    throw bad('splits.byIdentity', byIdentity, `contradicts splits.groupBy = ${JSON.stringify(rest.groupBy)}`);
  const groupBy = rest.groupBy ?? (byIdentity ? 'identity' : DEFAULT_ABLATION.splits.groupBy);
  if (!SPLIT_GROUPINGS.includes(groupBy)) throw bad('splits.groupBy', groupBy, `must be one of ${SPLIT_GROUPINGS.join(', ')}`);
  if (mode === 'kfold') {
    for (const k of ['train', 'test'] as const) if (rest[k] !== undefined) throw bad(`splits.${k}`, rest[k], "does not apply to mode 'kfold' (each fold is the test split once; val is the share of the training folds held out for selection)");
    const k = folds ?? 5;
    if (!Number.isInteger(k) || k < 2 || k > 20) throw bad('splits.folds', k, 'must be an integer in [2, 20]');
    const val = rest.val ?? DEFAULT_ABLATION.splits.val;
    if (typeof val !== 'number' || !(val > 0 && val < 1)) throw bad('splits.val', val, "must be a number in (0, 1): the share of the training folds' groups held out for model selection");
    return { mode: 'kfold', folds: k, val, groupBy };
  }
  if (folds !== undefined) throw bad('splits.folds', folds, "applies to mode 'kfold' only");
  const splits = { ...DEFAULT_ABLATION.splits, ...rest, groupBy } as { train: number; val: number; test: number; groupBy: SplitGrouping };
  for (const k of ['train', 'val', 'test'] as const)
    if (typeof splits[k] !== 'number' || !(splits[k] >= 0 && splits[k] <= 1)) throw bad(`splits.${k}`, splits[k], 'must be a number in [0, 1]');
  if (!(splits.train > 0) || !(splits.val > 0) || !(splits.test > 0)) throw bad('splits', splits, 'train, val and test must all be > 0');
  const sum = splits.train + splits.val + splits.test;
  if (Math.abs(sum - 1) > 1e-6) throw bad('splits', { train: splits.train, val: splits.val, test: splits.test }, `fractions sum to ${+sum.toFixed(6)}, not 1`);
  return splits;
}

/**
 * The identity task's config: its own split (`identity` section) and model
 * (GaitTAKE), generators conditioned on identity, learned augmenters and
 * the mean-shift control only (the other classical augmenters cannot make a
 * walk in a condition that was not recorded). Fields of the emotion task that have no meaning here
 * (`splits`, `classifier`, `fidPerLabel`, `evaluator`) are errors.
 */
function resolveIdentityAblation(c: AblationConfig, data?: GaitSet): ResolvedAblation {
  for (const k of ['splits', 'classifier', 'fidPerLabel', 'evaluator', 'realFractions', 'syntheticRatio'] as const)
    if (c[k] !== undefined) throw bad(k, c[k], `has no meaning in task 'identity' (its split is identity.targetFraction, its model identity.model)`);
  const given = c.identity ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw bad('identity', given, 'must be an object');
  for (const k of Object.keys(given))
    if (!(k in DEFAULT_IDENTITY_TASK)) throw bad(`identity.${k}`, (given as Record<string, unknown>)[k], `unknown field (known: ${Object.keys(DEFAULT_IDENTITY_TASK).join(', ')})`);
  const identity: ResolvedIdentityTask = { ...DEFAULT_IDENTITY_TASK, ...given, model: { ...(given.model ?? {}) } };
  if (typeof identity.targetFraction !== 'number' || !(identity.targetFraction > 0 && identity.targetFraction < 1))
    throw bad('identity.targetFraction', identity.targetFraction, 'must be a number in (0, 1)');
  if (typeof identity.galleryCondition !== 'string' || identity.galleryCondition === '') throw bad('identity.galleryCondition', identity.galleryCondition, 'must be a label name');
  if (!IDENTITY_TASK_WALKS.includes(identity.walks)) throw bad('identity.walks', identity.walks, `must be one of ${IDENTITY_TASK_WALKS.join(', ')}`);
  if (identity.walks === 'restyle') {
    identity.restyleLatent = given.restyleLatent ?? DEFAULT_RESTYLE_LATENT;
    if (!RESTYLE_LATENTS.includes(identity.restyleLatent)) throw bad('identity.restyleLatent', identity.restyleLatent, `must be one of ${RESTYLE_LATENTS.join(', ')}`);
  } else if (given.restyleLatent !== undefined && given.restyleLatent !== null) throw bad('identity.restyleLatent', given.restyleLatent, "applies to identity.walks 'restyle' only");
  if (typeof given.model !== 'undefined' && (typeof given.model !== 'object' || given.model === null || Array.isArray(given.model))) throw bad('identity.model', given.model, 'must be an object of options');
  if (identity.model.valFraction !== undefined && identity.model.valFraction !== 0)
    throw bad('identity.model.valFraction', identity.model.valFraction, 'must be 0 or left out: holding identities out of training would take targets out of it (the last epoch is kept)');
  checkSection('identity.model', identity.model, (m) => resolveIdentityConfig({ ...(m as IdentityConfig), valFraction: 0 }));
  if (c.classifiers !== undefined && (!Array.isArray(c.classifiers) || c.classifiers.some((k) => !(IDENTITY_TASK_MODELS as readonly string[]).includes(k))))
    throw bad('classifiers', c.classifiers, `task 'identity' trains ${IDENTITY_TASK_MODELS.join(', ')} (leave classifiers out)`);
  // the emotion task's checks of augmenters, counts, seeds, generator and nonReal, on a config without the identity-only fields
  const { task: _t, identity: _i, ...rest } = c;
  const generator = { identityDim: IDENTITY_TASK_IDENTITY_DIM, ...(c.generator ?? {}) } as GeneratorConfig;
  if (c.generator !== undefined && (typeof c.generator !== 'object' || c.generator === null || Array.isArray(c.generator))) throw bad('generator', c.generator, 'must be an object of options');
  if (!(typeof generator.identityDim === 'number' && generator.identityDim > 0)) throw bad('generator.identityDim', generator.identityDim, "must be > 0 in task 'identity' (the generator makes walks of named identities)");
  const augmenters = c.augmenters ?? ['none', ...CVAE_AUGMENTERS];
  const known: readonly string[] = IDENTITY_TASK_AUGMENTERS;
  for (const a of Array.isArray(augmenters) ? augmenters : [])
    if (!known.includes(a))
      throw bad('augmenters', a, `task 'identity' compares ${known.join(', ')}: the other augmenters cannot make a named walker's walk in a condition that was not recorded`);
  if (Array.isArray(augmenters) && augmenters.includes('flow') && identity.walks !== 'restyle')
    throw bad('augmenters', 'flow', "the flow makes a walker's walks by restyling its gallery walks (no identity embedding): set identity.walks: 'restyle'");
  const base = resolveAblation({ ...rest, augmenters, classifiers: ['baseline-step'], generator: { ...generator, identityDim: 0 } });
  checkSection('generator', generator, (g) => resolveGenerator(g as GeneratorConfig));
  const r: ResolvedAblation = { ...base, classifiers: [...IDENTITY_TASK_MODELS] as never, generator, task: 'identity', identity };
  if (data) checkIdentitySplittable(r, data);
  return r;
}

/** The identity task needs identities on every gait, the gallery condition among the labels, and two identities at least. */
function checkIdentitySplittable(r: ResolvedAblation, data: GaitSet): void {
  const i = data.identity.findIndex((x) => x == null || x === '');
  if (i >= 0) throw new GaitforgeError('E_CONFIG', `task 'identity': gait ${i} (${data.ids[i]}) has no identity; every gait needs one`);
  if (!data.labelNames.includes(r.identity!.galleryCondition))
    throw bad('identity.galleryCondition', r.identity!.galleryCondition, `is not a label of the data (${data.labelNames.join(', ')})`);
  const n = new Set(data.identity).size;
  if (n < 2) throw new GaitforgeError('E_CONFIG', `task 'identity': the data has ${n} identity; targets and donors need 2 at least`);
}

/** The `generators` sections checked (each by its family's resolver, `variant` left to the augmenter), copied; undefined when absent. */
function checkFamilySections(given: AblationConfig['generators']): ResolvedAblation['generators'] {
  if (given === undefined) return undefined;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw bad('generators', given, 'must be an object of sections (flow, pca-gaussian)');
  const out: NonNullable<ResolvedAblation['generators']> = {};
  for (const [variant, section] of Object.entries(given)) {
    if (!(FAMILY_SECTIONS as readonly string[]).includes(variant))
      throw bad(`generators.${variant}`, section, `unknown section (known: ${FAMILY_SECTIONS.join(', ')}; the CVAE family's options are the generator section)`);
    if (typeof section !== 'object' || section === null || Array.isArray(section)) throw bad(`generators.${variant}`, section, 'must be an object of options');
    checkSection(`generators.${variant}`, section, (g) => {
      if ((g as Record<string, unknown>)['variant'] !== undefined) throw new ConfigRangeError(`variant is set by the augmenter (${variant}); leave it out`);
      resolveGeneratorFamily({ ...g, variant } as GeneratorFamilyConfig);
    });
    (out as Record<string, object>)[variant] = { ...section };
  }
  return out;
}

/** Resolves a nested section (unknown fields and out-of-range values are errors) before anything trains. */
function checkSection(name: string, section: object | undefined, resolve: (s: object) => void): void {
  if (section === undefined) return;
  try {
    resolve(section);
  } catch (e) {
    if (e instanceof RangeError) throw new GaitforgeError('E_CONFIG', `ablation config: ${name}.${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * The rows an ablation runs on: all of `data` when every row is real; with
 * nonReal 'drop' the real rows only; else throws E_CONFIG naming the first
 * non-real row and the counts.
 */
export function realRowsOf(data: GaitSet, nonReal: 'refuse' | 'drop'): GaitSet {
  const real: number[] = [];
  for (let i = 0; i < data.N; i++) if (data.source[i] === 'real') real.push(i);
  if (real.length === data.N) return data;
  if (nonReal === 'drop') {
    if (real.length === 0) throw new GaitforgeError('E_CONFIG', `the dataset holds no real gaits (all ${data.N} are ${data.source[0]})`);
    return data.select(real);
  }
  const first = data.source.findIndex((s) => s !== 'real');
  throw new GaitforgeError(
    'E_CONFIG',
    `the dataset holds ${data.N - real.length} non-real gaits (first: row ${first}, ${data.ids[first]}, source ${data.source[first]}) beside ${real.length} real ones; ` +
      "an ablation tests on real gaits only: set nonReal: 'drop' (--drop-synthetic) to run on the real rows, or import the data with the right source",
  );
}

/** Reads a JSON or YAML config file (by extension; .yml/.yaml are YAML). */
export function loadAblationConfig(path: string): AblationConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GaitforgeError('E_IO', `cannot read config ${path}: ${(e as Error).message}`);
  }
  try {
    return (/\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text)) as AblationConfig;
  } catch (e) {
    throw new GaitforgeError('E_CONFIG', `config ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/**
 * An ablation config built from untyped values (a config file with
 * command-line overrides), checked as `ablate` checks it first
 * (resolveAblation: one E_CONFIG naming the field), then typed.
 */
export function checkAblationConfig(c: unknown): AblationConfig {
  const config = c as AblationConfig; // resolveAblation checks every field of an untyped value
  resolveAblation(config);
  return config;
}
