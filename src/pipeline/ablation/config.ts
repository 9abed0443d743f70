/**
 * Ablation configuration: what `gaitforge ablate` runs. Read from JSON or
 * YAML, overridden from the CLI, and validated completely before any
 * training starts (one GaitforgeError E_CONFIG naming the field).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigRangeError, GaitforgeError } from '../../core/errors.js';
import { SPLIT_GROUPINGS, type GaitSet, type SplitGrouping } from '../../core/gaitset.js';
import { CLASSICAL_AUGMENTERS, type AugmentConfig } from '../augment.js';
import { resolveClassifierConfig, type ClassifierConfig } from '../../classifier/config.js';
import { resolveGenerator, type GeneratorConfig } from '../../generator/config.js';
import { DEFAULT_RESTYLE_LATENT, RESTYLE_LATENTS, type RestyleLatent } from '../../generator/latent.js';
import { resolveIdentityConfig, type IdentityConfig } from '../../identity/config.js';

export const LEARNED_AUGMENTERS = ['stepgen', 'cvae-baseline'] as const;
export const AUGMENTERS = ['none', ...LEARNED_AUGMENTERS, ...CLASSICAL_AUGMENTERS] as const;
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
export type AugmenterName = (typeof AUGMENTERS)[number];
export const CLASSIFIERS = ['baseline-step', 'step', 'at-gcn'] as const;
export type ClassifierName = (typeof CLASSIFIERS)[number];
/** What an ablation measures: emotion recognition (classifiers), or cross-condition identification (the identity model). */
export const ABLATION_TASKS = ['emotion', 'identity'] as const;
export type AblationTask = (typeof ABLATION_TASKS)[number];
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
  splits?: { train?: number; val?: number; test?: number; groupBy?: SplitGrouping; byIdentity?: boolean };
  /** Augmenters to compare; 'none' is the real-only baseline (count 0). */
  augmenters?: AugmenterName[];
  /** Synthetic gaits per label; 0 means real data only. */
  counts?: number[];
  classifiers?: ClassifierName[];
  /** Number of repeats (seeds 1..S) or an explicit list of seeds. Each re-splits and re-trains. */
  seeds?: number | number[];
  /** Options of the learned generators (GeneratorConfig; `variant` is set by the augmenter). */
  generator?: GeneratorConfig;
  /** Options of the classifiers (ClassifierConfig). */
  classifier?: ClassifierConfig;
  /** Options of the classical augmenters. */
  augment?: AugmentConfig;
  /** Generated gaits per label for each generator's FID. Default 200. */
  fidPerLabel?: number;
  /**
   * Score each learned generator with the seed's real-only Baseline-STEP as
   * evaluator: FID in its feature space and its recognition ratio. Default
   * true; where `baseline-step` is not among the classifiers it costs one
   * classifier training per seed (a cell outside the grid's results).
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
  splits: { train: number; val: number; test: number; groupBy: SplitGrouping };
  augmenters: AugmenterName[];
  counts: number[];
  classifiers: ClassifierName[];
  seeds: number[];
  generator: GeneratorConfig;
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
  augmenters: ['none', 'stepgen', 'cvae-baseline', 'mirror', 'rotate', 'timewarp', 'noise', 'mean-shift'],
  counts: [0, 250, 500, 1000, 2000, 4000],
  classifiers: ['baseline-step', 'step', 'at-gcn'],
  seeds: [1, 2, 3, 4, 5],
  generator: {},
  classifier: {},
  augment: {},
  fidPerLabel: 200,
  nonReal: 'refuse',
};

/** Whether the ablation scores its generators with each seed's real-only Baseline-STEP (`evaluator`, default true). */
export function usesEvaluator(r: ResolvedAblation): boolean {
  return r.evaluator !== false;
}

const KNOWN_KEYS = new Set([...Object.keys(DEFAULT_ABLATION), 'evaluator', 'task', 'identity']);

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
  const { byIdentity, ...givenSplits } = c.splits ?? {};
  for (const k of Object.keys(givenSplits))
    if (!['train', 'val', 'test', 'groupBy'].includes(k)) throw bad(`splits.${k}`, (givenSplits as Record<string, unknown>)[k], 'unknown field (known: train, val, test, groupBy, byIdentity)');
  if (byIdentity !== undefined && typeof byIdentity !== 'boolean') throw bad('splits.byIdentity', byIdentity, 'must be true or false');
  if (byIdentity !== undefined && givenSplits.groupBy !== undefined && givenSplits.groupBy !== (byIdentity ? 'identity' : givenSplits.groupBy))
    throw bad('splits.byIdentity', byIdentity, `contradicts splits.groupBy = ${JSON.stringify(givenSplits.groupBy)}`);
  const splits = { ...DEFAULT_ABLATION.splits, ...(byIdentity ? { groupBy: 'identity' as const } : {}), ...givenSplits };
  if (!SPLIT_GROUPINGS.includes(splits.groupBy)) throw bad('splits.groupBy', splits.groupBy, `must be one of ${SPLIT_GROUPINGS.join(', ')}`);
  for (const k of ['train', 'val', 'test'] as const)
    if (typeof splits[k] !== 'number' || !(splits[k] >= 0 && splits[k] <= 1)) throw bad(`splits.${k}`, splits[k], 'must be a number in [0, 1]');
  if (!(splits.train > 0) || !(splits.val > 0) || !(splits.test > 0)) throw bad('splits', splits, 'train, val and test must all be > 0');
  const sum = splits.train + splits.val + splits.test;
  if (Math.abs(sum - 1) > 1e-6) throw bad('splits', { train: splits.train, val: splits.val, test: splits.test }, `fractions sum to ${+sum.toFixed(6)}, not 1`);
  const augmenters = c.augmenters ?? DEFAULT_ABLATION.augmenters;
  if (!Array.isArray(augmenters) || augmenters.length === 0) throw bad('augmenters', augmenters, 'must be a non-empty list');
  for (const a of augmenters) if (!AUGMENTERS.includes(a)) throw bad('augmenters', a, `unknown augmenter (known: ${AUGMENTERS.join(', ')})`);
  const counts = c.counts ?? DEFAULT_ABLATION.counts;
  if (!Array.isArray(counts) || counts.length === 0) throw bad('counts', counts, 'must be a non-empty list');
  for (const n of counts) if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw bad('counts', n, 'counts must be non-negative integers');
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
    for (const variant of augmenters.filter(isLearnedAugmenter)) resolveGenerator({ ...g, variant } as GeneratorConfig);
  });
  checkSection('classifier', c.classifier, (k) => resolveClassifierConfig(k as ClassifierConfig));
  const r: ResolvedAblation = {
    // 'none' (real data only, count 0) is always run: every gain is measured against it.
    splits, augmenters: [...new Set<AugmenterName>(['none', ...augmenters])], counts: [...new Set(counts)].sort((a, b) => a - b), classifiers: [...new Set(classifiers)],
    seeds, generator: { ...(c.generator ?? {}) }, classifier: { ...(c.classifier ?? {}) }, augment: { ...(c.augment ?? {}) }, fidPerLabel, nonReal,
    ...(c.evaluator === false ? { evaluator: false as const } : {}),
  };
  if (data) checkSplittable(r, data);
  return r;
}

/**
 * The identity task's config: its own split (`identity` section) and model
 * (GaitTAKE), generators conditioned on identity, learned augmenters and
 * the mean-shift control only (the other classical augmenters cannot make a
 * walk in a condition that was not recorded). Fields of the emotion task that have no meaning here
 * (`splits`, `classifier`, `fidPerLabel`, `evaluator`) are errors.
 */
function resolveIdentityAblation(c: AblationConfig, data?: GaitSet): ResolvedAblation {
  for (const k of ['splits', 'classifier', 'fidPerLabel', 'evaluator'] as const)
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
  const augmenters = c.augmenters ?? ['none', ...LEARNED_AUGMENTERS];
  const known: readonly string[] = ['none', ...LEARNED_AUGMENTERS, IDENTITY_TASK_CONTROL];
  for (const a of Array.isArray(augmenters) ? augmenters : [])
    if (!known.includes(a))
      throw bad('augmenters', a, `task 'identity' compares ${known.join(', ')}: the other classical augmenters cannot make a walk in a condition that was not recorded`);
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

/** Every label must leave at least one gait (or identity) in each of train, val and test. */
function checkSplittable(r: ResolvedAblation, data: GaitSet): void {
  const smallest = Math.min(r.splits.train, r.splits.val, r.splits.test);
  const need = Math.ceil(1 / smallest);
  const i = r.splits.groupBy === 'identity' ? data.identity.findIndex((x) => x == null) : -1;
  if (i >= 0) throw new GaitforgeError('E_CONFIG', `splits.groupBy is 'identity' but gait ${i} (${data.ids[i]}) has no identity`);
  const grouping = data.grouping(r.splits.groupBy);
  const keys = data.groupKeys(grouping);
  const what = { identity: 'identities', recording: 'recordings', 'identity-or-recording': 'walkers or recordings', gait: 'gaits' }[grouping];
  data.indicesByLabel().forEach((idx, l) => {
    const units = new Set(idx.map((i) => keys[i])).size;
    if (units < need)
      throw new GaitforgeError(
        'E_CONFIG',
        `label ${JSON.stringify(data.labelNames[l])} has ${units} ${what} (splits grouped by ${grouping}): too few to split ${r.splits.train}/${r.splits.val}/${r.splits.test} (needs at least ${need})`,
      );
  });
  // The check that counts: every seed's split leaves every label in train, val and test, and with a learned
  // augmenter 4 test gaits of each label (its FID cell halves the test split: 2 in each half of a draw).
  const names = ['train', 'val', 'test'];
  const learned = r.augmenters.some(isLearnedAugmenter);
  for (const seed of r.seeds) {
    const parts = data.splitIndices([r.splits.train, r.splits.val, r.splits.test], seed, { groupBy: r.splits.groupBy });
    parts.forEach((p, k) => {
      const counts = new Map<number, number>();
      for (const i of p) counts.set(data.labels[i]!, (counts.get(data.labels[i]!) ?? 0) + 1);
      const need = k === 2 && learned ? 4 : 1;
      const few = data.labelNames.flatMap((n, l) => ((counts.get(l) ?? 0) < need ? [`${n} (${counts.get(l) ?? 0})`] : []));
      if (few.length)
        throw new GaitforgeError(
          'E_CONFIG',
          `seed ${seed}: the ${names[k]} split (${p.length} gaits, grouped by ${grouping}) has ${need === 1 ? 'no gait labelled' : `fewer than ${need} gaits of`} ${few.join(', ')}` +
            `${need > 1 ? ' (each generator is scored on the test split, 2 gaits of each label in each half of a draw)' : ''}; ` +
            `use more data, other split fractions (now ${r.splits.train}/${r.splits.val}/${r.splits.test}) or other seeds`,
        );
    });
  }
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
